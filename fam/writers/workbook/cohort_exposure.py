"""The CohortExposure sheet: cohort sums computed by fam from the client data (values)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from xlsxwriter.utility import xl_col_to_name

from fam.writers.workbook.layout import HDR, YC

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

    from fam.writers.workbook.book import Book
    from fam.writers.workbook.layout import Run


@dataclass(frozen=True)
class ExposureRows:
    """The sheet row of each (quantity, service index) (-1 for programme counts), and the
    last row of the table."""

    rows: Mapping[tuple[str, int], int]
    last: int

    def ref(self, q: str, s: int, col: str) -> str:
        return f"CohortExposure!{col}{self.rows[(q, s)] + 1}"


def write_cohort_exposure(bk: Book, ws: Worksheet, run: Run) -> ExposureRows:
    """Cohort sums computed by fam (values); return the row of each quantity."""
    ex = run.res.central.exposures
    mi = run.mi
    ws.write(
        0,
        0,
        "CohortExposure: cohort sums computed by fam from the client data (values)",
        bk.title,
    )
    notes = [
        "Computed by fam from the client data; no individual client appears here. For each "
        "service s and appraisal year y, summed over the projected cohort (size × the mean "
        "over the data's clients, placed on the intake schedule):",
        "baseline = Σ baseline use per month × months of the year on or after each client's "
        "start; baseline_ramp = the same weighted by ramp(t) = min(1, t / ramp_months);",
        "profile = Σ baseline use × rise(t) × decay(t) (the effect's time profile); "
        "profile_ramp = the same × ramp(t). starts, client_months and programme_ends count "
        "clients starting, programme months and programme ends in the year.",
    ]
    ws.write(1, 0, notes[0], bk.note)
    ws.write(2, 0, notes[1] + " " + notes[2], bk.note)
    ws.write(HDR, 0, "quantity", bk.head)
    ws.write(HDR, 1, "service", bk.head)
    ws.write(HDR, 2, "unit", bk.head)
    run.years_header(ws, bk.head)
    r = HDR + 1
    ex_row: dict[tuple[str, int], int] = {}
    a, b = xl_col_to_name(YC), xl_col_to_name(run.lastc())

    def values_row(key: tuple[str, int], item: str, values: np.ndarray, unit: str = "") -> None:
        """One row of fam's values by year, with its total; recorded under `key`."""
        nonlocal r
        ws.write(r, 0, key[0])
        ws.write_string(r, 1, item)
        if unit:
            ws.write_string(r, 2, unit)
        for y in range(run.n_y):
            ws.write_number(r, YC + y, float(values[y]), bk.v_num)
        ws.write_formula(r, YC - 1, f"=SUM({a}{r + 1}:{b}{r + 1})", bk.num, float(values.sum()))
        ex_row[key] = r
        r += 1

    for q in ("baseline", "baseline_ramp", "profile", "profile_ramp"):
        ws.write(r, 0, q, bk.section)
        r += 1
        for s, svc in enumerate(mi.services):
            values_row((q, s), svc, ex[q][s], mi.units[s])
    if "rate_months" in ex:
        names = [v.name for rf in mi.forms.rates for v in rf.values] if mi.forms else []
        for q in ("rate_months", "rate_profile"):
            ws.write(r, 0, q, bk.section)
            ws.write(
                r,
                1,
                "per absolute-rate value: client-months its step covers in the year"
                + (" × the effect's profile" if q == "rate_profile" else ""),
                bk.note,
            )
            r += 1
            for j, name in enumerate(names):
                values_row((q, j), name, ex[q][j])
    ws.write(r, 0, "programme", bk.section)
    r += 1
    for q, label in (
        ("starts", "clients starting"),
        ("client_months", "client-months in the programme"),
        ("programme_ends", "clients ending the programme"),
    ):
        values_row((q, -1), label, ex[q])
    last = r - 1
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 28)
    ws.set_column(2, 2, 8)
    ws.set_column(3, YC - 2, 3)
    ws.set_column(YC - 1, run.lastc(), 13)
    ws.freeze_panes(HDR + 1, YC)
    return ExposureRows(ex_row, last)
