"""The Excel workbook (skeleton: Summary, Inputs, Cashflows as values)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import xlsxwriter

if TYPE_CHECKING:
    from fam.api import Results


def _text(x: Any) -> Any:
    """Neutralise text that a spreadsheet would read as a formula."""
    if isinstance(x, str) and x[:1] in ("=", "+", "-", "@"):
        return "'" + x
    return x


def write_workbook(results: Results, path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "nan_inf_to_errors": True})
    money = wb.add_format({"num_format": "£#,##0;-£#,##0"})
    ratio = wb.add_format({"num_format": "0.00"})
    bold = wb.add_format({"bold": True})
    s = results.summary()
    ws = wb.add_worksheet("Summary")
    ws.write(0, 0, _text(results.name), bold)
    ws.write_row(2, 0, ["measure", "central", "mean", "p5", "p50", "p95"], bold)
    frame = results.summary_frame()
    for i, (measure, row) in enumerate(frame.iterrows()):
        ws.write(3 + i, 0, str(measure))
        fmt = ratio if measure in ("bcr", "roi", "payback_years", "prob_npv_positive") else money
        for j, col in enumerate(["central", "mean", "p5", "p50", "p95"]):
            v = row[col]
            if v is not None and v == v:
                ws.write_number(3 + i, 1 + j, float(v), fmt)
    ws.write(12, 0, "seed")
    ws.write(12, 1, s["seed"])
    ws.write(13, 0, "iterations")
    ws.write(13, 1, s["iterations"])
    ws.set_column(0, 0, 22)
    ws.set_column(1, 5, 16)

    wi = wb.add_worksheet("Inputs")
    wi.write_row(0, 0, ["input", "central", "distribution", "source"], bold)
    for i, inp in enumerate(results.inputs.uncertain_inputs()):
        wi.write(1 + i, 0, inp.name)
        wi.write_number(1 + i, 1, inp.central)
        wi.write(1 + i, 2, _text(inp.dist.describe()))
        wi.write(1 + i, 3, _text(inp.source))
    wi.set_column(0, 0, 50)
    wi.set_column(2, 3, 40)

    wc = wb.add_worksheet("Cashflows")
    by_year = results.by_year().reset_index()
    wc.write_row(0, 0, list(by_year.columns), bold)
    for i, row in enumerate(by_year.itertuples(index=False)):
        for j, v in enumerate(row):
            wc.write_number(1 + i, j, float(v), money if j else None)
    wc.set_column(0, len(by_year.columns), 18)
    wb.close()
