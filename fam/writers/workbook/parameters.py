"""The Parameters sheet: fam's built-in tables (GDP deflators, optimism bias, Green Book)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fam.model.finance import GREEN_BOOK_STEPS
from fam.writers.workbook.layout import HDR

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

    from fam.inputs.unit_costs import Deflators
    from fam.writers.workbook.book import Book


@dataclass(frozen=True)
class ParameterNames:
    """The defined names of the Parameters tables, as the other sheets' formulas use them."""

    deflator_years: str = "deflator_years"
    deflator_index: str = "deflator_index"
    ob_grades: str = "ob_grades"
    ob_costs: str = "ob_costs"
    ob_benefits: str = "ob_benefits"
    gb_first_year: str = "gb_first_year"
    gb_scale: str = "gb_scale"
    tolerance: str = "tolerance"


def write_parameters(
    bk: Book,
    ws: Worksheet,
    deflators: Deflators,
    ob: Mapping[int, Mapping[str, float]],
) -> ParameterNames:
    """fam's built-in tables; return their defined names."""
    names = ParameterNames()
    ws.write(0, 0, "Parameters: fam's built-in tables (not scenario inputs)", bk.title)
    ws.write(
        1,
        0,
        "Values from fam's data files. Editing them changes this workbook's formulas only; "
        "fam run uses its own files (unit_costs/gdp_deflators.csv, "
        "fam/parameters/optimism_bias.yaml, fam/model/finance.py).",
        bk.note,
    )
    # GDP deflators
    ws.write(HDR, 0, "financial_year", bk.head)
    ws.write(HDR, 1, "gdp_deflator_index", bk.head)
    ws.write(HDR, 2, "status", bk.head)
    years = sorted(deflators.index)
    for i, y in enumerate(years):
        r = HDR + 1 + i
        ws.write_string(r, 0, y, bk.v_text)
        ws.write_number(r, 1, deflators.index[y], bk.v_num)
        ws.write_string(r, 2, "forecast" if y in deflators.forecast_years else "outturn", bk.v_text)
    last = HDR + len(years)
    bk.define(names.deflator_years, "Parameters", HDR + 1, 0, last, 0)
    bk.define(names.deflator_index, "Parameters", HDR + 1, 1, last, 1)
    bk.string(ws, last + 2, 0, f"Source: {deflators.release}", bk.note)
    # optimism bias
    ws.write(HDR, 4, "confidence_grade", bk.head)
    ws.write(HDR, 5, "ob_costs (uplift)", bk.head)
    ws.write(HDR, 6, "ob_benefits (reduction)", bk.head)
    grades = sorted(ob)
    for i, g in enumerate(grades):
        r = HDR + 1 + i
        ws.write_number(r, 4, g, bk.v_int)
        ws.write_number(r, 5, ob[g]["costs"], bk.v_pct)
        ws.write_number(r, 6, ob[g]["benefits"], bk.v_pct)
    gl = HDR + len(grades)
    bk.define(names.ob_grades, "Parameters", HDR + 1, 4, gl, 4)
    bk.define(names.ob_costs, "Parameters", HDR + 1, 5, gl, 5)
    bk.define(names.ob_benefits, "Parameters", HDR + 1, 6, gl, 6)
    ws.write(
        gl + 2,
        4,
        "Source: fam/parameters/optimism_bias.yaml (GMCA / New Economy CBA guidance grades; "
        "status U: confirm before relying on it)",
        bk.note,
    )
    # Green Book schedule
    ws.write(HDR, 8, "band_first_year", bk.head)
    ws.write(HDR, 9, "rate_relative_to_standard", bk.head)
    firsts = [0] + [last_y + 1 for last_y, _ in GREEN_BOOK_STEPS]
    scales = [s for _, s in GREEN_BOOK_STEPS] + [1.0 / 3.5]
    for i, (a, s) in enumerate(zip(firsts, scales, strict=True)):
        ws.write_number(HDR + 1 + i, 8, a, bk.v_int)
        ws.write_number(HDR + 1 + i, 9, s, bk.num6)
    bl = HDR + len(firsts)
    bk.define(names.gb_first_year, "Parameters", HDR + 1, 8, bl, 8)
    bk.define(names.gb_scale, "Parameters", HDR + 1, 9, bl, 9)
    ws.write(
        bl + 2,
        8,
        "Source: HM Treasury Green Book (2022) long-term discount schedule, as in fam/model/finance.py",
        bk.note,
    )
    ws.write(bl + 4, 8, "tolerance", bk.bold)
    ws.write_number(bl + 4, 9, 1e-9, bk.v_num)
    bk.define(names.tolerance, "Parameters", bl + 4, 9)
    ws.write(
        bl + 5,
        8,
        "Relative tolerance for checks and for 'pays back' (as fam/model/finance.py)",
        bk.note,
    )
    ws.set_column(0, 0, 15)
    ws.set_column(1, 2, 12)
    ws.set_column(4, 6, 14)
    ws.set_column(8, 9, 16)
    ws.freeze_panes(HDR + 1, 0)
    return names
