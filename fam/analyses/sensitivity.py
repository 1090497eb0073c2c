"""What matters to the decision: one-way sensitivity, switching values, the break-even curve and
the value of information, all computed from a run's inputs and stored iterations.

One-way and switching values move one input with the rest at central values and evaluate the
central case exactly (the same arithmetic as the workbook); value of information uses the
per-iteration draws (fam.analyses.voi).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fam.analyses import voi
from fam.engine import Params, _params, central_flows, reduce_flows
from fam.inputs.loading import Input

if TYPE_CHECKING:
    from fam.engine import Run


def _npv_with(results: Run, values: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """Central-case NPV for n variants: the named inputs take the given values, rest central."""
    mi = results.inputs
    plan = results.plan

    def value(inp: Input) -> np.ndarray:
        if inp.name in values:
            return np.asarray(values[inp.name], dtype=float)
        return np.full(n, inp.central)

    p: Params = _params(mi, value, n)
    # one input moved at a time: a chain move raised to the top of its range may take the
    # moves out of its state above 1; they are scaled to sum to 1, as in a Monte Carlo draw
    red = reduce_flows(plan, central_flows(plan, p, strict=False))
    return np.asarray(red["benefits"][:, plan.headline] - red["costs"])


def uncertain(results: Run) -> list[Input]:
    return [i for i in results.inputs.uncertain_inputs() if not i.dist.is_fixed]


def tornado(results: Run, low_q: float = 0.10, high_q: float = 0.90) -> pd.DataFrame:
    """Each uncertain input at its 10th and 90th percentile with the rest central.

    Columns: input, label, low_value, high_value, npv_low, npv_high, swing; largest swing
    first. `attrs["npv_central"]` holds the central NPV.
    """
    inputs = uncertain(results)
    rows = []
    if inputs:
        lows = [float(i.transform(i.dist.ppf(np.array([low_q])))[0]) for i in inputs]
        highs = [float(i.transform(i.dist.ppf(np.array([high_q])))[0]) for i in inputs]
        n = 2 * len(inputs)
        values: dict[str, np.ndarray] = {}
        for j, inp in enumerate(inputs):
            v = np.full(n, inp.central)
            v[2 * j], v[2 * j + 1] = lows[j], highs[j]
            values[inp.name] = v
        npv = _npv_with(results, values, n)
        for j, inp in enumerate(inputs):
            rows.append(
                {
                    "input": inp.name,
                    "label": inp.label or inp.name,
                    "low_value": lows[j],
                    "high_value": highs[j],
                    "npv_low": float(npv[2 * j]),
                    "npv_high": float(npv[2 * j + 1]),
                    "swing": abs(float(npv[2 * j + 1] - npv[2 * j])),
                }
            )
    cols = ["input", "label", "low_value", "high_value", "npv_low", "npv_high", "swing"]
    out = pd.DataFrame(rows, columns=cols)
    out = out.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    out.attrs["npv_central"] = results.central.npv
    return out


def switching_values(results: Run, q: tuple[float, float] = (0.001, 0.999)) -> pd.DataFrame:
    """For each uncertain input, the value at which the central NPV is 0, searched over the
    input's 0.1-99.9th percentile range; None when NPV does not change sign there."""
    rows = []
    for inp in uncertain(results):
        lo = float(inp.transform(inp.dist.ppf(np.array([q[0]])))[0])
        hi = float(inp.transform(inp.dist.ppf(np.array([q[1]])))[0])

        # voi.switching_value scans this same grid first: evaluate it in one vectorised call.
        grid = np.linspace(lo, hi, 50)
        values = _npv_with(results, {inp.name: grid}, 50)
        known = dict(zip(grid.tolist(), values.tolist(), strict=True))

        def f(x: float, name: str = inp.name, known: dict[float, float] = known) -> float:
            if x in known:
                return known[x]
            return float(_npv_with(results, {name: np.array([x])}, 1)[0])

        sv = voi.switching_value(f, lo, hi) if hi > lo else None
        rows.append(
            {
                "input": inp.name,
                "label": inp.label or inp.name,
                "central": inp.central,
                "range_low": lo,
                "range_high": hi,
                "switching_value": sv,
            }
        )
    return pd.DataFrame(
        rows, columns=["input", "label", "central", "range_low", "range_high", "switching_value"]
    )


def cost_multiplier(results: Run) -> float:
    """PV of programme costs per £1 of per-client cost (intake x discount x optimism bias)."""
    ex = results.plan.year_exp
    starts = np.einsum("kd,ky->y", results.plan.n0, ex.starts)
    return float((starts * results.plan.df).sum() * (1.0 + results.plan.ob_cost))


def cost_grid(results: Run, n: int = 50) -> list[float]:
    """n + 1 evenly spaced costs per client from £0 for the break-even curve.

    The range reaches past the cost at which almost every iteration stops breaking even (1.1 x
    the 99th percentile of the iterations' own break-even costs) and 1.5 x the scenario's cost;
    the scenario's cost is always one of the points.
    """
    pc = results.inputs.programme_costs["per_client"]
    central = max(float(pc.central), 0.0)
    mult = cost_multiplier(results)
    top = 1.5 * central
    if mult > 0:
        own = results.draws.params[pc.name] + np.asarray(results.npv) / mult
        top = max(top, 1.1 * float(np.quantile(own, 0.99)))
    if top <= 0:
        top = 1000.0
    if central > 0:
        k = min(n, max(1, round(central / top * n)))
        step = central / k
    else:
        k, step = 0, top / n
    points = [step * i for i in range(n + 1)]
    points[k] = central if central > 0 else points[k]  # exactly, not k x (central / k)
    return points


def break_even_cost(results: Run) -> float | None:
    """The programme cost per client at which the central NPV is 0 (the central NPV is linear
    in it); None when the cost per client does not move the NPV."""
    mult = cost_multiplier(results)
    if mult <= 0:
        return None
    pc = results.inputs.programme_costs["per_client"]
    return float(pc.central + results.central.npv / mult)


def even_odds_cost(results: Run) -> float | None:
    """The cost per client at which P(NPV > 0) = 50%: the median of the iterations' own
    break-even costs (NPV is linear in the cost in every iteration); None when the cost per
    client does not move the NPV."""
    mult = cost_multiplier(results)
    if mult <= 0:
        return None
    pc = results.inputs.programme_costs["per_client"]
    own = results.draws.params[pc.name] + np.asarray(results.npv) / mult
    return float(np.median(own))


def acceptability(results: Run, costs: Sequence[float] | None = None) -> pd.DataFrame:
    """P(NPV > 0) as the programme cost per client (price base year) varies.

    NPV is linear in the per-client cost, so each iteration's NPV at cost c is its NPV with its
    own drawn cost replaced by c. `attrs["scenario_cost"]` is the scenario's central cost.
    """
    mult = cost_multiplier(results)
    pc = results.inputs.programme_costs["per_client"]
    drawn = results.draws.params[pc.name]
    central = pc.central
    if costs is None:
        costs = cost_grid(results)
    npv = results.npv

    def npv_fn(c: float) -> np.ndarray:
        return np.asarray(npv - (c - drawn) * mult)

    out = voi.acceptability_curve(npv_fn, np.asarray(costs, dtype=float))
    out.attrs["scenario_cost"] = central
    return out


def value_of_information(
    results: Run, groups: Mapping[str, Sequence[str]] | None = None
) -> pd.DataFrame:
    """EVPI and partial EVPI per input and group, per client and for the cohort.

    Per-client figures divide the cohort NPV by the cohort size; `population` multiplies by
    the clients expected over the horizon (the scenario's cohort size).
    """
    size = results.inputs.size
    npv = results.npv / size
    draws = {
        i.name: results.draws.params[i.name]
        for i in uncertain(results)
        if np.ptp(results.draws.params[i.name]) > 0
    }
    if draws:
        groups = {k: [n for n in v if n in draws] for k, v in (groups or {}).items()}
        table = voi.partial_evpi_table(npv, draws, {k: v for k, v in groups.items() if v})
    else:
        table = pd.DataFrame(columns=["name", "kind", "evppi", "share_of_evpi"])
    table["evppi_per_client"] = table["evppi"]
    table["evppi_population"] = table["evppi"] * size
    table = table.drop(columns=["evppi"])
    table.attrs["evpi_per_client"] = voi.evpi(npv)
    table.attrs["evpi_population"] = voi.evpi(npv) * size
    return table


def default_groups(results: Run) -> dict[str, list[str]]:
    names = [i.name for i in uncertain(results)]
    groups = {
        "effects": [n for n in names if n.startswith("effects.")],
        "unit costs": [n for n in names if n.startswith("unit_cost.")],
        "programme costs": [n for n in names if n.startswith("programme_costs.")],
        "all drawn inputs": names,
    }
    return {k: v for k, v in groups.items() if v}


# ---------------------------------------------------------------------------- for the reports

#: Partial EVPI is computed for at most this many inputs (largest tornado swing first).
REPORT_MAX_INPUTS = 8

_VOI_COLUMNS = ["name", "kind", "share_of_evpi", "evppi_per_client", "evppi_population"]


@dataclass(frozen=True)
class Report:
    """What the workbook's Sensitivity sheet and the briefing show, computed once per run.

    `voi` (columns as `value_of_information`, inputs then groups) has partial EVPI for the
    `REPORT_MAX_INPUTS` inputs with the largest non-zero tornado swing and for
    `default_groups`; `voi_inputs_left_out` uncertain inputs were not evaluated one by one.
    """

    tornado: pd.DataFrame
    switching: pd.DataFrame
    curve: pd.DataFrame
    voi: pd.DataFrame
    n_uncertain: int
    voi_inputs_left_out: int
    break_even_cost: float | None
    even_odds_cost: float | None
    scenario_cost: float


def report(results: Run) -> Report:
    """The sensitivity results for a run, for the workbook's Sensitivity sheet and the briefing
    (computed once, in the analysis stage: fam.analyses.stage)."""
    torn = tornado(results)
    size = results.inputs.size
    npv = np.asarray(results.npv, dtype=float) / size
    live = {
        i.name: results.draws.params[i.name]
        for i in uncertain(results)
        if np.ptp(results.draws.params[i.name]) > 0
    }
    moving = [str(n) for n in torn.loc[torn["swing"] > 0, "input"] if n in live]
    jobs = [(n, "input", [n]) for n in moving[:REPORT_MAX_INPUTS]]
    for gname, members in default_groups(results).items():
        inside = [m for m in members if m in live]
        if inside:
            jobs.append((gname, "group", inside))
    total = voi.evpi(npv)
    rows = []
    with _one_blas_thread():
        for name, kind, members in jobs:
            value = voi.partial_evpi(npv, {m: live[m] for m in members})
            rows.append(
                {
                    "name": name,
                    "kind": kind,
                    "share_of_evpi": value / total if total > 0 else 0.0,
                    "evppi_per_client": value,
                    "evppi_population": value * size,
                }
            )
    table = pd.DataFrame(rows, columns=_VOI_COLUMNS)
    table.attrs["evpi_per_client"] = total
    table.attrs["evpi_population"] = total * size
    n_inputs = sum(kind == "input" for _, kind, _ in jobs)
    return Report(
        tornado=torn,
        switching=switching_values(results),
        curve=acceptability(results),
        voi=table,
        n_uncertain=len(torn),
        voi_inputs_left_out=len(torn) - n_inputs,
        break_even_cost=break_even_cost(results),
        even_odds_cost=even_odds_cost(results),
        scenario_cost=float(results.inputs.programme_costs["per_client"].central),
    )


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Run the partial-EVPI regressions on one BLAS thread (threadpoolctl).

    Their matrices are a few hundred columns wide, so threads gain little; but while other
    processes kept the cores busy, BLAS threads waiting on each other made them 20-40 times
    slower (Essex at 10,000 iterations: 0.5 s on one thread, 15-25 s on two).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield
