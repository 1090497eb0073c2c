"""The Timeline sheet: appraisal years, discount rates and discount factors."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from xlsxwriter.utility import xl_col_to_name

from fam.model.finance import GREEN_BOOK_STEPS
from fam.writers.workbook.layout import HDR, YC

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

    from fam.writers.workbook.book import Book
    from fam.writers.workbook.inputs import InputNames
    from fam.writers.workbook.layout import Run


@dataclass(frozen=True)
class TimelineRows:
    """The sheet row of each timeline line (year, year1, first, horizon, ..., df)."""

    rows: Mapping[str, int]

    def ref(self, key: str, col: str) -> str:
        return f"Timeline!{col}${self.rows[key] + 1}"


def write_timeline(
    bk: Book, ws: Worksheet, run: Run, inputs: InputNames, rates: np.ndarray
) -> TimelineRows:
    """Years, discount rates and factors; `rates` are fam's (fam.model.finance.year_rates)."""
    ws.write(0, 0, "Timeline: appraisal years, discount rates and discount factors", bk.title)
    ws.write(
        1,
        0,
        "Year y runs over calendar months 12y .. 12y+11 from the scenario start. Year 0 is "
        "undiscounted; the rate for year y applies between y-1 and y (Green Book schedule: "
        "the rate steps down after year 30).",
        bk.note,
    )
    ws.write(HDR, 0, "line", bk.head)
    ws.write(HDR, YC - 1, "", bk.head)
    for i in range(run.n_y):
        ws.write(HDR, YC + i, f"year {i}", bk.head)
    a = xl_col_to_name(YC)
    y = np.arange(run.n_y)
    lines = {}
    r = HDR + 1
    labels = [
        ("year", "Appraisal year (0-based)"),
        ("year1", "Years elapsed at the end of the year (payback count)"),
        ("first", "First-year flag"),
        ("horizon", "Within the appraisal horizon flag"),
        ("calendar", "Starts in calendar month (written by fam)"),
        ("scale", "Green Book rate relative to the standard rate"),
        ("rate", "Discount rate applying to this year"),
        ("mult", "One-year discount multiplier 1/(1+rate)"),
        ("df", "Discount factor (year 0 = 1)"),
    ]
    for key, label in labels:
        lines[key] = r
        ws.write(r, 0, label, bk.text)
        r += 1
    L = {k: v + 1 for k, v in lines.items()}
    scale = np.ones(run.n_y)
    for i in range(run.n_y):
        sc_ = 1.0 / 3.5
        for last, s in GREEN_BOOK_STEPS:
            if i <= last:
                sc_ = s
                break
        scale[i] = 1.0 if run.sc.discounting.schedule == "constant" else sc_
    start = _dt.date(int(run.sc.start[:4]), int(run.sc.start[5:7]), 1)
    cal = []
    for i in range(run.n_y):
        m = start.month - 1 + 12 * i
        cal.append(f"{start.year + m // 12:04d}-{m % 12 + 1:02d}")
    sched = inputs.nm("discounting.schedule")
    rate = inputs.nm("discounting.rate")
    hz = inputs.nm("horizon_years")
    run.row_formula(
        ws,
        lines["year"],
        lambda c: f"COLUMNS(${a}{L['year']}:{c}{L['year']})-1",
        y,
        bk.int,
        False,
    )
    run.row_formula(ws, lines["year1"], lambda c: f"{c}{L['year']}+1", y + 1, bk.int, False)
    run.row_formula(
        ws,
        lines["first"],
        lambda c: f"IF({c}{L['year']}=0,1,0)",
        (y == 0) * 1.0,
        bk.flag,
        False,
    )
    run.row_formula(
        ws,
        lines["horizon"],
        lambda c: f"IF({c}{L['year']}<{hz},1,0)",
        np.ones(run.n_y),
        bk.flag,
        False,
    )
    for i in range(run.n_y):
        ws.write_string(lines["calendar"], YC + i, cal[i], bk.v_text)
    run.row_formula(
        ws,
        lines["scale"],
        lambda c: f'IF({sched}="constant",1,INDEX(gb_scale,MATCH({c}{L["year"]},gb_first_year,1)))',
        scale,
        bk.num6,
        False,
    )
    run.row_formula(
        ws,
        lines["rate"],
        lambda c: f"(1-{c}{L['first']})*{rate}*{c}{L['scale']}",
        rates,
        bk.pct,
        False,
    )
    run.row_formula(
        ws, lines["mult"], lambda c: f"1/(1+{c}{L['rate']})", 1 / (1 + rates), bk.num6, False
    )
    run.row_formula(
        ws,
        lines["df"],
        lambda c: f"PRODUCT(${a}{L['mult']}:{c}{L['mult']})",
        run.df,
        bk.num6,
        False,
    )
    ws.set_column(0, 0, 50)
    ws.set_column(1, YC - 1, 3)
    ws.set_column(YC, run.lastc(), 12)
    ws.freeze_panes(HDR + 1, YC)
    return TimelineRows(lines)
