"""Appraisal arithmetic: discounting, NPV, £ back per £1, payback, summaries of draws.

Definitions (docs/method.md, section 7):
- year y (0-based from the appraisal start) is discounted by 1 / (1 + r)^y; on the Green Book
  schedule the rate steps down after year 30 and year 75 (3.5% -> 3.0% -> 2.5%, scaled in
  proportion for other rates, which gives the health schedule 1.5% -> 1.29% -> 1.07%);
- npv = benefits - costs; bcr = benefits / costs; roi = bcr - 1;
- payback_years = the number of appraisal years until the end of the first year in which the
  cumulative discounted net cash flow is >= 0 (None if never).
"""

from __future__ import annotations

from typing import Any

import numpy as np

# HM Treasury Green Book (2022), Table 8 / Annex A6: long-term discount rate schedule,
# expressed relative to the standard 3.5% (years 0-30, 31-75, 76-125, 126-200, 201-300, 301+).
GREEN_BOOK_STEPS = (
    (30, 1.0),
    (75, 3.0 / 3.5),
    (125, 2.5 / 3.5),
    (200, 2.0 / 3.5),
    (300, 1.5 / 3.5),
)


def year_rates(rate: float, n_years: int, schedule: str = "green_book") -> np.ndarray:
    """Discount rate applying between year y-1 and year y, for y = 0..n_years-1 (0 for y=0)."""
    r = np.zeros(n_years)
    for y in range(1, n_years):
        if schedule == "constant":
            r[y] = rate
            continue
        scale = 1.0 / 3.5
        for last, s in GREEN_BOOK_STEPS:
            if y <= last:
                scale = s
                break
        r[y] = rate * scale
    return r


def discount_factors(rate: float, n_years: int, schedule: str = "green_book") -> np.ndarray:
    """Discount factor for each appraisal year; year 0 is undiscounted."""
    return np.cumprod(1.0 / (1.0 + year_rates(rate, n_years, schedule)))


def bcr(benefits: np.ndarray | float, costs: np.ndarray | float) -> np.ndarray:
    b = np.asarray(benefits, dtype=float)
    c = np.asarray(costs, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(c > 0, b / np.where(c > 0, c, 1.0), np.nan)


def payback_years(net_pv_by_year: np.ndarray) -> np.ndarray:
    """First year (1-based count) in which cumulative discounted net >= 0; NaN if never.

    `net_pv_by_year` has years on the last axis.
    """
    cum = np.cumsum(net_pv_by_year, axis=-1)
    ok = cum >= -1e-9 * (1.0 + np.abs(cum))
    first = np.argmax(ok, axis=-1).astype(float) + 1.0
    return np.where(ok.any(axis=-1), first, np.nan)


def describe(x: np.ndarray) -> dict[str, float | None]:
    """Mean and 5th/50th/95th percentiles, ignoring NaN (e.g. bcr with zero cost)."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return {"mean": None, "p5": None, "p50": None, "p95": None}
    p5, p50, p95 = np.percentile(x, [5, 50, 95])
    return {"mean": float(x.mean()), "p5": float(p5), "p50": float(p50), "p95": float(p95)}


def clean(x: Any) -> Any:
    """JSON-safe: NaN and infinities become None, numpy scalars become Python numbers."""
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [clean(v) for v in x]
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        v = float(x)
        return v if np.isfinite(v) else None
    return x
