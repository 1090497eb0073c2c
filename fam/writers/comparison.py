"""`fam compare`'s files: comparison.xlsx, comparison.pdf and comparison.json, written into a
temporary folder and moved into place (an existing report is replaced only with `force`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fam.analyses.compare import (
    DO_NOTHING,
    best_shares,
    check_comparable,
    default_out_dir,
    differences,
    labels,
    seed_note,
    summary,
    table,
    verdict,
)
from fam.version import __version__
from fam.writers import check_destination, staged
from fam.writers.briefing_compare import write_comparison_briefing

if TYPE_CHECKING:
    from fam.analyses.results import Results


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
        if measure in ("costs", "benefits", "npv") or measure.endswith("_per_client"):
            return money
        if measure in ("prob_npv_positive", "payback_share_within_horizon"):
            return pct
        if stat == "prob_higher":
            return pct
        if measure in ("bcr", "payback_years_if_paid_back"):
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
    ws.write(
        r0, 0, "Best option: share of iterations with the highest NPV (doing nothing too)", bold
    )
    ws.write(r0 + 1, 2 + len(labs), DO_NOTHING, bold)
    for j, lab in enumerate([*labs, DO_NOTHING]):
        cell(ws, r0 + 2, 2 + j, float(best[lab]), pct)
    ws.write(r0 + 2, 0, "share_best_npv")
    ws.write(r0 + 4, 0, "In plain words", bold)
    ws.write(r0 + 5, 0, verdict(results))
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
        "exact tie is shared equally between the tied options. Doing nothing (no cost, no "
        "saving, NPV £0) is an option in every comparison.",
        "payback_years_if_paid_back describes only the iterations that pay back within the "
        "horizon (payback_share_within_horizon of them): one that never pays back has no "
        "payback year.",
        *([note] if (note := seed_note(results)) else []),
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


def write_comparison(
    results: Sequence[Results], out_dir: str | Path | None = None, *, force: bool = False
) -> dict[str, Path]:
    """Write comparison.xlsx, comparison.pdf and comparison.json; return their paths."""
    check_comparable(results)
    dest = Path(out_dir) if out_dir is not None else default_out_dir(results)
    check_destination(dest, force=force)
    with staged(dest, force=force, kind="comparison") as tmp:
        data = summary(results)
        (tmp / "comparison.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        _write_xlsx(results, tmp / "comparison.xlsx")
        write_comparison_briefing(list(results), tmp / "comparison.pdf")
    return {
        "xlsx": dest / "comparison.xlsx",
        "pdf": dest / "comparison.pdf",
        "json": dest / "comparison.json",
    }
