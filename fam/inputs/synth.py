"""Realistic synthetic cohorts: ``clients.csv`` and ``service_use.csv`` for testing and demos.

The generator is a pure function of its arguments (numpy ``Generator`` streams derived from
``seed``). It writes nothing; :func:`write_cohort` is the only writer. The model and its
calibration are described in ``docs/synthetic_data.md``; every number it uses lives in the
:data:`PROFILES` tables below with the figure it was tuned to.

Model, per client c and service s::

    rate[c, s] = base_rate[s] * G[c] * D[c, domain(s)] * I[c, s]

* ``G[c]`` ~ Gamma(shape k, mean 1): how chaotic the client's life is overall (gamma-Poisson).
* ``D[c, .]`` = exp(Z - sd**2 / 2) with Z ~ multivariate normal over the profile's domains
  ("offending", "care", "health", "housing") with stated sds and correlations, so that
  arrests, court and custody rise and fall together across clients.
* ``I[c, s]`` = lognormal, mean 1: what is particular to that service.

Events are a Poisson number on uniformly random days. Spells (custody, placements, stays)
start at a Poisson number of uniformly random days and last a gamma number of days (at
least one); spells of the same service for the same client are clipped so that they never
overlap (a spell counts the dates start <= d < end). After ``start_date`` the rates are
multiplied by ``1 + true_effect[service]``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from fam.vocabulary import DAYS_PER_UNIT

__all__ = [
    "CALIBRATION_UNIT_COSTS",
    "CLIENT_COLUMNS",
    "PROFILES",
    "SERVICE_USE_COLUMNS",
    "Profile",
    "ServiceSpec",
    "Target",
    "calibration_summary",
    "synthesise",
    "units_in_window",
    "write_cohort",
]

CLIENT_COLUMNS = [
    "client_id",
    "start_date",
    "end_date",
    "completed",
    "arm",
    "cohort",
    "age_at_start",
]
SERVICE_USE_COLUMNS = ["client_id", "service", "start", "end", "quantity"]

DAYS_PER_YEAR = 365.25
Unit = Literal["event", "night", "day", "week", "month", "year"]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ServiceSpec:
    """How one service code is generated.

    ``rate_per_year`` is the mean number of events (or spell starts) per client-year
    before start; ``mean_days``/``length_shape`` give the gamma distribution of spell
    lengths. ``derived_from`` names a spell service whose (clipped) spell starts are this
    service's events (every emergency stay begins with an admission).
    """

    kind: Literal["event", "spell"]
    unit: Unit
    domain: str | None
    rate_per_year: float = 0.0
    mean_days: float = 0.0
    length_shape: float = 1.0
    idio_sd: float = 0.3
    derived_from: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Target:
    """A calibration target: what is measured, the figure, and where it comes from."""

    value: float
    measure: str
    source: str


@dataclass(frozen=True)
class Profile:
    """A client group: ages, heterogeneity, service rates and programme engagement."""

    name: str
    description: str
    age_range: tuple[int, int]
    age_mode: float
    frailty_shape: float
    domain_sd: Mapping[str, float]
    domain_corr: Mapping[tuple[str, str], float]
    services: Mapping[str, ServiceSpec]
    programme_months: tuple[float, float]
    completion: float
    end_date_missing: float
    targets: Mapping[str, Target] = field(default_factory=dict)

    def covariance(self) -> FloatArray:
        """Covariance matrix of the log domain multipliers (domains in ``domain_sd`` order)."""
        names = list(self.domain_sd)
        sd = np.array([self.domain_sd[d] for d in names], dtype=np.float64)
        corr = np.eye(len(names))
        for (a, b), rho in self.domain_corr.items():
            i, j = names.index(a), names.index(b)
            corr[i, j] = corr[j, i] = rho
        return np.asarray(corr * np.outer(sd, sd), dtype=np.float64)


# ---------------------------------------------------------------------------------------
# Profiles. Status of each figure as in docs/evidence.md: S = secondary source, A = assumption
# of this generator (chosen to be plausible, then tuned so the targets below are met).
# ---------------------------------------------------------------------------------------

_YP_SERVICES: dict[str, ServiceSpec] = {
    # Offending: "serious antisocial behaviour" referrals to MST (A; high offending before
    # referral, about two in three arrested in the six months before start).
    "arrest_detained": ServiceSpec("event", "event", "offending", rate_per_year=2.7),
    "arrest_nfa": ServiceSpec("event", "event", "offending", rate_per_year=1.4),
    "court_youth": ServiceSpec("event", "event", "offending", rate_per_year=1.1),
    # Detention and training orders / remand: rare but long (A).
    "custody_night_yoi": ServiceSpec(
        "spell", "night", "offending", rate_per_year=0.12, mean_days=60, length_shape=1.0
    ),
    "yot_supervision": ServiceSpec(
        "spell", "month", "offending", rate_per_year=0.55, mean_days=180, length_shape=2.0
    ),
    # Care: edge of care, short placements and section 20 episodes (A; tuned to the
    # care targets below, which lean on the Essex MST historical comparison group, S).
    "care_week_residential": ServiceSpec(
        "spell", "week", "care", rate_per_year=0.35, mean_days=90, length_shape=0.8
    ),
    "foster_week_ifa": ServiceSpec(
        "spell", "week", "care", rate_per_year=0.55, mean_days=120, length_shape=0.8
    ),
    "child_in_need": ServiceSpec("event", "event", "care", rate_per_year=1.0),
    # Health (A).
    "ae_attendance": ServiceSpec("event", "event", "health", rate_per_year=1.5),
    "mh_bed_day_camhs": ServiceSpec(
        "spell", "day", "health", rate_per_year=0.06, mean_days=45, length_shape=1.0
    ),
}

_ADULT_SERVICES: dict[str, ServiceSpec] = {
    # Offending (A; tuned so that total public-service use at entry is about £28,000 a year,
    # Fulfilling Lives, S).
    "arrest_detained": ServiceSpec("event", "event", "offending", rate_per_year=4.0),
    "police_custody": ServiceSpec("event", "event", "offending", rate_per_year=2.0),
    "court_magistrates": ServiceSpec("event", "event", "offending", rate_per_year=2.0),
    "custody_night_adult": ServiceSpec(
        "spell", "night", "offending", rate_per_year=0.65, mean_days=170, length_shape=0.8
    ),
    "probation_supervision": ServiceSpec(
        "spell", "month", "offending", rate_per_year=0.7, mean_days=270, length_shape=2.0
    ),
    "crime_violence_injury": ServiceSpec("event", "event", "offending", rate_per_year=0.3),
    "crime_burglary_domestic": ServiceSpec("event", "event", "offending", rate_per_year=0.2),
    # Health. A&E 0.8 attendances per person per quarter at entry (MEAM year 4, S).
    "ae_attendance": ServiceSpec("event", "event", "health", rate_per_year=3.2),
    "ambulance_callout": ServiceSpec("event", "event", "health", rate_per_year=3.0),
    # Emergency admission days 1.3 per person per quarter at entry (MEAM year 4, S).
    "nonelective_bed_day": ServiceSpec(
        "spell", "day", "health", rate_per_year=0.8, mean_days=6, length_shape=1.2
    ),
    "nonelective_admission": ServiceSpec(
        "event",
        "event",
        "health",
        derived_from="nonelective_bed_day",
        note="one admission on the first day of each non-elective stay",
    ),
    "mh_bed_day_adult": ServiceSpec(
        "spell", "day", "health", rate_per_year=0.4, mean_days=50, length_shape=1.0
    ),
    "drug_alcohol_treatment": ServiceSpec(
        "spell", "year", "health", rate_per_year=1.2, mean_days=270, length_shape=1.5
    ),
    # Housing. 49% rough sleeping at entry (MEAM year 4, S).
    "rough_sleeping_night": ServiceSpec(
        "spell", "night", "housing", rate_per_year=3.3, mean_days=75, length_shape=0.7
    ),
    "hostel_week": ServiceSpec(
        "spell", "week", "housing", rate_per_year=1.4, mean_days=150, length_shape=1.0
    ),
}

PROFILES: dict[str, Profile] = {
    "young_people": Profile(
        name="young_people",
        description="young people aged 11-17 on the edge of care or custody (MST, wraparound)",
        age_range=(11, 17),
        age_mode=15.0,  # A
        frailty_shape=1.5,  # A: general gamma frailty, variance 1/1.5
        domain_sd={"offending": 0.7, "care": 1.3, "health": 0.7},  # A
        domain_corr={
            ("offending", "care"): 0.3,  # A
            ("offending", "health"): 0.3,  # A
            ("care", "health"): 0.2,  # A
        },
        services=_YP_SERVICES,
        programme_months=(
            3.0,
            5.0,
        ),  # MST 3-5 months of treatment (docs/evidence.md E-MST-DELIVERY, S)
        completion=0.86,  # Essex MST: 335 of 388 completed (S)
        end_date_missing=0.05,  # A: some records lack an end date
        targets={
            "care_6m_before": Target(
                0.30,
                "share with a care placement (residential or foster) in the 6 months before start",
                "assumption (A): edge-of-care referrals, chosen so that without a programme"
                " about 55% spend time in care in the 30 months after start",
            ),
            "care_30m_after": Target(
                0.55,
                "share with a care placement in the 30 months after start, no programme effect",
                "Essex MST SIB: 55% of the historical comparison group spent time in care (S)",
            ),
            "arrest_6m_before": Target(
                0.65,
                "share arrested (detained or NFA) in the 6 months before start",
                "assumption (A): serious antisocial behaviour / offending at referral",
            ),
        },
    ),
    "adults": Profile(
        name="adults",
        description="adults aged 18-60 with multiple and complex needs (link worker)",
        age_range=(18, 60),
        age_mode=35.0,  # A
        frailty_shape=2.0,  # A
        domain_sd={"offending": 0.7, "health": 0.6, "housing": 1.1},  # A
        domain_corr={
            ("offending", "health"): 0.2,  # A
            ("offending", "housing"): 0.4,  # A
            ("health", "housing"): 0.3,  # A
        },
        services=_ADULT_SERVICES,
        programme_months=(12.0, 24.0),  # A: link-worker engagement of one to two years
        completion=0.65,  # A
        end_date_missing=0.05,  # A
        targets={
            "ae_per_quarter": Target(
                0.8,
                "A&E attendances per person per quarter, year before start",
                "MEAM Approach evaluation year 4 (785 people): 0.8 at entry (S)",
            ),
            "admission_days_per_quarter": Target(
                1.3,
                "emergency (non-elective) bed days per person per quarter, year before start",
                "MEAM Approach evaluation year 4: 1.3 at entry (S)",
            ),
            "rough_sleeping_share": Target(
                0.49,
                "share with any rough-sleeping night in the 3 months before start",
                "MEAM Approach evaluation year 4: 49% at entry (S)",
            ),
            "annual_cost": Target(
                28000.0,
                "£ per person in the year before start at CALIBRATION_UNIT_COSTS",
                "Fulfilling Lives: public-service use at entry over £28,000 a year (S)",
            ),
        },
    ),
}

# Approximate unit costs used ONLY to check the adults' calibration (docs/evidence.md E-UC-*
# table, published price years, not uprated). Police custody, admissions (counted in bed
# days) and crimes (not public-service use) are deliberately left out.
CALIBRATION_UNIT_COSTS: dict[str, float] = {
    "custody_night_adult": 93.0,
    "ae_attendance": 109.0,
    "ambulance_callout": 216.0,
    "nonelective_bed_day": 300.0,
    "mh_bed_day_adult": 410.0,
    "rough_sleeping_night": 22.0,
    "hostel_week": 107.0,
    "arrest_detained": 593.0,
    "court_magistrates": 800.0,
    "drug_alcohol_treatment": 2604.0,
    "probation_supervision": 250.0,
}

# ---------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------


def _add_months(days: npt.NDArray[np.datetime64], months: int) -> npt.NDArray[np.datetime64]:
    """Same day of month ``months`` later (earlier if negative), clipped to the month's end."""
    month = days.astype("datetime64[M]")
    dom = (days - month.astype("datetime64[D]")).astype(np.int64)
    new_month = month + np.timedelta64(months, "M")
    length = (
        (new_month + np.timedelta64(1, "M")).astype("datetime64[D]")
        - new_month.astype("datetime64[D]")
    ).astype(np.int64)
    out = new_month.astype("datetime64[D]") + np.minimum(dom, length - 1).astype("timedelta64[D]")
    return np.asarray(out, dtype="datetime64[D]")


def _parse_start(start: str) -> np.datetime64:
    if not isinstance(start, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", start):
        raise ValueError(f"start must be a month 'YYYY-MM', got {start!r}")
    return np.datetime64(start + "-01", "D")


def _iso(days: IntArray) -> npt.NDArray[np.str_]:
    return np.asarray(days.astype("datetime64[D]").astype(str))


# ---------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------


def _validate(
    profile: str,
    n: int,
    seed: int,
    intake_months: int,
    history_months: int,
    follow_up_months: int,
    true_effect: Mapping[str, float] | None,
    comparison: int,
) -> Profile:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; expected one of {sorted(PROFILES)}")
    prof = PROFILES[profile]
    for name, value, low in [
        ("n", n, 1),
        ("seed", seed, 0),
        ("intake_months", intake_months, 1),
        ("history_months", history_months, 0),
        ("follow_up_months", follow_up_months, 0),
        ("comparison", comparison, 0),
    ]:
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if true_effect:
        if follow_up_months == 0:
            raise ValueError("true_effect needs follow_up_months > 0 (it changes post-start use)")
        for service, change in true_effect.items():
            spec = prof.services.get(service)
            if spec is None:
                raise ValueError(
                    f"true_effect: unknown service {service!r} for profile {profile!r};"
                    f" expected one of {sorted(prof.services)}"
                )
            if spec.derived_from is not None:
                raise ValueError(
                    f"true_effect: {service!r} follows {spec.derived_from!r};"
                    f" set the effect on {spec.derived_from!r}"
                )
            if not isinstance(change, int | float) or not math.isfinite(change) or change < -1:
                raise ValueError(f"true_effect[{service!r}] must be a number >= -1, got {change!r}")
    return prof


def _frailties(prof: Profile, n: int, rng: np.random.Generator) -> dict[str, FloatArray]:
    """Per-domain multipliers G * D (mean 1); key "" is G alone, for services with no domain."""
    k = prof.frailty_shape
    g = rng.gamma(k, 1.0 / k, size=n)
    cov = prof.covariance()
    z = rng.multivariate_normal(np.zeros(len(cov)), cov, size=n, method="cholesky")
    out: dict[str, FloatArray] = {"": g}
    for j, name in enumerate(prof.domain_sd):
        var = cov[j, j]
        out[name] = g * np.exp(z[:, j] - var / 2.0)
    return out


def _draw_periods(
    rngs: list[np.random.Generator],
    rate_per_day: FloatArray,
    periods: list[tuple[IntArray, IntArray, float]],
    spec: ServiceSpec,
) -> tuple[IntArray, IntArray, IntArray]:
    """Clients, days and lengths (spells; 0 for events) in each (begin, end, multiplier) period.

    Each period has its own generator, so that history does not depend on the follow-up.
    """
    clients: list[IntArray] = []
    days: list[IntArray] = []
    lengths: list[IntArray] = []
    for rng, (begin, end, mult) in zip(rngs, periods, strict=True):
        span = end - begin
        counts = rng.poisson(rate_per_day * span * mult)
        idx = np.repeat(np.arange(len(begin), dtype=np.int64), counts)
        offset = np.floor(rng.random(len(idx)) * span[idx]).astype(np.int64)
        if spec.kind == "spell":
            scale = spec.mean_days / spec.length_shape
            drawn = np.ceil(rng.gamma(spec.length_shape, scale, size=len(idx)))
            lengths.append(np.maximum(1, drawn).astype(np.int64))
        else:
            lengths.append(np.zeros(len(idx), dtype=np.int64))
        clients.append(idx)
        days.append(begin[idx] + offset)
    return np.concatenate(clients), np.concatenate(days), np.concatenate(lengths)


def _clip_spells(
    client: IntArray, start: IntArray, end: IntArray, window_end: IntArray
) -> tuple[IntArray, IntArray, IntArray]:
    """Sort by client and start; cut ends at the window end and starts at earlier spells' end.

    Returns spells that do not overlap within a client and have end > start.
    """
    order = np.lexsort((end, start, client))
    client, start, end = (
        client[order],
        start[order],
        np.minimum(end[order], window_end[client[order]]),
    )
    if len(client) == 0:
        return client, start, end
    big = np.int64(10_000_000)  # larger than any day number: makes cummax restart per client
    running = np.maximum.accumulate(end + client * big) - client * big
    prev_end = np.empty_like(running)
    prev_end[0] = np.iinfo(np.int64).min
    prev_end[1:] = running[:-1]
    first = np.ones(len(client), dtype=bool)
    first[1:] = client[1:] != client[:-1]
    prev_end[first] = np.iinfo(np.int64).min
    start = np.maximum(start, prev_end)
    keep = end > start
    return client[keep], start[keep], end[keep]


def _arm(
    prof: Profile,
    n: int,
    seed: int,
    arm: int,
    first_day: np.datetime64,
    intake_months: int,
    history_months: int,
    follow_up_months: int,
    effect: Mapping[str, float],
    cutoff: bool = False,
) -> tuple[dict[str, npt.NDArray[np.generic]], list[pd.DataFrame]]:
    """One arm (0 programme, 1 comparison): client attributes and service-use pieces."""
    rng = np.random.default_rng([seed, arm, 0])
    intake_end = _add_months(np.array([first_day]), intake_months)[0]
    intake_days = int((intake_end - first_day).astype(np.int64))
    start_dt = np.sort(first_day + rng.integers(0, intake_days, size=n).astype("timedelta64[D]"))
    start = start_dt.astype(np.int64)
    hist_begin = _add_months(start_dt, -history_months).astype(np.int64)
    if cutoff:  # one data cut-off for everyone: follow_up_months after the intake ends
        last = _add_months(np.array([intake_end]), follow_up_months)[0]
        follow_end = np.full(n, last).astype("datetime64[D]").astype(np.int64)
    else:
        follow_end = _add_months(start_dt, follow_up_months).astype(np.int64)

    low, high = prof.age_range
    age = np.clip(np.floor(rng.triangular(low, prof.age_mode, high + 1, size=n)), low, high).astype(
        np.int64
    )
    completed = rng.random(n) < prof.completion
    planned = rng.uniform(*prof.programme_months, size=n) * (365.0 / 12.0)
    share = np.where(completed, 1.0, rng.uniform(0.1, 0.9, size=n))
    duration = np.maximum(1, np.round(planned * share)).astype(np.int64)
    missing = rng.random(n) < prof.end_date_missing
    if arm == 0:
        end_date = np.where(missing, "", _iso(start + duration))
    else:
        end_date = np.full(n, "", dtype=object)
        completed = np.zeros(n, dtype=bool)

    frail = _frailties(prof, n, np.random.default_rng([seed, arm, 1]))
    periods_base = [(hist_begin, start, 1.0)]
    pieces: list[pd.DataFrame] = []
    spell_starts: dict[str, tuple[IntArray, IntArray]] = {}
    for i, (code, spec) in enumerate(prof.services.items()):
        if spec.derived_from is not None:
            c_idx, days = spell_starts[spec.derived_from]
            pieces.append(_rows(c_idx, code, days, None))
            continue
        srng = np.random.default_rng([seed, arm, 2, i])
        mult = 1.0 + effect.get(code, 0.0)
        periods = periods_base + ([(start, follow_end, mult)] if follow_up_months else [])
        idio = np.exp(srng.normal(0.0, spec.idio_sd, size=n) - spec.idio_sd**2 / 2.0)
        rate = spec.rate_per_year / DAYS_PER_YEAR * frail[spec.domain or ""] * idio
        rngs = [np.random.default_rng([seed, arm, 3, i, p]) for p in range(len(periods))]
        c_idx, days, length = _draw_periods(rngs, rate, periods, spec)
        if spec.kind == "event":
            pieces.append(_rows(c_idx, code, days, None))
            continue
        c_idx, s, e = _clip_spells(c_idx, days, days + length, follow_end)
        spell_starts[code] = (c_idx, s)
        pieces.append(_rows(c_idx, code, s, e))
    attrs: dict[str, npt.NDArray[np.generic]] = {
        "start": start,
        "end_date": np.asarray(end_date, dtype=object),
        "completed": completed,
        "age": age,
    }
    return attrs, pieces


def _rows(client: IntArray, service: str, start: IntArray, end: IntArray | None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "client": client,
            "service": service,
            "start_day": start,
            "end_day": np.full(len(start), -1, dtype=np.int64) if end is None else end,
        }
    )


def synthesise(
    profile: str,
    n: int,
    seed: int,
    start: str = "2013-04",
    intake_months: int = 60,
    history_months: int = 24,
    follow_up_months: int = 0,
    true_effect: Mapping[str, float] | None = None,
    comparison: int = 0,
    cutoff: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Generate a synthetic cohort ``(clients, service_use)`` in the docs/method.md formats.

    ``n`` programme clients (and ``comparison`` comparison clients) start on uniformly
    random days in the ``intake_months`` from ``start`` ("YYYY-MM"); each has
    ``history_months`` of service use before its start date and ``follow_up_months``
    after it, post-start rates multiplied by ``1 + true_effect[service]`` in the
    programme arm. Dates are ISO strings ("" when absent); ``completed`` is bool;
    ``quantity`` is 1.0 for events and NaN for spells. The same arguments give identical
    frames; history does not depend on ``follow_up_months``, ``true_effect`` or
    ``comparison``. With ``cutoff``, follow-up runs for everyone to one data cut-off,
    ``follow_up_months`` after the intake period ends (the day before is the data's
    ``observed_to``), as in a pilot part-way through delivery.
    """
    prof = _validate(
        profile,
        n,
        seed,
        intake_months,
        history_months,
        follow_up_months,
        true_effect,
        comparison,
    )
    first_day = _parse_start(start)
    effect = dict(true_effect or {})
    arms = [(0, n, effect)] + ([(1, comparison, {})] if comparison else [])
    width = max(4, len(str(n + comparison)))
    client_frames: list[pd.DataFrame] = []
    use_frames: list[pd.DataFrame] = []
    offset = 0
    for arm, size, eff in arms:
        attrs, pieces = _arm(
            prof,
            size,
            seed,
            arm,
            first_day,
            intake_months,
            history_months,
            follow_up_months,
            eff,
            cutoff,
        )
        ids = np.array([f"SYN-{offset + j + 1:0{width}d}" for j in range(size)], dtype=object)
        start_days = np.asarray(attrs["start"], dtype=np.int64)
        cohort = pd.PeriodIndex(pd.to_datetime(_iso(start_days)), freq="Q").astype(str)
        client_frames.append(
            pd.DataFrame(
                {
                    "client_id": ids,
                    "start_date": _iso(start_days),
                    "end_date": attrs["end_date"],
                    "completed": np.asarray(attrs["completed"], dtype=bool),
                    "arm": "programme" if arm == 0 else "comparison",
                    "cohort": np.asarray(cohort),
                    "age_at_start": np.asarray(attrs["age"], dtype=np.int64),
                }
            )
        )
        use = pd.concat(pieces, ignore_index=True)
        use["client"] = use["client"] + offset
        use_frames.append(use)
        offset += size
    clients = pd.concat(client_frames, ignore_index=True)
    for col in ["client_id", "start_date", "end_date", "arm", "cohort"]:
        clients[col] = clients[col].astype(str)
    clients = clients[CLIENT_COLUMNS]

    use = pd.concat(use_frames, ignore_index=True)
    service_order = {code: i for i, code in enumerate(prof.services)}
    use["order"] = use["service"].map(service_order)
    use = use.sort_values(["client", "start_day", "order", "end_day"], kind="stable")
    is_event = use["end_day"].to_numpy() < 0
    start_days = use["start_day"].to_numpy(dtype=np.int64)
    end_days = use["end_day"].to_numpy(dtype=np.int64)
    service_use = pd.DataFrame(
        {
            "client_id": clients["client_id"].to_numpy()[use["client"].to_numpy()],
            "service": use["service"].to_numpy(),
            "start": _iso(start_days),
            "end": np.where(is_event, "", _iso(np.where(is_event, 0, end_days))),
            "quantity": np.where(is_event, 1.0, np.nan),
        }
    )
    for col in ["client_id", "service", "start", "end"]:
        service_use[col] = service_use[col].astype(str)
    return clients, service_use.reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# Measuring a cohort (used for calibration checks; works on any cohort in this format)
# ---------------------------------------------------------------------------------------


def units_in_window(
    clients: pd.DataFrame,
    service_use: pd.DataFrame,
    units: Mapping[str, str],
    months_from: int,
    months_to: int,
) -> pd.DataFrame:
    """Units of each service per client in ``[start_date + months_from, start_date + months_to)``.

    Months are calendar months relative to each client's start date. Events count their
    quantity (default 1); spells count the dates inside the window converted to ``units``
    (night/day: dates, week: dates / 7, month: dates x 12 / 365, year: dates / 365).
    Returns a client x service frame (all clients, all services in ``units``), zeros filled.
    """
    start = pd.to_datetime(clients["start_date"]).to_numpy().astype("datetime64[D]")
    lo = _add_months(start, months_from).astype(np.int64)
    hi = _add_months(start, months_to).astype(np.int64)
    pos = pd.Series(np.arange(len(clients)), index=clients["client_id"].astype(str))
    use = service_use[service_use["service"].isin(list(units))]
    idx = pos.reindex(use["client_id"].astype(str)).to_numpy()
    known = ~np.isnan(idx)
    use, idx_i = use[known], idx[known].astype(np.int64)
    s = pd.to_datetime(use["start"]).to_numpy().astype("datetime64[D]").astype(np.int64)
    end_txt = use["end"].fillna("").astype(str)
    is_event = (end_txt == "").to_numpy()
    e = np.where(
        is_event,
        s + 1,
        pd.to_datetime(end_txt.where(~is_event, None))
        .to_numpy()
        .astype("datetime64[D]")
        .astype(np.int64, copy=False),
    )
    overlap = np.clip(np.minimum(e, hi[idx_i]) - np.maximum(s, lo[idx_i]), 0, None)
    qty = pd.to_numeric(use["quantity"], errors="coerce").fillna(1.0).to_numpy()
    per_unit = np.array([DAYS_PER_UNIT.get(units[sv], 1.0) for sv in use["service"]])
    amount = np.where(is_event, qty * (overlap > 0), overlap / per_unit)
    table = (
        pd.DataFrame(
            {
                "client_id": clients["client_id"].to_numpy()[idx_i],
                "service": use["service"].to_numpy(),
                "amount": amount,
            }
        )
        .groupby(["client_id", "service"])["amount"]
        .sum()
        .unstack(fill_value=0)
    )
    return table.reindex(index=clients["client_id"], columns=list(units), fill_value=0.0)


def calibration_summary(
    clients: pd.DataFrame,
    service_use: pd.DataFrame,
    profile: str,
    *,
    follow_up_months: int = 0,
) -> dict[str, float]:
    """Measured values of a profile's calibration targets (keys as in ``Profile.targets``).

    Programme-arm clients only. Targets measured after start (``care_30m_after``) are
    included only when ``follow_up_months`` says the cohort has that much follow-up.
    """
    prof = PROFILES[profile]
    units = {code: spec.unit for code, spec in prof.services.items()}
    programme = clients[clients["arm"] == "programme"]
    out: dict[str, float] = {}
    if profile == "adults":
        year = units_in_window(programme, service_use, units, -12, 0)
        quarter = units_in_window(programme, service_use, units, -3, 0)
        cost = sum(year[s] * c for s, c in CALIBRATION_UNIT_COSTS.items())
        out["ae_per_quarter"] = float(year["ae_attendance"].mean() / 4)
        out["admission_days_per_quarter"] = float(year["nonelective_bed_day"].mean() / 4)
        out["rough_sleeping_share"] = float((quarter["rough_sleeping_night"] > 0).mean())
        out["annual_cost"] = float(pd.Series(cost).mean())
    else:
        six = units_in_window(programme, service_use, units, -6, 0)
        care = six["care_week_residential"] + six["foster_week_ifa"]
        out["care_6m_before"] = float((care > 0).mean())
        arrests = six["arrest_detained"] + six["arrest_nfa"]
        out["arrest_6m_before"] = float((arrests > 0).mean())
        if follow_up_months >= 30:
            after = units_in_window(programme, service_use, units, 0, 30)
            care_after = after["care_week_residential"] + after["foster_week_ifa"]
            out["care_30m_after"] = float((care_after > 0).mean())
    return out


# ---------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------


def _banner(profile: str, n: int, seed: int) -> str:
    return (
        f"# SYNTHETIC DATA generated by fam synth {profile} --n {n} --seed {seed}: not real people"
    )


def write_cohort(
    clients: pd.DataFrame,
    service_use: pd.DataFrame,
    out_dir: Path,
    *,
    profile: str,
    n: int,
    seed: int,
    command: str | None = None,
) -> list[Path]:
    """Write ``clients.csv``, ``service_use.csv`` and ``README.md`` into ``out_dir``.

    Each CSV begins with one comment line marking the data as synthetic; ``command`` (the
    full command line, if known) is recorded in the README. Returns the paths written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    banner = _banner(profile, n, seed)

    c = clients[CLIENT_COLUMNS].copy()
    c["completed"] = np.where(c["completed"].astype(bool), "true", "false")
    s = service_use[SERVICE_USE_COLUMNS].copy()
    q = pd.to_numeric(s["quantity"], errors="coerce")
    s["quantity"] = [("" if math.isnan(v) else f"{v:g}") for v in q.to_numpy(dtype=float)]

    paths: list[Path] = []
    for name, frame in [("clients.csv", c), ("service_use.csv", s)]:
        path = out_dir / name
        with path.open("w", encoding="utf-8", newline="") as fh:
            fh.write(banner + "\n")
            frame.to_csv(fh, index=False, lineterminator="\n")
        paths.append(path)

    arms = clients["arm"].value_counts()
    lines = [
        "# SYNTHETIC DATA: not real people",
        "",
        f"{banner[2:]}.",
        "",
        "These files were made by `fam.inputs.synth.synthesise` (see docs/synthetic_data.md in the fam",
        "repository): clients are invented, every date and count is drawn at random from a",
        f"model calibrated to published averages for the `{profile}` profile. Use them to test",
        "and demonstrate fam, never as evidence about any real service or person.",
        "",
        f"- command: `{command or f'fam synth {profile} --n {n} --seed {seed}'}`",
        f"- clients: {len(clients)} ("
        + ", ".join(f"{arm} {count}" for arm, count in arms.items())
        + ")",
        f"- service-use rows: {len(service_use)}",
        "- files: clients.csv, service_use.csv (the first line of each is a `#` comment)",
    ]
    if profile in PROFILES and len(clients):
        measured = calibration_summary(clients, service_use, profile)
        if measured:
            lines += ["", "| calibration target | target | this cohort |", "|---|---|---|"]
            for key, value in measured.items():
                t = PROFILES[profile].targets[key]
                lines.append(f"| {t.measure} | {t.value:g} | {value:.3g} |")
    readme = out_dir / "README.md"
    readme.write_text("\n".join(lines) + "\n", encoding="utf-8")
    paths.append(readme)
    return paths
