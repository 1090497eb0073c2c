"""The model's exact and statistical properties (issue 3)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fam import api
from fam.engine import draw_params
from fam.errors import InputError
from fam.model.distributions import parse_dist, uniforms
from fam.model.finance import discount_factors, payback_years
from fam.model.profiles import decay, profile, ramp, rise
from tests.util import FIXTURES, ROOT

HAND = FIXTURES / "hand" / "scenario.yaml"
ESSEX = ROOT / "scenarios" / "essex_sib.yaml"
ALL_OFF = {
    "monte_carlo.bootstrap": False,
    "monte_carlo.poisson": False,
    "monte_carlo.parameter_uncertainty": False,
    "monte_carlo.unit_cost_uncertainty": False,
}


def test_profiles_by_hand():
    t = np.arange(8)
    assert ramp(t, 4).tolist() == [0, 0.25, 0.5, 0.75, 1, 1, 1, 1]
    assert ramp(t, 0).tolist() == [1] * 8
    assert rise(t, 2).tolist() == [0, 0.5, 1, 1, 1, 1, 1, 1]
    # programme of 3 months, half-life 2: 1 during, then 0.5 ** ((t - 3) / 2)
    assert decay(t, 3, 2).tolist() == pytest.approx([1, 1, 1, 1, 0.5**0.5, 0.5, 0.5**1.5, 0.25])
    assert decay(t, 3, None).tolist() == [1] * 8
    assert profile(t, 2, 3, 2)[1] == 0.5


def test_green_book_discount_factors():
    df = discount_factors(0.035, 80)
    assert df[0] == 1.0
    assert df[1] == pytest.approx(1 / 1.035)
    assert df[30] == pytest.approx(1.035**-30)
    assert df[31] == pytest.approx(1.035**-30 / 1.03)
    assert df[76] == pytest.approx(1.035**-30 * 1.03**-45 / 1.025)
    assert discount_factors(0.035, 40, "constant")[35] == pytest.approx(1.035**-35)
    assert np.all(np.diff(df) < 0)


def test_payback_definition():
    assert payback_years(np.array([-10.0, 5, 5, 1])) == 3
    assert np.isnan(payback_years(np.array([-10.0, 1, 1])))
    assert payback_years(np.array([0.0, 1])) == 1


def test_every_iteration_equals_central_with_all_uncertainty_off():
    res = api.run(ESSEX, iterations=60, overrides=ALL_OFF)
    assert np.all(res.npv == res.npv[0])
    assert res.npv[0] == pytest.approx(res.central.npv, rel=1e-12)


def test_zero_effect_gives_exactly_zero_benefits(tmp_path):
    res = api.run(ESSEX, iterations=50, overrides={"effects": {}})
    assert res.central.benefits.tolist() == [0.0, 0.0, 0.0]
    assert np.all(res.draws.benefits == 0.0)


def _copy_hand(tmp_path: Path) -> Path:
    dst = tmp_path / "hand"
    shutil.copytree(FIXTURES / "hand", dst)
    return dst


def test_doubling_unit_costs_doubles_benefits(tmp_path):
    d = _copy_hand(tmp_path)
    base = api.run(d / "scenario.yaml").central.benefits
    table = pd.read_csv(d / "unit_costs.csv")
    table["cost"] *= 2
    table.to_csv(d / "unit_costs.csv", index=False)
    doubled = api.run(d / "scenario.yaml").central.benefits
    assert doubled == pytest.approx(2 * base, rel=1e-12)


def test_zero_rate_one_year_is_undiscounted_sum_by_hand(tmp_path):
    """r = 0 over one year: A&E saving 7.2 x £100 + care 2.6 weeks x £700 = £2,540."""
    res = api.run(HAND, overrides={"horizon_years": 1, "discounting.rate": 0.0})
    c = res.summary()["central"]
    assert c["benefits"] == pytest.approx(2540.0, abs=1e-9)
    assert c["npv"] == pytest.approx(-460.0, abs=1e-9)
    assert c["payback_years"] is None


def test_comparison_arm_counterfactual_by_hand():
    """Comparison clients C1 (1 attendance a month before, 1 a month after) and C2 (6 in the
    year before, none after): expected after = (1 + 0.5) x 12 = 18, observed 12, so the trend
    is 1 - 12/18 = 1/3 (the point estimate). The Monte Carlo resamples the 2 clients: {C1, C1}
    gives 0, {C2, C2} 1 and a mixed pair 1/3, so the draws average 1/4 x 1 + 1/2 x 1/3 = 5/12;
    the central value is the mean of the draws, so that central and simulations agree.
    Programme client P1: 2 a month before, so the counterfactual is 2 x (1 - T) x 12
    attendances; a 50% effect saves half of them at £100 (r = 0, one year)."""
    res = api.run(FIXTURES / "comparison" / "scenario.yaml")
    assert res.inputs.data_notes["comparison"]["trend"] == pytest.approx(1 / 3)
    assert "comparison group (2 clients)" in res.inputs.counterfactual_method
    draws = np.array(res.inputs.trend.dist.values)
    t = res.inputs.trend.central
    assert t == float(np.mean(draws))
    assert abs(t - 5 / 12) < 3 * 0.363 / np.sqrt(len(draws))  # sd of {0, 1/3, 1} draws
    cf = res.cashflows()
    assert cf["counterfactual_use"].sum() == pytest.approx(24.0 * (1 - t))
    assert res.summary()["central"]["benefits"] == pytest.approx(1200.0 * (1 - t))
    # bootstrap replicates of the trend over 2 comparison clients take only 0, 1/3 or 1
    vals = np.unique(np.round(res.draws.params["counterfactual.trend"], 9))
    assert set(vals) <= {0.0, round(1 / 3, 9), 1.0}


def test_short_history_rate_over_observed_exposure(tmp_path):
    """Data said to begin 2019-07-01: the 12-month window before 2020-01-01 is observed for
    184 days = 184 x 12 / 365 months. B's 13 care weeks then give 13 / 6.0493 a month."""
    d = _copy_hand(tmp_path)
    use = pd.read_csv(d / "service_use.csv")
    use = use[pd.to_datetime(use["start"]) >= "2019-07-01"]
    use.to_csv(d / "service_use.csv", index=False)
    mi = api.load_scenario(d / "scenario.yaml", **{"cohort.history_from": "2019-07-01"})
    months = 184 * 12 / 365
    assert mi.baseline[1, 1] == pytest.approx(13 / months)
    assert mi.baseline[0, 0] == pytest.approx(6 / months)  # A: Jul-Dec, one a month
    assert mi.data_notes["clients_with_short_history"] == 3


def test_same_seed_identical_summary_different_seed_different_draws(tmp_path):
    a = api.run(ESSEX, iterations=300, seed=11)
    b = api.run(ESSEX, iterations=300, seed=11)
    c = api.run(ESSEX, iterations=300, seed=12)
    assert json.dumps(a.summary()) == json.dumps(b.summary())
    assert a.iterations_frame().equals(b.iterations_frame())
    assert not np.array_equal(a.npv, c.npv)
    assert not np.array_equal(
        a.draws.params["counterfactual.trend"], c.draws.params["counterfactual.trend"]
    )


def test_chunk_size_does_not_change_results():
    runs = [api.run(ESSEX, iterations=230, chunk_size=cs) for cs in (50, 100, 400)]
    for r in runs[1:]:
        assert np.array_equal(r.npv, runs[0].npv)
        assert np.array_equal(r.draws.benefits, runs[0].draws.benefits)


def test_common_random_numbers_across_scenarios():
    mi_a = api.load_scenario(ESSEX)
    mi_b = api.load_scenario(ESSEX, **{"programme_costs.per_client": 5000})
    _, da = draw_params(mi_a, 5, 200)
    _, db = draw_params(mi_b, 5, 200)
    assert np.array_equal(da["counterfactual.trend"], db["counterfactual.trend"])
    assert np.array_equal(da["effects.arrest_*.change"], db["effects.arrest_*.change"])


def test_gaussian_copula_correlates_effects():
    corr = [{"inputs": ["effects.arrest_*.change", "effects.court_youth.change"], "rho": 0.8}]
    mi = api.load_scenario(ESSEX, correlations=corr)
    _, d = draw_params(mi, 1, 20000)
    r = np.corrcoef(d["effects.arrest_*.change"], d["effects.court_youth.change"])[0, 1]
    assert r == pytest.approx(0.8, abs=0.02)
    mi0 = api.load_scenario(ESSEX)
    _, d0 = draw_params(mi0, 1, 20000)
    r0 = np.corrcoef(d0["effects.arrest_*.change"], d0["effects.court_youth.change"])[0, 1]
    assert abs(r0) < 0.03


def test_monte_carlo_mean_within_three_standard_errors_of_central(tmp_path):
    """One normal effect, everything else fixed: NPV is linear in it, so E[NPV] = central."""
    res = api.run(
        HAND,
        iterations=4000,
        overrides={
            "effects.ae_attendance.change": {"dist": "normal", "mean": -0.5, "sd": 0.2},
        },
    )
    se = res.npv.std(ddof=1) / np.sqrt(len(res.npv))
    assert se > 0
    assert abs(res.npv.mean() - res.central.npv) < 3 * se


@pytest.mark.parametrize(
    "spec",
    [
        {"dist": "normal", "mean": 2, "sd": 0.5},
        {"dist": "lognormal", "mean": 3, "sd": 1},
        {"dist": "beta", "mean": 0.3, "sd": 0.1},
        {"dist": "gamma", "mean": 4, "sd": 2},
        {"dist": "uniform", "low": 1, "high": 5},
        {"dist": "triangular", "low": 1, "mode": 2, "high": 6},
        {"dist": "pert", "low": 1, "mode": 2, "high": 6},
        {"dist": "empirical", "values": [1, 2, 2, 7]},
    ],
)
def test_distribution_central_value_is_its_mean(spec):
    d = parse_dist(spec)
    x = d.ppf(uniforms(3, "x", 200_000))
    assert x.mean() == pytest.approx(d.mean, rel=0.01)


ESSEX_MI = None


def _essex_mi():
    global ESSEX_MI
    if ESSEX_MI is None:
        ESSEX_MI = api.load_scenario(ESSEX)
    return ESSEX_MI


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), n=st.integers(151, 320))
def test_property_npv_identity_and_chunk_invariance(seed, n):
    # chunk sizes are rounded up to whole blocks of 50 iterations, so with more than 150
    # iterations these are four different chunkings: 50s, 100s (70 rounded up), 150s, one
    mi = _essex_mi()
    runs, chunkings = [], set()
    for chunk in (50, 70, 150, n):
        sizes: list[int] = []
        runs.append(api.run(mi, seed=seed, iterations=n, chunk_size=chunk, progress=sizes.append))
        assert sum(sizes) == n
        chunkings.add(tuple(sizes))
    assert len(chunkings) == 4
    whole = runs[-1]
    assert np.array_equal(whole.npv, whole.draws.benefits[:, 0] - whole.draws.costs)
    for r in runs[:-1]:
        assert np.array_equal(r.draws.costs, whole.draws.costs)
        assert np.array_equal(r.draws.benefits, whole.draws.benefits)
        assert np.array_equal(r.npv, whole.npv)


@settings(max_examples=10, deadline=None)
@given(x=st.floats(-0.9, 0.0), extra=st.floats(0.0, 0.1))
def test_property_larger_reduction_never_smaller_benefits(x, extra):
    lo = api.run(HAND, iterations=1, overrides={"effects.ae_attendance.change": x})
    hi = api.run(HAND, iterations=1, overrides={"effects.ae_attendance.change": x - extra})
    assert hi.central.benefits[0] >= lo.central.benefits[0] - 1e-9


def test_comparison_trend_refused_for_entry_outcomes(tmp_path):
    """C2 uses 30 attendances a month after its start (6 a year before): expected after =
    (1 + 0.5) x 12 = 18, observed 12 + 360 = 372, trend = 1 - 372/18 = -19.7, outside -1..1:
    use that was not there before cannot be a share of baseline use, so fam refuses and
    points to the absolute forms."""
    d = tmp_path / "comparison"
    shutil.copytree(FIXTURES / "comparison", d)
    extra = "".join(f"C2,ae_attendance,2020-{m:02d}-15,,30\n" for m in range(1, 13))
    with open(d / "service_use.csv", "a", encoding="utf-8") as f:
        f.write(extra)
    with pytest.raises(InputError, match="rate: comparison"):
        api.load_scenario(d / "scenario.yaml")
