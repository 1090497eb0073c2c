"""Input distributions: parsing, central values, inverse CDFs and seeded draws.

Every uncertain input is `{dist: NAME, ...}` or a plain number. Draws are made by the
inverse-CDF method from uniforms, so that one stream of uniforms per named input gives
common random numbers across scenarios and a Gaussian copula can correlate inputs.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

import numpy as np
from scipy import stats

from fam.errors import echo

_EXTRA_KEYS = {"price_year"}


def _num(x: Any) -> str:
    return f"{x:.6g}" if isinstance(x, float) else str(x)


def _finite(x: Any, key: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise ValueError(f"'{key}' must be a number, got {echo(x)}")
    v = float(x)
    if not math.isfinite(v):
        raise ValueError(f"'{key}' must be a finite number, got {echo(x)}")
    return v


def _check_sd(v: Mapping[str, float]) -> None:
    if "sd" in v and v["sd"] < 0:
        raise ValueError(f"sd must be >= 0, got {v['sd']}")


@dataclass(frozen=True)
class Dist:
    """A parsed distribution in canonical parameters; one subclass per distribution.

    Each subclass holds its canonical parameters as fields, in the order of `keys` (their
    names in a scenario), and provides the central value (`mean`), `var`, the inverse CDF
    (`ppf`), its range (`support`), its text form (`describe`) and its scenario form
    (`to_spec`). `from_params` checks parameters given in one of `forms` and converts them
    to the canonical ones.
    """

    name: ClassVar[str]  # as written after `dist:` in a scenario
    keys: ClassVar[tuple[str, ...]]  # canonical parameter names, in field order
    forms: ClassVar[tuple[tuple[str, ...], ...]] = ()  # parameter sets a scenario may give
    # stored in other parameters but can also be written as {mean, sd} (workbook text)
    mean_sd_form: ClassVar[bool] = False

    price_year: str | None = field(default=None, kw_only=True)

    @property
    def params(self) -> tuple[tuple[str, Any], ...]:
        """(name, value) of each canonical parameter, in order."""
        values = [getattr(self, f.name) for f in fields(self) if f.name != "price_year"]
        return tuple(zip(self.keys, values, strict=True))

    def p(self, key: str) -> Any:
        return dict(self.params)[key]

    @classmethod
    def from_params(cls, v: dict[str, float], price_year: str | None = None) -> Dist:
        """The distribution from parameters in one of `forms`; ValueError if out of range."""
        raise NotImplementedError(cls.__name__)  # pragma: no cover

    @classmethod
    def parse(cls, spec: Mapping[str, Any], form: tuple[str, ...], price_year: str | None) -> Dist:
        """The distribution from a scenario mapping whose parameter keys are `form`."""
        return cls.from_params({k: _finite(spec[k], k) for k in form}, price_year)

    @property
    def is_fixed(self) -> bool:
        return self.sd == 0.0

    @property
    def mean(self) -> float:
        """Central value: the mean of the distribution."""
        raise NotImplementedError(self.name)  # pragma: no cover

    @property
    def sd(self) -> float:
        return float(np.sqrt(self.var))

    @property
    def var(self) -> float:
        return float(self._frozen().var())

    def _frozen(self) -> Any:
        """The scipy.stats frozen distribution (for those that have one)."""
        raise NotImplementedError(self.name)  # pragma: no cover

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF at uniforms u in (0, 1)."""
        if self.is_fixed:
            return np.full(np.shape(u), self.mean)
        return self._ppf(u)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        return np.asarray(self._frozen().ppf(u), dtype=float)

    def quantile(self, q: float) -> float:
        return float(self.ppf(np.array([q]))[0])

    def support(self) -> tuple[float, float]:
        """Smallest and largest values the distribution can take."""
        return self.quantile(0.0), self.quantile(1.0)

    def bounds(self) -> tuple[float, float]:
        """The range checked against an input's limits (a scenario's share, >= 0 and so on).

        The support, except for a normal, whose tails are unbounded by nature: its mean.
        """
        return self.support()

    def to_spec(self) -> dict[str, Any]:
        """The scenario form of this distribution (canonical parameters)."""
        out: dict[str, Any] = {"dist": self.name}
        for k, v in self.params:
            out[k] = list(v) if isinstance(v, tuple) else v
        if self.price_year is not None:
            out["price_year"] = self.price_year
        return out

    def describe(self) -> str:
        """Short human description, e.g. 'normal(mean -0.25, sd 0.15)'."""
        inner = ", ".join(f"{k} {_num(v)}" for k, v in self.params)
        return f"{self.name}({inner})"

    def recentred(self, centre: float) -> dict[str, Any]:
        """The spec (without price_year) of a distribution like this with mean `centre`.

        Keeps the spread where it can; ValueError if no such distribution exists.
        """
        delta = centre - self.mean
        spec = {k: v for k, v in self.to_spec().items() if k != "price_year"}
        return self._recentred(centre, delta, spec)

    def _recentred(self, centre: float, delta: float, spec: dict[str, Any]) -> dict[str, Any]:
        raise ValueError(f"cannot re-centre a {self.name} distribution")


@dataclass(frozen=True)
class Fixed(Dist):
    """A fixed value."""

    name: ClassVar[str] = "fixed"
    keys: ClassVar[tuple[str, ...]] = ("value",)
    forms: ClassVar[tuple[tuple[str, ...], ...]] = (("value",),)
    value: float

    @classmethod
    def from_params(cls, v: dict[str, float], price_year: str | None = None) -> Dist:
        return cls(v["value"], price_year=price_year)

    @property
    def is_fixed(self) -> bool:
        return True

    @property
    def mean(self) -> float:
        return float(self.value)

    @property
    def var(self) -> float:
        return 0.0

    def support(self) -> tuple[float, float]:
        return self.mean, self.mean

    def describe(self) -> str:
        return f"{_num(self.mean)} (fixed)"

    def _recentred(self, centre: float, delta: float, spec: dict[str, Any]) -> dict[str, Any]:
        return {"dist": "fixed", "value": centre}


@dataclass(frozen=True)
class Normal(Dist):
    """Normal with mean `mu` and standard deviation `sigma` (scenario keys mean, sd)."""

    name: ClassVar[str] = "normal"
    keys: ClassVar[tuple[str, ...]] = ("mean", "sd")
    forms: ClassVar[tuple[tuple[str, ...], ...]] = (("mean", "sd"),)
    mu: float
    sigma: float

    @classmethod
    def from_params(cls, v: dict[str, float], price_year: str | None = None) -> Dist:
        _check_sd(v)
        return cls(v["mean"], v["sd"], price_year=price_year)

    @property
    def mean(self) -> float:
        return float(self.mu)

    def _frozen(self) -> Any:
        return stats.norm(self.mu, self.sigma)

    def support(self) -> tuple[float, float]:
        return -float("inf"), float("inf")

    def bounds(self) -> tuple[float, float]:
        return self.mean, self.mean

    def _recentred(self, centre: float, delta: float, spec: dict[str, Any]) -> dict[str, Any]:
        spec["mean"] = centre
        return spec


@dataclass(frozen=True)
class Lognormal(Dist):
    """Lognormal: log of the value is normal(meanlog, sdlog); also given as {mean, sd}."""

    name: ClassVar[str] = "lognormal"
    keys: ClassVar[tuple[str, ...]] = ("meanlog", "sdlog")
    forms: ClassVar[tuple[tuple[str, ...], ...]] = (("mean", "sd"), ("meanlog", "sdlog"))
    mean_sd_form: ClassVar[bool] = True
    meanlog: float
    sdlog: float

    @classmethod
    def from_params(cls, v: dict[str, float], price_year: str | None = None) -> Dist:
        _check_sd(v)
        if "meanlog" in v:
            if v["sdlog"] < 0:
                raise ValueError(f"sdlog must be >= 0, got {v['sdlog']}")
            return cls(v["meanlog"], v["sdlog"], price_year=price_year)
        m, s = v["mean"], v["sd"]
        if m <= 0:
            raise ValueError(f"lognormal mean must be > 0, got {m}")
        s2 = math.log1p((s / m) ** 2)
        return cls(math.log(m) - s2 / 2, math.sqrt(s2), price_year=price_year)

    @property
    def mean(self) -> float:
        return math.exp(self.meanlog + self.sdlog**2 / 2)

    def _frozen(self) -> Any:
        return stats.lognorm(s=self.sdlog, scale=math.exp(self.meanlog))

    def support(self) -> tuple[float, float]:
        return 0.0, float("inf")

    def _recentred(self, centre: float, delta: float, spec: dict[str, Any]) -> dict[str, Any]:
        if centre <= 0:
            raise ValueError(f"a lognormal distribution needs a central value > 0, got {centre:g}")
        s = spec["sdlog"]
        return {"dist": "lognormal", "meanlog": math.log(centre) - s * s / 2, "sdlog": s}


@dataclass(frozen=True)
class Beta(Dist):
    """Beta(a, b) on [0, 1], for shares; also given as {mean, sd}."""

    name: ClassVar[str] = "beta"
    keys: ClassVar[tuple[str, ...]] = ("a", "b")
    forms: ClassVar[tuple[tuple[str, ...], ...]] = (("mean", "sd"), ("a", "b"))
    mean_sd_form: ClassVar[bool] = True
    a: float
    b: float

    @classmethod
    def from_params(cls, v: dict[str, float], price_year: str | None = None) -> Dist:
        _check_sd(v)
        if "a" in v:
            if v["a"] <= 0 or v["b"] <= 0:
                raise ValueError(f"beta a and b must be > 0, got a={v['a']}, b={v['b']}")
            return cls(v["a"], v["b"], price_year=price_year)
        m, s = v["mean"], v["sd"]
        if not 0 < m < 1:
            raise ValueError(f"beta mean must be between 0 and 1, got {m}")
        if s == 0:
            raise ValueError("beta sd must be > 0 (use a plain number for a fixed share)")
        k = m * (1 - m) / (s * s) - 1
        if k <= 0:
            raise ValueError(f"beta sd {s} is too large for mean {m}: sd must be < sqrt(m(1-m))")
        return cls(m * k, (1 - m) * k, price_year=price_year)

    @property
    def mean(self) -> float:
        return float(self.a / (self.a + self.b))

    def _frozen(self) -> Any:
        return stats.beta(self.a, self.b)

    def support(self) -> tuple[float, float]:
        return 0.0, 1.0

    def _recentred(self, centre: float, delta: float, spec: dict[str, Any]) -> dict[str, Any]:
        if not 0 < centre < 1:
            raise ValueError(
                f"a beta distribution needs a central value between 0 and 1, got {centre:g}"
            )
        try:  # keep the standard deviation if a beta with it exists, else the concentration
            return parse_dist({"dist": "beta", "mean": centre, "sd": self.sd}).to_spec()
        except ValueError:
            k = spec["a"] + spec["b"]
            return {"dist": "beta", "a": centre * k, "b": (1 - centre) * k}


@dataclass(frozen=True)
class Gamma(Dist):
    """Gamma(shape, scale), for positive quantities; also given as {mean, sd}."""

    name: ClassVar[str] = "gamma"
    keys: ClassVar[tuple[str, ...]] = ("shape", "scale")
    forms: ClassVar[tuple[tuple[str, ...], ...]] = (("mean", "sd"), ("shape", "scale"))
    mean_sd_form: ClassVar[bool] = True
    shape: float
    scale: float

    @classmethod
    def from_params(cls, v: dict[str, float], price_year: str | None = None) -> Dist:
        _check_sd(v)
        if "shape" in v:
            if v["shape"] <= 0 or v["scale"] <= 0:
                raise ValueError("gamma shape and scale must be > 0")
            return cls(v["shape"], v["scale"], price_year=price_year)
        m, s = v["mean"], v["sd"]
        if m <= 0 or s <= 0:
            raise ValueError(f"gamma mean and sd must be > 0, got mean={m}, sd={s}")
        return cls((m / s) ** 2, s * s / m, price_year=price_year)

    @property
    def mean(self) -> float:
        return float(self.shape * self.scale)

    def _frozen(self) -> Any:
        return stats.gamma(self.shape, scale=self.scale)

    def support(self) -> tuple[float, float]:
        return 0.0, float("inf")

    def _recentred(self, centre: float, delta: float, spec: dict[str, Any]) -> dict[str, Any]:
        if centre <= 0:
            raise ValueError(f"a gamma distribution needs a central value > 0, got {centre:g}")
        return {"dist": "gamma", "shape": spec["shape"], "scale": centre / spec["shape"]}


def _shifted(spec: dict[str, Any], delta: float) -> dict[str, Any]:
    for k in ("low", "mode", "high"):
        if k in spec:
            spec[k] = spec[k] + delta
    return spec


@dataclass(frozen=True)
class Uniform(Dist):
    """Uniform on [low, high]."""

    name: ClassVar[str] = "uniform"
    keys: ClassVar[tuple[str, ...]] = ("low", "high")
    forms: ClassVar[tuple[tuple[str, ...], ...]] = (("low", "high"),)
    low: float
    high: float

    @classmethod
    def from_params(cls, v: dict[str, float], price_year: str | None = None) -> Dist:
        if v["low"] > v["high"]:
            raise ValueError(f"low {v['low']} is above high {v['high']}")
        return cls(v["low"], v["high"], price_year=price_year)

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def _frozen(self) -> Any:
        lo, hi = self.low, self.high
        return stats.uniform(lo, hi - lo)

    def support(self) -> tuple[float, float]:
        return self.low, self.high

    def _recentred(self, centre: float, delta: float, spec: dict[str, Any]) -> dict[str, Any]:
        return _shifted(spec, delta)


@dataclass(frozen=True)
class _LowModeHigh(Dist):
    """A distribution on [low, high] with its mode between them."""

    keys: ClassVar[tuple[str, ...]] = ("low", "mode", "high")
    forms: ClassVar[tuple[tuple[str, ...], ...]] = (("low", "mode", "high"),)
    low: float
    mode: float
    high: float

    @classmethod
    def from_params(cls, v: dict[str, float], price_year: str | None = None) -> Dist:
        lo, mo, hi = v["low"], v["mode"], v["high"]
        if not lo <= mo <= hi:
            raise ValueError(f"{cls.name} needs low <= mode <= high, got {lo}, {mo}, {hi}")
        return cls(lo, mo, hi, price_year=price_year)

    def support(self) -> tuple[float, float]:
        return self.low, self.high

    def _recentred(self, centre: float, delta: float, spec: dict[str, Any]) -> dict[str, Any]:
        return _shifted(spec, delta)


@dataclass(frozen=True)
class Triangular(_LowModeHigh):
    """Triangular on [low, high] with its peak at mode."""

    name: ClassVar[str] = "triangular"

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def _frozen(self) -> Any:
        lo, mo, hi = self.low, self.mode, self.high
        width = hi - lo
        return stats.triang((mo - lo) / width if width else 0.5, loc=lo, scale=width)


@dataclass(frozen=True)
class Pert(_LowModeHigh):
    """PERT: a beta on [low, high] with mode `mode` and mean (low + 4 mode + high) / 6."""

    name: ClassVar[str] = "pert"

    @classmethod
    def from_params(cls, v: dict[str, float], price_year: str | None = None) -> Dist:
        d = super().from_params(v, price_year)
        if v["low"] == v["high"]:
            raise ValueError("pert needs low < high")
        return d

    @property
    def mean(self) -> float:
        return (self.low + 4 * self.mode + self.high) / 6

    def _frozen(self) -> Any:
        lo, mo, hi = self.low, self.mode, self.high
        width = hi - lo
        a = 1 + 4 * (mo - lo) / width
        b = 1 + 4 * (hi - mo) / width
        return stats.beta(a, b, loc=lo, scale=width)


@dataclass(frozen=True)
class Empirical(Dist):
    """Equally likely values (a bootstrap or a sample)."""

    name: ClassVar[str] = "empirical"
    keys: ClassVar[tuple[str, ...]] = ("values",)
    forms: ClassVar[tuple[tuple[str, ...], ...]] = (("values",),)
    values: tuple[float, ...]

    @classmethod
    def parse(cls, spec: Mapping[str, Any], form: tuple[str, ...], price_year: str | None) -> Dist:
        vals = spec["values"]
        if not isinstance(vals, list) or not vals:
            raise ValueError("empirical 'values' must be a non-empty list of numbers")
        return cls(tuple(_finite(v, "values") for v in vals), price_year=price_year)

    @property
    def is_fixed(self) -> bool:
        return len(set(self.values)) == 1

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def var(self) -> float:
        return float(np.var(self.values))

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        vals = np.sort(np.asarray(self.values, dtype=float))
        pos = np.minimum((np.asarray(u) * len(vals)).astype(np.int64), len(vals) - 1)
        return vals[pos]

    def support(self) -> tuple[float, float]:
        return min(self.values), max(self.values)

    def describe(self) -> str:
        return f"empirical({len(self.values)} values)"

    def _recentred(self, centre: float, delta: float, spec: dict[str, Any]) -> dict[str, Any]:
        spec["values"] = [v + delta for v in spec["values"]]
        return spec


@dataclass(frozen=True)
class SplitUniform(Dist):
    """Two-piece uniform on [low, high] whose mean is `centre` (used for unit-cost ranges).

    With probability w = (high - centre) / (high - low) a draw is uniform on [low, centre],
    otherwise uniform on [centre, high]; then E = centre exactly, so the published cost stays
    the central value. Not written in scenarios (no `forms`); its parameter keys are low,
    mean and high.
    """

    name: ClassVar[str] = "split_uniform"
    keys: ClassVar[tuple[str, ...]] = ("low", "mean", "high")
    low: float
    centre: float
    high: float

    @property
    def mean(self) -> float:
        return float(self.centre)

    @property
    def var(self) -> float:
        lo, m, hi = self.low, self.centre, self.high
        if hi == lo:
            return 0.0
        w = (hi - m) / (hi - lo)
        ex2 = w * (lo * lo + lo * m + m * m) / 3 + (1 - w) * (m * m + m * hi + hi * hi) / 3
        return max(ex2 - m * m, 0.0)

    def _ppf(self, u: np.ndarray) -> np.ndarray:
        lo, m, hi = self.low, self.centre, self.high
        w = (hi - m) / (hi - lo)
        u = np.asarray(u)
        left = lo + np.divide(u, w, out=np.zeros_like(u), where=w > 0) * (m - lo)
        right = m + np.divide(u - w, 1 - w, out=np.zeros_like(u), where=w < 1) * (hi - m)
        return np.where(u < w, left, right)


# the distributions a scenario may name after `dist:`, in the order error messages list them
DISTRIBUTIONS: dict[str, type[Dist]] = {
    c.name: c for c in (Fixed, Normal, Lognormal, Beta, Gamma, Uniform, Triangular, Pert, Empirical)
}
DIST_NAMES = tuple(DISTRIBUTIONS)


def fixed(value: float) -> Dist:
    return Fixed(float(value))


def split_uniform(low: float, mean: float, high: float) -> Dist:
    """Two-piece uniform on [low, high] whose mean is `mean` (see SplitUniform)."""
    return SplitUniform(low, mean, high)


def parse_dist(spec: Any) -> Dist:
    """Parse a scenario distribution; raise ValueError with a one-line reason."""
    if isinstance(spec, Dist):
        return spec
    if isinstance(spec, bool):
        raise ValueError(f"expected a number or {{dist: ...}}, got {echo(spec)}")
    if isinstance(spec, int | float):
        return fixed(_finite(spec, "value"))
    if not isinstance(spec, Mapping):
        raise ValueError(f"expected a number or a mapping with 'dist', got {echo(spec)}")
    if "dist" not in spec:
        raise ValueError("a distribution needs 'dist' (one of " + ", ".join(DIST_NAMES) + ")")
    name = spec["dist"]
    if not isinstance(name, str) or name not in DISTRIBUTIONS:
        raise ValueError(
            f"unknown distribution {echo(name)}; expected one of " + ", ".join(DIST_NAMES)
        )
    cls = DISTRIBUTIONS[name]
    keys = set(spec) - {"dist"} - _EXTRA_KEYS
    price_year = spec.get("price_year")
    if price_year is not None:
        price_year = str(price_year)
    form = next((f for f in cls.forms if set(f) == keys), None)
    if form is None:
        forms = " or ".join("{" + ", ".join(f) + "}" for f in cls.forms)
        raise ValueError(f"{name} takes {forms}; got {{{', '.join(sorted(map(str, keys)))}}}")
    return cls.parse(spec, form, price_year)


def stream_key(name: str) -> int:
    """A stable 64-bit integer for a named input (the same in every run and scenario)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")


def uniforms(seed: int, name: str, n: int) -> np.ndarray:
    """n uniforms in (0, 1) for input `name`: common random numbers across scenarios."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream_key(name),)))
    u = rng.random(n)
    # keep away from 0 so that ppf is finite for unbounded distributions
    return np.clip(u, 1e-12, 1 - 1e-12)
