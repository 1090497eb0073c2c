"""The workbook's formulas, recalculated by LibreOffice, reproduce fam's central case.

Each test converts a workbook with LibreOffice (a few seconds each), so there are few.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from fam import api
from fam.writers.workbook import write_workbook
from tests import libreoffice
from tests.util import FIXTURES, ROOT

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(not libreoffice.available(), reason=libreoffice.SKIP_REASON),
]

HAND = FIXTURES / "hand" / "scenario.yaml"
ESSEX = ROOT / "scenarios" / "essex_sib.yaml"
PENNY = 0.005
PERSPECTIVES = ("fiscal", "fiscal_cashable", "public_value")


def named(wb: openpyxl.Workbook, name: str) -> object:
    ((sheet, ref),) = list(wb.defined_names[name].destinations)
    return wb[sheet][ref.replace("$", "")].value


def table(ws: openpyxl.worksheet.worksheet.Worksheet, first: str) -> list[tuple[object, ...]]:
    """Rows under the header row whose first cell is `first`, up to the first blank row."""
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r and r[0] == first)
    out = []
    for r in rows[start + 1 :]:
        if r[0] is None:
            break
        out.append(r)
    return out


def assert_matches_python(res: api.Results, recalculated: Path) -> float:
    """Every Outputs figure equals Python's central case to the penny; return the max gap."""
    wb = openpyxl.load_workbook(recalculated, data_only=True)
    assert libreoffice.error_cells(recalculated) == []
    gaps = [0.0]

    def same(got: object, want: float | None, tol: float = PENNY) -> None:
        if want is None or not np.isfinite(want):
            assert isinstance(got, str), got
            return
        assert isinstance(got, int | float), got
        gaps.append(abs(float(got) - want))
        assert got == pytest.approx(want, abs=tol)

    head = res.central_headline()
    for k in ("costs", "benefits", "npv"):
        same(named(wb, f"out_{k}"), head[k])
    for k in ("bcr", "roi"):
        same(named(wb, f"out_{k}"), head[k], 1e-9)
    same(named(wb, "out_payback_years"), head["payback_years"], 0)
    c = res.central
    for i, p in enumerate(PERSPECTIVES):
        same(named(wb, f"out_benefits_{p}"), float(c.benefits[i]))
        same(named(wb, f"out_npv_{p}"), float(c.benefits[i] - c.costs))
    by_agency = res.by_agency()
    rows = table(wb["Outputs"], "agency")
    rows = rows[: [r[0] for r in rows].index("total") + 1]
    assert [r[0] for r in rows[:-1]] == list(by_agency.index) and rows[-1][0] == "total"
    for r in rows[:-1]:
        same(r[1], float(by_agency.loc[r[0], "central_benefits"]))
        same(r[2], float(by_agency.loc[r[0], "cashable"]))
    # the agency ledger: who invests and who saves
    ledger = res.ledger_frame()
    rows = table(wb["Agencies"], "agency")
    assert [r[0] for r in rows] == [*ledger.index, "total"]
    cols = ("programme_cost", "savings", "fiscal", "cashable", "transfers", "net")
    for r in rows[:-1]:
        for j, col in enumerate(cols):
            same(r[2 + j], float(ledger.loc[r[0], col]))
        ret = float(ledger.loc[r[0], "return_per_pound"])
        same(r[8], ret if np.isfinite(ret) else None, 1e-9)
    same(rows[-1][2], head["costs"])
    same(rows[-1][7], head["npv"])
    by_year = res.by_year()
    rows = table(wb["Outputs"], "year")
    assert len(rows) == len(by_year)
    for y, r in enumerate(rows):
        assert r[0] == y
        for j, col in enumerate([*PERSPECTIVES, "costs", "net", "cumulative_net"]):
            same(r[1 + j], float(by_year[col].iloc[y]))
    checks = table(wb["Checks"], "check")
    assert len(checks) > 15
    assert all(r[1] == 1 for r in checks), [r for r in checks if r[1] != 1]
    assert named(wb, "master_check") == 1
    assert wb["Cover"]["A1"].value.startswith("fam: ")
    return max(gaps)


# edge_of_care_returns: a nine-state placement chain and monthly rates estimated from the
# comparison arm of imported returns (docs/import.md)
RETURNS = ROOT / "scenarios" / "edge_of_care_returns.yaml"


@pytest.mark.parametrize(
    "scenario", [HAND, ESSEX, RETURNS], ids=["hand", "essex", "edge_of_care_returns"]
)
def test_libreoffice_recomputes_the_central_case(scenario: Path, tmp_path: Path) -> None:
    res = api.run(scenario, iterations=50)
    path = tmp_path / "wb.xlsx"
    write_workbook(res, path)
    out = libreoffice.recalc(path, tmp_path / "lo")
    gap = assert_matches_python(res, out)
    assert gap < 1e-6


FORMS_CASES = {
    # own trend and ageing out on the hand fixture, an effect graded for optimism bias
    "own_trend_until_age": (
        HAND,
        {
            "counterfactual.services": {
                "ae_attendance": {"trend": 0.3, "until_age": 18},
                "care_week_*": {"until_age": 18},
            },
            "effects.ae_attendance.confidence": 3,
            "optimism_bias.apply": True,
        },
    ),
    # absolute rates and a placement chain with an effect on a transition (values rows)
    "rate_and_chain": (
        FIXTURES / "forms" / "scenario.yaml",
        {
            "placements": {
                "states": {"home": None, "care": "care_week_residential"},
                "start": {"home": 1.0},
                "transitions": {"home": {"care": 0.1}, "care": {"home": 0.5}},
                "until_age": 18,
            },
            "effects.placements": {"home->care": {"change": -0.5}},
        },
    ),
}


@pytest.mark.parametrize("case", list(FORMS_CASES))
def test_libreoffice_recomputes_the_forms(case: str, tmp_path: Path) -> None:
    from fam.inputs.loading import load

    path, over = FORMS_CASES[case]
    res = api.run(load(path, over), iterations=20)
    wb = tmp_path / "wb.xlsx"
    write_workbook(res, wb)
    gap = assert_matches_python(res, libreoffice.recalc(wb, tmp_path / "lo"))
    assert gap < 1e-6


def test_libreoffice_recomputes_the_agency_ledger(tmp_path: Path) -> None:
    """Two funders, attribution and displacement (tests/test_ledger.py works it by hand), and
    A&E as a transfer: in the fiscal perspectives, not in public value."""
    from fam.inputs.loading import load

    folder = tmp_path / "hand"
    shutil.copytree(HAND.parent, folder)
    csv = folder / "unit_costs.csv"
    csv.write_text(csv.read_text().replace("Acute trust,fiscal,0.5", "Acute trust,transfer,0.5"))

    over = {
        "programme_costs.funders": {"commissioner": 0.6, "NHS": 0.4},
        "additionality": {"attribution": 0.2, "displacement": {"dist": "uniform", "low": 0.0,
                                                               "high": 0.2}},
    }  # fmt: skip
    res = api.run(load(folder / "scenario.yaml", over), iterations=20)
    assert res.central_headline()["npv"] == pytest.approx(595.76, abs=0.005)
    # public value: the care saving only, 0.72 x (1,820 + 1,820 / 1.035)
    assert res.central.benefits[2] == pytest.approx(0.72 * (1820 + 1820 / 1.035), abs=1e-9)
    wb = tmp_path / "wb.xlsx"
    write_workbook(res, wb)
    gap = assert_matches_python(res, libreoffice.recalc(wb, tmp_path / "lo"))
    assert gap < 1e-6


def _set(ws: openpyxl.worksheet.worksheet.Worksheet, key: str, col: int, value: object) -> None:
    for row in ws.iter_rows(min_row=5):
        if row[0].value == key:
            row[col].value = value
            return
    raise KeyError(key)


def test_edited_inputs_recalculate_to_fams_answer(tmp_path: Path) -> None:
    """Change a unit cost and the discount rate in the workbook; LibreOffice gives fam's NPV."""
    res = api.run(ESSEX, iterations=20)
    path = tmp_path / "wb.xlsx"
    write_workbook(res, path)
    wb = openpyxl.load_workbook(path)
    _set(wb["UnitCosts"], "care_week_residential", 6, 3500)
    _set(wb["Inputs"], "discounting.rate", 3, 0.05)
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    out = libreoffice.recalc(edited, tmp_path / "lo")
    assert libreoffice.error_cells(out) == []
    got = openpyxl.load_workbook(out, data_only=True)

    # fam on a modified copy of the YAML scenario and its unit-cost table
    folder = tmp_path / "copy"
    shutil.copytree(ROOT / "scenarios", folder / "scenarios")
    shutil.copytree(ROOT / "unit_costs", folder / "unit_costs")
    csv = folder / "unit_costs" / "uk.csv"
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    row = frame["service"] == "care_week_residential"
    assert frame.loc[row, "cost"].tolist() == ["2995"]
    frame.loc[row, "cost"] = "3500"
    frame.to_csv(csv, index=False)
    want = api.run(
        folder / "scenarios" / "essex_sib.yaml",
        iterations=20,
        overrides={"discounting.rate": 0.05},
    )
    head = want.central_headline()
    assert head["npv"] != pytest.approx(res.central_headline()["npv"], abs=1000)
    for k in ("costs", "benefits", "npv"):
        assert named(got, f"out_{k}") == pytest.approx(head[k], abs=PENNY)
    assert named(got, "master_check") == 1
    # and fam run on the edited workbook agrees with both
    again = api.run(edited, iterations=20).central_headline()
    assert again["npv"] == pytest.approx(head["npv"], abs=PENNY)
