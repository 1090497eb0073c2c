"""A workbook travels: its scenario folder is stored relative to the project, a copy run
elsewhere finds the data or says which cell to edit, and a run of an edited workbook says
it is edited and lists what changed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from fam import api
from fam.inputs.workbook_input import folder_candidates, portable_folder
from fam.writers.workbook import write_workbook
from tests.util import FIXTURES, ROOT

HAND = FIXTURES / "hand" / "scenario.yaml"


def fam_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`fam ARGS` run from `cwd`, as a colleague would (fam importable from anywhere)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "fam", *args], capture_output=True, text=True, cwd=cwd, env=env
    )


def test_portable_folder_is_relative_to_the_project(tmp_path: Path) -> None:
    assert portable_folder(ROOT / "scenarios", tmp_path) == "scenarios"
    assert portable_folder(FIXTURES / "hand", tmp_path) == "tests/fixtures/hand"
    # outside any project: relative to the current folder if inside it, else absolute
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert portable_folder(tmp_path / "a" / "b", tmp_path) == "a/b"
    assert portable_folder(tmp_path / "a", tmp_path / "a" / "b") == str(tmp_path / "a")


def test_folder_candidates_order(tmp_path: Path) -> None:
    wb = tmp_path / "w" / "book.xlsx"
    cwd = tmp_path / "x" / "y"
    got = folder_candidates("scenarios", "/elsewhere/scenarios", wb, cwd)
    want = [
        tmp_path / "w" / "scenarios",  # relative to the workbook's folder
        cwd / "scenarios",  # relative to the current folder ...
        tmp_path / "x" / "scenarios",  # ... and each folder above it
    ]
    assert got[:3] == [p.resolve() for p in want]
    # then the folder as written, the workbook's folder, the current folder
    assert got[-3:] == [Path("/elsewhere/scenarios"), (tmp_path / "w").resolve(), cwd.resolve()]
    # an absolute folder is tried as it is, first
    assert folder_candidates("/data/s", None, wb, cwd)[0] == Path("/data/s")


@pytest.fixture(scope="module")
def edited_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand fixture's workbook, edited, as a colleague received it: saved in a folder of
    their own, and written on a machine whose folders they do not have."""
    res = api.run(HAND, iterations=20)
    src = tmp_path_factory.mktemp("author") / "hand.xlsx"
    write_workbook(res, src)
    wb = openpyxl.load_workbook(src)
    ws = wb["Inputs"]
    assert ws["B3"].value == "tests/fixtures/hand"  # relative to the project, not absolute
    ws["J3"] = "/home/author/fam/tests/fixtures/hand"  # the author's folder: not on this machine
    for row in ws.iter_rows(min_row=5):
        if row[0].value == "discounting.rate":
            assert row[3].number_format.endswith("%")  # shown as 3.5%, not 0.035
            row[3].value = 0.05
    copy = tmp_path_factory.mktemp("colleague") / "hand_edited.xlsx"
    wb.save(copy)
    return copy


def test_a_copy_run_from_elsewhere_says_which_cell_to_edit(edited_copy: Path) -> None:
    out = edited_copy.parent / "report"
    r = fam_cli("run", edited_copy.name, "--out", str(out), "-n", "20", cwd=edited_copy.parent)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "sheet Inputs, cell B3" in lines[0]
    assert "clients.csv" in lines[0]
    assert str(edited_copy.parent / "tests" / "fixtures" / "hand") in lines[0]  # a folder tried
    assert "put the folder that holds" in lines[0]
    assert not out.exists()


def test_a_copy_run_from_the_project_works_and_says_it_is_edited(
    edited_copy: Path, tmp_path: Path
) -> None:
    # a colleague in their copy of the project (here: this one), the workbook elsewhere
    out = tmp_path / "report"
    r = fam_cli("run", str(edited_copy), "--out", str(out), "-n", "20", "-q", cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "edited: 1 input changed" in r.stdout
    s = json.loads((out / "summary.json").read_text())
    assert s["edited_inputs"] == ["discounting.rate: 0.035 -> 0.05"]
    wb = openpyxl.load_workbook(out / "hand_edited.xlsx")
    assert "EDITED" in wb["Cover"]["A1"].value
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-l", "1", str(out / "hand_edited.pdf"), "-"],
            capture_output=True,
            text=True,
        ).stdout
        assert "(edited)" in text and "0.035 → 0.05" in text
    # from a subfolder of the project too (the folders above the current one are tried)
    r = fam_cli(
        "run", str(edited_copy), "--out", str(tmp_path / "r2"), "-n", "20", cwd=ROOT / "docs"
    )
    assert r.returncode == 0, r.stderr


def test_an_unedited_workbook_lists_no_edits(tmp_path: Path) -> None:
    res = api.run(HAND, iterations=20)
    path = tmp_path / "hand.xlsx"
    write_workbook(res, path)
    again = api.run(path, iterations=20)
    assert again.inputs.edits == ()
    assert "edited_inputs" not in again.summary()
