"""Import of the GMCA Unit Cost Database v1.4 workbook (docs/evidence.md E-UC-GMCA-DB).

Every test runs on tests/fixtures/gmca/extract.xlsx, a small extract of the workbook (CC BY
4.0; its README gives the attribution and how it was made), and again on the full workbook
where it sits beside the checkout; the row counts of the full workbook are checked there."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from fam.cli.unit_costs import unit_costs
from fam.errors import InputError
from fam.inputs.unit_costs import (
    DEFAULT_UNIT_COSTS,
    gmca_confidence,
    gmca_service_code,
    gmca_unit,
    import_gmca,
    load_unit_costs,
)

ROOT = Path(__file__).resolve().parents[1]
WORKBOOK = ROOT.parent / "shared" / "data" / "gmca_unit_cost_database_v1_4.xlsx"
EXTRACT = ROOT / "tests" / "fixtures" / "gmca" / "extract.xlsx"
full_only = pytest.mark.skipif(
    not WORKBOOK.exists(), reason=f"full GMCA workbook not found at {WORKBOOK}"
)
EXTRACT_ROWS = 103  # rows the import makes from the extract (fixture README)
WORKBOOKS = [
    pytest.param(EXTRACT, id="extract"),
    pytest.param(WORKBOOK, id="full", marks=full_only),
]

# Counted by reading each theme sheet with openpyxl: figures (fiscal + economic + social cells
# with a value) on rows that have a cost code. Crime row 58 has a figure but a blank code.
ROWS_PER_SHEET = {
    "Crime": 225,
    "Education & Skills": 47,
    "Employment & Economy": 82,
    "Fire": 16,
    "Health": 222,
    "Housing": 36,
    "Social Services": 151,
}
CODES_PER_SHEET = {
    "Crime": 184,
    "Education & Skills": 35,
    "Employment & Economy": 75,
    "Fire": 15,
    "Health": 201,
    "Housing": 36,
    "Social Services": 137,
}


@pytest.fixture(scope="module", params=WORKBOOKS)
def imported(request: pytest.FixtureRequest) -> tuple[pd.DataFrame, object]:
    return import_gmca(request.param)


def get(table: pd.DataFrame, service: str, value_type: str = "fiscal") -> pd.Series:
    rows = table[(table["service"] == service) & (table["value_type"] == value_type)]
    assert len(rows) == 1, (service, value_type)
    return rows.iloc[0]


@full_only
def test_rows_per_sheet() -> None:
    table, report = import_gmca(WORKBOOK)
    assert report.imported == ROWS_PER_SHEET
    assert report.codes == CODES_PER_SHEET
    assert len(table) == sum(ROWS_PER_SHEET.values()) == 779
    assert report.skipped == {"cost given but no cost code": 1}
    assert report.skipped_rows == ["Crime!58: cost given but no cost code"]
    text = report.text()
    assert "Crime: 225 rows" in text and "cost given but no cost code: 1" in text
    assert not table.duplicated(["service", "value_type"]).any()


@pytest.mark.parametrize(
    "service,value_type,cost,year,unit,agency,detail,confidence",
    [
        ("gmca_cr3_0", "fiscal", 33785, "2013-14", "year", "Criminal Justice System", "Prison", 3),
        (
            "gmca_cr4_2",
            "fiscal",
            94780,
            "2013-14",
            "year",
            "Criminal Justice System",
            "Young Offenders Institute",
            3,
        ),
        ("gmca_cr3_1", "fiscal", 2367, "2008-09", "month", "Criminal Justice System", "Prison", 4),
        ("gmca_cr7_0", "fiscal", 593, "2006-07", "event", "Police", "", 5),
        ("gmca_cr8_6", "economic", 1344, "2010-11", "event", "Economic", None, 3),
        ("gmca_cr8_6", "social", 3789, "2010-11", "event", "Social", None, 3),
        ("gmca_cr1_0", "fiscal", 500, "2002-03", "event", "Police", "Local authority", 6),
        ("gmca_he4_0", "fiscal", 109, "2011-12", "event", "NHS", "Clinical Commissioning Group", 3),
        (
            "gmca_he7_0_2",
            "fiscal",
            1542,
            "2013-14",
            "event",
            "NHS",
            "Clinical Commissioning Group",
            3,
        ),
        ("gmca_he14_1", "fiscal", 632, "2011-12", "day", "NHS", "Clinical Commissioning Group", 3),
        ("gmca_ss3_0", "fiscal", 2995, "2013-14", "week", "Local Authority", "Social Services", 3),
        (
            "gmca_ss17_0",
            "fiscal",
            119,
            "2013-14",
            "session",
            "Local Authority",
            "Social Services",
            3,
        ),
        ("gmca_ho6_0", "fiscal", 7900, "2010-11", "year", "Local authority", "", 4),
        ("gmca_ho6_1", "fiscal", 45, "2002-03", "week", "Local authority", "VCS", 6),
        # formula cells: the value cached in the workbook is read
        ("gmca_e_s5_0", "fiscal", 3308 / 40, "2010-11", "year", "HM Treasury", "", 3),
        (
            "gmca_ss7_1_3",
            "fiscal",
            995 / 3 * 2,
            "2013-14",
            "week",
            "Local Authority",
            "Social Services",
            3,
        ),
        (
            "gmca_he2_0_3",
            "fiscal",
            1686 * 52 / 51,
            "2006-07",
            "year",
            "NHS",
            "Acute Trust / Hospital",
            5,
        ),
        ("gmca_cr8_18_5", "fiscal", 0, "2010-11", "event", "Multiple", "", 3),
    ],
)
def test_spot_values(
    imported: tuple[pd.DataFrame, object],
    service: str,
    value_type: str,
    cost: float,
    year: str,
    unit: str,
    agency: str,
    detail: str | None,
    confidence: int,
) -> None:
    row = get(imported[0], service, value_type)
    assert row["cost"] == pytest.approx(cost, rel=1e-12)
    assert row["price_year"] == year
    assert row["unit"] == unit
    assert row["agency"] == agency
    if detail is not None:
        assert row["agency_detail"] == detail
    assert row["confidence"] == confidence
    assert row["cashable"] == 0
    code = service.removeprefix("gmca_").upper()
    assert "GMCA Unit Cost Database v1.4" in row["source"]
    assert code.replace("_", "") in row["source"].upper().replace(".", "").replace("&", "")


def test_rules() -> None:
    assert gmca_unit("Per person per year") == "year"
    assert gmca_unit(" Per bed day ") == "day"
    assert gmca_unit("Per child over a 25 year period") == "event"
    assert gmca_confidence("G", "2013-14") == 3
    assert gmca_confidence("A", "2013-14") == 4
    assert gmca_confidence("R", "2013-14") == 5
    assert gmca_confidence(None, "2013-14") == 6
    assert gmca_confidence("G", "2009-10") == 4
    assert gmca_confidence("R", "2002-03") == 6


@pytest.mark.parametrize(
    "workbook,rows", [(EXTRACT, EXTRACT_ROWS), (WORKBOOK, 779)], ids=["extract", "full"]
)
def test_import_round_trip_through_cli(tmp_path: Path, workbook: Path, rows: int) -> None:
    if not workbook.exists():
        pytest.skip(f"full GMCA workbook not found at {workbook}")
    out = tmp_path / "gmca.csv"
    runner = CliRunner()
    result = runner.invoke(unit_costs, ["import-gmca", str(workbook), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Imported {rows} unit-cost rows" in result.output
    table = load_unit_costs([out])
    assert len(table) == rows
    assert get(table, "gmca_cr3_0")["cost"] == 33785
    again = runner.invoke(unit_costs, ["import-gmca", str(workbook), "--out", str(out)])
    assert again.exit_code == 2 and "already exists; use --force" in again.stderr
    forced = runner.invoke(unit_costs, ["import-gmca", str(workbook), "--out", str(out), "--force"])
    assert forced.exit_code == 0
    # the imported table and uk.csv can be loaded together: no service code clashes
    assert len(load_unit_costs([DEFAULT_UNIT_COSTS, out])) > rows


def test_import_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        import_gmca(tmp_path / "missing.xlsx")
    junk = tmp_path / "junk.xlsx"
    junk.write_text("not a workbook")
    with pytest.raises(InputError, match="junk.xlsx: not a readable .xlsx workbook"):
        import_gmca(junk)
    result = CliRunner().invoke(
        unit_costs, ["import-gmca", str(junk), "--out", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 2 and result.stderr.startswith("error: ")


# Every GMCA-derived figure in uk.csv, checked against the workbook row it cites:
# service -> (cost code, value type, divisor applied to the workbook figure)
UK_FROM_GMCA = {
    "arrest_detained": ("CR7.0", "fiscal", 1),
    "arrest_nfa": ("CR7.1", "fiscal", 1),
    "custody_night_adult": ("CR3.0", "fiscal", 365),
    "custody_night_yoi": ("CR4.2", "fiscal", 365),
    "probation_supervision": ("CR3.2", "fiscal", 12),
    "ae_attendance": ("HE4.0", "fiscal", 1),
    "ae_admitted": ("HE4.1", "fiscal", 1),
    "ae_not_admitted": ("HE4.2", "fiscal", 1),
    "ambulance_callout": ("HE3.0", "fiscal", 1),
    "nonelective_admission": ("HE7.0.2", "fiscal", 1),
    "mh_bed_day_adult": ("HE14.0.1", "fiscal", 1),
    "mh_bed_day_camhs": ("HE14.1", "fiscal", 1),
    "gp_consultation": ("HE20.2", "fiscal", 1),
    "drug_alcohol_treatment": ("HE2.2", "fiscal", 1),
    "care_week_residential": ("SS3.0", "fiscal", 1),
    "care_week_residential_private": ("SS3.1", "fiscal", 1),
    "foster_week_la": ("SS2.0", "fiscal", 1),
    "child_in_need": ("SS5.0", "fiscal", 1),
    "looked_after_child_year": ("SS1.0", "fiscal", 1),
    "mst_session": ("SS17.0", "fiscal", 1),
    "rough_sleeping_night": ("HO6.0", "fiscal", 365),
    "hostel_week": ("HO4.0", "fiscal", 1),
    "bnb_week": ("HO4.1", "fiscal", 1),
    "temporary_accommodation_week": ("HO4.4", "fiscal", 1),
    "homelessness_application": ("HO3.0.2", "fiscal", 1),
    "failed_tenancy": ("HO1.0", "fiscal", 1),
    "outpatient_attendance": ("HE8.0", "fiscal", 1),
    "mh_community_contact": ("HE16.0", "fiscal", 1),
    "residential_rehab_week": ("HE2.12", "fiscal", 1),
    "foster_week_kinship": ("SS2.0", "fiscal", 1),
    "care_week_supported": ("SS1.0", "fiscal", 365 / 7),
    "care_week_other": ("SS1.0", "fiscal", 365 / 7),
    "care_week_placed_for_adoption": ("SS2.0.2", "fiscal", 1),
    "child_protection_plan_month": ("SS5.0", "fiscal", 6),
    "entry_to_care": ("SS2.1", "fiscal", 1),
    "care_proceedings_la_legal": ("SS2.7", "fiscal", 1),
    "care_proceedings": ("SS4.1", "fiscal", 1),
    "child_protection_assessment": ("SS4.0", "fiscal", 1),
    "social_worker_hour": ("SS18.3", "fiscal", 1),
    "camhs_case": ("HE12.3", "fiscal", 1),
    "camhs_session": ("HE12.6", "fiscal", 1),
    "alternative_provision_year": ("E&S2.0.1", "fiscal", 1),
}
UK_CRIME = {
    "crime_violence_injury": "CR8.3",
    "crime_robbery": "CR8.6",
    "crime_burglary_domestic": "CR8.7",
    "crime_common_assault": "CR8.5",
    "domestic_violence_incident": "CR2.0",
    "neet_year_18_24": "E&E10.0",
    "neet_year_16_17": "E&E10.1",
}


def test_uk_csv_matches_workbook(imported: tuple[pd.DataFrame, object]) -> None:
    gmca = imported[0]
    uk = load_unit_costs([DEFAULT_UNIT_COSTS])
    checks = dict(UK_FROM_GMCA)
    for service, code in UK_CRIME.items():
        for vt in uk[uk["service"] == service]["value_type"]:
            checks[f"{service}/{vt}"] = (code, vt, 1)
    assert len(checks) >= 40
    for key, (code, vt, divisor) in checks.items():
        service = key.split("/")[0]
        mine = get(uk, service, vt)
        # GMCA has no transfer type: a transfer row in uk.csv is a GMCA fiscal figure
        theirs = get(gmca, gmca_service_code(code), "fiscal" if vt == "transfer" else vt)
        assert mine["cost"] == pytest.approx(theirs["cost"] / divisor, abs=0.005), key
        assert mine["price_year"] == theirs["price_year"], key
        assert f"code {code} " in mine["source"], key


def test_uk_csv_derived_court_costs(imported: tuple[pd.DataFrame, object]) -> None:
    gmca = imported[0]
    uk = load_unit_costs([DEFAULT_UNIT_COSTS])

    def mean(codes: list[str]) -> tuple[float, float, float]:
        costs = [get(gmca, "gmca_" + c.lower().replace(".", "_"))["cost"] for c in codes]
        return sum(costs) / len(costs), min(costs), max(costs)

    for service, codes in COURT_GROUPS.items():
        central, low, high = mean(codes)
        row = get(uk, service)
        assert row["cost"] == pytest.approx(central, abs=0.005)
        assert (row["low"], row["high"]) == (low, high)
    assert get(uk, "yot_supervision")["cost"] == 10 * get(gmca, "gmca_cr4_3")["cost"]


COURT_GROUPS = {
    "court_magistrates": ["CR5.4", "CR5.5", "CR5.6", "CR5.7", "CR5.10"],
    "court_crown": ["CR5.0", "CR5.1", "CR5.2", "CR5.3"],
    "court_youth": [f"CR6.{i}" for i in range(10)],
}
SPOT_CODES = [
    "CR3.0", "CR4.2", "CR3.1", "CR7.0", "CR8.6", "CR1.0", "HE4.0", "HE7.0.2", "HE14.1",
    "SS3.0", "SS17.0", "HO6.0", "HO6.1", "E&S5.0", "SS7.1.3", "HE2.0.3", "CR8.18.5", "CR4.3",
]  # fmt: skip


def extract_codes() -> set[str]:
    """The service codes of the rows the extract keeps (tests/fixtures/gmca/make_extract.py)."""
    codes = [*SPOT_CODES, *(c for c, _, _ in UK_FROM_GMCA.values()), *UK_CRIME.values()]
    codes += [c for group in COURT_GROUPS.values() for c in group]
    codes += [c for parts in SPLITS.values() for c in parts] + ["SS18.2"]
    return {"gmca_" + re.sub(r"[^a-z0-9]+", "_", c.lower()).strip("_") for c in codes}


def test_extract_holds_every_row_the_tests_use() -> None:
    table, report = import_gmca(EXTRACT)
    kept = set(table["service"])
    assert extract_codes() <= kept
    # plus the first row of each theme sheet, and nothing else
    assert len(kept - extract_codes()) <= len(report.imported)
    assert len(table) == EXTRACT_ROWS
    assert report.skipped == {"cost given but no cost code": 1}


# the splits of the children's-services rows (tests/test_unit_costs.py CHILDRENS)
SPLITS = {
    "SS4.1": ["SS4.1.1", "SS4.1.2", "SS4.1.3", "SS4.1.4"],  # 15,000+6,250+1,250+2,500
    "SS4.0": ["SS4.0.1", "SS4.0.2"],  # 760 + 140
    "E&E10.0": ["E&E10.0.1", "E&E10.0.2"],  # 3,218 + 1,039 (labelled 16-17 in the workbook)
}


def test_uk_csv_childrens_services_splits(imported: tuple[pd.DataFrame, object]) -> None:
    """The splits named in the children's-services rows add up to the workbook headline, and
    the derived figures are built from the workbook rows they name."""
    gmca = imported[0]
    uk = load_unit_costs([DEFAULT_UNIT_COSTS])

    def cost(code: str, vt: str = "fiscal") -> float:
        return float(get(gmca, gmca_service_code(code), vt)["cost"])

    for headline, parts in SPLITS.items():
        assert sum(cost(c) for c in parts) == cost(headline), headline
    assert get(uk, "social_worker_hour")["high"] == cost("SS18.2") == 57
    # the same price years as the workbook rows, for every value type
    for service, code in [("neet_year_18_24", "E&E10.0"), ("neet_year_16_17", "E&E10.1")]:
        for vt, gmca_vt in (("transfer", "fiscal"), ("economic", "economic")):
            assert (
                get(uk, service, vt)["price_year"]
                == get(gmca, gmca_service_code(code), gmca_vt)["price_year"]
            )
