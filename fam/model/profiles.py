"""The model's time profiles, as pure functions of relative month t (0 = the start month).

counterfactual  cf(t) = b * (1 - trend * ramp(t))
programme arm   pg(t) = cf(t) * (1 + change * profile(t) * e)
profile(t) = rise(t) * decay(t)

Everything the engine needs that does not depend on a Monte Carlo draw is summed here, once,
into "exposure" tensors over intake month k, programme duration d, service s and reporting
bucket (a year, or a month): the engine then only multiplies them by drawn parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def ramp(t: np.ndarray, ramp_months: float) -> np.ndarray:
    """Share of the counterfactual trend reached by month t: min(1, t / ramp_months)."""
    t = np.asarray(t, dtype=float)
    if ramp_months <= 0:
        return np.ones_like(t)
    return np.clip(t / ramp_months, 0.0, 1.0)


def rise(t: np.ndarray, onset_months: float) -> np.ndarray:
    """Share of the full effect reached by month t: min(1, t / onset_months)."""
    return ramp(t, onset_months)


def decay(t: np.ndarray, duration: float, half_life_months: float | None) -> np.ndarray:
    """1 during the programme; then halves every half_life_months (1 throughout if None)."""
    t = np.asarray(t, dtype=float)
    if half_life_months is None:
        return np.ones_like(t)
    return np.where(t >= duration, 0.5 ** ((t - duration) / half_life_months), 1.0)


def profile(
    t: np.ndarray, onset_months: float, duration: float, half_life_months: float | None
) -> np.ndarray:
    return rise(t, onset_months) * decay(t, duration, half_life_months)


@dataclass(frozen=True)
class Exposure:
    """Sums of time profiles over calendar months falling in each reporting bucket.

    Indices: k intake month, d index into `durations`, s service, b bucket.
    """

    c0: np.ndarray  # [k, b]      months with t >= 0
    c1: np.ndarray  # [k, b]      sum of ramp(t)
    p0: np.ndarray  # [k, d, s, b] sum of profile(t)
    p1: np.ndarray  # [k, d, s, b] sum of profile(t) * ramp(t)
    starts: np.ndarray  # [k, b]   1 in the bucket of the start month
    months: np.ndarray  # [k, d, b] programme months (t < d)
    ends: np.ndarray  # [k, d, b]  1 in the bucket of the last programme month


def exposure(
    horizon_months: int,
    intake_months: int,
    durations: Sequence[int],
    onset: Sequence[float],
    half_life: Sequence[float | None],
    ramp_months: float,
    bucket: np.ndarray,
    n_buckets: int,
    window: int | None = None,
) -> Exposure:
    """Exposure tensors for clients starting in each of months 0..intake_months-1.

    `bucket[m]` is the reporting bucket of calendar month m (m = 0..horizon_months-1).
    `window`, if given, counts service use (c0, c1, p0, p1) only in each client's relative
    months t < window (a tracking window); programme months, starts and ends are not limited.
    """
    h = horizon_months
    t = np.arange(h, dtype=float)
    dur = np.asarray(durations, dtype=float)
    n_s = len(onset)
    r = ramp(t, ramp_months)
    prof = np.empty((len(dur), n_s, h))
    for s in range(n_s):
        prof[:, s, :] = rise(t, onset[s])[None, :] * np.stack(
            [decay(t, d, half_life[s]) for d in dur]
        )
    in_prog = (t[None, :] < dur[:, None]).astype(float)
    last = (t[None, :] == dur[:, None] - 1).astype(float)

    onehot = np.eye(n_buckets)[bucket[:h]]

    def to_buckets(x: np.ndarray, k: int) -> np.ndarray:
        # x[..., t] for t = 0..h-1, placed at calendar months m = k + t < h
        n = h - k
        if n <= 0:
            return np.zeros(x.shape[:-1] + (n_buckets,))
        return np.asarray(x[..., :n] @ onehot[k:h])

    k_n = intake_months
    w = np.ones(h) if window is None else (t < window).astype(float)
    c0 = np.stack([to_buckets(w, k) for k in range(k_n)])
    c1 = np.stack([to_buckets(r * w, k) for k in range(k_n)])
    p0 = np.stack([to_buckets(prof * w, k) for k in range(k_n)])
    p1 = np.stack([to_buckets(prof * (r * w)[None, None, :], k) for k in range(k_n)])
    first = np.zeros(h)
    first[0] = 1.0
    starts = np.stack([to_buckets(first, k) for k in range(k_n)])
    months = np.stack([to_buckets(in_prog, k) for k in range(k_n)])
    ends = np.stack([to_buckets(last, k) for k in range(k_n)])
    return Exposure(c0, c1, p0, p1, starts, months, ends)
