"""The workbook file and its cell formats (styles), shared by every sheet."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from fam.writers.workbook.printing import set_up_printing

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet


class Book:
    """An xlsxwriter workbook, its formats and the defined names written so far."""

    def __init__(self, path: Path) -> None:
        self.wb = xlsxwriter.Workbook(
            str(path),
            {
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "nan_inf_to_errors": True,
            },
        )
        wb = self.wb
        self.names: set[str] = set()
        base = {"font_name": "Arial", "font_size": 10}

        def f(**kw: Any) -> Format:
            return wb.add_format({**base, **kw})

        self.title = f(bold=True, font_size=14)
        self.note = f(italic=True, font_color="#595959", text_wrap=False)
        self.bold = f(bold=True)
        self.head = f(bold=True, bg_color="#DDEBF7", bottom=1, text_wrap=True, valign="top")
        self.section = f(bold=True, font_color="#1F4E79", top=1)
        self.text = f()
        self.wrap = f(text_wrap=True, valign="top")
        self.textq = f(quote_prefix=True)  # text that a spreadsheet might read as a formula
        inp = {"bg_color": "#FFF2CC", "border": 1, "border_color": "#BFBFBF"}
        self.in_text = f(**inp)
        self.in_textq = f(**inp, quote_prefix=True)
        self.in_num = f(**inp, num_format="#,##0.########")
        self.in_money = f(**inp, num_format="£#,##0.00")
        self.in_int = f(**inp, num_format="0")
        self.in_pct = f(**inp, num_format="0.0##%")
        calc_v = {"bg_color": "#F2F2F2"}  # values computed by fam, not formulas
        self.v_num = f(**calc_v, num_format="#,##0.00")
        self.v_money = f(**calc_v, num_format="£#,##0;-£#,##0")
        self.v_money2 = f(**calc_v, num_format="£#,##0.00;-£#,##0.00")
        self.v_ratio = f(**calc_v, num_format="0.00")
        self.v_pct = f(**calc_v, num_format="0.0%")
        self.v_pct_in = f(**calc_v, num_format="0.0##%")  # an input shown as a percentage
        self.v_text = f(**calc_v)
        self.v_int = f(**calc_v, num_format="0")
        self.num = f(num_format="#,##0.00")
        self.num6 = f(num_format="0.000000")
        self.money = f(num_format="£#,##0;-£#,##0")
        self.money2 = f(num_format="£#,##0.00;-£#,##0.00")
        self.ratio = f(num_format="0.00")
        self.pct = f(num_format="0.0%")
        self.int = f(num_format="0")
        self.flag = f(num_format="0", align="center")
        self.check = f(num_format="0", align="center", bold=True)
        self.out_money = f(num_format="£#,##0;-£#,##0", bold=True)
        self.out_ratio = f(num_format="0.00", bold=True)

    def close(self) -> None:
        """Set up every sheet for printing (fam.writers.workbook.printing) and write the file."""
        for ws in self.wb.worksheets():
            set_up_printing(ws)
        self.wb.close()

    def define(
        self, name: str, sheet: str, row: int, col: int, row2: int = -1, col2: int = -1
    ) -> str:
        ref = xl_rowcol_to_cell(row, col, True, True)
        if row2 >= 0:
            ref += ":" + xl_rowcol_to_cell(row2, col2, True, True)
        self.wb.define_name(name, f"={sheet}!{ref}")
        self.names.add(name.lower())
        return name

    def string(
        self, ws: Worksheet, row: int, col: int, text: Any, fmt: Format | None = None
    ) -> None:
        """Text from inputs: always a string cell, never a formula."""
        s = "" if text is None else str(text)
        if s[:1] in ("=", "+", "-", "@"):
            fmt = self.textq if fmt is None or fmt is self.text else fmt
        if s == "":
            ws.write_blank(row, col, None, fmt)
        else:
            ws.write_string(row, col, s, fmt)
