"""Input distributions: parsing, central values, inverse CDFs and seeded draws.

Every uncertain input is `{dist: NAME, ...}` or a plain number. Draws are made by the
inverse-CDF method from uniforms, so that one stream of uniforms per named input gives
common random numbers across scenarios and a Gaussian copula can correlate inputs.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

# Parameters each distribution accepts (alternative forms are listed separately).
_FORMS: dict[str, list[tuple[str, ...]]] = {
    "fixed": [("value",)],
    "normal": [("mean", "sd")],
    "lognormal": [("mean", "sd"), ("meanlog", "sdlog")],
    "beta": [("mean", "sd"), ("a", "b")],
    "gamma": [("mean", "sd"), ("shape", "scale")],
    "uniform": [("low", "high")],
    "triangular": [("low", "mode", "high")],
    "pert": [("low", "mode", "high")],
    "empirical": [("values",)],
}
DIST_NAMES = tuple(_FORMS)
_EXTRA_KEYS = {"price_year"}


@dataclass(frozen=True)
class Dist:
    """A parsed distribution in canonical parameters."""

    name: str
    params: tuple[tuple[str, Any], ...]
    price_year: str | None = None

    def p(self, key: str) -> Any:
        return dict(self.params)[key]

    @property
    def is_fixed(self) -> bool:
        if self.name == "fixed":
            return True
        if self.name == "empirical":
            return len(set(self.p("values"))) == 1
        return self.sd == 0.0

    @property
    def mean(self) -> float:
        """Central value: the mean of the distribution."""
        n = self.name
        if n == "fixed":
            return float(self.p("value"))
        if n in ("normal",):
            return float(self.p("mean"))
        if n == "lognormal":
            return math.exp(self.p("meanlog") + self.p("sdlog") ** 2 / 2)
        if n == "beta":
            a, b = self.p("a"), self.p("b")
            return float(a / (a + b))
        if n == "gamma":
            return float(self.p("shape") * self.p("scale"))
        if n == "uniform":
            return (self.p("low") + self.p("high")) / 2
        if n == "triangular":
            return (self.p("low") + self.p("mode") + self.p("high")) / 3
        if n == "pert":
            return (self.p("low") + 4 * self.p("mode") + self.p("high")) / 6
        if n == "split_uniform":
            return float(self.p("mean"))
        if n == "empirical":
            return float(np.mean(self.p("values")))
        raise AssertionError(n)  # pragma: no cover

    @property
    def sd(self) -> float:
        return float(np.sqrt(self.var))

    @property
    def var(self) -> float:
        n = self.name
        if n == "fixed":
            return 0.0
        if n == "empirical":
            return float(np.var(self.p("values")))
        if n == "split_uniform":
            lo, m, hi = self.p("low"), self.p("mean"), self.p("high")
            if hi == lo:
                return 0.0
            w = (hi - m) / (hi - lo)
            ex2 = w * (lo * lo + lo * m + m * m) / 3 + (1 - w) * (m * m + m * hi + hi * hi) / 3
            return max(ex2 - m * m, 0.0)
        return float(self._frozen().var())

    def _frozen(self) -> Any:
        n = self.name
        if n == "normal":
            return stats.norm(self.p("mean"), self.p("sd"))
        if n == "lognormal":
            return stats.lognorm(s=self.p("sdlog"), scale=math.exp(self.p("meanlog")))
        if n == "beta":
            return stats.beta(self.p("a"), self.p("b"))
        if n == "gamma":
            return stats.gamma(self.p("shape"), scale=self.p("scale"))
        if n == "uniform":
            lo, hi = self.p("low"), self.p("high")
            return stats.uniform(lo, hi - lo)
        if n == "triangular":
            lo, mo, hi = self.p("low"), self.p("mode"), self.p("high")
            width = hi - lo
            return stats.triang((mo - lo) / width if width else 0.5, loc=lo, scale=width)
        if n == "pert":
            lo, mo, hi = self.p("low"), self.p("mode"), self.p("high")
            width = hi - lo
            a = 1 + 4 * (mo - lo) / width
            b = 1 + 4 * (hi - mo) / width
            return stats.beta(a, b, loc=lo, scale=width)
        raise AssertionError(n)  # pragma: no cover

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF at uniforms u in (0, 1)."""
        n = self.name
        if self.is_fixed:
            return np.full(np.shape(u), self.mean)
        if n == "empirical":
            vals = np.sort(np.asarray(self.p("values"), dtype=float))
            pos = np.minimum((np.asarray(u) * len(vals)).astype(np.int64), len(vals) - 1)
            return vals[pos]
        if n == "split_uniform":
            lo, m, hi = self.p("low"), self.p("mean"), self.p("high")
            w = (hi - m) / (hi - lo)
            u = np.asarray(u)
            left = lo + np.divide(u, w, out=np.zeros_like(u), where=w > 0) * (m - lo)
            right = m + np.divide(u - w, 1 - w, out=np.zeros_like(u), where=w < 1) * (hi - m)
            return np.where(u < w, left, right)
        return np.asarray(self._frozen().ppf(u), dtype=float)

    def quantile(self, q: float) -> float:
        return float(self.ppf(np.array([q]))[0])

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
        if self.name == "fixed":
            return f"{_num(self.mean)} (fixed)"
        if self.name == "empirical":
            return f"empirical({len(self.p('values'))} values)"
        inner = ", ".join(f"{k} {_num(v)}" for k, v in self.params)
        return f"{self.name}({inner})"


def _num(x: Any) -> str:
    return f"{x:.6g}" if isinstance(x, float) else str(x)


def fixed(value: float) -> Dist:
    return Dist("fixed", (("value", float(value)),))


def split_uniform(low: float, mean: float, high: float) -> Dist:
    """Two-piece uniform on [low, high] whose mean is `mean` (used for unit-cost ranges).

    With probability w = (high - mean) / (high - low) a draw is uniform on [low, mean],
    otherwise uniform on [mean, high]; then E = mean exactly, so the published cost stays
    the central value.
    """
    return Dist("split_uniform", (("low", low), ("mean", mean), ("high", high)))


def _finite(x: Any, key: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise ValueError(f"'{key}' must be a number, got {x!r}")
    v = float(x)
    if not math.isfinite(v):
        raise ValueError(f"'{key}' must be a finite number, got {x!r}")
    return v


def parse_dist(spec: Any) -> Dist:
    """Parse a scenario distribution; raise ValueError with a one-line reason."""
    if isinstance(spec, Dist):
        return spec
    if isinstance(spec, bool):
        raise ValueError(f"expected a number or {{dist: ...}}, got {spec!r}")
    if isinstance(spec, int | float):
        return fixed(_finite(spec, "value"))
    if not isinstance(spec, Mapping):
        raise ValueError(f"expected a number or a mapping with 'dist', got {spec!r}")
    if "dist" not in spec:
        raise ValueError("a distribution needs 'dist' (one of " + ", ".join(DIST_NAMES) + ")")
    name = spec["dist"]
    if not isinstance(name, str) or name not in _FORMS:
        raise ValueError(f"unknown distribution {name!r}; expected one of " + ", ".join(DIST_NAMES))
    keys = set(spec) - {"dist"} - _EXTRA_KEYS
    price_year = spec.get("price_year")
    if price_year is not None:
        price_year = str(price_year)
    form = next((f for f in _FORMS[name] if set(f) == keys), None)
    if form is None:
        forms = " or ".join("{" + ", ".join(f) + "}" for f in _FORMS[name])
        raise ValueError(f"{name} takes {forms}; got {{{', '.join(sorted(map(str, keys)))}}}")
    if name == "empirical":
        vals = spec["values"]
        if not isinstance(vals, list) or not vals:
            raise ValueError("empirical 'values' must be a non-empty list of numbers")
        fl = tuple(_finite(v, "values") for v in vals)
        return Dist("empirical", (("values", fl),), price_year)
    v = {k: _finite(spec[k], k) for k in form}
    return Dist(name, tuple(_canonical(name, v).items()), price_year)


def _canonical(name: str, v: dict[str, float]) -> dict[str, float]:
    if name == "fixed":
        return v
    if "sd" in v and v["sd"] < 0:
        raise ValueError(f"sd must be >= 0, got {v['sd']}")
    if name == "normal":
        return v
    if name == "lognormal":
        if "meanlog" in v:
            if v["sdlog"] < 0:
                raise ValueError(f"sdlog must be >= 0, got {v['sdlog']}")
            return v
        m, s = v["mean"], v["sd"]
        if m <= 0:
            raise ValueError(f"lognormal mean must be > 0, got {m}")
        s2 = math.log1p((s / m) ** 2)
        return {"meanlog": math.log(m) - s2 / 2, "sdlog": math.sqrt(s2)}
    if name == "beta":
        if "a" in v:
            if v["a"] <= 0 or v["b"] <= 0:
                raise ValueError(f"beta a and b must be > 0, got a={v['a']}, b={v['b']}")
            return v
        m, s = v["mean"], v["sd"]
        if not 0 < m < 1:
            raise ValueError(f"beta mean must be between 0 and 1, got {m}")
        if s == 0:
            raise ValueError("beta sd must be > 0 (use a plain number for a fixed share)")
        k = m * (1 - m) / (s * s) - 1
        if k <= 0:
            raise ValueError(f"beta sd {s} is too large for mean {m}: sd must be < sqrt(m(1-m))")
        return {"a": m * k, "b": (1 - m) * k}
    if name == "gamma":
        if "shape" in v:
            if v["shape"] <= 0 or v["scale"] <= 0:
                raise ValueError("gamma shape and scale must be > 0")
            return v
        m, s = v["mean"], v["sd"]
        if m <= 0 or s <= 0:
            raise ValueError(f"gamma mean and sd must be > 0, got mean={m}, sd={s}")
        return {"shape": (m / s) ** 2, "scale": s * s / m}
    if name == "uniform":
        if v["low"] > v["high"]:
            raise ValueError(f"low {v['low']} is above high {v['high']}")
        return v
    if name in ("triangular", "pert"):
        lo, mo, hi = v["low"], v["mode"], v["high"]
        if not lo <= mo <= hi:
            raise ValueError(f"{name} needs low <= mode <= high, got {lo}, {mo}, {hi}")
        if name == "pert" and lo == hi:
            raise ValueError("pert needs low < high")
        return v
    raise AssertionError(name)  # pragma: no cover


def stream_key(name: str) -> int:
    """A stable 64-bit integer for a named input (the same in every run and scenario)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")


def uniforms(seed: int, name: str, n: int) -> np.ndarray:
    """n uniforms in (0, 1) for input `name`: common random numbers across scenarios."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream_key(name),)))
    u = rng.random(n)
    # keep away from 0 so that ppf is finite for unbounded distributions
    return np.clip(u, 1e-12, 1 - 1e-12)
