"""Print setup for every sheet of a workbook, applied when the book is closed.

A sheet needs nothing of its own to print well: from what it wrote, each sheet gets
- a print area over its used cells and its charts;
- A4, portrait when it fits across a portrait page at `PORTRAIT_SCALE`, else landscape;
- scaled to fit the page width, or, when even a landscape page at `MIN_SCALE` is too narrow,
  to as few pages across as keep it at `MIN_SCALE`, but never more than `MAX_WIDE` (a sheet
  with a column per month, such as Placements, then prints smaller: read it on screen);
- its frozen rows (title, note and table header) repeated at the top of every page, and its
  frozen label columns repeated at the left of every page when it spans pages across;
- the sheet name and "page n of m" in the header, the file name in the footer;
- a hidden sheet: nothing (see set_up_printing).

Widths are in pixels as the writer stores them (a default column is 64 px). The printable
width of A4 at 100% with the margins below is about 1,000 px across in landscape and 700 px in
portrait (210 and 297 mm less 2 x 10 mm margins, at 96 px per inch = 3.78 px per mm).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

A4 = 9  # xlsxwriter's paper code for A4
MARGIN_IN = 0.4  # left/right margins, inches (about 10 mm)
PORTRAIT_PX = 690  # printable width at 100%, portrait (190 mm)
LANDSCAPE_PX = 1045  # printable width at 100%, landscape (277 mm)
PORTRAIT_SCALE = 0.75  # portrait when the sheet fits across a portrait page at this scale
MIN_SCALE = 0.4  # smallest scale worth printing at: 10 pt text prints at 4 pt
MAX_WIDE = 3  # pages across at most: a sheet with a column per month prints smaller than MIN_SCALE
DEFAULT_COL_PX = 64


def _col_px(ws: Worksheet, col: int) -> int:
    info = ws.col_info.get(col)
    width = getattr(info, "width", None) if info is not None else None
    hidden = getattr(info, "hidden", False) if info is not None else False
    if hidden:
        return 0
    return DEFAULT_COL_PX if width is None else int(width)


def _last_col(ws: Worksheet) -> int:
    """The last used column, counting the columns each chart covers."""
    last = ws.dim_colmax if ws.dim_colmax is not None else 0
    for chart_row in ws.charts:
        col, chart, x_offset, x_scale = chart_row[1], chart_row[2], chart_row[3], chart_row[5]
        width = float(chart.width) * float(x_scale) + float(x_offset or 0)
        c = col
        while width > 0 and c < 16383:
            width -= _col_px(ws, c)
            c += 1
        last = max(last, c - 1)
    return int(last)


def _last_row(ws: Worksheet) -> int:
    last = ws.dim_rowmax if ws.dim_rowmax is not None else 0
    for chart_row in ws.charts:
        row, chart, y_scale = chart_row[0], chart_row[2], chart_row[6]
        last = max(last, row + math.ceil(float(chart.height) * float(y_scale) / 20))
    return int(last)


def print_plan(ws: Worksheet) -> dict[str, Any]:
    """What `set_up_printing` sets, as plain values (for tests and the docs)."""
    last_col, last_row = _last_col(ws), _last_row(ws)
    width = sum(_col_px(ws, c) for c in range(last_col + 1))
    frozen_rows, frozen_cols = (ws.panes[0], ws.panes[1]) if ws.panes else (0, 0)
    landscape = width * PORTRAIT_SCALE > PORTRAIT_PX
    page = LANDSCAPE_PX if landscape else PORTRAIT_PX
    wide = 1
    if width * MIN_SCALE > page:
        # labels repeat on every page across, so each page holds `page / scale - labels` more
        labels = sum(_col_px(ws, c) for c in range(frozen_cols))
        per_page = max(page / MIN_SCALE - labels, page / MIN_SCALE / 2)
        wide = min(MAX_WIDE, max(1, math.ceil((width - labels) / per_page)))
    return {
        "area": (0, 0, last_row, last_col),
        "landscape": landscape,
        "pages_wide": wide,
        "repeat_rows": (0, frozen_rows - 1) if frozen_rows else None,
        "repeat_cols": (0, frozen_cols - 1) if frozen_cols and wide > 1 else None,
    }


def set_up_printing(ws: Worksheet) -> None:
    """Print area, orientation, fit to width and repeated titles, from what the sheet holds.

    A hidden sheet prints nothing: LibreOffice prints hidden sheets, so its print area is its
    top-left cell, which a hidden sheet leaves empty (an empty page is not printed)."""
    if ws.hidden:
        ws.print_area(0, 0, 0, 0)
        return
    plan = print_plan(ws)
    ws.set_paper(A4)
    ws.print_area(*plan["area"])
    if plan["landscape"]:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(plan["pages_wide"], 0)  # 0: as many pages down as it needs
    ws.set_margins(left=MARGIN_IN, right=MARGIN_IN, top=0.6, bottom=0.6)
    if plan["repeat_rows"] is not None:
        ws.repeat_rows(*plan["repeat_rows"])
    if plan["repeat_cols"] is not None:
        ws.repeat_columns(*plan["repeat_cols"])
    ws.set_header("&L&A&Rpage &P of &N", {"margin": 0.25})
    ws.set_footer("&L&F", {"margin": 0.25})
