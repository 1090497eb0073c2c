"""Layout shared by the sheets: the year columns, the header row, cell-reference helpers and
the run being written (read-only: sheets pass what they define to later sheets explicitly)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from fam.inputs.workbook_input import INPUTS, UNIT_COSTS
from fam.vocabulary import PERSPECTIVE_LABEL, PERSPECTIVES  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    import pandas as pd
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

    from fam.analyses.results import Results
    from fam.inputs.loading import ModelInputs
    from fam.inputs.scenario import Scenario

YC = 7  # first year column (H) on Timeline, CohortExposure and Calculations
HDR = 3  # header row (Excel row 4) on every table sheet
NOT_WITHIN = "not within horizon"

SHEETS = (
    "Cover",
    INPUTS,
    UNIT_COSTS,
    "Timeline",
    "CohortExposure",
    "Calculations",
    "Outputs",
    "Agencies",
    "MonteCarlo",
    "Sensitivity",
    "Checks",
    "Parameters",
)


def ref(sheet: str, row: int, col: int, row_abs: bool = False, col_abs: bool = False) -> str:
    return f"{sheet}!{xl_rowcol_to_cell(row, col, row_abs, col_abs)}"


def rng(sheet: str | None, r1: int, c1: int, r2: int, c2: int) -> str:
    a = xl_rowcol_to_cell(r1, c1, True, True) + ":" + xl_rowcol_to_cell(r2, c2, True, True)
    return f"{sheet}!{a}" if sheet else a


def val(x: Any) -> Any:
    """A cached value for write_formula: finite numbers, else an empty string."""
    if isinstance(x, str):
        return x
    if x is None:
        return ""
    v = float(x)
    return v if np.isfinite(v) else ""


def unique_name(key: str, used: set[str], prefix: str = "in_") -> str:
    """A defined name for a key path, unique (case-insensitively) among `used`."""
    base = prefix + re.sub(r"[^A-Za-z0-9_]", "_", key.replace("*", "any").replace("?", "q"))
    base = base[:240]
    name, i = base, 2
    while name.lower() in used:
        name = f"{base}_{i}"
        i += 1
    used.add(name.lower())
    return name


@dataclass(frozen=True)
class Run:
    """The run being written: fam's results and the views of them every sheet reads."""

    res: Results
    mi: ModelInputs
    sc: Scenario
    n_y: int
    rows: pd.DataFrame  # the unit-cost rows, 0..n-1
    f: Any  # the central case's yearly flows (res.central.years)
    df: np.ndarray  # discount factors by year

    @classmethod
    def of(cls, res: Results) -> Run:
        mi = res.inputs
        return cls(
            res=res,
            mi=mi,
            sc=mi.scenario,
            n_y=mi.n_years,
            rows=mi.cost_rows.reset_index(drop=True),
            f=res.central.years,
            df=np.asarray(res.plan.df, dtype=float),
        )

    def lastc(self) -> int:
        return YC + self.n_y - 1

    def years_header(self, ws: Worksheet, fmt: Format) -> None:
        for y in range(self.n_y):
            ws.write_formula(HDR, YC + y, f"=Timeline!{xl_col_to_name(YC + y)}${HDR + 2}", fmt, y)
        ws.write(HDR, YC - 1, "total", fmt)

    def row_formula(
        self,
        ws: Worksheet,
        r: int,
        make: Any,
        values: Any,
        fmt: Format,
        total: bool = True,
    ) -> None:
        """Write one consistent formula along row r (make(col_letter) -> formula)."""
        for y in range(self.n_y):
            c = xl_col_to_name(YC + y)
            ws.write_formula(r, YC + y, "=" + make(c), fmt, val(values[y]))
        if total:
            a, b = xl_col_to_name(YC), xl_col_to_name(self.lastc())
            ws.write_formula(
                r, YC - 1, f"=SUM({a}{r + 1}:{b}{r + 1})", fmt, val(float(np.sum(values)))
            )
