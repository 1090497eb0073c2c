"""What matters to the decision: one-way sensitivity, switching values, the break-even curve and
the value of information, all computed from a run's inputs and stored iterations.

One-way and switching values move one input with the rest at central values and evaluate the
central case exactly (the same arithmetic as the workbook); value of information uses the
per-iteration draws (fam.voi).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fam import voi
from fam.engine import Params, _params, central_cells, flows, reduce_flows
from fam.loading import Input

if TYPE_CHECKING:
    from fam.api import Results


def _npv_with(results: Results, values: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    """Central-case NPV for n variants: the named inputs take the given values, rest central."""
    mi = results.inputs
    plan = results.plan

    def value(inp: Input) -> np.ndarray:
        if inp.name in values:
            return np.asarray(values[inp.name], dtype=float)
        return np.full(n, inp.central)

    p: Params = _params(mi, value, n)
    red = reduce_flows(
        plan, flows(plan, plan.year_exp, np.ones(mi.n_years), p, *central_cells(plan, p))
    )
    return np.asarray(red["benefits"][:, plan.headline] - red["costs"])


def uncertain(results: Results) -> list[Input]:
    return [i for i in results.inputs.uncertain_inputs() if not i.dist.is_fixed]


def tornado(results: Results, low_q: float = 0.10, high_q: float = 0.90) -> pd.DataFrame:
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


def switching_values(results: Results, q: tuple[float, float] = (0.001, 0.999)) -> pd.DataFrame:
    """For each uncertain input, the value at which the central NPV is 0, searched over the
    input's 0.1-99.9th percentile range; None when NPV does not change sign there."""
    rows = []
    for inp in uncertain(results):
        lo = float(inp.transform(inp.dist.ppf(np.array([q[0]])))[0])
        hi = float(inp.transform(inp.dist.ppf(np.array([q[1]])))[0])

        def f(x: float, name: str = inp.name) -> float:
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


def cost_multiplier(results: Results) -> float:
    """PV of programme costs per £1 of per-client cost (intake x discount x optimism bias)."""
    ex = results.plan.year_exp
    starts = np.einsum("kd,ky->y", results.plan.n0, ex.starts)
    return float((starts * results.plan.df).sum() * (1.0 + results.plan.ob_cost))


def acceptability(results: Results, costs: Sequence[float] | None = None) -> pd.DataFrame:
    """P(NPV > 0) as the programme cost per client (price base year) varies.

    NPV is linear in the per-client cost, so each iteration's NPV at cost c is its NPV with its
    own drawn cost replaced by c. `attrs["scenario_cost"]` is the scenario's central cost.
    """
    mult = cost_multiplier(results)
    pc = results.inputs.programme_costs["per_client"]
    drawn = results.draws.params[pc.name]
    central = pc.central
    if costs is None:
        top = max(central * 2.5, 1.0)
        costs = list(np.linspace(0.0, top, 51))
    npv = results.npv

    def npv_fn(c: float) -> np.ndarray:
        return np.asarray(npv - (c - drawn) * mult)

    out = voi.acceptability_curve(npv_fn, np.asarray(costs, dtype=float))
    out.attrs["scenario_cost"] = central
    return out


def value_of_information(
    results: Results, groups: Mapping[str, Sequence[str]] | None = None
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


def default_groups(results: Results) -> dict[str, list[str]]:
    names = [i.name for i in uncertain(results)]
    groups = {
        "effects": [n for n in names if n.startswith("effects.")],
        "unit costs": [n for n in names if n.startswith("unit_cost.")],
        "programme costs": [n for n in names if n.startswith("programme_costs.")],
        "all drawn inputs": names,
    }
    return {k: v for k, v in groups.items() if v}
