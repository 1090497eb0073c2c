"""The per-service counterfactual forms through the whole model, worked by hand.

Fixture tests/fixtures/forms: 2 clients (ages 17.25 and 16.5) starting in the appraisal's
first month, 2 years, no discounting, no uncertainty; A&E £100 an attendance, residential
care £700 a week; programme £1,000 a client; every client completes a 6-month programme.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fam import api
from fam.errors import InputError
from fam.inputs.loading import load

FORMS = Path(__file__).parent / "fixtures" / "forms" / "scenario.yaml"
WEEKS = 365 / 84  # one month in weeks
CHAIN: dict[str, Any] = {
    "placements": {
        "states": {"home": None, "care": "care_week_residential"},
        "start": {"home": 1.0},
        "transitions": {"home": {"care": 0.1}, "care": {"home": 0.5}},
    }
}


def run(over: dict[str, Any] | None = None, **kw: Any) -> api.Results:
    return api.run(load(FORMS, over), **kw)


def test_rate_steps() -> None:
    # 0.5 attendances a client-month in months 0-11, 0.25 from month 12, whatever the
    # baseline: year 0 = 2 clients x 12 x 0.5 = 12, year 1 = 2 x 12 x 0.25 = 6
    r = run()
    assert r.central.years.cf_use[0, 0].tolist() == [12.0, 6.0]
    # effect -50% from month 0 for ever: programme arm 6 and 3; saving (6 + 3) x £100 = £900
    assert r.central.years.pg_use[0, 0].tolist() == [6.0, 3.0]
    assert r.central.benefits[0] == pytest.approx(900.0)
    assert r.central.npv == pytest.approx(900.0 - 2000.0)


def test_ageing_out_mid_horizon() -> None:
    # until_age 18: A (17.25) stops after t_A = ceil(12 x 0.75) = 9 months, B (16.5) after 18
    # year 0: (9 + 12) x 0.5 = 10.5; year 1: (0 + 6 months) x 0.25 = 1.5
    r = run({"counterfactual.services.ae_attendance.until_age": 18})
    assert r.central.years.cf_use[0, 0].tolist() == pytest.approx([10.5, 1.5])
    assert r.central.years.pg_use[0, 0].tolist() == pytest.approx([5.25, 0.75])
    # the programme arm stops too: nothing is saved after the 18th birthday
    m = r.central.months.cf_use[0, 0]
    assert m[8] == pytest.approx(1.0) and m[9] == pytest.approx(0.5)  # A stops at month 9
    assert m[17] == pytest.approx(0.25) and m[18] == 0.0  # B stops at month 18


def test_two_state_chain_by_hand() -> None:
    # x0 = [1, 0]; x1 = [0.9, 0.1]; x2 = [0.9 x 0.9 + 0.1 x 0.5, 0.9 x 0.1 + 0.1 x 0.5]
    #    = [0.86, 0.14]; care weeks in month t = 2 clients x x_t[care] x 365/84
    r = run(CHAIN)
    care = r.inputs.services.index("care_week_residential")
    m = r.central.months.cf_use[0, care]
    assert m[:3] == pytest.approx([0.0, 2 * 0.1 * WEEKS, 2 * 0.14 * WEEKS])
    # no effect on the chain: the programme arm is the counterfactual
    assert np.array_equal(r.central.months.pg_use[0, care], m)
    # the chain settles at care = 0.1 / (0.1 + 0.5) = 1/6 of months
    assert m[-1] == pytest.approx(2 * WEEKS / 6, rel=1e-6)


def test_effect_on_a_transition() -> None:
    # home->care -50% during the programme (profile 1, e = 1): 0.1 x (1 - 0.5) = 0.05
    # x1 = [0.95, 0.05]; x2 = [0.95 x 0.95 + 0.05 x 0.5, 0.95 x 0.05 + 0.05 x 0.5]
    #    = [0.9275, 0.0725]
    over = {**CHAIN, "effects.placements": {"home->care": {"change": -0.5}}}
    r = run(over)
    care = r.inputs.services.index("care_week_residential")
    pg = r.central.months.pg_use[0, care]
    assert pg[:3] == pytest.approx([0.0, 2 * 0.05 * WEEKS, 2 * 0.0725 * WEEKS])
    # with engagement 0.8 (completion 0.8, non-completers nothing): 0.1 x (1 - 0.5 x 0.8)
    #   = 0.06 in the central case
    over2 = {**over, "engagement.completion": 0.8}
    pg2 = run(over2).central.months.pg_use[0, care]
    assert pg2[1] == pytest.approx(2 * 0.06 * WEEKS)


def test_entry_into_care_is_counted_with_no_care_before() -> None:
    # neither client was in care before: v1 (own baseline) could save nothing; the chain can
    r = run({**CHAIN, "effects.placements": {"home->care": {"change": -0.5}}})
    care = r.inputs.services.index("care_week_residential")
    assert r.inputs.baseline[:, care].sum() == 0.0
    care_rows = r.inputs.cost_rows["service"] == "care_week_residential"
    assert r.central.years.savings[0][care_rows.to_numpy()].sum() > 0


def test_chain_ages_out() -> None:
    # until_age 18 on the chain: A (t_A = 9) is in no state's service from month 9
    r = run({"placements": {**CHAIN["placements"], "until_age": 18}})
    care = r.inputs.services.index("care_week_residential")
    full = run(CHAIN).central.months.cf_use[0, care]
    cut = r.central.months.cf_use[0, care]
    assert cut[:9] == pytest.approx(full[:9])
    assert cut[9:18] == pytest.approx(full[9:18] / 2)  # B only
    assert (cut[18:] == 0).all()


def test_optimism_bias_makes_a_cost_increase_larger() -> None:
    # A&E rises 50% (change +0.5) with a grade-3 effect (10%); the unit cost is grade 1 (0%):
    # increase = (6 + 3) x £100 = £900 more; counted as -900 x (1 + 0) x (1 + 0.10) = -990
    r = run(
        {
            "effects.ae_attendance": {"change": 0.5, "confidence": 3},
            "optimism_bias.apply": True,
        }
    )
    assert r.central.benefits[0] == pytest.approx(-990.0)
    # a saving with the same grades: (6 + 3) x £100 x (1 - 0) x (1 - 0.10) = £810
    r2 = run(
        {
            "effects.ae_attendance": {"change": -0.5, "confidence": 3},
            "optimism_bias.apply": True,
        }
    )
    assert r2.central.benefits[0] == pytest.approx(810.0)


@pytest.mark.parametrize(
    "over",
    [
        {},
        {"counterfactual.services.ae_attendance.until_age": 18},
        CHAIN,
        {**CHAIN, "effects.placements": {"home->care": {"change": -0.5}}},
    ],
    ids=["rate", "ageing_out", "chain", "chain_effect"],
)
def test_central_equals_every_iteration_without_noise(over: dict[str, Any]) -> None:
    r = run(over, iterations=60)
    assert np.allclose(r.draws.npv, r.central.npv, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize(
    "over",
    [
        {
            "counterfactual.services.ae_attendance.rate": [
                {"from_month": 0, "value": {"dist": "gamma", "mean": 0.5, "sd": 0.1}}
            ]
        },
        {
            **CHAIN,
            "placements.transitions": {
                "home": {"care": {"dist": "beta", "mean": 0.1, "sd": 0.02}},
                "care": {"home": 0.5},
            },
        },
    ],
    ids=["rate", "chain"],
)
def test_monte_carlo_mean_near_central_with_drawn_forms(over: dict[str, Any]) -> None:
    r = run({**over, "monte_carlo.bootstrap": True, "monte_carlo.poisson": True}, iterations=2000)
    se = r.draws.npv.std() / np.sqrt(len(r.draws.npv))
    # the rate enters linearly (mean exact); the chain is nearly linear in a small probability
    assert abs(r.draws.npv.mean() - r.central.npv) < 4 * se + 1e-6 * abs(r.central.npv)


def test_state_service_cannot_have_its_own_effect() -> None:
    with pytest.raises(InputError, match="placement state"):
        run({**CHAIN, "effects.care_week_residential": {"change": -0.2}})


def test_update_refused_with_forms() -> None:
    with pytest.raises(InputError, match="update.apply"):
        run({"update.apply": True, "cohort.observed_to": "2024-12-31"})


def _with_comparison(tmp_path: Path) -> Path:
    """The forms fixture plus two comparison clients observed for 6 months (to 2024-09-30):
    C1 attends A&E once in each of its first two months and is in care from 1 June to
    1 August (relative months 2 and 3); C2 uses nothing."""
    d = tmp_path / "forms"
    shutil.copytree(FORMS.parent, d)
    with open(d / "clients.csv", "a", encoding="utf-8") as f:
        f.write("C1,2024-04-01,,true,comparison,1,15\nC2,2024-04-01,,true,comparison,1,16\n")
    with open(d / "service_use.csv", "a", encoding="utf-8") as f:
        f.write(
            "C1,ae_attendance,2024-04-10,,1\nC1,ae_attendance,2024-05-10,,1\n"
            "C1,care_week_residential,2024-06-01,2024-08-01,\n"
        )
    return d / "scenario.yaml"


def test_rates_estimated_from_the_comparison_arm(tmp_path: Path) -> None:
    # month 0: 1 attendance among 2 observed clients = 0.5 a client-month; month 1 the same;
    # months 2-5: 0; later months are not observed and take month 5's estimate (0)
    path = _with_comparison(tmp_path)
    over = {
        "cohort.observed_to": "2024-09-30",
        "counterfactual.services.ae_attendance.rate": "comparison",
    }
    r = api.run(load(path, over), iterations=400)
    m = r.central.months.cf_use[0, r.inputs.services.index("ae_attendance")]
    assert m[:3].tolist() == pytest.approx([1.0, 1.0, 0.0])  # 2 programme clients x rate
    assert m[3:].sum() == 0.0
    # the draws are Gamma(count 1, scale 1/2): mean exactly the estimate, 0.5
    rate0 = next(i for i in r.inputs.uncertain_inputs() if i.name.endswith(".rate.m0"))
    assert rate0.dist.mean == pytest.approx(0.5)
    assert rate0.central == pytest.approx(0.5)


def test_transitions_estimated_from_the_comparison_arm(tmp_path: Path) -> None:
    # monthly states (first day of each month), C1: home home care care home home; C2: home x6.
    # Client-months followed by an observed month: home 3 (C1) + 5 (C2) = 8, with 1 move to
    # care: p(home->care) = 1/8; care 2, with 1 move home: p(care->home) = 1/2
    path = _with_comparison(tmp_path)
    over = {
        "cohort.observed_to": "2024-09-30",
        "placements": {
            "states": {"home": None, "care": "care_week_residential"},
            "transitions": "comparison",
        },
    }
    r = api.run(load(path, over), iterations=200)
    ins = {i.name: i for i in r.inputs.uncertain_inputs()}
    assert ins["placements.transitions.home.care"].central == pytest.approx(1 / 8)
    assert ins["placements.transitions.care.home"].central == pytest.approx(1 / 2)
    # programme clients start at home (no care spell on their start date): month 1 has
    # 2 x 1/8 of a month in care
    care = r.inputs.services.index("care_week_residential")
    assert r.central.months.cf_use[0, care][:2] == pytest.approx([0.0, 2 / 8 * WEEKS])


def test_one_way_change_of_a_move_scales_its_row_as_a_draw_does() -> None:
    # care -> home uniform 0.3..0.9 beside care -> home2 0.2: at the top of its range the moves
    # out of care sum to 1.1. The central case (0.6 + 0.2) is valid; the one-way runs scale
    # the row to sum to 1 (0.9/1.1 and 0.2/1.1), as a Monte Carlo draw does, instead of failing
    from fam.analyses import sensitivity

    states = {"home": None, "care": "care_week_residential", "home2": None}
    over = {
        "placements": {
            "states": states,
            "start": {"home": 1.0},
            "transitions": {
                "home": {"care": 0.1},
                "care": {"home": {"dist": "uniform", "low": 0.3, "high": 0.9}, "home2": 0.2},
                "home2": {"care": 0.1},
            },
        },
        "effects.placements": {"home->care": {"change": -0.5}},
    }
    # 40 draws: a third of them above 0.8, each scaled the same way (it failed before)
    r = run(over, iterations=40)
    assert np.isfinite(r.npv).all()
    # the tornado's top (90th percentile, 0.3 + 0.9 x 0.6 = 0.84) and the switching values'
    # search range (to the 99.9th, 0.3 + 0.999 x 0.6 = 0.8994) both take the row above 1
    assert len(sensitivity.tornado(r)) >= 1
    sv = sensitivity.switching_values(r)
    row = sv[sv["input"].str.contains("care.home")].iloc[0]
    top = 0.3 + 0.999 * 0.6
    assert row["range_high"] == pytest.approx(top)
    scaled = {"home": top / (top + 0.2), "home2": 0.2 / (top + 0.2)}
    by_hand = run({**over, "placements": {**over["placements"], "transitions": {
        "home": {"care": 0.1}, "care": scaled, "home2": {"care": 0.1}}}})  # fmt: skip
    got = sensitivity._npv_with(r, {row["input"]: np.array([row["range_high"]])}, 1)[0]
    assert got == pytest.approx(by_hand.central.npv, rel=1e-9)
