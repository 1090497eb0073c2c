"""Every workbook sheet prints: print area, orientation, fit to width, repeated titles.

The plan is worked by hand on small sheets; the Essex workbook is printed by LibreOffice and
its pages counted.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from fam import api
from fam.writers.workbook import write_workbook
from fam.writers.workbook.printing import print_plan
from tests import libreoffice
from tests.util import ROOT

ESSEX = ROOT / "scenarios" / "essex_sib.yaml"


def _sheet(tmp_path: Path, cols: int, width: float | None, freeze: tuple[int, int]) -> object:
    wb = xlsxwriter.Workbook(str(tmp_path / "x.xlsx"))
    ws = wb.add_worksheet("S")
    for r in range(10):
        for c in range(cols):
            ws.write_number(r, c, r + c)
    if width is not None:
        ws.set_column(0, cols - 1, width)
    ws.freeze_panes(*freeze)
    return ws


def test_narrow_sheet_prints_portrait_one_page_across(tmp_path: Path) -> None:
    # 3 columns of 10 characters = 3 x (10 x 7 + 5) = 225 px; 225 x 0.75 <= 690: portrait
    ws = _sheet(tmp_path, 3, 10, (4, 1))
    plan = print_plan(ws)  # type: ignore[arg-type]
    assert plan == {
        "area": (0, 0, 9, 2),
        "landscape": False,
        "pages_wide": 1,
        "repeat_rows": (0, 3),
        "repeat_cols": None,  # one page across: nothing to repeat at the left
    }


def test_wide_sheet_prints_landscape_with_labels_on_every_page(tmp_path: Path) -> None:
    # 30 default columns = 30 x 64 = 1,920 px: landscape (1,920 x 0.75 > 690), and one
    # landscape page at 40% holds 1,045 / 0.4 = 2,612 px >= 1,920: one page across
    ws = _sheet(tmp_path, 30, None, (4, 2))
    plan = print_plan(ws)  # type: ignore[arg-type]
    assert plan["landscape"] and plan["pages_wide"] == 1 and plan["repeat_cols"] is None
    # 60 columns = 3,840 px; each page holds 2,612 - 128 (two label columns) = 2,484 px more:
    # ceil((3,840 - 128) / 2,484) = 2 pages across, labels repeated
    ws = _sheet(tmp_path, 60, None, (4, 2))
    plan = print_plan(ws)  # type: ignore[arg-type]
    assert plan["pages_wide"] == 2 and plan["repeat_cols"] == (0, 1)
    # 200 columns (a column per month) would need 6: capped at 3 pages across
    ws = _sheet(tmp_path, 200, None, (4, 2))
    assert print_plan(ws)["pages_wide"] == 3  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def essex(tmp_path_factory: pytest.TempPathFactory) -> Path:
    res = api.run(ESSEX, iterations=50)
    path = tmp_path_factory.mktemp("print") / "essex_sib.xlsx"
    write_workbook(res, path)
    return path


def test_every_sheet_has_print_setup(essex: Path) -> None:
    wb = openpyxl.load_workbook(essex)
    for ws in wb:
        assert ws.print_area, ws.title
        if ws.sheet_state == "hidden":  # prints nothing: an empty one-cell print area
            assert ws.print_area == f"'{ws.title}'!$A$1" and ws["A1"].value is None
            continue
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToHeight == 0, ws.title
        assert int(ws.page_setup.paperSize) == 9, ws.title  # A4
        if ws.freeze_panes and ws.title != "Cover":
            top = int("".join(ch for ch in ws.freeze_panes if ch.isdigit())) - 1
            assert ws.print_title_rows == f"$1:${top}", ws.title
        assert "&A" in ws.oddHeader.left.text, ws.title  # the sheet name on every page


@pytest.mark.libreoffice
@pytest.mark.skipif(not libreoffice.available(), reason=libreoffice.SKIP_REASON)
@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="poppler-utils not installed")
def test_essex_prints_in_under_30_pages(essex: Path, tmp_path: Path) -> None:
    pdf = libreoffice.recalc(essex, tmp_path, to="pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages")))
    assert pages < 30, pages  # 169 before print setup
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True)
    for page in text.stdout.split("\f"):
        if page.strip() and page.split()[0] == "Calculations":
            # the header row is repeated: labels and values on the same page
            assert "service / item" in page
