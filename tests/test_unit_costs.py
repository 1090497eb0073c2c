"""Unit-cost tables: validation, GDP-deflator uprating, the packaged uk.csv, `fam unit-costs show`."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from fam.cli.unit_costs import unit_costs
from fam.errors import InputError
from fam.inputs.unit_costs import (
    COLUMNS,
    DEFAULT_UNIT_COSTS,
    Deflators,
    load_deflators,
    load_unit_costs,
    uprate_costs,
)

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "unit_costs.md"

REQUIRED_SERVICES = [
    "arrest_detained",
    "arrest_nfa",
    "police_custody",
    "court_magistrates",
    "court_crown",
    "court_youth",
    "custody_night_adult",
    "custody_night_yoi",
    "custody_night_stc",
    "custody_night_sch",
    "probation_supervision",
    "yot_supervision",
    "ae_attendance",
    "ae_admitted",
    "ae_not_admitted",
    "ambulance_callout",
    "nonelective_admission",
    "nonelective_bed_day",
    "mh_bed_day_adult",
    "mh_bed_day_camhs",
    "gp_consultation",
    "drug_alcohol_treatment",
    "care_week_residential",
    "care_week_residential_private",
    "foster_week_la",
    "foster_week_ifa",
    "child_in_need",
    "rough_sleeping_night",
    "hostel_week",
    "bnb_week",
    "temporary_accommodation_week",
    "homelessness_application",
    "failed_tenancy",
]
CRIMES = ["crime_violence_injury", "crime_robbery", "crime_burglary_domestic"]
# Children's-services rows (docs/unit_costs.md item 8), worked by hand from the GMCA Unit Cost
# Database v1.4 rows they cite. (service, value type) -> (cost, price year, unit, grade, low,
# high, cashable, GMCA code). Grades: RAG G 3, A 4; +1 if the price year is before 2010-11; +1
# for a proxy. Ranges: cost / f and cost x f, f = 1.25 (grade 3), 1.4 (4),
# 1.6 (5), unless a natural bracket is stated.
CHILDRENS = {
    # SS2.1 £700, 2009/10, G: 3 + 1 (2009-10 < 2010-11) + 1 (Outer London proxy) = 5;
    # 700 / 1.6 = 437.50, 700 x 1.6 = 1,120
    ("entry_to_care", "fiscal"): (700, "2009-10", "event", 5, 437.5, 1120, 0.1, "SS2.1"),
    # SS2.7 £3,026, 2009/10, G, Outer London: grade 5; 3,026 / 1.6 = 1,891.25; x 1.6 = 4,841.60
    ("care_proceedings_la_legal", "fiscal"): (
        3026,
        "2009-10",
        "event",
        5,
        1891.25,
        4841.6,
        0.3,
        "SS2.7",
    ),
    # SS4.1 £25,000 = 15,000 + 6,250 + 1,250 + 2,500, 2005/06, A: 4 + 1 = 5;
    # 25,000 / 1.6 = 15,625; x 1.6 = 40,000
    ("care_proceedings", "fiscal"): (25000, "2005-06", "event", 5, 15625, 40000, 0.3, "SS4.1"),
    # SS4.0 £900 = 760 + 140, 2004/05, A: 4 + 1 = 5; 900 / 1.6 = 562.50; x 1.6 = 1,440
    ("child_protection_assessment", "fiscal"): (
        900,
        "2004-05",
        "event",
        5,
        562.5,
        1440,
        0.1,
        "SS4.0",
    ),
    # SS18.3 £40, 2013/14, G: 3; low 40 / 1.25 = 32; high = SS18.2 £57 (with qualification)
    ("social_worker_hour", "fiscal"): (40, "2013-14", "hour", 3, 32, 57, 0.1, "SS18.3"),
    # HE12.3 £5,015, 2013/14, G: 3; 5,015 / 1.25 = 4,012; x 1.25 = 6,268.75
    ("camhs_case", "fiscal"): (5015, "2013-14", "event", 3, 4012, 6268.75, 0.1, "HE12.3"),
    # HE12.6 £93, 2013/14, G: 3; 93 / 1.25 = 74.40; x 1.25 = 116.25
    ("camhs_session", "fiscal"): (93, "2013-14", "session", 3, 74.4, 116.25, 0.1, "HE12.6"),
    # E&S2.0.1 £7,181, 2005/06, A: 4 + 1 = 5; 7,181 / 1.6 = 4,488.125 -> 4,488.12; x 1.6 = 11,489.60
    ("alternative_provision_year", "fiscal"): (
        7181,
        "2005-06",
        "year",
        5,
        4488.12,
        11489.6,
        0.3,
        "E&S2.0.1",
    ),
    # E&E10.0 fiscal £4,257 = 3,218 DWP + 1,039 HMRC (a transfer), 2010/11, A: 4;
    # 4,257 / 1.4 = 3,040.71; x 1.4 = 5,959.80
    ("neet_year_18_24", "transfer"): (4257, "2010-11", "year", 4, 3040.71, 5959.8, 0.9, "E&E10.0"),
    # E&E10.0 economic £8,998: 8,998 / 1.4 = 6,427.14; x 1.4 = 12,597.20
    ("neet_year_18_24", "economic"): (8998, "2010-11", "year", 4, 6427.14, 12597.2, 0, "E&E10.0"),
    # E&E10.1 fiscal £536 (a transfer): 536 / 1.4 = 382.86; x 1.4 = 750.40
    ("neet_year_16_17", "transfer"): (536, "2010-11", "year", 4, 382.86, 750.4, 0.9, "E&E10.1"),
    # E&E10.1 economic £4,576: 4,576 / 1.4 = 3,268.57; x 1.4 = 6,406.40
    ("neet_year_16_17", "economic"): (4576, "2010-11", "year", 4, 3268.57, 6406.4, 0, "E&E10.1"),
}

HEADER = ",".join(COLUMNS)
GOOD = (
    "custody_night_adult,Prison night,night,92.56,2013-14,Ministry of Justice,HMPPS,fiscal,"
    "0.2,judgement,3,74,116,GMCA CR3.0"
)


@pytest.fixture(scope="module")
def deflators() -> Deflators:
    return load_deflators()


# --------------------------------------------------------------------------- deflators


def test_deflators_release_and_forecasts(deflators: Deflators) -> None:
    assert "October 2024" in deflators.release
    assert deflators.index["2023-24"] == 100
    assert deflators.forecast_years == {
        "2024-25",
        "2025-26",
        "2026-27",
        "2027-28",
        "2028-29",
        "2029-30",
    }
    # forecast index chained from the published % change (rounded to 4 dp)
    assert deflators.index["2024-25"] == pytest.approx(100 * 1.023746660769686, abs=1e-4)


def test_factor_worked_by_hand(deflators: Deflators) -> None:
    assert deflators.factor("2013-14", "2023-24") == pytest.approx(100 / 75.8566, rel=1e-12)
    assert deflators.factor("2023-24", "2023-24") == 1


def test_year_outside_table_names_it(deflators: Deflators) -> None:
    with pytest.raises(InputError, match="1995-96.*2000-01 to 2029-30"):
        deflators.factor("1995-96", "2023-24")
    with pytest.raises(InputError, match="2031-32"):
        deflators.factor("2013-14", "2031-32")


YEARS = [f"{y}-{(y + 1) % 100:02d}" for y in range(2000, 2030)]


@given(
    cost=st.floats(min_value=0, max_value=1e7, allow_nan=False),
    a=st.sampled_from(YEARS),
    b=st.sampled_from(YEARS),
)
def test_uprate_there_and_back(cost: float, a: str, b: str) -> None:
    d = load_deflators()
    assert cost * d.factor(a, b) * d.factor(b, a) == pytest.approx(cost, rel=1e-12, abs=1e-9)


def test_uprate_costs_columns(deflators: Deflators) -> None:
    table = load_unit_costs([DEFAULT_UNIT_COSTS])
    up = uprate_costs(table, "2023-24", deflators)
    row = up.set_index(["service", "value_type"]).loc[("custody_night_adult", "fiscal")]
    assert row["deflator_from"] == 75.8566
    assert row["deflator_to"] == 100
    assert row["cost_uprated"] == pytest.approx(33785 / 365 * 100 / 75.8566, rel=1e-4)
    assert row["low_uprated"] <= row["cost_uprated"] <= row["high_uprated"]
    back = uprate_costs(up.drop(columns=["cost_uprated"]), "2013-14", deflators)
    # Back to 2013-14 prices: factor = index 2013-14 / index of the row's price year, worked
    # from unit_costs/gdp_deflators.csv (2013-14 = 75.8566), whatever the table was uprated to:
    by_hand = {
        "2004-05": 1.221221,  # 75.8566 / 62.1154
        "2005-06": 1.188757,  # 75.8566 / 63.8117
        "2006-07": 1.157616,  # 75.8566 / 65.5283
        "2008-09": 1.090765,  # 75.8566 / 69.5444
        "2009-10": 1.076278,  # 75.8566 / 70.4805
        "2010-11": 1.056282,  # 75.8566 / 71.8147
        "2011-12": 1.037931,  # 75.8566 / 73.0844
        "2012-13": 1.019119,  # 75.8566 / 74.4335
        "2013-14": 1.0,  # 75.8566 / 75.8566
        "2018-19": 0.924888,  # 75.8566 / 82.0171
        "2020-21": 0.857471,  # 75.8566 / 88.4655
    }
    assert set(back["price_year"]) == set(by_hand)
    for year, factor in zip(back["price_year"], back["factor"], strict=True):
        assert factor == pytest.approx(by_hand[year], abs=1e-6), year
    costs = back.set_index(["service", "value_type"])["cost_uprated"]
    assert costs[("custody_night_adult", "fiscal")] == 92.56  # its own price year: unchanged
    assert costs[("arrest_detained", "fiscal")] == pytest.approx(
        686.47, abs=0.005
    )  # 593 x 1.157616
    assert costs[("foster_week_ifa", "fiscal")] == pytest.approx(
        703.13, abs=0.005
    )  # 820 x 0.857471
    with pytest.raises(InputError, match="1999-00"):
        uprate_costs(table, "1999-00", deflators)


def test_deflator_release_from_sidecar_yaml(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text("financial_year,index,pct_change,status\n2022-23,94.2,7.1,outturn\n")
    with pytest.raises(InputError, match="release"):
        load_deflators(p)
    (tmp_path / "d.yaml").write_text("release: test release\n")
    d = load_deflators(p)
    assert d.release == "test release" and d.index == {"2022-23": 94.2}


# --------------------------------------------------------------------------- uk.csv


def test_uk_csv_loads_and_is_complete() -> None:
    table = load_unit_costs([DEFAULT_UNIT_COSTS])
    assert list(table.columns) == [*COLUMNS, "file"]
    assert len(table) >= 40
    services = set(table["service"])
    missing = [s for s in REQUIRED_SERVICES + CRIMES if s not in services]
    assert not missing
    for crime in CRIMES:
        rows = table[table["service"] == crime]
        assert set(rows["value_type"]) >= {"economic", "social"}
        assert (rows["cashable"] == 0).all()
    assert table["source"].str.len().min() > 20
    assert table["confidence"].between(1, 6).all()
    assert (table["low"] <= table["cost"]).all() and (table["cost"] <= table["high"]).all()


def test_uk_csv_childrens_services_worked_by_hand() -> None:
    table = load_unit_costs([DEFAULT_UNIT_COSTS]).set_index(["service", "value_type"])
    for key, (cost, year, unit, grade, low, high, cashable, code) in CHILDRENS.items():
        row = table.loc[key]
        assert (row["cost"], row["price_year"], row["unit"]) == (cost, year, unit), key
        assert (row["confidence"], row["low"], row["high"]) == (grade, low, high), key
        assert row["cashable"] == cashable, key
        assert f"code {code} " in row["source"], key
        assert "GMCA Unit Cost Database v1.4" in row["source"], key
    # economic rows carry no cashable share and name who bears them
    for service in ("neet_year_18_24", "neet_year_16_17"):
        assert table.loc[(service, "economic"), "agency"] == "Young person"
    # in 2023-24 prices: a care order application is £25,000 x 100 / 63.8117 = £39,177.77
    up = uprate_costs(load_unit_costs([DEFAULT_UNIT_COSTS]), "2023-24", load_deflators())
    up = up.set_index(["service", "value_type"])
    assert up.loc[("care_proceedings", "fiscal"), "cost_uprated"] == pytest.approx(
        39177.77, abs=0.005
    )
    # a core assessment: £900 x 100 / 62.1154 = £1,448.92
    assert up.loc[("child_protection_assessment", "fiscal"), "cost_uprated"] == pytest.approx(
        1448.92, abs=0.005
    )


def test_uk_csv_secondary_sources_flagged() -> None:
    table = load_unit_costs([DEFAULT_UNIT_COSTS]).set_index(["service", "value_type"])
    for service in ["custody_night_stc", "custody_night_sch", "foster_week_ifa"]:
        row = table.loc[(service, "fiscal")]
        assert "secondary source" in row["source"].lower()
        assert row["confidence"] >= 5
        assert row["high"] / row["cost"] >= 1.5
    guesses = table[table["source"].str.startswith("Expert guess")]
    assert (guesses["confidence"] == 6).all() and len(guesses) >= 2


def test_uk_csv_units() -> None:
    table = load_unit_costs([DEFAULT_UNIT_COSTS]).set_index(["service", "value_type"])
    expected = {
        "custody_night_adult": "night",
        "probation_supervision": "month",
        "yot_supervision": "month",
        "nonelective_bed_day": "day",
        "drug_alcohol_treatment": "year",
        "care_week_residential": "week",
        "rough_sleeping_night": "night",
        "child_in_need": "event",
    }
    for service, unit in expected.items():
        assert table.loc[(service, "fiscal"), "unit"] == unit


def test_docs_list_every_uk_row() -> None:
    text = DOC.read_text(encoding="utf-8")
    for heading in ["value type", "uprat", "chain", "RAG", "confidence"]:
        assert heading.lower() in text.lower()
    for service in load_unit_costs([DEFAULT_UNIT_COSTS])["service"].unique():
        assert f"`{service}`" in text


# --------------------------------------------------------------------------- bad files


def write(tmp_path: Path, text: str, name: str = "costs.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def one_bad(field: str, value: str) -> str:
    values = dict(zip(COLUMNS, GOOD.split(","), strict=True))
    values[field] = value
    return (
        HEADER
        + "\n"
        + GOOD.replace("custody_night_adult", "other")
        + "\n"
        + ",".join(values.values())
    )


@pytest.mark.parametrize(
    "field,value,pattern",
    [
        ("unit", "fortnight", r"row 3, column 'unit': expected one of event"),
        ("cashable", "1.5", r"row 3, column 'cashable': expected a share between 0 and 1"),
        ("low", "100", r"row 3, column 'low': expected low <= cost"),
        ("high", "50", r"row 3, column 'high': expected high >= cost"),
        ("cost", "-1", r"row 3, column 'cost'"),
        ("cost", "inf", r"row 3, column 'cost'"),
        ("confidence", "7", r"row 3, column 'confidence'"),
        ("confidence", "3.5", r"row 3, column 'confidence'"),
        ("price_year", "2013/14", r"row 3, column 'price_year': expected a financial year"),
        ("price_year", "2013-15", r"row 3, column 'price_year'"),
        ("value_type", "moral", r"row 3, column 'value_type'"),
        ("service", "Prison Night", r"row 3, column 'service'"),
        ("source", "", r"row 3, column 'source'"),
        ("value_type", "social", r"row 3, column 'cashable': expected 0"),
    ],
)
def test_bad_values(tmp_path: Path, field: str, value: str, pattern: str) -> None:
    p = write(tmp_path, one_bad(field, value))
    with pytest.raises(InputError, match=pattern) as e:
        load_unit_costs([p])
    assert str(p) in str(e.value) and "\n" not in str(e.value)


def test_unknown_column(tmp_path: Path) -> None:
    p = write(tmp_path, HEADER + ",colour\n" + GOOD + ",red\n")
    with pytest.raises(InputError, match=r"costs.csv, row 1, column 15 'colour': unknown column"):
        load_unit_costs([p])


def test_missing_column(tmp_path: Path) -> None:
    p = write(tmp_path, HEADER.replace(",source", "") + "\n" + GOOD.rsplit(",", 1)[0] + "\n")
    with pytest.raises(InputError, match=r"costs.csv, row 1: missing required column\(s\) source"):
        load_unit_costs([p])


def test_optional_columns_may_be_absent(tmp_path: Path) -> None:
    cols = [c for c in COLUMNS if c not in ("agency_detail", "cashable_rationale", "low", "high")]
    values = dict(zip(COLUMNS, GOOD.split(","), strict=True))
    p = write(tmp_path, ",".join(cols) + "\n" + ",".join(values[c] for c in cols) + "\n")
    table = load_unit_costs([p])
    assert list(table.columns) == [*COLUMNS, "file"]
    assert math.isnan(table.loc[0, "low"]) and table.loc[0, "agency_detail"] == ""


def test_duplicate_within_and_across_files(tmp_path: Path) -> None:
    p = write(tmp_path, HEADER + "\n" + GOOD + "\n" + GOOD + "\n")
    with pytest.raises(InputError, match=r"costs.csv, row 3, column 'service': duplicated"):
        load_unit_costs([p])
    a = write(tmp_path, HEADER + "\n" + GOOD + "\n", "a.csv")
    b = write(tmp_path, HEADER + "\n\n" + GOOD + "\n", "b.csv")
    with pytest.raises(InputError, match=r"b.csv, row 3, .*first given at .*a.csv, row 2"):
        load_unit_costs([a, b])


def test_same_service_other_value_type_is_allowed(tmp_path: Path) -> None:
    econ = GOOD.replace(",fiscal,0.2,", ",economic,0,")
    p = write(tmp_path, HEADER + "\n" + GOOD + "\n" + econ + "\n")
    assert len(load_unit_costs([p])) == 2


def test_unit_must_agree_across_value_types(tmp_path: Path) -> None:
    econ = GOOD.replace(",night,", ",day,").replace(",fiscal,0.2,", ",economic,0,")
    p = write(tmp_path, HEADER + "\n" + GOOD + "\n" + econ + "\n")
    with pytest.raises(InputError, match=r"row 3, column 'unit': service custody_night_adult"):
        load_unit_costs([p])


def test_non_utf8(tmp_path: Path) -> None:
    p = tmp_path / "latin1.csv"
    p.write_bytes((HEADER + "\n" + GOOD.replace("Prison", "Pr£son") + "\n").encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1.csv: not UTF-8 text \(byte 0xa3 at offset"):
        load_unit_costs([p])


def test_empty_and_header_only(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"empty.csv: empty file"):
        load_unit_costs([write(tmp_path, "", "empty.csv")])
    with pytest.raises(InputError, match=r"head.csv: no data rows"):
        load_unit_costs([write(tmp_path, HEADER + "\n", "head.csv")])


def test_wrong_field_count_and_missing_file(tmp_path: Path) -> None:
    p = write(tmp_path, HEADER + "\n" + GOOD + ",extra\n")
    with pytest.raises(InputError, match=r"costs.csv, row 2: expected 14 fields"):
        load_unit_costs([p])
    with pytest.raises(InputError, match=r"nope.csv: file not found"):
        load_unit_costs([tmp_path / "nope.csv"])


# --------------------------------------------------------------------------- CLI


def test_cli_show() -> None:
    result = CliRunner().invoke(unit_costs, ["show", "--grep", "prison", "--price-year", "2023-24"])
    assert result.exit_code == 0, result.output
    assert "custody_night_adult" in result.output and "124.92" not in result.output
    assert f"{33785 / 365 * 100 / 75.8566:,.2f}" in result.output


def test_cli_show_bad_year_and_bad_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(unit_costs, ["show", "--price-year", "1980-81"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: price year '1980-81'")
    assert "Traceback" not in result.output
    bad = write(tmp_path, "", "empty.csv")
    result = CliRunner().invoke(unit_costs, ["show", "--file", str(bad)])
    assert result.exit_code == 2 and "empty.csv: empty file" in result.stderr
