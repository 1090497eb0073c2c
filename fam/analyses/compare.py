"""Compare options side by side: pure functions over a list of `Results`.

The options are run with the same seed and the same number of iterations, so every named
input with the same name has identical draws in every option (common random numbers) and the
difference between two options in iteration i is a paired difference: its spread is the
uncertainty about the *difference*, not the sum of the two options' uncertainties.

- `table`: central and Monte Carlo figures of each option, side by side;
- `differences`: each option minus the first, iteration by iteration (mean, 90% interval,
  chance the option is better);
- `best_shares`: the share of iterations in which each option has the highest NPV, doing
  nothing (NPV £0, cost £0) counted as an option (an exact tie is shared equally, so the
  shares always add up to 1);
- `verdict`: the comparison in plain words: which option is best, or that none pays back, and
  which returns most per £1 and per client;
- `summary`: all of it as a JSON-safe dict (comparison.json, written by
  fam.writers.comparison with comparison.xlsx and comparison.pdf).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fam.errors import InputError
from fam.model.finance import clean, describe
from fam.version import __version__

if TYPE_CHECKING:
    from fam.analyses.results import Results

MEASURES = ("costs", "benefits", "npv", "bcr")
FILES = ("comparison.xlsx", "comparison.pdf", "comparison.json")
DO_NOTHING = "Do nothing"  # the option every comparison includes: no cost, no saving, NPV £0


def check_comparable(results: Sequence[Results]) -> None:
    """Refuse options that cannot be compared iteration by iteration."""
    if len(results) < 2:
        raise InputError("compare: give at least two scenarios to compare")
    first = results[0]
    for r in results[1:]:
        if r.iterations != first.iterations or r.seed != first.seed:
            raise InputError(
                f"compare: {r.stem} ran {r.iterations} iterations with seed {r.seed}, "
                f"{first.stem} {first.iterations} with seed {first.seed}; run them with the "
                "same seed and number of iterations"
            )
        pby, pby0 = r.inputs.scenario.price_base_year, first.inputs.scenario.price_base_year
        if pby != pby0:
            raise InputError(
                f"compare: {r.inputs.scenario_path}: price_base_year {pby} differs from "
                f"{pby0} in {first.inputs.scenario_path}; put every option in the same prices"
            )


def labels(results: Sequence[Results]) -> list[str]:
    """A unique label per option: the scenario name, with its position when names repeat."""
    names = [r.name for r in results]
    out = []
    for i, n in enumerate(names):
        out.append(f"{n} [{i + 1}]" if names.count(n) > 1 else n)
    return out


def _series(r: Results) -> dict[str, np.ndarray]:
    d = r.draws
    return {
        "costs": d.costs,
        "benefits": d.benefits[:, r.plan.headline],
        "npv": r.npv,
        "bcr": r.bcr,
    }


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def seed_note(results: Sequence[Results]) -> str | None:
    """Why an option's figures here may differ from its own report, or None if they cannot.

    Common random numbers need one seed for every option; an option whose scenario names
    another seed (monte_carlo.seed) therefore runs here with different draws from its own
    report, and its intervals differ from that report's by simulation noise."""
    seed = results[0].seed
    own = [(r.name, r.inputs.scenario.monte_carlo.seed) for r in results]
    other = [(n, s) for n, s in own if s != seed]
    if not other:
        return None
    which = _join([f"{n}'s seed {s}" for n, s in other])
    return (
        f"Every option ran with seed {seed}, so that shared inputs take the same values in each "
        f"simulation; their own reports use their scenario's seed ({which}), so intervals "
        "there differ from these by simulation noise (central figures are the same; give the "
        "scenarios one monte_carlo.seed to make them agree)."
    )


def table(results: Sequence[Results]) -> pd.DataFrame:
    """One row per measure and statistic, one column per option."""
    cols: dict[str, list[Any]] = {}
    index: list[tuple[str, str]] = []
    for lab, r in zip(labels(results), results, strict=True):
        head = r.central_headline()
        ser = _series(r)
        vals: list[Any] = []
        idx: list[tuple[str, str]] = []
        for m in MEASURES:
            stats = describe(ser[m])
            for k in ("central", "mean", "p5", "p50", "p95"):
                idx.append((m, k))
                vals.append(head[m] if k == "central" else stats[k])
        idx.append(("prob_npv_positive", "monte_carlo"))
        vals.append(float(np.mean(r.npv > 0)))
        pay = r.payback_summary()
        idx.append(("payback_share_within_horizon", "monte_carlo"))
        vals.append(pay["share_within_horizon"])
        idx.append(("payback_years_if_paid_back", "central"))
        vals.append(head["payback_years"])
        for k in ("mean", "p5", "p50", "p95"):
            idx.append(("payback_years_if_paid_back", k))
            vals.append(pay["years_if_paid_back"][k])
        for m in ("costs", "benefits", "npv"):
            idx.append((f"{m}_per_client", "central"))
            vals.append(head[m] / r.inputs.size)
        sc = r.inputs.scenario
        for k, v in [
            ("programme", sc.programme),
            ("perspective", sc.perspective),
            ("horizon_years", sc.horizon_years),
            ("clients", r.inputs.size),
        ]:
            idx.append(("scenario", k))
            vals.append(v)
        cols[lab] = vals
        index = idx
    return pd.DataFrame(cols, index=pd.MultiIndex.from_tuples(index, names=["measure", "stat"]))


def differences(results: Sequence[Results]) -> pd.DataFrame:
    """Each option minus the first, iteration by iteration (paired by common random numbers).

    Columns: option, measure, central (difference of central cases), mean, p5, p50, p95 (of
    the per-iteration differences; p5-p95 is the 90% interval) and prob_higher (share of
    iterations where the option's figure is higher than the first option's).
    """
    check_comparable(results)
    labs = labels(results)
    base = _series(results[0])
    head0 = results[0].central_headline()
    rows = []
    for lab, r in zip(labs[1:], results[1:], strict=True):
        ser = _series(r)
        head = r.central_headline()
        for m in ("costs", "benefits", "npv", "bcr"):
            diff = ser[m] - base[m]
            c = None if head[m] is None or head0[m] is None else head[m] - head0[m]
            ok = np.isfinite(diff)
            rows.append(
                {
                    "option": lab,
                    "versus": labs[0],
                    "measure": m,
                    "central": c,
                    **describe(diff),
                    "prob_higher": float(np.mean(diff[ok] > 0)) if ok.any() else None,
                }
            )
    return pd.DataFrame(rows)


def best_shares(results: Sequence[Results], do_nothing: bool = True) -> pd.Series:
    """Share of iterations in which each option has the highest NPV (ties shared equally);
    with `do_nothing`, doing nothing (NPV £0) is an option too, listed last."""
    check_comparable(results)
    cols = [r.npv for r in results] + ([np.zeros_like(results[0].npv)] if do_nothing else [])
    npv = np.stack(cols, axis=1)  # [i, option]
    top = npv.max(axis=1, keepdims=True)
    tied = npv == top
    share = (tied / tied.sum(axis=1, keepdims=True)).mean(axis=0)
    index = labels(results) + ([DO_NOTHING] if do_nothing else [])
    return pd.Series(share, index=index, name="share_best_npv")


def _gbp(x: float) -> str:
    return f"-£{-x:,.0f}" if x < 0 else f"£{x:,.0f}"


def verdict(results: Sequence[Results]) -> str:
    """The comparison in plain words: the best option (doing nothing included), or that no
    option pays back; how often each is best; which returns most per £1; cohort sizes when
    they differ (then totals mislead: per-client figures are given)."""
    labs = labels(results)
    best = best_shares(results)
    heads = [r.central_headline() for r in results]
    npv = [float(h["npv"]) for h in heads]
    out = []
    if max(npv) <= 0:
        none = "Neither option" if len(results) == 2 else "None of the options"
        out.append(
            f"{none} pays back in the central case (net present value "
            + "; ".join(f"{lab} {_gbp(v)}" for lab, v in zip(labs, npv, strict=True))
            + f"): doing nothing has the highest net present value in the central case, and "
            f"in {best[DO_NOTHING]:.0%} of simulations."
        )
    else:
        i = int(np.argmax(npv))
        out.append(
            f"{labs[i]} has the highest net present value in the central case ({_gbp(npv[i])}) "
            "and is the "
            f"best option in {best[labs[i]]:.0%} of simulations (doing nothing: "
            f"{best[DO_NOTHING]:.0%})."
        )
    top = best.idxmax()
    if top != (DO_NOTHING if max(npv) <= 0 else labs[int(np.argmax(npv))]):
        out.append(f"Most often best: {top} ({best[top]:.0%} of simulations).")
    bcr = [h["bcr"] for h in heads]
    ok = [(b, lab) for b, lab in zip(bcr, labs, strict=True) if b is not None and np.isfinite(b)]
    if len(ok) > 1:
        b, lab = max(ok)
        rest = [f"{other} £{x:.2f}" for x, other in ok if other != lab]
        out.append(f"Per £1 spent, {lab} returns the most (£{b:.2f}; {_join(rest)}).")
    sizes = [r.inputs.size for r in results]
    if len(set(sizes)) > 1:
        per = [
            f"{lab} {n:,} clients, NPV {_gbp(v / n)} per client"
            for lab, n, v in zip(labs, sizes, npv, strict=True)
        ]
        out.append(
            "The options serve different numbers of clients, so compare them per client and "
            "per £1, not by totals: " + "; ".join(per) + "."
        )
    return " ".join(out)


def summary(results: Sequence[Results]) -> dict[str, Any]:
    """Everything in comparison.json (money in £ at the common price base year)."""
    check_comparable(results)
    labs = labels(results)
    best = best_shares(results)
    diffs = differences(results)
    options = []
    for lab, r in zip(labs, results, strict=True):
        s = r.summary()
        entry = {
            "label": lab,
            "scenario": r.name,
            "file": str(r.inputs.scenario_path),
            "programme": r.inputs.scenario.programme,
            "seed_in_scenario": r.inputs.scenario.monte_carlo.seed,
            "clients": r.inputs.size,
            "central_per_client": {
                m: s["central"][m] / r.inputs.size for m in ("costs", "benefits", "npv")
            },
            "central": s["central"],
            "monte_carlo": s["monte_carlo"],
            "share_best_npv": float(best[lab]),
        }
        if r.sib is not None:
            entry["sib"] = r.sib.summary()
        options.append(entry)
    central_npv = [r.central.npv for r in results]
    out = {
        "fam_version": __version__,
        "seed": results[0].seed,
        "iterations": results[0].iterations,
        "price_base_year": results[0].inputs.scenario.price_base_year,
        "common_random_numbers": (
            "every option ran with the same seed and iterations: inputs with the same name "
            "have identical draws, so differences are paired iteration by iteration"
        ),
        "seed_note": seed_note(results),
        "verdict": verdict(results),
        "options": options,
        "differences_vs_first": diffs.to_dict(orient="records"),
        "best": {
            "by_central_npv": (
                labs[int(np.argmax(central_npv))] if max(central_npv) > 0 else DO_NOTHING
            ),
            "most_often_highest_npv": str(best.idxmax()),
            "share_best_npv": {k: float(v) for k, v in best.items()},
            "do_nothing": "an option in every comparison: no cost, no saving, NPV £0",
        },
    }
    return dict(clean(out))


# ------------------------------------------------------------------------------ writing


def default_out_dir(results: Sequence[Results]) -> Path:
    return default_out_dir_for([r.stem for r in results])


def default_out_dir_for(stems_list: Sequence[str]) -> Path:
    """reports/compare_<a>_vs_<b>[_vs_<c>][_and_N_more]."""
    stems = "_vs_".join(stems_list[:3])
    more = f"_and_{len(stems_list) - 3}_more" if len(stems_list) > 3 else ""
    return Path("reports") / f"compare_{stems}{more}"
