"""The hidden Written sheet: every input as fam wrote it (fam.inputs.workbook_input.
input_fingerprint), so that a run of the workbook can list the inputs edited since."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fam.inputs.workbook_input import (
    H_WRITTEN_KEY,
    H_WRITTEN_VALUE,
    WRITTEN,
    input_fingerprint,
)

if TYPE_CHECKING:
    from fam.writers.workbook.book import Book
    from fam.writers.workbook.layout import Run


def write_written(bk: Book, run: Run) -> None:
    ws = bk.wb.add_worksheet(WRITTEN)
    # row 1 is left empty: a hidden sheet's print area (fam.writers.workbook.printing)
    ws.write_row(1, 0, [H_WRITTEN_KEY, H_WRITTEN_VALUE], bk.head)
    fp = input_fingerprint(run.sc.model_dump(mode="json"), run.mi.cost_rows)
    for i, (k, v) in enumerate(fp.items(), start=2):
        bk.string(ws, i, 0, k)
        bk.string(ws, i, 1, v)
    ws.set_column(0, 0, 60)
    ws.set_column(1, 1, 60)
    ws.hide()
