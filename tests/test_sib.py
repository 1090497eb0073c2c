"""Social impact bond: payment arithmetic, the cap, investors losing their capital."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from fam import api
from fam.analyses.sib import irr, payments
from fam.errors import InputError
from tests.util import FIXTURES, ROOT

ESSEX = ROOT / "scenarios" / "essex_sib.yaml"


def test_payment_arithmetic_by_hand():
    # 1 iteration, 2 intake cohorts, 6 quarters of days saved
    saved = np.array([[[10.0, -4.0, 6.0, 0.0, 0.0, 0.0], [0.0, 5.0, 5.0, 5.0, 0.0, 0.0]]])
    costs = np.array([[300.0, 300.0, 300.0, 0.0, 0.0, 0.0]])
    pay = payments(saved, costs, np.array([2.0]), capital=500.0, cap=40.0, lag=1, pay_quarters=5)
    # earned per quarter: max(0, .) summed over cohorts x £2 = 20, 10, 22, 10, 0, 0;
    # due one quarter later, only up to quarter 4 (pay_quarters = 5): 0, 20, 10, 22, 10, 0
    assert pay.due[0].tolist() == [0.0, 20.0, 10.0, 22.0, 10.0, 0.0]
    # cap £40: 0, 20, 10, 10 (reaches the cap), 0, 0
    assert pay.paid[0].tolist() == [0.0, 20.0, 10.0, 10.0, 0.0, 0.0]
    assert pay.cap_binds.tolist() == [True]
    # investors fund 300 then 200 (capital 500); the commissioner pays 0, 100, 300
    assert pay.drawdown[0].tolist() == [300.0, 200.0, 0.0, 0.0, 0.0, 0.0]
    assert pay.commissioner_costs[0].tolist() == [0.0, 100.0, 300.0, 0.0, 0.0, 0.0]


def test_irr_by_hand():
    # -100 now, +110 a year later: 10% a year (one period per year)
    assert irr(np.array([[-100.0, 110.0]]), periods_per_year=1)[0] == pytest.approx(0.10)
    # quarterly: -100, +0, +0, +0, +110 -> 10% a year
    assert irr(np.array([[-100.0, 0, 0, 0, 110.0]]))[0] == pytest.approx(0.10)
    # no payments, or no outlay: undefined
    out = irr(np.array([[-100.0, 0.0, 0.0], [0.0, 5.0, 5.0]]))
    assert np.isnan(out).all()


def _hand_with_sib(tmp_path: Path, sib: dict) -> Path:
    work = tmp_path / "hand"
    shutil.copytree(FIXTURES / "hand", work)
    data = yaml.safe_load((work / "scenario.yaml").read_text())
    data["sib"] = sib
    (work / "scenario.yaml").write_text(yaml.safe_dump(data))
    return work / "scenario.yaml"


def test_small_case_end_to_end_by_hand(tmp_path):
    """Hand fixture: 3 clients; B had 13 weeks in residential care in the baseline year.

    Cohort care use = 13/12 weeks a month; counterfactual (trend 0.2) 0.8 x 13/12 x 7 =
    6.0667 days a month; the programme cuts it by 25%: 1.5167 days a month saved, 4.55 days
    in a 3-month tracking window (all in quarter 0), paid at £10 a day in quarter 1: £45.50.
    Programme costs £3,000 in month 0: investors fund £500, the commissioner £2,500.
    """
    path = _hand_with_sib(
        tmp_path,
        {
            "investor_capital": 500,
            "price_per_day": 10,
            "payment_years": 2,
            "outcome": {
                "services": ["care_week_*"],
                "comparison": "counterfactual",
                "tracking_months": 3,
                "cohort_months": 1,
            },
        },
    )
    res = api.run(path, iterations=20)
    sib = res.sib
    c = sib.central
    assert c["outcome_days_saved"] == pytest.approx(0.8 * 13 / 12 * 7 * 0.25 * 3)
    assert c["outcome_payments_total"] == pytest.approx(45.5)
    assert sib.payments_by_quarter[0, 1] == pytest.approx(45.5)
    assert c["investor_drawdown"] == pytest.approx(500.0)
    assert c["commissioner_programme_costs_pv"] == pytest.approx(2500.0)
    assert c["investor_multiple"] == pytest.approx(45.5 / 500)
    fiscal = float(res.central.benefits[0])
    assert c["commissioner_net_saving_pv"] == pytest.approx(fiscal - 45.5 - 2500.0)
    assert c["cap_binds"] is False
    # no uncertainty and no bootstrap in the fixture: every iteration equals the central case
    assert np.allclose(sib.payments_total, 45.5)
    s = sib.summary()
    assert s["monte_carlo"]["prob_investor_loss"] == 1.0
    assert set(s["monte_carlo"]["investor_multiple"]) == {"mean", "p5", "p50", "p95"}


def test_sib_costs_match_the_main_run():
    """The bond regenerates the main run's cohort draws: its programme costs equal draws.costs."""
    res = api.run(ESSEX, iterations=60)
    sib = res.sib
    assert np.allclose(sib.programme_costs_pv, res.draws.costs, rtol=1e-10)
    assert np.allclose(sib.fiscal_benefits_pv, res.draws.benefits[:, 0])
    # chunking does not matter
    import fam.analyses.sib as fs

    old = fs._CHUNK
    try:
        fs._CHUNK = 7
        again = api.run(ESSEX, iterations=60).sib
    finally:
        fs._CHUNK = old
    assert np.array_equal(again.payments_total, sib.payments_total)


def test_very_good_outcomes_hit_the_cap():
    overrides = {
        "effects.care_week_*": {"change": -0.95, "onset_months": 0},
        "effects.foster_week_*": {"change": -0.95, "onset_months": 0},
        "sib.price_per_day": {"dist": "fixed", "value": 400, "price_year": "2013-14"},
    }
    res = api.run(ESSEX, iterations=50, overrides=overrides)
    sib = res.sib
    assert sib.prob_cap_binds == 1.0
    assert np.allclose(sib.payments_total, sib.plan.cap)
    assert sib.summary()["monte_carlo"]["prob_cap_binds"] == 1.0
    assert (sib.investor_multiple > 1).all()


def test_programme_that_does_nothing_loses_investors_their_capital():
    overrides = {
        "effects": {},
        "counterfactual.trend": 0,
        "sib.outcome.comparison": "counterfactual",
    }
    res = api.run(ESSEX, iterations=50, overrides=overrides)
    sib = res.sib
    assert np.all(sib.payments_total == 0.0)
    assert np.all(sib.investor_multiple == 0.0)
    assert sib.prob_investor_loss == 1.0
    assert np.isnan(sib.investor_irr).all()
    assert np.allclose(sib.drawdowns_total, sib.plan.capital)


def test_sib_block_is_strict(tmp_path):
    path = _hand_with_sib(
        tmp_path,
        {
            "investor_capital": 500,
            "price_per_day": 10,
            "payment_years": 2,
            "outcome": {"services": ["care_week_*"], "comparison": "counterfactual"},
            "bonus": 1,
        },
    )
    with pytest.raises(InputError, match="sib.bonus: unknown key"):
        api.load_scenario(path)


def test_outcome_service_must_be_time_based(tmp_path):
    path = _hand_with_sib(
        tmp_path,
        {
            "investor_capital": 500,
            "price_per_day": 10,
            "payment_years": 2,
            "outcome": {"services": ["ae_attendance"], "comparison": 1.0},
        },
    )
    # refused before the Monte Carlo runs, not when the SIB is first read
    with pytest.raises(InputError, match="ae_attendance is counted in events"):
        api.run(path, iterations=5)


def _hand_share(tmp_path: Path, comparison: object) -> Path:
    return _hand_with_sib(
        tmp_path,
        {
            "investor_capital": 500,
            "price_per_day": 10,
            "payment_years": 2,
            "outcome": {
                "services": ["care_week_*"],
                "comparison": comparison,
                "tracking_months": 3,
                "cohort_months": 1,
            },
        },
    )


def test_share_of_days_is_converted_to_days_per_client_month_by_hand(tmp_path):
    """Essex's published 55% is a share of client-days in care: 0.55 x 365/12 days a month.

    Hand fixture (see test_small_case_end_to_end_by_hand): 3 clients start in month 0 and are
    tracked 3 months, 9 client-months. Contract comparison 0.55 x 365/12 = 16.7291666... days
    per client per month: 16.7291666 x 9 = 150.5625 days. fam's counterfactual: 0.8 x 13/12 x
    7 x 3 = 18.2 days; programme arm 0.75 x 18.2 = 13.65 days. Days paid against the
    contract 150.5625 - 13.65 = 136.9125 (£1,369.125 at £10); against the counterfactual
    18.2 - 13.65 = 4.55 (£45.50); not additional 132.3625 days, £1,323.625. Paid in quarter 1
    (year 0, discount factor 1), no cap: present values equal the totals.
    """
    res = api.run(_hand_share(tmp_path, {"share_of_days": 0.55}), iterations=20)
    sib = res.sib
    assert sib.plan.comparison == pytest.approx(16.729166666666668, rel=1e-15)
    assert sib.plan.comparison == pytest.approx(0.55 * 365 / 12, rel=1e-15)
    terms = sib.summary()["terms"]
    assert terms["comparison"] == pytest.approx(16.7291666667)
    assert terms["comparison_as_written"] == {"share_of_days": 0.55}
    c = sib.central
    assert c["comparison_days"] == pytest.approx(150.5625)
    assert c["counterfactual_days"] == pytest.approx(18.2)
    assert c["programme_days"] == pytest.approx(13.65)
    assert c["outcome_days_paid_vs_contract"] == pytest.approx(136.9125)
    assert c["outcome_days_paid_vs_counterfactual"] == pytest.approx(4.55)
    assert c["outcome_days_paid_not_additional"] == pytest.approx(132.3625)
    assert c["outcome_payments_pv_vs_contract"] == pytest.approx(1369.125)
    assert c["outcome_payments_pv_vs_counterfactual"] == pytest.approx(45.5)
    assert c["payments_for_days_not_additional_pv"] == pytest.approx(1323.625)
    assert c["payments_for_days_not_additional_total"] == pytest.approx(1323.625)
    # the existing keys stay the contract's
    assert c["outcome_payments_pv"] == c["outcome_payments_pv_vs_contract"]
    assert c["outcome_days_paid"] == c["outcome_days_paid_vs_contract"]
    assert np.allclose(sib.payments_not_additional_pv, 1323.625)


def test_days_per_client_month_form_equals_a_plain_number(tmp_path):
    a = api.load_scenario(_hand_share(tmp_path / "a", {"days_per_client_month": 4.5})).scenario
    b = api.load_scenario(_hand_share(tmp_path / "b", 4.5)).scenario
    assert a.sib is not None and b.sib is not None
    assert a.sib.outcome.comparison_days_per_month == 4.5
    assert b.sib.outcome.comparison_days_per_month == 4.5


def test_payments_against_the_counterfactual_equal_the_counterfactual_contract():
    """Against fam's counterfactual, iteration by iteration, the contract's share form pays
    what `comparison: counterfactual` pays; the not-additional payment is the difference."""
    share_form = {"sib.outcome.comparison": {"share_of_days": 0.55}}
    share = api.run(ESSEX, iterations=40, overrides=share_form).sib
    cf = api.run(ESSEX, iterations=40, overrides={"sib.outcome.comparison": "counterfactual"}).sib
    assert share.plan.comparison == pytest.approx(0.55 * 365 / 12)
    assert cf.plan.comparison is None
    for a, b in [
        ("payments_pv_vs_counterfactual", "payments_pv"),
        ("payments_total_vs_counterfactual", "payments_total"),
        ("days_paid_vs_counterfactual", "days_paid"),
        ("days_saved_vs_counterfactual", "days_saved"),
        ("counterfactual_days", "comparison_days"),
    ]:
        assert np.array_equal(getattr(share, a), getattr(cf, b)), a
    assert np.array_equal(
        share.payments_not_additional_pv, share.payments_pv - share.payments_pv_vs_counterfactual
    )
    assert np.array_equal(
        share.days_paid_not_additional, share.days_paid - share.days_paid_vs_counterfactual
    )
    # with `comparison: counterfactual` both comparisons are the same: nothing is not additional
    assert np.array_equal(cf.payments_pv_vs_counterfactual, cf.payments_pv)
    assert np.all(cf.payments_not_additional_pv == 0.0)
    s, c = share.summary(), cf.summary()
    assert c["central"]["payments_for_days_not_additional_pv"] == 0.0
    assert c["monte_carlo"]["payments_for_days_not_additional_pv"]["p95"] == 0.0
    assert s["central"]["outcome_payments_pv_vs_counterfactual"] == pytest.approx(
        c["central"]["outcome_payments_pv"]
    )
    assert s["central"]["payments_for_days_not_additional_pv"] == pytest.approx(
        s["central"]["outcome_payments_pv_vs_contract"]
        - s["central"]["outcome_payments_pv_vs_counterfactual"]
    )
    assert set(s["monte_carlo"]["payments_for_days_not_additional_pv"]) == {
        "mean",
        "p5",
        "p50",
        "p95",
    }


@pytest.mark.parametrize(
    ("comparison", "message"),
    [
        ({"share_of_dayz": 0.55}, r"sib\.outcome\.comparison\.share_of_dayz: unknown key"),
        (
            {"share_of_days": 55},
            r"sib\.outcome\.comparison\.share_of_days: .*less than or equal to 1",
        ),
        ({"days_per_client_month": -1}, r"sib\.outcome\.comparison\.days_per_client_month: "),
        ({"share_of_days": "55%"}, r"sib\.outcome\.comparison\.share_of_days: .*valid number"),
        (
            {"share_of_days": 0.55, "days_per_client_month": 4.5},
            r"sib\.outcome\.comparison: give exactly one of share_of_days",
        ),
        ({}, r"sib\.outcome\.comparison: give exactly one of share_of_days"),
        ("historical", r"sib\.outcome\.comparison: expected days per client per month"),
        (-4.5, r"sib\.outcome\.comparison: expected days per client per month"),
    ],
)
def test_bad_comparison_forms_are_refused_with_the_key_path(tmp_path, comparison, message):
    path = _hand_share(tmp_path, comparison)
    with pytest.raises(InputError, match=message) as err:
        api.load_scenario(path)
    assert "\n" not in str(err.value)
