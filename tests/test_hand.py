"""The hand-checked fixture: 3 clients, 2 services, 2 years, worked to the penny.

Data (tests/fixtures/hand): all three clients start on 2020-01-01; baseline window is the
12 months before, 2019-01-01 .. 2019-12-31.
- A: 12 A&E attendances in 2019 (one a month) -> 1 per month. (Events in 2018 and 2020 fall
  outside the window and are ignored.)
- B: residential care 2019-10-02 .. 2020-01-01 (end exclusive) = 30 + 30 + 31 = 91 nights
  = 13 weeks -> 13/12 weeks per month.
- C: 2 + 4 = 6 attendances -> 0.5 per month.
Cohort mean per client per month: A&E (1 + 0 + 0.5) / 3 = 0.5; care (13/12) / 3 = 13/36 weeks.

Scenario: 3 clients all start in appraisal month 0 (2024-04); trend 0.2 with no ramp, so the
counterfactual is 0.8 x baseline every month; effects -50% (A&E) and -25% (care) from month 0
with no decay; everyone completes (e = 1); no optimism bias; £1,000 per client in year 0.

Per year (12 months, 3 clients):
- A&E counterfactual = 3 x 0.5 x 0.8 x 12 = 14.4 attendances; saving 50% = 7.2 x £100 = £720.
- care counterfactual = 3 x 13/36 x 0.8 x 12 = 10.4 weeks; saving 25% = 2.6 x £700 = £1,820.
- savings £2,540 a year; cashable: A&E 50% (£360) + care 100% (£1,820) = £2,180.
Discounting (Green Book 3.5%, year 0 undiscounted):
- benefits = 2,540 + 2,540 / 1.035 = 2,540 + 2,454.11 = £4,994.11
- costs = 3 x £1,000 = £3,000 in year 0
- NPV = £1,994.11; £ back per £1 = 4,994.11 / 3,000 = 1.6647; ROI = 0.6647
- cumulative net: year 0 -£460, year 1 +£1,994.11 -> pays back in year 2.
- NHS (A&E): 720 + 720/1.035 = £1,415.65, cashable £707.83; local authority £3,578.45.
"""

from __future__ import annotations

import pytest

from fam import api


def test_central_case_to_the_penny(hand_scenario):
    res = api.run(hand_scenario)
    c = res.summary()["central"]
    assert c["costs"] == pytest.approx(3000.00, abs=0.005)
    assert c["benefits"] == pytest.approx(2540 + 2540 / 1.035, abs=0.005)
    assert round(c["benefits"], 2) == 4994.11
    assert round(c["npv"], 2) == 1994.11
    assert c["bcr"] == pytest.approx(4994.106280193 / 3000, rel=1e-9)
    assert c["roi"] == pytest.approx(c["bcr"] - 1)
    assert c["payback_years"] == 2


def test_baseline_rates_by_hand(hand_scenario):
    mi = api.load_scenario(hand_scenario)
    assert mi.services == ("ae_attendance", "care_week_residential")
    assert mi.baseline.ravel().tolist() == pytest.approx([1.0, 0.0, 0.0, 13 / 12, 0.5, 0.0])


def test_use_and_agencies_by_hand(hand_scenario):
    res = api.run(hand_scenario)
    cf = res.cashflows()
    y0 = cf[cf.year == 0].set_index("service")
    assert y0.loc["ae_attendance", "counterfactual_use"] == pytest.approx(14.4)
    assert y0.loc["ae_attendance", "programme_use"] == pytest.approx(7.2)
    assert y0.loc["care_week_residential", "counterfactual_use"] == pytest.approx(10.4)
    assert y0.loc["care_week_residential", "saving"] == pytest.approx(1820)
    ag = res.summary()["by_agency"]
    assert round(ag["NHS"]["central_benefits"], 2) == 1415.65
    assert round(ag["NHS"]["cashable"], 2) == 707.83
    assert round(ag["Local authority"]["central_benefits"], 2) == 3578.45
    by_year = res.by_year()
    assert by_year["fiscal_cashable"].iloc[0] == pytest.approx(2180)
    assert by_year["cumulative_net"].round(2).tolist() == [-460.00, 1994.11]


def test_every_iteration_equals_central_with_uncertainty_off(hand_scenario):
    res = api.run(hand_scenario)
    assert res.npv == pytest.approx(res.central.npv, abs=1e-9)


def test_monthly_flows_add_up_to_years(hand_scenario):
    res = api.run(hand_scenario)
    months = res.central.months
    years = res.central.years
    assert months.savings[0].reshape(2, 2, 12).sum(axis=2) == pytest.approx(years.savings[0])
    assert months.costs[0].reshape(2, 12).sum(axis=1) == pytest.approx(years.costs[0])


def test_reporting_periods_add_up(hand_scenario):
    res = api.run(hand_scenario)
    years = res.cashflows().groupby("year")["saving_pv"].sum().to_numpy()
    q = res.cashflows_by_period("quarter")
    assert q["period"].max() == 8
    by_q = q.groupby("period")["saving_pv"].sum().to_numpy()
    assert by_q.reshape(2, 4).sum(axis=1) == pytest.approx(years)
    # each quarter of year 0 saves a quarter of £2,540
    assert by_q[0] == pytest.approx(2540 / 4)
    assert q.attrs["programme_costs"][0] == pytest.approx(3000)


def test_cohort_as_two_sheets_of_one_workbook(tmp_path, hand_scenario):
    """docs/scenario.md: clients.csv and service_use.csv are also accepted as two sheets of one
    .xlsx; the hand fixture gives the same central case either way."""
    import shutil

    import pandas as pd

    from fam.errors import InputError

    d = tmp_path / "hand"
    shutil.copytree(hand_scenario.parent, d)
    with pd.ExcelWriter(d / "cohort.xlsx") as xw:
        pd.read_csv(d / "clients.csv", dtype=str).to_excel(xw, sheet_name="clients", index=False)
        pd.read_csv(d / "service_use.csv", dtype=str).to_excel(
            xw, sheet_name="service_use", index=False
        )
    text = (d / "scenario.yaml").read_text()
    text = text.replace("clients: clients.csv", "clients: cohort.xlsx")
    text = text.replace("service_use: service_use.csv", "service_use: cohort.xlsx")
    (d / "scenario.yaml").write_text(text)
    res = api.run(d / "scenario.yaml")
    assert round(res.summary()["central"]["npv"], 2) == 1994.11
    with pd.ExcelWriter(d / "cohort.xlsx") as xw:
        pd.read_csv(d / "clients.csv", dtype=str).to_excel(xw, sheet_name="clients", index=False)
    with pytest.raises(InputError, match="no sheet 'service_use'"):
        api.run(d / "scenario.yaml")
