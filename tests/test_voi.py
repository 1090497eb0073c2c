"""Tests for fam.analyses.voi on constructed cases with known answers."""

from __future__ import annotations

from collections.abc import Mapping

import hypothesis.extra.numpy as hnp
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from fam.analyses import voi


def normal_evpi(mu: float, s: float) -> float:
    """Closed form: E[max(X, 0)] - max(mu, 0) for X ~ N(mu, s^2)."""
    return mu * norm.cdf(mu / s) + s * norm.pdf(mu / s) - max(mu, 0.0)


# ---------------------------------------------------------------------------
# EVPI


@pytest.mark.parametrize(("mu", "s"), [(0.0, 1.0), (1500.0, 4000.0), (-2.0, 3.0)])
def test_evpi_matches_normal_closed_form(mu: float, s: float) -> None:
    rng = np.random.default_rng(42)
    npv = rng.normal(mu, s, 200_000)
    exact = normal_evpi(mu, s)
    # Monte Carlo standard error of E[max(X,0)] is < s / sqrt(n) = 0.0022 s; allow ~2.5 se.
    assert voi.evpi(npv) == pytest.approx(exact, abs=0.006 * s)


def test_evpi_zero_without_decision_uncertainty() -> None:
    assert voi.evpi(np.array([1.0, 2.0, 3.0])) == 0.0
    assert voi.evpi(np.array([-1.0, -2.0])) == 0.0
    assert voi.evpi(np.array([-1.0, 3.0])) == pytest.approx(0.5)  # mean(0, 3) - max(1, 0)


def test_evpi_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        voi.evpi(np.array([]))
    with pytest.raises(ValueError):
        voi.evpi(np.array([1.0, np.nan]))
    with pytest.raises(ValueError):
        voi.evpi(np.ones((2, 2)))


# ---------------------------------------------------------------------------
# partial EVPI

N = 20_000


@pytest.fixture(scope="module")
def psa() -> dict[str, np.ndarray]:
    """npv = a (a ~ N(0, 1)): the hardest case for 'no effect', as mean npv sits at 0."""
    rng = np.random.default_rng(2024)
    return {
        "a": rng.normal(0.0, 1.0, N),
        "z": rng.normal(5.0, 2.0, N),
        "u": rng.uniform(0.0, 1.0, N),
    }


def test_driving_input_recovers_evpi(psa: dict[str, np.ndarray]) -> None:
    npv = 1000.0 * psa["a"] + 300.0  # linear in one input, nothing else uncertain
    total = voi.evpi(npv)
    assert total == pytest.approx(normal_evpi(300.0, 1000.0), rel=0.02)
    assert voi.partial_evpi(npv, psa["a"]) == pytest.approx(total, rel=0.02)
    assert voi.partial_evpi(npv, psa["a"], method="poly") == pytest.approx(total, rel=0.02)


def test_driving_input_with_noise_recovers_its_evppi(psa: dict[str, np.ndarray]) -> None:
    # npv = a + noise: E[npv | a] = a, so EVPPI(a) = EVPI of N(0, 1) = phi(0) = 0.3989,
    # less than the EVPI of the noisy npv (noise is not a parameter research can resolve).
    rng = np.random.default_rng(7)
    npv = psa["a"] + rng.normal(0.0, 0.5, N)
    assert voi.evpi(npv) > 0.43
    assert voi.partial_evpi(npv, psa["a"]) == pytest.approx(normal_evpi(0.0, 1.0), rel=0.03)


def test_input_without_effect_has_evppi_near_zero(psa: dict[str, np.ndarray]) -> None:
    # With no effect the fitted curve is pure noise of size about sd(npv) * sqrt(edf / n),
    # i.e. 0.016 for edf <= 5 and n = 20 000, so EVPPI ~ phi(0) * 0.016 = 0.006 at most:
    # 1.6 % of EVPI (0.399). We therefore require < 2 % of EVPI. (Mean npv at 0 is the worst
    # case; with the mean away from 0 the noise never changes the decision and EVPPI is 0.)
    npv = psa["a"]
    total = voi.evpi(npv)
    for name in ("z", "u"):
        assert voi.partial_evpi(npv, psa[name]) < 0.02 * total
    assert voi.partial_evpi(npv, {"z": psa["z"], "u": psa["u"]}) < 0.02 * total
    assert voi.partial_evpi(npv + 0.5, psa["z"]) == pytest.approx(0.0, abs=1e-3)


def test_group_containing_driver_recovers_evpi(psa: dict[str, np.ndarray]) -> None:
    npv = 2.0 * psa["a"] - 0.3
    total = voi.evpi(npv)
    table = voi.partial_evpi_table(npv, psa, groups={"with_a": ["a", "z"], "without": ["z", "u"]})
    assert list(table.columns) == ["name", "kind", "evppi", "share_of_evpi"]
    assert list(table["name"]) == ["a", "z", "u", "with_a", "without"]
    assert list(table["kind"]) == ["input"] * 3 + ["group"] * 2
    assert table.attrs["evpi"] == pytest.approx(total)
    evppi = dict(zip(table["name"], table["evppi"], strict=True))
    share = dict(zip(table["name"], table["share_of_evpi"], strict=True))
    assert evppi["with_a"] == pytest.approx(total, rel=0.02)
    assert share["a"] == pytest.approx(1.0, rel=0.02)
    assert share["without"] < 0.02


def test_nonlinear_and_interaction_cases() -> None:
    rng = np.random.default_rng(3)
    n = 10_000
    u = rng.uniform(0.0, 1.0, n)
    g = np.sin(3.0 * u) - 0.5  # E[npv | u], non-linear
    npv = g + rng.normal(0.0, 0.3, n)
    assert voi.partial_evpi(npv, u) == pytest.approx(voi.evpi(g), rel=0.05)
    # npv = a * c + 0.3: neither input alone has value (E[npv | a] = 0.3 > 0), jointly all of it
    a, c = rng.normal(size=n), rng.normal(size=n)
    npv2 = a * c + 0.3
    assert voi.partial_evpi(npv2, a) < 0.01 * voi.evpi(npv2)
    assert voi.partial_evpi(npv2, {"a": a, "c": c}) == pytest.approx(voi.evpi(npv2), rel=0.02)


def test_discrete_input_uses_group_means() -> None:
    rng = np.random.default_rng(5)
    flag = rng.integers(0, 2, 4000).astype(float)
    npv = np.where(flag == 1, 1.0, -1.0) + rng.normal(0.0, 0.1, flag.size)
    # knowing the flag: fund only when it is 1; EVPPI = mean over groups of max(mean, 0) - ...
    means = [npv[flag == k].mean() for k in (0, 1)]
    share = [np.mean(flag == k) for k in (0, 1)]
    expected = sum(p * max(m, 0.0) for p, m in zip(share, means, strict=True)) - max(
        npv.mean(), 0.0
    )
    assert voi.partial_evpi(npv, flag) == pytest.approx(expected, rel=1e-9)


def test_partial_evpi_edge_cases() -> None:
    rng = np.random.default_rng(0)
    npv = rng.normal(size=500)
    assert voi.partial_evpi(npv, np.full(500, 3.0)) == 0.0  # constant input
    assert voi.partial_evpi(np.full(500, 2.0), rng.normal(size=500)) == 0.0  # no uncertainty
    assert voi.partial_evpi(npv[:4], npv[:4]) <= voi.evpi(npv[:4])  # tiny sample: fallback
    with pytest.raises(ValueError):
        voi.partial_evpi(npv, npv[:10])
    with pytest.raises(ValueError):
        voi.partial_evpi(npv, npv, method="gp")
    with pytest.raises(KeyError):
        voi.partial_evpi_table(npv, {"a": npv}, groups={"g": ["a", "nope"]})


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 600),
    p=st.integers(1, 3),
    coef=st.lists(st.floats(-5, 5, allow_nan=False), min_size=3, max_size=3),
    noise=st.floats(0.0, 3.0),
    shift=st.floats(-3.0, 3.0),
    discrete=st.booleans(),
)
def test_property_partial_evpi_between_zero_and_evpi(
    seed: int, n: int, p: int, coef: list[float], noise: float, shift: float, discrete: bool
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, (n, p)).astype(float) if discrete else rng.normal(size=(n, p))
    npv = shift + coef[0] * x[:, 0] + coef[1] * x[:, 0] ** 2 + noise * rng.normal(size=n)
    if p > 1:
        npv = npv + coef[2] * x[:, 0] * x[:, 1]
    total = voi.evpi(npv)
    value = voi.partial_evpi(npv, x)
    assert 0.0 <= value <= total + 1e-12
    assert 0.0 <= voi.partial_evpi(npv, x[:, -1], method="poly") <= total + 1e-12


@settings(max_examples=40, deadline=None)
@given(
    data=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 80), st.just(2)),
        elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    )
)
def test_property_arbitrary_arrays(data: np.ndarray) -> None:
    npv, theta = data[:, 0], data[:, 1]
    value = voi.partial_evpi(npv, theta)
    assert 0.0 <= value <= voi.evpi(npv) * (1 + 1e-12) + 1e-12


# ---------------------------------------------------------------------------
# one-way, switching values, acceptability


def test_tornado_order_known_case() -> None:
    def f(x: Mapping[str, float]) -> float:
        return 3.0 * x["a"] + x["b"] - 0.5 * x["c"]

    central = {"a": 1.0, "b": 1.0, "c": 1.0}
    low = {"c": 0.0, "b": 0.0, "a": 0.0}
    high = {"c": 2.0, "b": 2.0, "a": 2.0}
    table = voi.one_way(f, central, low, high)
    expected_cols = ["input", "low_value", "high_value", "npv_low", "npv_high", "swing"]
    assert list(table.columns) == expected_cols
    assert list(table["input"]) == ["a", "b", "c"]
    assert list(table["swing"]) == pytest.approx([6.0, 2.0, 1.0])
    row_c = table.iloc[2]
    assert (row_c["npv_low"], row_c["npv_high"]) == pytest.approx((4.0, 3.0))  # c lowers npv
    assert table.attrs["npv_central"] == pytest.approx(3.5)
    with pytest.raises(ValueError):
        voi.one_way(f, central, {"a": 0.0}, {"b": 2.0})


def test_switching_value_linear_closed_form() -> None:
    # npv(cost) = 12 000 - 1.1 * cost: break-even at cost = 12 000 / 1.1
    x = voi.switching_value(lambda c: 12_000.0 - 1.1 * c, 0.0, 20_000.0, tol=1e-9)
    assert x == pytest.approx(12_000.0 / 1.1, abs=1e-6)
    # increasing function, root at 0.25, and a root on a grid point
    assert voi.switching_value(lambda t: 4.0 * t - 1.0, 0.0, 1.0) == pytest.approx(0.25)
    assert voi.switching_value(lambda t: t, 0.0, 1.0) == 0.0


def test_switching_value_none_when_out_of_range() -> None:
    assert voi.switching_value(lambda c: 12_000.0 - c, 0.0, 10_000.0) is None
    assert voi.switching_value(lambda c: -1.0 - c, 0.0, 10.0) is None
    with pytest.raises(ValueError):
        voi.switching_value(lambda c: c, 1.0, 0.0)


def test_acceptability_curve_monotone_decreasing() -> None:
    rng = np.random.default_rng(11)
    savings = rng.normal(10_000.0, 3_000.0, 5_000)  # per client, same draws at every cost
    costs = np.linspace(0.0, 25_000.0, 51)
    curve = voi.acceptability_curve(lambda c: savings - c, costs)
    assert list(curve.columns) == ["cost", "prob_npv_positive"]
    probs = curve["prob_npv_positive"].to_numpy()
    assert np.all(np.diff(probs) <= 0.0)
    assert probs[0] == pytest.approx(1.0, abs=1e-3)
    assert probs[-1] == 0.0
    # at cost 10 000 the probability is P(savings > 10 000) = 0.5
    assert probs[20] == pytest.approx(0.5, abs=0.02)


# ---------------------------------------------------------------------------
# export


def test_long_format_layout() -> None:
    draws = pd.DataFrame({"iteration": [2, 1, 3], "effect_care": [-0.2, -0.3, -0.1]})
    outcomes = pd.DataFrame(
        {"iteration": [1, 2, 3], "costs": [10.0, 10.0, 12.0], "benefits": [15.0, 8.0, 20.0]}
    )
    long = voi.long_format(draws, outcomes)
    assert list(long.columns) == ["iteration", "strategy", "cost", "effect", "net_benefit"]
    assert list(long["iteration"]) == [1, 1, 2, 2, 3, 3]
    assert list(long["strategy"]) == ["dont_fund", "fund"] * 3
    fund = long[long["strategy"] == "fund"]
    assert list(fund["net_benefit"]) == [5.0, -2.0, 8.0]
    dont = long[long["strategy"] == "dont_fund"]
    assert (dont[["cost", "effect", "net_benefit"]].to_numpy() == 0.0).all()

    wide = voi.psa_wide(long)
    assert set(wide) == {"cost", "effect", "net_benefit"}
    assert list(wide["net_benefit"].columns) == ["dont_fund", "fund"]
    assert list(wide["net_benefit"]["fund"]) == [5.0, -2.0, 8.0]
    params = voi.psa_parameters(draws)
    assert list(params.columns) == ["iteration", "effect_care"]
    assert list(params["iteration"]) == [1, 2, 3]
    assert list(params["effect_care"]) == [-0.3, -0.2, -0.1]  # aligned to iteration
    # EVPI from the export equals EVPI from npv (net-benefit form, k = 1)
    nb = wide["net_benefit"].to_numpy()
    assert np.mean(nb.max(axis=1)) - nb.mean(axis=0).max() == pytest.approx(
        voi.evpi(fund["net_benefit"].to_numpy())
    )


def test_long_format_checks() -> None:
    draws = pd.DataFrame({"p": [1.0, 2.0]})
    with pytest.raises(KeyError):
        voi.long_format(draws, pd.DataFrame({"costs": [1.0, 2.0]}))
    with pytest.raises(ValueError):
        voi.long_format(draws, pd.DataFrame({"costs": [1.0], "benefits": [1.0]}))
    bad = pd.DataFrame({"costs": [1.0, 2.0], "benefits": [3.0, 3.0], "npv": [2.0, 0.0]})
    with pytest.raises(ValueError):
        voi.long_format(draws, bad)
    ok = voi.long_format(draws, bad.assign(npv=[2.0, 1.0]))
    assert list(ok["iteration"]) == [0, 0, 1, 1]
