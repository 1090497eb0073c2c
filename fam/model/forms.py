"""Counterfactual forms (v2): pure array building blocks, no scenario or engine state.

- rate steps: an absolute use per client per month, changing at given relative months;
- age cut: the relative month from which a client has aged out of a service;
- placements: a monthly Markov chain over mutually exclusive states (home, foster, ...),
  in the counterfactual and in the programme arm (effects change transition probabilities);
- estimation from a comparison group: rates by month and transition probabilities, with
  Monte Carlo draw distributions whose means are exactly the point estimates;
- asymmetric optimism bias on savings.

Axes: i Monte Carlo iteration, c client, s service, t relative month (0 = start month),
S placement state, d programme duration, r cost row, y appraisal year. Functions whose
parameters are drawn take a leading i axis; where the inputs have none, neither does the
result. Draws use the inverse-CDF method from uniforms, as everywhere else in fam.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from fam.errors import InputError
from fam.inputs.cohort import _anniversary
from fam.model.profiles import profile
from fam.vocabulary import MONTH_IN_UNIT

MONTH_DAYS = 365.0 / 12.0
NO_CUT = np.iinfo(np.int64).max  # age_cut_month for a client without an age: never cut
_AGE_TOL = 1e-9  # 12 * (A - a) within this of a whole month counts as that month


# --------------------------------------------------------------------------- units


def month_in_unit(unit: str) -> float:
    """One month (365/12 days) in a time unit: nights or days 365/12, weeks 365/84,
    months 1, years 1/12. Units counted per event cannot hold a placement state."""
    if unit not in MONTH_IN_UNIT:
        raise InputError(
            f"a service counted per {unit} cannot be a placement state; states need a time "
            "unit (night, day, week, month or year)"
        )
    return MONTH_IN_UNIT[unit]


# --------------------------------------------------------------------------- rate steps


def rate_steps(
    from_months: Sequence[int], values: Sequence[float | np.ndarray], t: np.ndarray
) -> np.ndarray:
    """Rate per client per month at relative months t: the value of the last step with
    from_month <= t; 0 before month 0.

    from_months: [n] strictly increasing, the first 0. values: n scalars or arrays [i]
    (one draw per iteration). Returns [len(t)], or [i, len(t)] if any value has an i axis.
    """
    starts = np.asarray(from_months, dtype=np.int64)
    if starts.size == 0 or starts[0] != 0:
        raise ValueError("the first rate step must start at month 0")
    if np.any(np.diff(starts) <= 0):
        raise ValueError("rate steps must be in strictly increasing from_month order")
    if len(values) != starts.size:
        raise ValueError(f"{starts.size} steps but {len(values)} values")
    vals = np.stack(np.broadcast_arrays(*[np.asarray(v, dtype=float) for v in values]), axis=-1)
    tt = np.asarray(t)
    idx = np.searchsorted(starts, tt, side="right") - 1
    out = vals[..., np.maximum(idx, 0)]
    return np.where(tt >= 0, out, 0.0)


# --------------------------------------------------------------------------- age cut


@dataclass(frozen=True)
class AgeCut:
    months: np.ndarray  # [c] int64: first relative month with no use (NO_CUT: never)
    without_age: int  # clients with no age, not cut


def age_cut_month(ages: np.ndarray, until_age: float) -> AgeCut:
    """t_A = max(0, ceil(12 * (A - a))) for age at start a (years, fractional allowed).

    A client uses none of the services in relative months t >= t_A. A missing age (NaN)
    is not cut (t_A = NO_CUT) and is counted. 12 * (A - a) within 1e-9 of a whole number
    is taken as that number, so that 17.25 -> 18 gives exactly 9.
    """
    a = np.asarray(ages, dtype=float)
    missing = np.isnan(a)
    x = 12.0 * (until_age - np.where(missing, 0.0, a))
    t_a = np.maximum(0, np.ceil(x - _AGE_TOL)).astype(np.int64)
    return AgeCut(np.where(missing, NO_CUT, t_a), int(missing.sum()))


def age_mask(cut: np.ndarray, t: np.ndarray) -> np.ndarray:
    """[c, len(t)]: 1.0 where the client still uses the service (t < t_A), else 0.0."""
    return (np.asarray(t)[None, :] < np.asarray(cut)[:, None]).astype(float)


# --------------------------------------------------------------------------- placements


def _moves(p: np.ndarray) -> np.ndarray:
    """Off-diagonal part of [.., S, S] (the diagonal, if given, is ignored)."""
    n = p.shape[-1]
    return np.where(np.eye(n, dtype=bool), 0.0, p)


def _step_matrix(
    moves: np.ndarray, central: bool, t: int, states: Sequence[str] | None
) -> np.ndarray:
    """A transition matrix from move probabilities [.., S, S] (diagonal zero): the stay
    probability takes the remainder. A row whose moves exceed 1 is an error if central,
    else scaled to sum to 1 (stay 0)."""
    tot = moves.sum(axis=-1)
    over = tot > 1.0 + 1e-12
    if over.any():
        if central:
            row = int(np.argwhere(over)[0][-1])
            name = states[row] if states is not None else str(row)
            raise InputError(
                f"placements.transitions.{name}: the monthly moves out of {name!r} sum to "
                f"{float(tot[over].max()):.6g} in relative month {t}, above 1; they are "
                "probabilities of leaving in one month"
            )
        moves = moves / np.where(over, tot, 1.0)[..., None]
        tot = np.where(over, 1.0, tot)
    n = moves.shape[-1]
    return moves + np.eye(n) * (1.0 - tot)[..., None]


def run_chain(
    x0: np.ndarray,
    moves_at: Callable[[int], np.ndarray],
    months: int,
    central: bool,
    states: Sequence[str] | None = None,
) -> np.ndarray:
    """The chain, month by month: x_0 = x0 [batch.., S]; x_{t+1} = x_t P_t, where P_t is
    made by `_step_matrix` from `moves_at(t)` [batch.., S, S] (move probabilities; the
    diagonal is ignored). Returns [batch.., months, S]. Every chain in fam runs here."""
    x = np.array(x0, dtype=float)
    out = np.empty(x.shape[:-1] + (months, x.shape[-1]))
    for t in range(months):
        out[..., t, :] = x
        if t == months - 1:
            break
        step = _step_matrix(_moves(moves_at(t)), central, t, states)
        x = np.einsum("...a,...ab->...b", x, step)
    return out


def chain_counterfactual(
    x0: np.ndarray,
    p: np.ndarray,
    months: int,
    central: bool = True,
    states: Sequence[str] | None = None,
) -> np.ndarray:
    """State shares by month without the programme: x_0 = x0, x_{t+1} = x_t P.

    x0: [.., S] (a one-hot row per client, or shares). p: [i, S, S] or [S, S], p[a, b] the
    monthly probability of moving a -> b (the diagonal is ignored: stay = 1 - sum of moves).
    Returns [i, .., months, S] ([.., months, S] if p has no i axis).
    """
    pa = np.asarray(p, dtype=float)
    change = np.zeros_like(pa)
    return chain_programme(x0, pa, change, np.ones(months), 1.0, months, central, states)


def chain_programme(
    x0: np.ndarray,
    p: np.ndarray,
    change: np.ndarray,
    profile: np.ndarray,
    e: float | np.ndarray,
    months: int,
    central: bool,
    states: Sequence[str] | None = None,
) -> np.ndarray:
    """State shares by month with the programme.

    P_t[a, b] = min(1, max(0, p_ab * (1 + change_ab * profile(t) * e))) for a != b and
    P_t[a, a] takes the remainder; x_{t+1} = x_t P_t. A row of moves summing to more than 1
    is an error in the central case and is scaled to sum to 1 in a Monte Carlo draw.

    x0 [.., S]; p [i, S, S] or [S, S]; change like p (0 where no effect); profile [t] or
    [d, t] (at least `months` long); e scalar or [i]. Returns [i, (d,) .., months, S]:
    the i axis only if p, change or e has one, the d axis only if profile has one.
    """
    x0a = np.asarray(x0, dtype=float)
    pa = np.asarray(p, dtype=float)
    ch = np.asarray(change, dtype=float)
    ea = np.asarray(e, dtype=float)
    prof = np.asarray(profile, dtype=float)
    n = x0a.shape[-1]
    if pa.shape[-2:] != (n, n) or ch.shape[-2:] != (n, n):
        raise ValueError(f"p and change must end in ({n}, {n}) for {n} states")
    if prof.shape[-1] < months:
        raise ValueError(f"profile covers {prof.shape[-1]} months, fewer than {months}")
    has_i = pa.ndim == 3 or ch.ndim == 3 or ea.ndim == 1
    has_d = prof.ndim == 2
    n_i = max(pa.shape[0] if pa.ndim == 3 else 1, ch.shape[0] if ch.ndim == 3 else 1, ea.size)
    p3 = _moves(np.broadcast_to(pa, (n_i, n, n)))
    c3 = _moves(np.broadcast_to(ch, (n_i, n, n)))
    e1 = np.broadcast_to(ea.reshape(-1), (n_i,))
    prof2 = prof[None, :] if prof.ndim == 1 else prof
    n_d = prof2.shape[0]
    batch = x0a.shape[:-1]
    nb = len(batch)

    def moves_at(t: int) -> np.ndarray:  # [i, d, (1,) * nb, S, S]
        f = 1.0 + c3[:, None] * prof2[None, :, t, None, None] * e1[:, None, None, None]
        mv = np.clip(p3[:, None] * f, 0.0, 1.0)
        return mv.reshape(n_i, n_d, *([1] * nb), n, n)

    # x: [i, d, *batch, S]
    x = np.broadcast_to(x0a, (n_i, n_d, *batch, n))
    out = run_chain(x, moves_at, months, central, states)
    if not has_d:
        out = out[:, 0]
    if not has_i:
        out = out[0]
    return out


def state_use(x: np.ndarray, month_units: Sequence[float]) -> np.ndarray:
    """Use of each state's service by month: x[.., t, S] times one month in its unit
    (month_units[S], 0 for a state with no service, such as home)."""
    return np.asarray(x) * np.asarray(month_units, dtype=float)


# --------------------------------------------------------------------------- states from spells


def _states_on(
    dates: np.ndarray,
    spell_client: np.ndarray,
    spell_state: np.ndarray,
    spell_start: np.ndarray,
    spell_end: np.ndarray,
    n_states: int,
    default: int,
) -> tuple[np.ndarray, int]:
    """State of each client on dates [c, m]: the state whose spell covers the date
    (start <= date < end); the lowest-listed such state if several; else `default`."""
    d = np.asarray(dates).astype("datetime64[D]")
    cl = np.asarray(spell_client, dtype=np.int64)
    st = np.asarray(spell_state, dtype=np.int64)
    a = np.asarray(spell_start).astype("datetime64[D]")
    b = np.asarray(spell_end).astype("datetime64[D]")
    cover = np.zeros(d.shape + (n_states,), dtype=bool)
    if cl.size:
        dd = d[cl]  # [n, m]
        hit = (a[:, None] <= dd) & (dd < b[:, None])
        n_idx, m_idx = np.nonzero(hit)
        cover[cl[n_idx], m_idx, st[n_idx]] = True
    any_ = cover.any(axis=-1)
    state = np.where(any_, np.argmax(cover, axis=-1), default)
    ambiguous = int((cover.sum(axis=-1) > 1).sum())
    return state.astype(np.int64), ambiguous


def start_state_from_spells(
    start_dates: np.ndarray,
    spell_client: np.ndarray,
    spell_state: np.ndarray,
    spell_start: np.ndarray,
    spell_end: np.ndarray,
    n_states: int,
    default: int = 0,
) -> tuple[np.ndarray, int]:
    """Each client's state on its start date (placements.start: data).

    start_dates [c]; spells [n] of the states' services: client index, state index, start
    and end (end exclusive, as in service_use.csv). The state whose spell covers the start
    date; if spells of several states cover it, the one listed first; if none, `default`
    (the first state listed). Returns (state [c] int, clients covered by several states).
    """
    st, amb = _states_on(
        np.asarray(start_dates).astype("datetime64[D]")[:, None],
        spell_client,
        spell_state,
        spell_start,
        spell_end,
        n_states,
        default,
    )
    return st[:, 0], amb


def monthly_states(
    start_dates: np.ndarray,
    spell_client: np.ndarray,
    spell_state: np.ndarray,
    spell_start: np.ndarray,
    spell_end: np.ndarray,
    n_states: int,
    months: int,
    default: int = 0,
) -> tuple[np.ndarray, int]:
    """Each client's state in relative months 0..months-1: the state on the first day of
    the month (start_date + t months, clipped to the month's end), by the same rule as
    start_state_from_spells. Returns (state [c, months] int, client-months with ties)."""
    sd = np.asarray(start_dates).astype("datetime64[D]")
    n_c = sd.size
    t = np.broadcast_to(np.arange(months), (n_c, months))
    firsts = _anniversary(np.repeat(sd, months), t.reshape(-1)).reshape(n_c, months)
    return _states_on(firsts, spell_client, spell_state, spell_start, spell_end, n_states, default)


def one_hot(state: np.ndarray, n_states: int) -> np.ndarray:
    """[..] state indices -> [.., S] rows of 0 and 1 (x0 for the chain)."""
    return np.eye(n_states)[np.asarray(state, dtype=np.int64)]


# --------------------------------------------------------------------------- estimation


def _gamma_ppf(shape: np.ndarray, scale: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Gamma(shape, scale) inverse CDF; shape 0 is the point mass at 0."""
    shape_b, scale_b, u_b = np.broadcast_arrays(
        np.asarray(shape, float), np.asarray(scale, float), np.asarray(u, float)
    )
    pos = shape_b > 0
    out = np.zeros(u_b.shape)
    if pos.any():
        out[pos] = stats.gamma.ppf(u_b[pos], shape_b[pos], scale=scale_b[pos])
    return out


@dataclass(frozen=True)
class RateEstimate:
    """rate[s, t] = count[s, t] / exposure[t] from the comparison arm.

    exposure[t]: comparison clients observed in relative month t; count[s, t]: their use
    in it (service units). A month with no client observed takes the estimate (and the
    draw) of the latest earlier month with one: `source_month[t]`.
    """

    count: np.ndarray  # [s, t]
    exposure: np.ndarray  # [t]
    source_month: np.ndarray  # [t] month whose data give month t

    @property
    def rate(self) -> np.ndarray:
        e = self.exposure[self.source_month]
        return self.count[:, self.source_month] / e

    def mean(self) -> np.ndarray:
        """Exact mean of the draw distribution, shape * scale: equal to `rate`."""
        m = self.source_month
        return self.count[:, m] * (1.0 / self.exposure[m])

    def draw(self, u: np.ndarray) -> np.ndarray:
        """Draws [i, s, t] from uniforms u [i, s, t]: Gamma(count, scale = 1/exposure),
        independent by month; months without data repeat their source month's draw."""
        m = self.source_month
        ua = np.asarray(u, dtype=float)[..., m]
        return _gamma_ppf(self.count[:, m], 1.0 / self.exposure[m], ua)


def estimate_rates(use: np.ndarray, observed: np.ndarray) -> RateEstimate:
    """Rates by relative month from comparison clients.

    use [c, s, t] (or [c, t] for one service): each comparison client's use by month, in
    the service's unit; observed [c, t] bool: the month is before the client's end of data.
    Month 0 must have at least one client observed.
    """
    u = np.asarray(use, dtype=float)
    if u.ndim == 2:
        u = u[:, None, :]
    obs = np.asarray(observed, dtype=bool)
    exposure = obs.sum(axis=0).astype(float)
    count = (u * obs[:, None, :]).sum(axis=0)
    if exposure.size == 0 or exposure[0] <= 0:
        raise InputError(
            "rate: comparison needs at least one comparison client observed in its start month"
        )
    idx = np.where(exposure > 0, np.arange(exposure.size), 0)
    source = np.maximum.accumulate(idx)
    return RateEstimate(count, exposure, source)


@dataclass(frozen=True)
class TransitionEstimate:
    """p[a, b] = moves[a, b] / exposure[a] from the comparison arm's monthly states.

    alpha [S, S]: moves a -> b off the diagonal, stays on it; exposure[a] = alpha[a].sum():
    client-months in a followed by an observed month. A row is drawn from
    Dirichlet(alpha[a]) (a Beta(moves, stays) for a row with one possible move), so the
    mean of a draw is alpha[a, b] / exposure[a], the point estimate, exactly. A component
    with count 0 is 0 in every draw. A state never observed (exposure 0) keeps everyone
    (moves 0, in every draw) and is listed in `unobserved`.
    """

    alpha: np.ndarray  # [S, S]

    @property
    def exposure(self) -> np.ndarray:
        return self.alpha.sum(axis=-1)

    @property
    def unobserved(self) -> np.ndarray:
        return np.flatnonzero(self.exposure <= 0)

    @property
    def p(self) -> np.ndarray:
        """[S, S]: move probabilities off the diagonal, stay on it (rows sum to 1)."""
        e = self.exposure
        n = e.size
        safe = np.where(e > 0, e, 1.0)[:, None]
        return np.where((e > 0)[:, None], self.alpha / safe, np.eye(n))

    def mean(self) -> np.ndarray:
        """Exact mean of the Dirichlet rows, alpha / alpha.sum(row): equal to `p`."""
        return self.p

    def draw(self, u: np.ndarray) -> np.ndarray:
        """Draws [i, S, S] from uniforms u [i, S, S]: Dirichlet rows as independent
        Gamma(alpha[a, b], 1) variables (inverse CDF) divided by their row sum."""
        g = _gamma_ppf(self.alpha, np.ones_like(self.alpha), np.asarray(u, dtype=float))
        tot = g.sum(axis=-1, keepdims=True)
        n = self.alpha.shape[-1]
        stay = np.broadcast_to(np.eye(n), g.shape)
        return np.where(tot > 0, g / np.where(tot > 0, tot, 1.0), stay)


def estimate_transitions(
    states: np.ndarray, observed: np.ndarray, n_states: int
) -> TransitionEstimate:
    """Transition probabilities from comparison clients' monthly states.

    states [c, t] int: each client's state in relative month t (see monthly_states);
    observed [c, t] bool. Month t of client c counts if both t and t + 1 are observed:
    it adds 1 to exposure[state[c, t]] and, if state[c, t + 1] differs, one move.
    """
    st = np.asarray(states, dtype=np.int64)
    obs = np.asarray(observed, dtype=bool)
    both = obs[:, :-1] & obs[:, 1:]
    a = st[:, :-1][both]
    b = st[:, 1:][both]
    alpha = np.zeros((n_states, n_states))
    np.add.at(alpha, (a, b), 1.0)
    return TransitionEstimate(alpha)


# --------------------------------------------------------------------------- optimism bias


def asymmetric_optimism_bias(savings: np.ndarray, ob_c: np.ndarray, ob_e: np.ndarray) -> np.ndarray:
    """Savings [.., r, y] after optimism bias, per cost row r and appraisal year y:
    s >= 0 -> s (1 - ob_c)(1 - ob_e); s < 0 (a cost increase) -> s (1 + ob_c)(1 + ob_e).

    ob_c [r]: benefit share for the unit cost's confidence grade; ob_e [r]: for the
    effect's grade (0 when it has none)."""
    s = np.asarray(savings, dtype=float)
    c = np.asarray(ob_c, dtype=float)[:, None]
    e = np.asarray(ob_e, dtype=float)[:, None]
    return np.where(s >= 0, s * (1 - c) * (1 - e), s * (1 + c) * (1 + e))


def profile_matrix(
    months: int, onset: float, durations: Sequence[float], half_life: float | None
) -> np.ndarray:
    """[d, t] effect profile for each programme duration (as fam.model.profile)."""
    t = np.arange(months, dtype=float)
    return np.stack([profile(t, onset, d, half_life) for d in durations])


__all__ = [
    "MONTH_DAYS",
    "NO_CUT",
    "AgeCut",
    "RateEstimate",
    "TransitionEstimate",
    "age_cut_month",
    "age_mask",
    "asymmetric_optimism_bias",
    "chain_counterfactual",
    "chain_programme",
    "estimate_rates",
    "estimate_transitions",
    "month_in_unit",
    "monthly_states",
    "one_hot",
    "profile_matrix",
    "rate_steps",
    "start_state_from_spells",
    "state_use",
]
