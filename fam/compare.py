"""Compare options side by side: pure functions over a list of `Results`, plus the writer.

The options are run with the same seed and the same number of iterations, so every named
input with the same name has identical draws in every option (common random numbers) and the
difference between two options in iteration i is a paired difference: its spread is the
uncertainty about the *difference*, not the sum of the two options' uncertainties.

- `table`: central and Monte Carlo figures of each option, side by side;
- `differences`: each option minus the first, iteration by iteration (mean, 90% interval,
  chance the option is better);
- `best_shares`: the share of iterations in which each option has the highest NPV (an
  exact tie is shared equally, so the shares always add up to 1);
- `summary`: all of it as a JSON-safe dict (comparison.json);
- `write_comparison`: comparison.xlsx, comparison.pdf and comparison.json, written into a
  temporary folder and moved into place (an existing report is replaced only with `force`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from fam import __version__
from fam.errors import InputError
from fam.finance import clean, describe, payback_years
from fam.writers import check_destination, staged

if TYPE_CHECKING:
    from fam.api import Results

MEASURES = ("costs", "benefits", "npv", "bcr", "payback_years")
FILES = ("comparison.xlsx", "comparison.pdf", "comparison.json")


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
        "payback_years": payback_years(d.net_by_year),
    }


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


def best_shares(results: Sequence[Results]) -> pd.Series:
    """Share of iterations in which each option has the highest NPV (ties shared equally)."""
    check_comparable(results)
    npv = np.stack([r.npv for r in results], axis=1)  # [i, option]
    top = npv.max(axis=1, keepdims=True)
    tied = npv == top
    share = (tied / tied.sum(axis=1, keepdims=True)).mean(axis=0)
    return pd.Series(share, index=labels(results), name="share_best_npv")


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
            "central": s["central"],
            "monte_carlo": s["monte_carlo"],
            "share_best_npv": float(best[lab]),
        }
        if getattr(r.inputs.scenario, "sib", None) is not None:
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
        "options": options,
        "differences_vs_first": diffs.to_dict(orient="records"),
        "best": {
            "by_central_npv": labs[int(np.argmax(central_npv))],
            "most_often_highest_npv": labs[int(np.argmax(best.to_numpy()))],
            "share_best_npv": {k: float(v) for k, v in best.items()},
        },
    }
    return dict(clean(out))


# ------------------------------------------------------------------------------ writing


def _write_xlsx(results: Sequence[Results], path: Path) -> None:
    import xlsxwriter

    labs = labels(results)
    tab = table(results)
    diffs = differences(results)
    best = best_shares(results)
    wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": True})
    bold = wb.add_format({"bold": True})
    money = wb.add_format({"num_format": "£#,##0;-£#,##0"})
    ratio = wb.add_format({"num_format": "0.00"})
    pct = wb.add_format({"num_format": "0%"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})

    def fmt(measure: str, stat: str) -> Any:
        if measure in ("costs", "benefits", "npv"):
            return money
        if measure == "prob_npv_positive" or stat == "prob_higher":
            return pct
        if measure in ("bcr", "payback_years"):
            return ratio
        return None

    def cell(ws: Any, row: int, col: int, v: Any, f: Any = None) -> None:
        if v is None or (isinstance(v, float) and not np.isfinite(v)):
            ws.write_blank(row, col, None)
        elif isinstance(v, int | float | np.integer | np.floating):
            ws.write_number(row, col, float(v), f)
        else:
            ws.write(row, col, str(v))

    ws = wb.add_worksheet("Comparison")
    ws.write(0, 0, "Options side by side (money in £, " + _pby(results) + " prices)", bold)
    ws.write(1, 0, "measure", bold)
    ws.write(1, 1, "statistic", bold)
    for j, lab in enumerate(labs):
        ws.write(1, 2 + j, lab, bold)
    for i, ((m, k), row) in enumerate(tab.iterrows(), start=2):
        ws.write(i, 0, m)
        ws.write(i, 1, k)
        for j, v in enumerate(row.tolist()):
            cell(ws, i, 2 + j, v, fmt(m, k))
    r0 = 3 + len(tab)
    ws.write(r0, 0, "Best option: share of iterations with the highest NPV", bold)
    for j, lab in enumerate(labs):
        cell(ws, r0 + 1, 2 + j, float(best[lab]), pct)
    ws.write(r0 + 1, 0, "share_best_npv")
    ws.set_column(0, 1, 22)
    ws.set_column(2, 2 + len(labs), 26)

    wd = wb.add_worksheet("Differences")
    wd.write(
        0, 0, "Each option minus the first, iteration by iteration (common random numbers)", bold
    )
    headers = list(diffs.columns)
    for j, h in enumerate(headers):
        wd.write(1, j, h, bold)
    for i, rec in enumerate(diffs.to_dict(orient="records"), start=2):
        for j, h in enumerate(headers):
            v = rec[h]
            f = pct if h == "prob_higher" else fmt(str(rec["measure"]), h)
            cell(wd, i, j, v, f)
    wd.set_column(0, 1, 28)
    wd.set_column(2, len(headers), 16)

    wn = wb.add_worksheet("Notes")
    notes = [
        "How to read this comparison",
        "Every option was run with the same seed and number of iterations (seed "
        f"{results[0].seed}, {results[0].iterations} iterations). Inputs with the same name "
        "(e.g. a unit cost, or the counterfactual trend) take identical values in the same "
        "iteration of every option: common random numbers.",
        "Differences are computed iteration by iteration; p5 to p95 is their 90% interval. "
        "prob_higher is the share of iterations in which the option's figure exceeds the "
        "first option's.",
        "Best option: the share of iterations in which each option has the highest NPV; an "
        "exact tie is shared equally between the tied options.",
        "central = every input at its central value (the mean of its distribution).",
        f"fam {__version__}. Scenarios: "
        + "; ".join(
            f"{lab}: {r.inputs.scenario_path}" for lab, r in zip(labs, results, strict=True)
        ),
    ]
    wn.set_column(0, 0, 110)
    for i, t in enumerate(notes):
        wn.write(i, 0, t, bold if i == 0 else wrap)
    wb.close()


def _pby(results: Sequence[Results]) -> str:
    return results[0].inputs.scenario.price_base_year


def _write_pdf_fallback(results: Sequence[Results], path: Path) -> None:
    """A one-page PDF (used only when fam.writers.briefing has no comparison briefing)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labs = labels(results)
    best = best_shares(results)
    fig, (ax_t, ax) = plt.subplots(2, 1, figsize=(8.27, 11.69))
    ax_t.axis("off")
    lines = [f"Comparison of {len(results)} options (£, {_pby(results)} prices)", ""]
    for lab, r in zip(labs, results, strict=True):
        h = r.central_headline()
        bcr = "n/a" if h["bcr"] is None or not np.isfinite(h["bcr"]) else f"£{h['bcr']:.2f}"
        lines.append(
            f"{lab}: NPV £{h['npv']:,.0f}; {bcr} back per £1; chance of breaking even "
            f"{np.mean(r.npv > 0):.0%}; best in {best[lab]:.0%} of iterations"
        )
    ax_t.text(0, 1, "\n".join(lines), va="top", fontsize=8, wrap=True)
    ax.boxplot([r.npv for r in results], whis=(5, 95), showfliers=False)
    ax.set_xticks(range(1, len(labs) + 1), [lab[:25] for lab in labs], rotation=20, fontsize=7)
    ax.set_ylabel("NPV (£), 5th-95th percentile whiskers")
    fig.savefig(path, format="pdf")
    plt.close(fig)


def write_pdf(results: Sequence[Results], path: Path) -> None:
    from fam.writers import briefing

    writer = getattr(briefing, "write_comparison_briefing", None)
    if writer is not None:
        writer(list(results), path)
    else:
        _write_pdf_fallback(results, path)


def default_out_dir(results: Sequence[Results]) -> Path:
    return default_out_dir_for([r.stem for r in results])


def default_out_dir_for(stems_list: Sequence[str]) -> Path:
    """reports/compare_<a>_vs_<b>[_vs_<c>][_and_N_more]."""
    stems = "_vs_".join(stems_list[:3])
    more = f"_and_{len(stems_list) - 3}_more" if len(stems_list) > 3 else ""
    return Path("reports") / f"compare_{stems}{more}"


def write_comparison(
    results: Sequence[Results], out_dir: str | Path | None = None, *, force: bool = False
) -> dict[str, Path]:
    """Write comparison.xlsx, comparison.pdf and comparison.json; return their paths."""
    check_comparable(results)
    dest = Path(out_dir) if out_dir is not None else default_out_dir(results)
    check_destination(dest, force=force)
    with staged(dest) as tmp:
        data = summary(results)
        (tmp / "comparison.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        _write_xlsx(results, tmp / "comparison.xlsx")
        write_pdf(results, tmp / "comparison.pdf")
    return {
        "xlsx": dest / "comparison.xlsx",
        "pdf": dest / "comparison.pdf",
        "json": dest / "comparison.json",
    }
