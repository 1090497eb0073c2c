"""Recalculate a workbook in LibreOffice (headless) so tests can read what its formulas give.

`recalc(path)` converts the workbook with `soffice --headless --calc --convert-to xlsx` into a
fresh folder, using a fresh LibreOffice profile per call so that parallel test runs do not
clash, and returns the path of the recalculated copy (read it with openpyxl, data_only=True).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
SKIP_REASON = "LibreOffice (soffice) is not installed: cannot recalculate workbooks"

ERROR_VALUES = ("#VALUE!", "#REF!", "#NAME?", "#DIV/0!", "#N/A", "#NUM!", "#NULL!", "Err:")


# a fresh profile that recalculates every formula on load (the default may trust cached values)
_ALWAYS_RECALC = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def available() -> bool:
    return SOFFICE is not None


def recalc(
    path: str | Path,
    out_dir: str | Path | None = None,
    timeout: float = 120,
    *,
    to: str = "xlsx:Calc MS Excel 2007 XML",
) -> Path:
    """Recalculate `path` in LibreOffice; return the recalculated .xlsx (or, with
    `to="pdf"`, the workbook as LibreOffice prints it)."""
    if SOFFICE is None:
        raise RuntimeError(SKIP_REASON)
    src = Path(path).resolve()
    out = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="fam-lo-"))
    out.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="fam-lo-profile-"))
    (profile / "user").mkdir()
    (profile / "user" / "registrymodifications.xcu").write_text(_ALWAYS_RECALC, encoding="utf-8")
    try:
        # convert a copy with another name: LibreOffice will not write over its source
        work = Path(tempfile.mkdtemp(prefix="fam-lo-src-"))
        copy = work / src.name
        shutil.copyfile(src, copy)
        proc = subprocess.run(
            [
                SOFFICE,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--norestore",
                "--calc",
                "--convert-to",
                to,
                "--outdir",
                str(out),
                str(copy),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        result = out / (copy.stem + "." + to.split(":")[0])
        if proc.returncode != 0 or not result.is_file():
            raise RuntimeError(
                f"LibreOffice conversion failed ({proc.returncode}): {proc.stderr or proc.stdout}"
            )
        shutil.rmtree(work, ignore_errors=True)
        return result
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def error_cells(path: str | Path) -> list[str]:
    """Cells (Sheet!A1) of a recalculated workbook that hold an error value."""
    import openpyxl

    wb = openpyxl.load_workbook(path, data_only=True)
    bad = []
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                if c.data_type == "e" or (isinstance(v, str) and v.startswith(ERROR_VALUES)):
                    bad.append(f"{ws.title}!{c.coordinate}={v}")
    return bad
