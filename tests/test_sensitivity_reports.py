"""Issue 8's reporting: the workbook's Sensitivity sheet and the briefing's page show what
fam.analyses.sensitivity computes, computed once per run and shared."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from fam import api
from fam.analyses import sensitivity
from fam.writers.briefing import write_briefing
from fam.writers.briefing_sensitivity import HEADING
from fam.writers.briefing_style import money
from fam.writers.workbook import write_workbook
from tests.util import FIXTURES, ROOT

HAND = FIXTURES / "hand" / "scenario.yaml"
ESSEX = ROOT / "scenarios" / "essex_sib.yaml"
DAY = dt.date(2025, 1, 31)

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="needs poppler (pdftoppm, pdftotext)",
)


@pytest.fixture(scope="module")
def essex() -> api.Results:
    return api.run(ESSEX, iterations=1000)


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True)
    return re.sub(r"\s+", " ", out.stdout.decode("utf-8"))


def _rows_under(ws: openpyxl.worksheet.worksheet.Worksheet, first: str) -> list[tuple]:
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r and r[0] == first)
    out = []
    for r in rows[start + 1 :]:
        if r[0] is None or r[1] is None:
            break
        out.append(r)
    return out


def test_report_is_computed_in_the_analysis_stage(essex: api.Results) -> None:
    rep = essex.sensitivity
    assert rep is not None
    # the report the writers read is the one the analysis stage computed from the run
    again = sensitivity.report(essex)
    pd.testing.assert_frame_equal(again.tornado, rep.tornado)
    pd.testing.assert_frame_equal(again.voi, rep.voi)
    # the scenario's cost is a point of the curve; the 50% cost is where the curve crosses 50%
    assert rep.scenario_cost in rep.curve["cost"].tolist()
    half = rep.even_odds_cost
    assert half is not None
    p = sensitivity.acceptability(essex, [half * 0.999, half * 1.001])["prob_npv_positive"]
    assert p.iloc[0] >= 0.5 >= p.iloc[1]
    # central NPV is 0 at the central break-even cost
    be = rep.break_even_cost
    assert be is not None
    pc = essex.inputs.programme_costs["per_client"]
    npv = sensitivity._npv_with(essex, {pc.name: np.array([be])}, 1)[0]
    assert abs(npv) < 1e-3 * abs(essex.central.npv)
    # partial EVPI for the inputs with the largest swings, then the groups
    inputs = rep.voi[rep.voi["kind"] == "input"]["name"].tolist()
    assert inputs == rep.tornado["input"].head(sensitivity.REPORT_MAX_INPUTS).tolist()
    assert "all drawn inputs" in rep.voi["name"].tolist()
    assert (rep.voi["evppi_per_client"] <= rep.voi.attrs["evpi_per_client"] + 1e-9).all()


def test_sensitivity_sheet_equals_fam_sensitivity(essex: api.Results, tmp_path: Path) -> None:
    path = tmp_path / "essex.xlsx"
    write_workbook(essex, path)
    wb = openpyxl.load_workbook(path)
    assert "Sensitivity" in wb.sheetnames
    ws = wb["Sensitivity"]
    assert not any(
        isinstance(c.value, str) and c.value.startswith("=") for row in ws.iter_rows() for c in row
    )
    torn = sensitivity.tornado(essex)
    rows = [r for r in _rows_under(ws, "input (key)") if "." in str(r[0])]
    assert [r[0] for r in rows] == torn["input"].tolist()
    for r, t in zip(rows, torn.itertuples(index=False), strict=True):
        want_row = (t.low_value, t.high_value, t.npv_low, t.npv_high, t.swing)
        for got, want in zip(r[3:8], want_row, strict=True):
            assert got == pytest.approx(want, rel=1e-12, abs=1e-9)
    # switching values: numbers or the words
    sv = sensitivity.switching_values(essex).set_index("input")
    all_rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(all_rows) if r[6] == "NPV = 0 at")
    tables = all_rows[head + 1 : head + 1 + len(sv)]
    assert [r[0] for r in tables] == sv.index.tolist()
    for r in tables:
        want = sv.loc[r[0], "switching_value"]
        if want is None or want != want:
            assert r[6] == "none within the range"
        else:
            assert r[6] == pytest.approx(want)
    # the curve, with the scenario's cost marked, and a native chart
    curve = _rows_under(
        ws, f"programme cost per client (£, {essex.inputs.scenario.price_base_year} prices)"
    )
    assert len(curve) == len(sensitivity.acceptability(essex))
    marked = [r for r in curve if r[4] == "◄ the scenario's cost"]
    assert len(marked) == 1 and marked[0][0] == pytest.approx(
        sensitivity.report(essex).scenario_cost
    )
    assert ws._charts, "no chart on the Sensitivity sheet"
    # EVPI
    values = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0]}
    vi = sensitivity.report(essex).voi
    assert values["EVPI per client (£)"] == pytest.approx(vi.attrs["evpi_per_client"])
    # not part of the checks
    checks = [r[0] for r in wb["Checks"].iter_rows(values_only=True) if r[0]]
    assert not any("ensitivity" in str(c) for c in checks)


@needs_poppler
def test_briefing_page_shows_evpi_and_break_even(essex: api.Results, tmp_path: Path) -> None:
    pdf = tmp_path / "b.pdf"
    pages = write_briefing(essex, pdf, run_date=DAY)
    body = _text(pdf)
    assert HEADING in body
    assert "Break-even curve: the chance of breaking even by cost per client" in body
    vi = sensitivity.report(essex).voi
    assert money(vi.attrs["evpi_population"]) in body
    assert money(vi.attrs["evpi_per_client"]) in body
    assert "Value of information: the most it would be worth paying for research" in body
    assert "When would the answer change?" in body
    assert "What matters most" in body  # the tornado stays
    out = tmp_path / "png"
    out.mkdir()
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(out / "p")], check=True)
    assert len(list(out.glob("p-*.png"))) == pages


@needs_poppler
@pytest.mark.parametrize("cost", [None, 0], ids=["hand", "zero_cost"])
def test_hand_fixture_says_so_plainly(cost: int | None, tmp_path: Path) -> None:
    over = {"programme_costs.per_client": cost} if cost is not None else None
    res = api.run(HAND, overrides=over)
    write_workbook(res, tmp_path / "h.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "h.xlsx")["Sensitivity"]
    cells = [c for r in ws.iter_rows(values_only=True) for c in r if isinstance(c, str)]
    assert "No uncertain inputs" in cells
    assert "input (key)" not in cells  # no empty tables
    pdf = tmp_path / "h.pdf"
    pages = write_briefing(res, pdf, run_date=DAY)
    body = _text(pdf)
    assert HEADING in body
    assert "No input in this scenario is uncertain" in body
    assert "Table 3. Value of information" not in body
    out = tmp_path / "png"
    out.mkdir()
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(out / "p")], check=True)
    assert len(list(out.glob("p-*.png"))) == pages
