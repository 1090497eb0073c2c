"""The workbook: structure, cached values, the Inputs sheet as a scenario, bad workbooks.

LibreOffice recalculation tests are in tests/test_workbook_libreoffice.py.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from fam import api
from fam.errors import InputError
from fam.inputs.workbook_input import read_workbook_scenario
from fam.writers.workbook import write_workbook
from tests.util import FIXTURES, ROOT

HAND = FIXTURES / "hand" / "scenario.yaml"
ESSEX = ROOT / "scenarios" / "essex_sib.yaml"
N = 100


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> tuple[api.Results, Path]:
    res = api.run(HAND, iterations=N)
    path = tmp_path_factory.mktemp("wb") / "hand.xlsx"
    write_workbook(res, path)
    return res, path


@pytest.fixture(scope="module")
def essex(tmp_path_factory: pytest.TempPathFactory) -> tuple[api.Results, Path]:
    res = api.run(ESSEX, iterations=N)
    path = tmp_path_factory.mktemp("wb") / "essex_sib.xlsx"
    write_workbook(res, path)
    return res, path


def named(wb: openpyxl.Workbook, name: str) -> object:
    dn = wb.defined_names[name]
    ((sheet, ref),) = list(dn.destinations)
    return wb[sheet][ref.replace("$", "")].value


def test_sheets_and_names(hand: tuple[api.Results, Path]) -> None:
    _, path = hand
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:10] == [
        "Cover",
        "Inputs",
        "UnitCosts",
        "Timeline",
        "CohortExposure",
        "Calculations",
        "Outputs",
        "Agencies",
        "MonteCarlo",
        "Sensitivity",
    ]
    for name in (
        "in_discounting_rate",
        "in_counterfactual_trend",
        "in_engagement_completion",
        "in_effects_ae_attendance_change",
        "in_programme_costs_per_client",
        "in_programme_costs_per_client_gbp",
        "out_npv",
        "out_bcr",
        "master_check",
    ):
        assert name in wb.defined_names, name
    # every scalar input cell named and validated
    ws = wb["Inputs"]
    validated = set()
    for dv in ws.data_validations.dataValidation:
        validated |= {c for r in dv.sqref.ranges for c in r.cells}
    for name in ("in_discounting_rate", "in_engagement_completion", "in_perspective"):
        ((_, ref),) = list(wb.defined_names[name].destinations)
        cell = ws[ref.replace("$", "")]
        assert (cell.row, cell.column) in validated, name
    # formulas stored, and consistent along each Calculations row
    calc = wb["Calculations"]
    seen = 0
    for row in calc.iter_rows(min_row=5):
        fs = [c.value for c in row[7:] if isinstance(c.value, str) and c.value.startswith("=")]
        if len(fs) == 2:
            a = fs[0].replace("H", "#").replace("I", "#")
            b = fs[1].replace("H", "#").replace("I", "#")
            assert a == b, (fs[0], fs[1])
            seen += 1
    assert seen > 20


def test_no_numbers_typed_in_calculation_formulas(essex: tuple[api.Results, Path]) -> None:
    import re

    _, path = essex
    wb = openpyxl.load_workbook(path)
    for sheet in ("Calculations", "Timeline", "Outputs", "Checks"):
        for row in wb[sheet].iter_rows():
            for c in row:
                v = c.value
                if isinstance(v, str) and v.startswith("="):
                    body = re.sub(r'"[^"]*"', "", v)  # text literals
                    body = re.sub(r"\$?[A-Z]{1,3}\$?\d+", "", body)  # cell references
                    body = re.sub(r"[A-Za-z_][A-Za-z0-9_.]*", "", body)  # names, functions
                    nums = {n for n in re.findall(r"\d+\.?\d*", body)}
                    assert nums <= {"0", "1"}, (sheet, c.coordinate, v)


def test_cached_values_equal_python(essex: tuple[api.Results, Path]) -> None:
    res, path = essex
    wb = openpyxl.load_workbook(path, data_only=True)
    head = res.central_headline()
    for k in ("costs", "benefits", "npv", "bcr", "roi"):
        assert named(wb, f"out_{k}") == pytest.approx(head[k], abs=0.005)
    # pandas sees numbers too
    out = pd.read_excel(path, sheet_name="Outputs", header=3)
    assert all(isinstance(v, float) for v in out["fiscal"].iloc[1:6])
    assert named(wb, "master_check") == 1


def test_no_client_identifiers(essex: tuple[api.Results, Path]) -> None:
    res, path = essex
    ids = set(
        pd.read_csv(ROOT / "scenarios/data/essex/clients.csv", comment="#")["client_id"].astype(str)
    )
    wb = openpyxl.load_workbook(path)
    for ws in wb:
        for row in ws.iter_rows(values_only=True):
            for v in row:
                if isinstance(v, str | int):
                    assert str(v) not in ids, (ws.title, v)


LINK = ROOT / "scenarios" / "link_worker.yaml"


@pytest.mark.parametrize(
    "scenario", [HAND, LINK, ESSEX, FIXTURES / "forms" / "scenario.yaml"],
    ids=["hand", "link_worker", "essex_placements", "forms_rates"],
)  # fmt: skip
def test_round_trip_identical_summary(scenario: Path, tmp_path: Path) -> None:
    res = api.run(scenario, iterations=N)
    path = tmp_path / "copy.xlsx"
    write_workbook(res, path)
    again = api.run(path, iterations=N)
    assert again.summary() == res.summary()


def test_funders_and_additionality_round_trip(tmp_path: Path) -> None:
    """Two funders and additionality with its source go to the Inputs sheet and read back as
    the same scenario; an edited attribution reprices the savings (tests/test_ledger.py)."""
    from fam.inputs.loading import load
    from fam.inputs.scenario import canonical_json

    over = {
        "programme_costs.funders": {"commissioner": 0.6, "NHS": 0.4},
        "additionality": {
            "attribution": {"dist": "uniform", "low": 0.1, "high": 0.3},
            "displacement": 0.1,
            "source": "ASSUMPTION: half the partnership's other services' share",
        },
    }
    res = api.run(load(HAND, over), iterations=N)
    path = tmp_path / "ledger.xlsx"
    write_workbook(res, path)
    again = api.run(path, iterations=N)
    assert canonical_json(again.inputs.scenario) == canonical_json(res.inputs.scenario)
    assert again.summary() == res.summary()
    wb = openpyxl.load_workbook(path)
    rows = {r[0].value: r for r in wb["Inputs"].iter_rows(min_row=5) if r[0].value}
    assert rows["programme_costs.funders.NHS"][3].value == 0.4
    assert "Share of the programme" in rows["programme_costs.funders.NHS"][1].value
    assert rows["additionality.attribution"][3].value == pytest.approx(0.2)
    assert "Attribution" in rows["additionality.attribution"][1].value
    _set(wb["Inputs"], "additionality.attribution", 3, 0.5)
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    got = api.run(edited, iterations=N).central_headline()
    # (1 - 0.5) x (1 - 0.1) = 0.45 of £4,994.11
    assert got["benefits"] == pytest.approx(0.45 * (2540 + 2540 / 1.035), abs=0.005)


def test_round_trip_through_the_cli(hand: tuple[api.Results, Path], tmp_path: Path) -> None:
    from fam.cli import cli

    res, path = hand
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["run", str(path), "-n", str(N), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    got = json.loads((out / "summary.json").read_text())
    want = json.loads(json.dumps(res.summary()))
    assert got == want


def _set(ws: openpyxl.worksheet.worksheet.Worksheet, key: str, col: int, value: object) -> str:
    for row in ws.iter_rows(min_row=5):
        if row[0].value == key:
            row[col].value = value
            return row[col].coordinate
    raise KeyError(key)


def test_edited_central_value_and_unit_cost(hand: tuple[api.Results, Path], tmp_path: Path) -> None:
    _, path = hand
    wb = openpyxl.load_workbook(path)
    _set(wb["Inputs"], "effects.ae_attendance.change", 3, -0.6)
    _set(wb["UnitCosts"], "care_week_residential", 6, 800)
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    got = api.run(edited, iterations=10).central_headline()
    # by hand: A&E 14.4 x 0.6 x £100 = £864, care 2.6 x £800 = £2,080 a year
    assert got["benefits"] == pytest.approx(2944 + 2944 / 1.035, abs=0.005)


def test_edited_central_recentres_the_distribution(tmp_path: Path) -> None:
    res = api.run(LINK, iterations=N)
    path = tmp_path / "link_worker.xlsx"
    write_workbook(res, path)
    trend0 = res.inputs.trend.dist
    pc0 = res.inputs.programme_costs["per_client_month"].dist
    wb = openpyxl.load_workbook(path)
    _set(wb["Inputs"], "counterfactual.trend", 3, 0.4)
    _set(wb["Inputs"], "programme_costs.per_client_month", 3, 900)
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    data, _, _ = read_workbook_scenario(edited)
    from fam.model.distributions import parse_dist

    assert parse_dist(data["counterfactual"]["trend"]).mean == pytest.approx(0.4)
    assert parse_dist(data["counterfactual"]["trend"]).sd == pytest.approx(trend0.sd, rel=0.05)
    pc = parse_dist(data["programme_costs"]["per_client_month"])
    assert pc.mean == pytest.approx(900)
    assert pc.price_year == pc0.price_year


def test_placements_and_forms_read_back_from_the_inputs_sheet(
    essex: tuple[api.Results, Path],
) -> None:
    res, path = essex
    data, _, _ = read_workbook_scenario(path)
    pl = data["placements"]
    assert pl["states"]["home"] == "(no service)"  # a state without a service
    assert set(data["effects"]["placements"]) == set(res.inputs.scenario.placement_effects)
    assert data["counterfactual"]["services"]["court_youth"]["until_age"] == 18


def test_formula_like_text_is_a_string(tmp_path: Path) -> None:
    folder = tmp_path / "hand"
    shutil.copytree(FIXTURES / "hand", folder)
    text = (folder / "scenario.yaml").read_text()
    text = text.replace(
        "counterfactual:\n",
        'counterfactual:\n  source: "=HYPERLINK(\\"http://example.org\\",\\"click\\")"\n',
    )
    text = text.replace("name: Hand-checked fixture", "name: '-1 test'")
    (folder / "scenario.yaml").write_text(text)
    res = api.run(folder / "scenario.yaml", iterations=10)
    path = tmp_path / "wb.xlsx"
    write_workbook(res, path)
    wb = openpyxl.load_workbook(path)
    found = []
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and "HYPERLINK" in c.value:
                    found.append(c)
    assert found
    for c in found:
        assert c.data_type == "s" and c.value.startswith("=HYPERLINK"), (c.coordinate, c.value)
    assert named(wb, "in_name") == "-1 test"
    assert api.run(path, iterations=10).summary() == res.summary()


def test_missing_inputs_sheet(hand: tuple[api.Results, Path], tmp_path: Path) -> None:
    _, path = hand
    wb = openpyxl.load_workbook(path)
    del wb["Inputs"]
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    with pytest.raises(InputError, match=r"bad\.xlsx: sheet 'Inputs' is missing"):
        api.load_scenario(bad)


def test_text_where_a_number_is_expected(hand: tuple[api.Results, Path], tmp_path: Path) -> None:
    _, path = hand
    wb = openpyxl.load_workbook(path)
    ref = _set(wb["Inputs"], "discounting.rate", 3, "three and a half")
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    with pytest.raises(InputError) as e:
        api.load_scenario(bad)
    msg = str(e.value)
    assert f"sheet Inputs, cell {ref}" in msg and "expected a number" in msg
    assert "\n" not in msg

    wb = openpyxl.load_workbook(path)
    ref = _set(wb["UnitCosts"], "ae_attendance", 6, "a hundred")
    wb.save(bad)
    with pytest.raises(
        InputError, match=rf"bad\.xlsx: sheet UnitCosts, cell {ref} \(cost\): expected"
    ):
        api.load_scenario(bad)

    wb = openpyxl.load_workbook(path)
    _set(wb["Inputs"], "counterfactual.trend", 4, "{dist: normal, mean: 0.2}")
    wb.save(bad)
    with pytest.raises(InputError, match=r"sheet Inputs, cell E\d+: normal takes"):
        api.load_scenario(bad)


def test_template_fills_in_to_the_hand_fixture(tmp_path: Path) -> None:
    from fam.cli.scenario import scenario

    path = tmp_path / "new.xlsx"
    result = CliRunner().invoke(scenario, ["template", str(path)])
    assert result.exit_code == 0, result.output
    assert path.is_file()
    again = CliRunner().invoke(scenario, ["template", str(path)])
    assert again.exit_code != 0 and isinstance(again.exception, InputError)

    wb = openpyxl.load_workbook(path)
    ws = wb["Inputs"]
    assert len(ws.data_validations.dataValidation) > 10
    # a blank template is refused with every missing key named in one line
    with pytest.raises(InputError) as refused:
        api.load_scenario(path)
    assert str(refused.value) == (
        f"{path}: required keys are missing: name, price_base_year, start, horizon_years, "
        "unit_costs, cohort.clients, cohort.service_use"
    )
    # fill it in as the hand fixture and get the hand fixture's numbers
    for f in ("clients.csv", "service_use.csv", "unit_costs.csv"):
        shutil.copy(FIXTURES / "hand" / f, tmp_path / f)
    values = {
        "name": "Hand-checked fixture",
        "price_base_year": "2023-24",
        "start": "2024-04",
        "horizon_years": 2,
        "unit_costs": "[unit_costs.csv]",
        "cohort.clients": "clients.csv",
        "cohort.service_use": "service_use.csv",
        "cohort.intake.months": 1,
        "programme_costs.per_client": 1000,
        "counterfactual.trend": 0.2,
        "counterfactual.ramp_months": 0,
        "optimism_bias.apply": False,
        "monte_carlo.bootstrap": False,
        "monte_carlo.poisson": False,
    }
    for k, v in values.items():
        _set(ws, k, 3, v)
    _set(ws, "programme_costs.per_client", 5, "2023-24")
    rows = [r for r in ws.iter_rows(min_row=5) if r[0].value == "effects.<service>.change"]
    rows[0][0].value = "effects.ae_attendance.change"
    rows[0][3].value = -0.5
    wb.save(path)
    got = api.run(path, iterations=10).central_headline()
    # only the A&E effect: £720 a year saved (see tests/test_hand.py), £3,000 spent
    assert got["npv"] == pytest.approx(720 + 720 / 1.035 - 3000, abs=0.005)
    assert np.isfinite(got["bcr"])


def test_payback_is_described_among_the_simulations_that_pay_back(
    essex: tuple[api.Results, Path],
) -> None:
    from types import SimpleNamespace

    # by hand: four simulations; cumulative nets -10,-5,0 (year 3); -10,-9,-8 (never);
    # -1,1,1 (year 2); -10,-9,-8 (never): half pay back, in years 3 and 2
    net = np.array([[-10.0, 5, 5], [-10, 1, 1], [-1, 2, 0], [-10, 1, 1]])
    stub = SimpleNamespace(draws=SimpleNamespace(net_by_year=net))
    pay = api.Results.payback_summary(stub)  # type: ignore[arg-type]
    assert pay["share_within_horizon"] == 0.5 and pay["simulations_paying_back"] == 2
    assert pay["years_if_paid_back"]["mean"] == 2.5  # not a mean over all four

    res, path = essex
    sf = res.summary_frame()
    s = res.summary()["monte_carlo"]["payback"]
    assert sf.loc["payback_share_within_horizon", "mean"] == s["share_within_horizon"]
    assert sf.loc["payback_years_if_paid_back", "simulations"] == s["simulations_paying_back"]
    assert "payback_years" not in sf.index  # no unlabelled mean over the few that pay back
    ws = openpyxl.load_workbook(path)["MonteCarlo"]
    rows = {r[0]: r for r in ws.iter_rows(values_only=True) if r and isinstance(r[0], str)}
    years = res.inputs.scenario.horizon_years
    share = rows[f"payback: share paying back within {years} years"]
    assert share[2] == pytest.approx(s["share_within_horizon"])
    paid = rows["payback year (simulations that pay back only)"]
    assert paid[6] == s["simulations_paying_back"]
    if s["simulations_paying_back"]:
        assert paid[2] == pytest.approx(s["years_if_paid_back"]["mean"])
