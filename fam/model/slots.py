"""The projection client by client, for scenarios that use per-service counterfactual forms
(absolute rates, a placement chain, ageing out): see docs/method.md, "Counterfactual forms".

Each projected client (a "slot": an intake month k and a data client c) contributes to
reporting bucket b the sum of its monthly use over the relative months t that fall in b,
before its age cut t_A and inside an optional tracking window. With prefix sums F over t,
that sum is F(U) - F(L), where L = clip(start(b) - k) and U = max(L, min(end(b) - k, t_A)):

- own-baseline trend services: baseline x (months, ramp, profile, profile x ramp) sums, passed
  to `fam.model.projection.use` with the service's trend and effect (the v1 equation);
- absolute-rate services: the same with the rate's prefix sum in place of baseline x months
  and no trend;
- placement states: the chain's state shares (fam.model.forms) summed by month, times one month in
  the state's service unit; the programme arm's chain has the effects on its transitions.

Everything here is a pure function of arrays; the engine draws the clients and parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fam.model import projection
from fam.model.forms import run_chain
from fam.model.profiles import profile, ramp

TREND, RATE, STATE = 0, 1, 2


def prefix(x: np.ndarray) -> np.ndarray:
    """Prefix sums along the last axis with a leading 0: out[..., n] = sum of x[..., :n]."""
    x = np.asarray(x, dtype=float)
    out = np.zeros(x.shape[:-1] + (x.shape[-1] + 1,))
    np.cumsum(x, axis=-1, out=out[..., 1:])
    return out


@dataclass(frozen=True)
class RateForm:
    service: int
    from_months: np.ndarray  # [steps]
    values: slice  # the step values' columns in FormParams.rates


@dataclass(frozen=True)
class Chain:
    states: tuple[str, ...]
    state_service: np.ndarray  # [S] service index, -1 for a state without a service
    state_month: np.ndarray  # [S] one month in the state's service unit (0: no service)
    start: np.ndarray  # [client] start state index, or -1 for every client: use `shares`
    shares: np.ndarray  # [S] start shares (when start is -1)
    trans_from: np.ndarray  # [n_tr]
    trans_to: np.ndarray  # [n_tr]
    eff_of: np.ndarray  # [n_tr] index into FormParams.tchange, -1: no effect
    eff_profile: np.ndarray  # [n_eff, d, h] effect profile by programme duration
    cut: np.ndarray  # [client] age cut month of the chain (h: none)


@dataclass(frozen=True)
class Tables:
    """Everything fixed across iterations."""

    h: int
    kind: np.ndarray  # [s] TREND, RATE or STATE
    group: np.ndarray  # [s] column of `cut` that applies
    cut: np.ndarray  # [client, g] age cut month (h: none)
    baseline: np.ndarray  # [client, s]
    dix: np.ndarray  # [client] duration index
    n_d: int
    ramp_p: np.ndarray  # [h + 1]
    table_of: np.ndarray  # [s] effect profile table, -1: no effect
    prof_p: np.ndarray  # [n_tab, d, h + 1] prefix sums of the profile
    profr_p: np.ndarray  # [n_tab, d, h + 1] of profile x ramp
    prof: np.ndarray  # [n_tab, d, h]
    rates: tuple[RateForm, ...]
    chain: Chain | None


def make_tables(
    h: int,
    kind: np.ndarray,
    group: np.ndarray,
    cut: np.ndarray,
    baseline: np.ndarray,
    dvals: np.ndarray,
    dix: np.ndarray,
    ramp_months: float,
    onset: Sequence[float],
    half_life: Sequence[float | None],
    has_effect: Sequence[bool],
    rates: tuple[RateForm, ...],
    chain: Chain | None,
) -> Tables:
    t = np.arange(h, dtype=float)
    seen: dict[tuple[float, float | None], int] = {}
    table_of = np.full(len(kind), -1, dtype=np.int64)
    profs: list[np.ndarray] = []
    for s in range(len(kind)):
        if not has_effect[s]:
            continue
        hl = half_life[s]
        key = (float(onset[s]), None if hl is None else float(hl))
        if key not in seen:
            seen[key] = len(profs)
            profs.append(np.stack([profile(t, key[0], float(d), key[1]) for d in dvals]))
        table_of[s] = seen[key]
    prof = np.stack(profs) if profs else np.zeros((1, len(dvals), h))
    r = ramp(t, ramp_months)
    return Tables(
        h=h,
        kind=np.asarray(kind),
        group=np.asarray(group),
        cut=np.minimum(np.asarray(cut, dtype=np.int64), h),
        baseline=np.asarray(baseline, dtype=float),
        dix=np.asarray(dix),
        n_d=len(dvals),
        ramp_p=prefix(r),
        table_of=table_of,
        prof_p=prefix(prof),
        profr_p=prefix(prof * r),
        prof=prof,
        rates=rates,
        chain=chain,
    )


@dataclass(frozen=True)
class FormParams:
    """Parameter values [i, ...] for the forms (leading axis: iteration or variant)."""

    trend: np.ndarray  # [i, s] own-baseline trend of each service
    change: np.ndarray  # [i, s] effect on use
    rates: np.ndarray  # [i, n_values] rate step values
    trans: np.ndarray  # [i, n_tr] monthly transition probabilities
    tchange: np.ndarray  # [i, n_eff] effects on transitions


def chain_prefix(
    tab: Tables, fp: FormParams, e: np.ndarray, central: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Prefix sums over months of each state's use (share x one month in its unit), from
    `chain_states`: counterfactual [i, d, z, S, h + 1] (the same for every d) and programme
    arm [i, n_e, d, z, S, h + 1]."""
    ch = tab.chain
    assert ch is not None
    xp = chain_states(tab, fp, e, central)
    out = prefix(np.moveaxis(xp * ch.state_month[None, :], -1, -2))
    return out[:, 0], out[:, 1:]


def chain_states(tab: Tables, fp: FormParams, e: np.ndarray, central: bool) -> np.ndarray:
    """State shares x [i, 1 + n_e, d, z, t, S] by month: class 0 the counterfactual (the
    chain with engagement 0, so no effect), then the programme arm for each engagement class.

    e [i, n_e]: the engagement of each class of client (completer 1, non-completer; or the
    mean engagement in the central case); z = start state (or 1 row of start shares).
    """
    ch = tab.chain
    assert ch is not None
    n_s = len(ch.states)
    n_i = fp.trans.shape[0]
    # the counterfactual is the programme arm's chain with engagement 0 (no effect), run by
    # the same arithmetic, so that a zero effect gives exactly the counterfactual
    e = np.concatenate([np.zeros((n_i, 1)), np.broadcast_to(e, (n_i, e.shape[1]))], axis=1)
    n_e = e.shape[1]
    h = tab.h
    p = np.zeros((n_i, n_s, n_s))
    p[:, ch.trans_from, ch.trans_to] = fp.trans
    x0 = np.eye(n_s) if (ch.start >= 0).all() else ch.shares[None, :]
    n_z = x0.shape[0]
    effects = np.flatnonzero(ch.eff_of >= 0)
    base = np.broadcast_to(p[:, None, None, :, :], (n_i, n_e, tab.n_d, n_s, n_s))

    def moves_at(t: int) -> np.ndarray:  # [i, e, d, 1 (start state), S, S]
        m = base.copy() if effects.size else base
        for r in effects:
            a, b, j = ch.trans_from[r], ch.trans_to[r], ch.eff_of[r]
            f = 1.0 + fp.tchange[:, j, None, None] * ch.eff_profile[j, None, :, t] * e[:, :, None]
            m[:, :, :, a, b] = np.clip(p[:, a, b, None, None] * f, 0.0, 1.0)
        return m[:, :, :, None]

    x = np.broadcast_to(x0, (n_i, n_e, tab.n_d, n_z, n_s))
    return run_chain(x, moves_at, h, central, ch.states)


def slot_use(
    tab: Tables,
    fp: FormParams,
    chain_p: tuple[np.ndarray, np.ndarray] | None,
    k: np.ndarray,
    c: np.ndarray,
    e: np.ndarray,
    ecl: np.ndarray,
    w: np.ndarray,
    edges: np.ndarray,
    window: int | None = None,
    services: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Use of both arms [i, s, b] summed over slots.

    k [j] intake month of each slot; c [i, j] its data client, or [1, j] for slots shared
    by every row of parameters (the central case and its one-way variants, where e [i, 1] is
    the mean engagement); e [i, j] its engagement (1 or the non-completer effect); ecl [i, j]
    its engagement class in `chain_p`'s programme arm; w [j] its weight (1; in the central
    case the expected clients it stands for); edges [b + 1] bucket boundaries in calendar
    months; `services` a subset (default all), in the order of the output.
    """
    sv = np.arange(len(tab.kind)) if services is None else np.asarray(services)
    n_i = fp.trend.shape[0]
    shared = c.shape[0] == 1
    if not shared:
        e = np.broadcast_to(e, c.shape)
    n_b = len(edges) - 1
    h = tab.h
    lo = np.clip(edges[None, :-1] - k[:, None], 0, h)  # [j, b]
    hi = np.clip(edges[None, 1:] - k[:, None], 0, h)
    if window is not None:
        lo, hi = np.minimum(lo, window), np.minimum(hi, window)
    lo3 = lo[None]
    cf = np.zeros((n_i, len(sv), n_b))
    pg = np.zeros((n_i, len(sv), n_b))
    d_c = tab.dix[c]  # [i or 1, j]
    w3 = w[None, :, None]
    e_slot = np.ones((1, 1, 1)) if shared else e[:, :, None]
    e_row = e[:, :1, None] if shared else 1.0  # [i, 1, 1]: the central mean engagement
    for g in np.unique(tab.group[sv]):
        up = np.maximum(lo3, np.minimum(hi[None], tab.cut[c, g][:, :, None]))  # [., j, b]
        mine = sv[tab.group[sv] == g]
        # own-baseline trend services, by effect profile table
        trend_s = mine[tab.kind[mine] == TREND]
        if trend_s.size:
            base0, base1, q0, q1 = _trend_sums(tab, c, up, lo3, d_c, w3, e_slot, trend_s)
            a, b = projection.use(
                fp.trend[:, trend_s, None],
                fp.change[:, trend_s, None],
                base0,
                base1,
                q0 * e_row,
                q1 * e_row,
            )
            pos = _pos(sv, trend_s)
            cf[:, pos], pg[:, pos] = a, b
        # absolute rates
        for rf in tab.rates:
            if rf.service not in mine:
                continue
            t = np.arange(h)
            step = np.searchsorted(rf.from_months, t, side="right") - 1
            vals = fp.rates[:, rf.values][:, step]  # [i, t]
            rp = prefix(vals)  # [i, h + 1]
            tb = tab.table_of[rf.service]
            rpp = None if tb < 0 else prefix(vals[:, None, :] * tab.prof[tb][None])  # [i, d, x]
            if shared:
                # expected counts: the slots' month counts as a table over prefix positions
                cnt = _counts(up[0], lo, w, d_c[0], tab.n_d, h)  # [d, x, b]
                base0 = np.einsum("ix,xb->ib", rp, cnt.sum(axis=0))
                q0 = np.zeros_like(base0)
                if rpp is not None:
                    q0 = np.einsum("idx,dxb->ib", rpp, cnt) * e[:, :1]
            else:
                ii = np.arange(n_i)[:, None, None]
                base0 = ((rp[ii, up] - rp[ii, lo3]) * w3).sum(axis=1)
                q0 = np.zeros_like(base0)
                if rpp is not None:
                    dd = d_c[:, :, None]
                    q0 = ((rpp[ii, dd, up] - rpp[ii, dd, lo3]) * e_slot * w3).sum(axis=1)
            a, b = projection.use(0.0, fp.change[:, rf.service, None], base0, 0.0, q0, 0.0)
            pos = _pos(sv, np.array([rf.service]))
            cf[:, pos[0]], pg[:, pos[0]] = a, b
    # placement states
    ch = tab.chain
    if ch is not None and chain_p is not None:
        st = [(s_i, int(np.flatnonzero(sv == svc)[0])) for s_i, svc in enumerate(ch.state_service)
              if svc >= 0 and svc in sv]  # fmt: skip
        if st:
            xc, xp = chain_p  # [i, d, z, S, x], [i, n_e, d, z, S, x]
            up = np.maximum(lo3, np.minimum(hi[None], ch.cut[c][:, :, None]))
            z = np.zeros_like(c) if xc.shape[2] == 1 else ch.start[c]
            if shared:
                n_z = xc.shape[2]
                key = z[0] * tab.n_d + d_c[0]
                cnt = _counts(up[0], lo, w, key, n_z * tab.n_d, h).reshape(n_z, tab.n_d, h + 1, n_b)
                for s_i, pos_i in st:
                    cf[:, pos_i] = np.einsum("idzx,zdxb->ib", xc[:, :, :, s_i], cnt)
                    pg[:, pos_i] = np.einsum("idzx,zdxb->ib", xp[:, 0, :, :, s_i], cnt)
            else:
                ii = np.arange(n_i)[:, None, None]
                zz, dd, ee = z[:, :, None], d_c[:, :, None], ecl[:, :, None]
                for s_i, pos_i in st:
                    a = xc[:, :, :, s_i]  # [i, d, z, x]
                    b = xp[:, :, :, :, s_i]  # [i, n_e, d, z, x]
                    cf[:, pos_i] = ((a[ii, dd, zz, up] - a[ii, dd, zz, lo3]) * w3).sum(axis=1)
                    pg[:, pos_i] = ((b[ii, ee, dd, zz, up] - b[ii, ee, dd, zz, lo3]) * w3).sum(
                        axis=1
                    )
    return cf, pg


def _trend_sums(
    tab: Tables,
    c: np.ndarray,
    up: np.ndarray,
    lo3: np.ndarray,
    d_c: np.ndarray,
    w3: np.ndarray,
    e_slot: np.ndarray,
    trend_s: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Baseline x (months, ramp, profile x e, profile x ramp x e) summed over slots [i, s, b]
    for own-baseline trend services (the sums fam.model.projection.use takes)."""
    bl = tab.baseline[c][:, :, trend_s] * w3  # [., j, s]
    months = (up - lo3).astype(float)
    rmp = tab.ramp_p[up] - tab.ramp_p[lo3]
    base0 = np.einsum("ijs,ijb->isb", bl, months)
    base1 = np.einsum("ijs,ijb->isb", bl, rmp)
    q0 = np.zeros_like(base0)
    q1 = np.zeros_like(base0)
    for tb in np.unique(tab.table_of[trend_s]):
        if tb < 0:
            continue
        cols = np.flatnonzero(tab.table_of[trend_s] == tb)
        pp, pr = tab.prof_p[tb], tab.profr_p[tb]
        dp = (pp[d_c[:, :, None], up] - pp[d_c[:, :, None], lo3]) * e_slot
        dr = (pr[d_c[:, :, None], up] - pr[d_c[:, :, None], lo3]) * e_slot
        q0[:, cols] = np.einsum("ijs,ijb->isb", bl[:, :, cols], dp)
        q1[:, cols] = np.einsum("ijs,ijb->isb", bl[:, :, cols], dr)
    return base0, base1, q0, q1


def exposure_sums(
    tab: Tables, k: np.ndarray, c: np.ndarray, w: np.ndarray, edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For the workbook: baseline, baseline_ramp, profile, profile_ramp [s, b] of every own-
    baseline trend service (0 for the others), with expected counts (c [1, j], weights w),
    ageing out included; engagement left out (the workbook multiplies by it)."""
    n_s, n_b, h = len(tab.kind), len(edges) - 1, tab.h
    out = [np.zeros((n_s, n_b)) for _ in range(4)]
    lo = np.clip(edges[None, :-1] - k[:, None], 0, h)
    hi = np.clip(edges[None, 1:] - k[:, None], 0, h)
    lo3 = lo[None]
    d_c = tab.dix[c]
    for g in np.unique(tab.group):
        sv = np.flatnonzero((tab.group == g) & (tab.kind == TREND))
        if not sv.size:
            continue
        up = np.maximum(lo3, np.minimum(hi[None], tab.cut[c, g][:, :, None]))
        sums = _trend_sums(tab, c, up, lo3, d_c, w[None, :, None], np.ones((1, 1, 1)), sv)
        for o, x in zip(out, sums, strict=True):
            o[sv] = x[0]
    return out[0], out[1], out[2], out[3]


def chain_weights(
    tab: Tables, k: np.ndarray, c: np.ndarray, w: np.ndarray, edges: np.ndarray
) -> np.ndarray:
    """For the workbook: W [z, d, b, t], the expected clients with start state z and
    programme duration d who are in relative month t during bucket b, before the chain's age
    cut (c [1, j] and weights w [j] as in the central case), so that a state's use in bucket
    b is sum over z, d, t of W x (its share in month t) x (one month in its unit)."""
    ch = tab.chain
    assert ch is not None
    h = tab.h
    lo = np.clip(edges[None, :-1] - k[:, None], 0, h)
    hi = np.clip(edges[None, 1:] - k[:, None], 0, h)
    up = np.maximum(lo, np.minimum(hi, ch.cut[c[0]][:, None]))
    n_z = len(ch.states) if (ch.start >= 0).all() else 1
    z = ch.start[c[0]] if n_z > 1 else np.zeros(c.shape[1], dtype=np.int64)
    d = tab.dix[c[0]]
    cnt = _counts(up, lo, w, z * tab.n_d + d, n_z * tab.n_d, h)  # [key, x, b]
    # 1[L <= t < U] = sum over x > t of (1[U = x] - 1[L = x])
    after = np.cumsum(cnt[:, ::-1, :], axis=1)[:, ::-1, :]  # [key, x, b]: sum over x' >= x
    weights = after[:, 1:, :]  # x' >= t + 1, t = 0 .. h - 1
    return np.moveaxis(weights, 1, 2).reshape(n_z, tab.n_d, len(edges) - 1, h)


def _counts(
    up: np.ndarray, lo: np.ndarray, w: np.ndarray, key: np.ndarray, n_key: int, h: int
) -> np.ndarray:
    """[key, x, b]: for slots with weights w [j] and a key [j] (e.g. duration), the weight at
    prefix position x = U minus the weight at x = L, so that for any prefix sum F over months
    sum over slots of w (F(U) - F(L)) = sum over x of F(x) x this table."""
    n_b = up.shape[1]
    kb = (key[:, None] * (h + 1)) * n_b + np.arange(n_b)[None, :]  # [j, b]
    ww = np.broadcast_to(w[:, None], up.shape)
    out = np.bincount((kb + up * n_b).ravel(), ww.ravel(), n_key * (h + 1) * n_b)
    out -= np.bincount((kb + lo * n_b).ravel(), ww.ravel(), n_key * (h + 1) * n_b)
    return out.reshape(n_key, h + 1, n_b)


def _pos(sv: np.ndarray, which: np.ndarray) -> np.ndarray:
    where = {int(s): i for i, s in enumerate(sv)}
    return np.array([where[int(s)] for s in which], dtype=np.int64)
