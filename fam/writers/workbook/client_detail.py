"""The optional ClientDetail sheet: one pseudonymised row per client (fam.writers.privacy)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from fam.writers.workbook.layout import HDR

if TYPE_CHECKING:
    from fam.writers.workbook.book import Book


def write_client_detail(bk: Book, frame: Any) -> None:
    """Optional per-client sheet: salted-hash pseudonyms only (fam.writers.privacy), never ids."""
    ws = bk.wb.add_worksheet("ClientDetail")
    ws.write(0, 0, "ClientDetail: one row per client in the data, pseudonymised", bk.title)
    ws.write(
        1,
        0,
        "Pseudonyms are salted hashes (HMAC-SHA256) and cannot be reversed without the salt; "
        "cohort and age band are suppressed where fewer than 5 clients share them.",
        bk.note,
    )
    ws.write_row(HDR, 0, [str(c) for c in frame.columns], bk.head)
    for i, row in enumerate(frame.itertuples(index=False)):
        for j, v in enumerate(row):
            if isinstance(v, int | float | np.integer | np.floating) and np.isfinite(v):
                ws.write_number(HDR + 1 + i, j, float(v))
            else:
                ws.write_string(HDR + 1 + i, j, str(v))
    ws.freeze_panes(HDR + 1, 1)
    ws.set_column(0, len(frame.columns), 16)


# ------------------------------------------------------------------ Inputs
