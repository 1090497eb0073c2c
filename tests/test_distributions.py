"""fam.model.distributions: one class per distribution, its moments, inverse CDF and checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fam.model.distributions import (
    DIST_NAMES,
    DISTRIBUTIONS,
    Beta,
    Dist,
    Empirical,
    Fixed,
    Gamma,
    Lognormal,
    Normal,
    Pert,
    SplitUniform,
    Triangular,
    Uniform,
    parse_dist,
    split_uniform,
)

# (distribution, mean, variance), worked by hand
CASES = [
    # fixed 2.5: mean 2.5, no spread
    (Fixed(2.5), 2.5, 0.0),
    # normal(1, 2): mean 1, variance 2^2 = 4
    (Normal(1.0, 2.0), 1.0, 4.0),
    # lognormal(meanlog 0, sdlog 0.5): mean exp(0 + 0.5^2 / 2) = exp(0.125);
    # variance (exp(0.5^2) - 1) * exp(2 * 0 + 0.5^2) = (exp(0.25) - 1) * exp(0.25)
    (Lognormal(0.0, 0.5), math.exp(0.125), (math.exp(0.25) - 1) * math.exp(0.25)),
    # beta(2, 3): mean 2 / 5 = 0.4; variance 2 * 3 / (5^2 * 6) = 6 / 150 = 0.04
    (Beta(2.0, 3.0), 0.4, 0.04),
    # gamma(shape 3, scale 2): mean 3 * 2 = 6; variance 3 * 2^2 = 12
    (Gamma(3.0, 2.0), 6.0, 12.0),
    # uniform(1, 4): mean (1 + 4) / 2 = 2.5; variance (4 - 1)^2 / 12 = 0.75
    (Uniform(1.0, 4.0), 2.5, 0.75),
    # triangular(1, 2, 6): mean (1 + 2 + 6) / 3 = 3;
    # variance (1 + 4 + 36 - 1*2 - 1*6 - 2*6) / 18 = 21 / 18
    (Triangular(1.0, 2.0, 6.0), 3.0, 21 / 18),
    # pert(0, 1, 2): beta(1 + 4 * 1/2, 1 + 4 * 1/2) = beta(3, 3) on width 2; mean
    # (0 + 4 * 1 + 2) / 6 = 1; variance 3 * 3 / (6^2 * 7) * 2^2 = 36 / 252 = 1/7
    (Pert(0.0, 1.0, 2.0), 1.0, 1 / 7),
    # empirical [1, 2, 2, 7]: mean 12 / 4 = 3; variance (4 + 1 + 1 + 16) / 4 = 5.5
    (Empirical((1.0, 2.0, 2.0, 7.0)), 3.0, 5.5),
    # split uniform(1, centre 2, 5): w = (5 - 2) / (5 - 1) = 0.75;
    # E[x^2] = 0.75 * (1 + 2 + 4) / 3 + 0.25 * (4 + 10 + 25) / 3 = 1.75 + 3.25 = 5;
    # variance 5 - 2^2 = 1
    (SplitUniform(1.0, 2.0, 5.0), 2.0, 1.0),
]


@pytest.mark.parametrize(("d", "mean", "var"), CASES, ids=lambda x: getattr(x, "name", ""))
def test_mean_and_variance(d: Dist, mean: float, var: float):
    assert d.mean == pytest.approx(mean, rel=1e-12)
    assert d.var == pytest.approx(var, rel=1e-9, abs=1e-15)
    assert d.sd == pytest.approx(math.sqrt(var), rel=1e-9)


@pytest.mark.parametrize(
    "d",
    [Normal(1.0, 2.0), Uniform(1.0, 4.0), Triangular(0.0, 1.0, 2.0), Pert(0.0, 1.0, 2.0)],
    ids=lambda d: d.name,
)
def test_ppf_at_half_is_the_centre_of_a_symmetric_distribution(d: Dist):
    assert d.ppf(np.array([0.5]))[0] == pytest.approx(d.mean, rel=1e-12)


def test_ppf_of_fixed_empirical_and_split_uniform():
    u = np.array([0.1, 0.5, 0.9])
    assert Fixed(2.5).ppf(u).tolist() == [2.5, 2.5, 2.5]
    # sorted [1, 2, 2, 7]: positions floor(4u) = 0, 2, 3
    assert Empirical((7.0, 2.0, 1.0, 2.0)).ppf(u).tolist() == [1.0, 2.0, 7.0]
    # w = 0.75: u < w maps onto [1, 2] (1 + u / 0.75), u >= w onto [2, 5]
    assert SplitUniform(1.0, 2.0, 5.0).ppf(u).tolist() == pytest.approx(
        [1 + 0.1 / 0.75, 1 + 0.5 / 0.75, 2 + 0.15 / 0.25 * 3]
    )


def test_ppf_is_scipy_inverse_cdf():
    u = np.linspace(0.01, 0.99, 7)
    assert np.array_equal(Beta(2.0, 3.0).ppf(u), np.asarray(Beta(2.0, 3.0)._frozen().ppf(u)))


def test_registry_names_each_scenario_distribution():
    assert DIST_NAMES == (
        "fixed",
        "normal",
        "lognormal",
        "beta",
        "gamma",
        "uniform",
        "triangular",
        "pert",
        "empirical",
    )
    for name, cls in DISTRIBUTIONS.items():
        assert cls.name == name
        assert issubclass(cls, Dist)
    assert "split_uniform" not in DISTRIBUTIONS


@pytest.mark.parametrize(
    ("spec", "cls", "params"),
    [
        (3, Fixed, (("value", 3.0),)),
        ({"dist": "normal", "mean": -0.25, "sd": 0.15}, Normal, (("mean", -0.25), ("sd", 0.15))),
        ({"dist": "beta", "a": 2, "b": 5}, Beta, (("a", 2.0), ("b", 5.0))),
        ({"dist": "gamma", "shape": 3, "scale": 0.5}, Gamma, (("shape", 3.0), ("scale", 0.5))),
        ({"dist": "uniform", "low": 1, "high": 4}, Uniform, (("low", 1.0), ("high", 4.0))),
        (
            {"dist": "pert", "low": 1, "mode": 2, "high": 6},
            Pert,
            (("low", 1.0), ("mode", 2.0), ("high", 6.0)),
        ),
        ({"dist": "empirical", "values": [1, 2]}, Empirical, (("values", (1.0, 2.0)),)),
    ],
)
def test_parse_gives_the_class_and_round_trips(spec, cls, params):
    d = parse_dist(spec)
    assert type(d) is cls
    assert d.params == params
    assert parse_dist(d.to_spec()) == d


def test_mean_sd_forms_convert_to_canonical_parameters():
    # beta mean 0.3, sd 0.1: k = 0.3 * 0.7 / 0.01 - 1 = 20, a = 0.3 * 20 = 6, b = 0.7 * 20 = 14
    b = parse_dist({"dist": "beta", "mean": 0.3, "sd": 0.1})
    assert isinstance(b, Beta)
    assert (b.a, b.b) == pytest.approx((6.0, 14.0))
    # gamma mean 2, sd 1: shape (2 / 1)^2 = 4, scale 1 / 2 = 0.5
    g = parse_dist({"dist": "gamma", "mean": 2, "sd": 1})
    assert isinstance(g, Gamma)
    assert (g.shape, g.scale) == (4.0, 0.5)
    # lognormal mean 3, sd 1: sdlog^2 = log(1 + 1/9), meanlog = log 3 - sdlog^2 / 2
    ln = parse_dist({"dist": "lognormal", "mean": 3, "sd": 1})
    assert isinstance(ln, Lognormal)
    assert ln.sdlog**2 == pytest.approx(math.log(1 + 1 / 9))
    assert ln.mean == pytest.approx(3.0)
    assert ln.sd == pytest.approx(1.0)


def test_price_year_is_kept():
    d = parse_dist({"dist": "normal", "mean": 5, "sd": 2, "price_year": "2020-21"})
    assert d.price_year == "2020-21"
    assert d.to_spec() == {"dist": "normal", "mean": 5.0, "sd": 2.0, "price_year": "2020-21"}


def test_text_forms():
    assert Normal(-0.25, 0.15).describe() == "normal(mean -0.25, sd 0.15)"
    assert Fixed(2.5).describe() == "2.5 (fixed)"
    assert Empirical((1.0, 2.0, 2.0, 7.0)).describe() == "empirical(4 values)"
    assert Triangular(1.0, 2.0, 6.0).describe() == "triangular(low 1, mode 2, high 6)"
    assert split_uniform(1.0, 2.0, 5.0).describe() == "split_uniform(low 1, mean 2, high 5)"


def test_support_and_bounds():
    assert Fixed(2.0).support() == (2.0, 2.0)
    assert Normal(1.0, 2.0).support() == (-math.inf, math.inf)
    assert Normal(1.0, 2.0).bounds() == (1.0, 1.0)  # a normal is checked at its mean
    assert Lognormal(0.0, 1.0).support() == (0.0, math.inf)
    assert Beta(2.0, 3.0).support() == (0.0, 1.0)
    assert Gamma(2.0, 3.0).support() == (0.0, math.inf)
    assert Uniform(1.0, 4.0).bounds() == (1.0, 4.0)
    assert Pert(1.0, 2.0, 6.0).support() == (1.0, 6.0)
    assert Empirical((3.0, -1.0, 2.0)).support() == (-1.0, 3.0)
    assert SplitUniform(1.0, 2.0, 5.0).support() == (1.0, 5.0)


def test_is_fixed():
    assert Fixed(1.0).is_fixed
    assert not Normal(1.0, 0.1).is_fixed
    assert Empirical((3.0, 3.0)).is_fixed
    assert not Empirical((3.0, 4.0)).is_fixed
    assert SplitUniform(2.0, 2.0, 2.0).is_fixed
    assert Gamma(2.0, 3.0).is_fixed is False


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"dist": "normal", "mean": 1, "sd": -1}, "sd must be >= 0, got -1.0"),
        ({"dist": "lognormal", "mean": -1, "sd": 1}, "lognormal mean must be > 0, got -1.0"),
        ({"dist": "lognormal", "meanlog": 1, "sdlog": -1}, "sdlog must be >= 0, got -1.0"),
        ({"dist": "beta", "a": 0, "b": 1}, "beta a and b must be > 0, got a=0.0, b=1.0"),
        ({"dist": "beta", "mean": 1.2, "sd": 0.1}, "beta mean must be between 0 and 1, got 1.2"),
        ({"dist": "beta", "mean": 0.5, "sd": 0}, "beta sd must be > 0"),
        ({"dist": "beta", "mean": 0.5, "sd": 0.6}, "beta sd 0.6 is too large for mean 0.5"),
        ({"dist": "gamma", "shape": 0, "scale": 1}, "gamma shape and scale must be > 0"),
        (
            {"dist": "gamma", "mean": 1, "sd": 0},
            "gamma mean and sd must be > 0, got mean=1.0, sd=0.0",
        ),
        ({"dist": "uniform", "low": 3, "high": 1}, "low 3.0 is above high 1.0"),
        (
            {"dist": "triangular", "low": 1, "mode": 5, "high": 3},
            "triangular needs low <= mode <= high, got 1.0, 5.0, 3.0",
        ),
        (
            {"dist": "pert", "low": 1, "mode": 0, "high": 3},
            "pert needs low <= mode <= high, got 1.0, 0.0, 3.0",
        ),
        ({"dist": "pert", "low": 1, "mode": 1, "high": 1}, "pert needs low < high"),
        ({"dist": "empirical", "values": []}, "empirical 'values' must be a non-empty list"),
        ({"dist": "normal", "mean": "a", "sd": 1}, "'mean' must be a number, got 'a'"),
        ({"dist": "normal", "mean": 1}, r"normal takes \{mean, sd\}; got \{mean\}"),
        ({"dist": "beta", "mean": 1}, r"beta takes \{mean, sd\} or \{a, b\}; got \{mean\}"),
        ({"dist": "x"}, "unknown distribution 'x'; expected one of fixed, normal, lognormal"),
    ],
)
def test_parameter_checks(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_dist(spec)


def test_recentred_keeps_the_spread():
    assert Normal(1.0, 2.0).recentred(3.0) == {"dist": "normal", "mean": 3.0, "sd": 2.0}
    assert Uniform(1.0, 4.0).recentred(3.5) == {"dist": "uniform", "low": 2.0, "high": 5.0}
    assert Fixed(1.0).recentred(2.0) == {"dist": "fixed", "value": 2.0}
    # gamma keeps its shape (so its coefficient of variation): scale 8 / 4 = 2
    assert Gamma(4.0, 0.5).recentred(8.0) == {"dist": "gamma", "shape": 4.0, "scale": 2.0}
    with pytest.raises(ValueError, match="beta distribution needs a central value between 0"):
        Beta(2.0, 3.0).recentred(1.5)
    with pytest.raises(ValueError, match="cannot re-centre a split_uniform distribution"):
        SplitUniform(1.0, 2.0, 5.0).recentred(3.0)


def test_distributions_are_frozen_and_hashable():
    d = Normal(1.0, 2.0)
    with pytest.raises(AttributeError):
        d.mu = 2.0  # type: ignore[misc]
    assert {d, Normal(1.0, 2.0)} == {d}
    assert Normal(1.0, 2.0) != Normal(1.0, 2.0, price_year="2020-21")
