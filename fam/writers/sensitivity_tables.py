"""`fam sensitivity`'s files: the tornado, switching values, break-even curve and value of
information as CSV tables, and the long-format export of draws and outcomes for BCEA,
dampack or voi users. Tables are computed by fam.analyses.sensitivity and fam.analyses.voi; this module only
writes them, into a temporary folder moved into place when complete."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fam.writers import staged


def write_tables(
    tables: dict[str, pd.DataFrame], dest: Path, *, force: bool = False
) -> dict[str, Path]:
    """Write each table as `dest/<name>` (CSV, 10 significant digits); return the paths.
    An existing sensitivity folder is replaced only with `force`."""
    with staged(dest, force=force, kind="sensitivity") as tmp:
        for name, frame in tables.items():
            frame.to_csv(tmp / name, index=False, float_format="%.10g")
    return {name: dest / name for name in tables}
