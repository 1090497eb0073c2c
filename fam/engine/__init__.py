"""The Monte Carlo engine: a pure function of ModelInputs and a seed.

Per iteration every uncertain input is drawn once (one stream of uniforms per named input, so
scenarios run with the same seed share draws), the cohort is resampled to `size` clients and
placed on the intake schedule, and counts may carry Poisson noise. Iterations run in chunks;
the random streams are fixed per block of BLOCK iterations, so results are bit-identical
whatever the chunk size or the number of workers.

The central case uses every input at its central value (the mean of its distribution) and
expected counts; the workbook's formulas recompute it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd
from scipy import stats

from fam.inputs.loading import Input, ModelInputs
from fam.model import projection, slots
from fam.model.distributions import stream_key, uniforms
from fam.model.finance import bcr, discount_factors, payback_years
from fam.model.profiles import Exposure, exposure, profile
from fam.vocabulary import DAYS_PER_UNIT, MONTH_IN_UNIT, PERSPECTIVE_VALUE_TYPES, PERSPECTIVES

BLOCK = 50  # iterations per random-number block (results do not depend on chunking)
_MAX_CELLS = 4_000_000  # chunk so that iterations x clients stays below this


@dataclass(frozen=True)
class Plan:
    """Everything fixed across iterations: exposures, cells, cost rows, weights."""

    inputs: ModelInputs
    dvals: np.ndarray  # distinct programme durations (months)
    dix: np.ndarray  # [client] index into dvals
    year_exp: Exposure  # buckets = appraisal years
    df: np.ndarray  # [year] discount factors
    slot_k: np.ndarray  # [slot] intake month of each of the `size` bootstrapped clients
    s0: np.ndarray  # [k, d, s] central cohort baseline use per month (size x data mean)
    n0: np.ndarray  # [k, d] central client counts
    row_s: np.ndarray  # [r] service index of each cost row
    weights: np.ndarray  # [perspective, r] share of row r counted in each perspective
    ob_benefit: np.ndarray  # [r] optimism-bias reduction of savings
    ob_cost: float  # optimism-bias uplift of programme costs
    agencies: tuple[str, ...]
    row_agency: np.ndarray  # [r] index into agencies
    headline: int  # index of the scenario's perspective
    tables: slots.Tables | None = None  # per-service forms: projected client by client
    ob_effect: np.ndarray | None = None  # [r] optimism-bias share of the row's effect grade


def perspective_weights(value_type: np.ndarray, cashable: np.ndarray) -> np.ndarray:
    """[perspective, r]: the share of each cost row's saving each perspective counts
    (fam.vocabulary.PERSPECTIVE_VALUE_TYPES; the cashable perspective its cashable share)."""
    counted = {
        p: np.isin(value_type, PERSPECTIVE_VALUE_TYPES[p]).astype(float) for p in PERSPECTIVES
    }
    counted["fiscal_cashable"] = counted["fiscal_cashable"] * cashable
    return np.stack([counted[p] for p in PERSPECTIVES])


def make_plan(mi: ModelInputs) -> Plan:
    sc = mi.scenario
    h, years = mi.horizon_months, mi.n_years
    dvals, dix = np.unique(mi.durations, return_inverse=True)
    k_n = len(mi.intake)
    onset = [e.onset_months for e in mi.effects]
    half = [e.half_life_months for e in mi.effects]
    year_bucket = np.arange(h) // 12
    ex = exposure(
        h, k_n, dvals.tolist(), onset, half, sc.counterfactual.ramp_months, year_bucket, years
    )
    n_data = len(dix)
    share_d = np.bincount(dix, minlength=len(dvals)) / n_data
    b_d = np.zeros((len(dvals), len(mi.services)))
    np.add.at(b_d, dix, mi.baseline)
    b_d /= n_data
    s0 = mi.intake[:, None, None] * b_d[None, :, :]
    n0 = mi.intake[:, None] * share_d[None, :]
    # integer intake for the bootstrap: largest-remainder rounding of the schedule
    target = mi.intake * mi.size / mi.intake.sum()
    counts = np.floor(target).astype(np.int64)
    rest = mi.size - counts.sum()
    if rest > 0:
        order = np.argsort(-(target - counts), kind="stable")[:rest]
        counts[order] += 1
    slot_k = np.repeat(np.arange(k_n), counts)
    rows = mi.cost_rows
    ob = mi.optimism_bias
    apply_ob = sc.optimism_bias.apply
    ob_benefit = np.array(
        [ob[int(g)]["benefits"] if apply_ob else 0.0 for g in rows["confidence"]], dtype=float
    )
    ob_cost = ob[sc.programme_costs.confidence]["costs"] if apply_ob else 0.0
    agencies = tuple(sorted(set(rows["agency"])))
    return Plan(
        inputs=mi,
        dvals=dvals,
        dix=dix,
        year_exp=ex,
        df=discount_factors(sc.discounting.rate, years, sc.discounting.schedule),
        slot_k=slot_k,
        s0=s0,
        n0=n0,
        row_s=rows["s_index"].to_numpy(dtype=np.int64),
        weights=perspective_weights(
            rows["value_type"].to_numpy(), rows["cashable"].to_numpy(dtype=float)
        ),
        ob_benefit=ob_benefit,
        ob_cost=float(ob_cost),
        agencies=agencies,
        row_agency=rows["agency"].map({a: i for i, a in enumerate(agencies)}).to_numpy(),
        headline=PERSPECTIVES.index(sc.perspective),
        tables=None if mi.forms is None else _tables(mi, dvals, dix),
        ob_effect=_ob_effect(mi, rows["s_index"].to_numpy(dtype=np.int64)),
    )


def _ob_effect(mi: ModelInputs, row_s: np.ndarray) -> np.ndarray:
    """[r] optimism-bias share of the evidence grade of each row's effect (0 without one)."""
    sc = mi.scenario
    grades = [e.confidence for e in mi.effects]  # the effect each service resolved to
    chain = None if mi.forms is None else mi.forms.chain
    if chain is not None and sc.placements is not None:  # states: placements.confidence
        for s in chain.state_service:
            if s >= 0:
                grades[s] = sc.placements.confidence
    share = np.array(
        [mi.optimism_bias[int(g)]["benefits"] if g is not None else 0.0 for g in grades]
    )
    return share[row_s] if sc.optimism_bias.apply else np.zeros(len(row_s))


def _tables(mi: ModelInputs, dvals: np.ndarray, dix: np.ndarray) -> slots.Tables:
    fm = mi.forms
    assert fm is not None
    h = mi.horizon_months
    cut = np.minimum(fm.cut, h)
    cols, group = np.unique(cut, axis=1, return_inverse=True)
    rates = []
    a = 0
    for r in fm.rates:
        rates.append(
            slots.RateForm(r.service, np.array(r.from_months), slice(a, a + len(r.values)))
        )
        a += len(r.values)
    chain = None
    ch = fm.chain
    if ch is not None:
        t = np.arange(h, dtype=float)
        eff_of = np.full(len(ch.trans), -1, dtype=np.int64)
        profs = []
        for j, (move, _, onset, half) in enumerate(ch.effects):
            eff_of[move] = j
            profs.append(np.stack([profile(t, onset, float(d), half) for d in dvals]))
        chain = slots.Chain(
            states=ch.states,
            state_service=np.array(ch.state_service, dtype=np.int64),
            state_month=np.array(
                [0.0 if s < 0 else MONTH_IN_UNIT[mi.units[s]] for s in ch.state_service]
            ),
            start=ch.start,
            shares=ch.shares,
            trans_from=np.array(ch.trans_from, dtype=np.int64),
            trans_to=np.array(ch.trans_to, dtype=np.int64),
            eff_of=eff_of,
            eff_profile=np.stack(profs) if profs else np.zeros((0, len(dvals), h)),
            cut=np.minimum(ch.cut, h),
        )
    return slots.make_tables(
        h=h,
        kind=fm.kind,
        group=np.asarray(group).reshape(-1),
        cut=cols,
        baseline=mi.baseline,
        dvals=dvals,
        dix=dix,
        ramp_months=mi.scenario.counterfactual.ramp_months,
        onset=[e.onset_months for e in mi.effects],
        half_life=[e.half_life_months for e in mi.effects],
        has_effect=[e.change is not None for e in mi.effects],
        rates=tuple(rates),
        chain=chain,
    )


@dataclass(frozen=True)
class Params:
    """Parameter values for a set of iterations (leading axis = iteration)."""

    trend: np.ndarray  # [i]
    change: np.ndarray  # [i, s]
    completion: np.ndarray  # [i]
    nce: np.ndarray  # [i]
    unit_cost: np.ndarray  # [i, r] uprated £ per unit
    per_client: np.ndarray  # [i]
    per_client_month: np.ndarray
    per_completed_case: np.ndarray
    fixed_per_year: np.ndarray
    attribution: np.ndarray  # [i] additionality: share of the benefits due to others
    displacement: np.ndarray  # [i] share of the benefits moved elsewhere, not saved
    # per-service forms (empty [i, 0] without them): fam.model.slots.FormParams
    trend_s: np.ndarray  # [i, s] each service's own-baseline trend
    rates: np.ndarray  # [i, rate values]
    trans: np.ndarray  # [i, moves] monthly transition probabilities
    tchange: np.ndarray  # [i, transition effects]

    def forms(self) -> slots.FormParams:
        return slots.FormParams(self.trend_s, self.change, self.rates, self.trans, self.tchange)

    def take(self, sl: slice) -> Params:
        return Params(*(getattr(self, f)[sl] for f in self.__dataclass_fields__))


def _params(mi: ModelInputs, value: Callable[[Input], np.ndarray], n: int) -> Params:
    rows = mi.cost_rows
    uc = np.tile(rows["cost_uprated"].to_numpy(dtype=float), (n, 1))
    uc_idx = {
        f"unit_cost.{s}.{v}": i
        for i, (s, v) in enumerate(zip(rows["service"], rows["value_type"], strict=True))
    }
    for inp in mi.unit_cost_inputs:
        uc[:, uc_idx[inp.name]] = value(inp)
    change = np.zeros((n, len(mi.services)))
    for s, e in enumerate(mi.effects):
        if e.change is not None:
            change[:, s] = value(e.change)
    pc = mi.programme_costs
    return Params(
        trend=value(mi.trend),
        change=change,
        completion=value(mi.completion),
        nce=value(mi.non_completer_effect),
        unit_cost=uc,
        per_client=value(pc["per_client"]),
        per_client_month=value(pc["per_client_month"]),
        per_completed_case=value(pc["per_completed_case"]),
        fixed_per_year=value(pc["fixed_per_year"]),
        attribution=value(mi.attribution),
        displacement=value(mi.displacement),
        **_form_params(mi, value, n),
    )


def _form_params(
    mi: ModelInputs, value: Callable[[Input], np.ndarray], n: int
) -> dict[str, np.ndarray]:
    fm = mi.forms
    if fm is None:
        return {k: np.zeros((n, 0)) for k in ("trend_s", "rates", "trans", "tchange")}
    trend = value(mi.trend)
    trend_s = np.stack(
        [trend if t is None else value(t) for t in fm.trends] or [np.zeros(n)], axis=1
    )[:, : len(fm.trends)]
    vals = [value(v) for r in fm.rates for v in r.values]
    ch = fm.chain
    trans = [] if ch is None else [value(t) for t in ch.trans]
    tchange = [] if ch is None else [value(e[1]) for e in ch.effects]

    def cols(xs: list[np.ndarray]) -> np.ndarray:
        return np.stack(xs, axis=1) if xs else np.zeros((n, 0))

    return {"trend_s": trend_s, "rates": cols(vals), "trans": cols(trans), "tchange": cols(tchange)}


def central_params(mi: ModelInputs) -> Params:
    return _params(mi, lambda inp: np.array([inp.central]), 1)


def draw_params(mi: ModelInputs, seed: int, n: int) -> tuple[Params, dict[str, np.ndarray]]:
    """Draw every named input for n iterations; also return the draws by name.

    Each input's uniforms come from its own stream (common random numbers). Inputs in a
    correlation group share an equicorrelated Gaussian copula: z = sqrt(rho) z0 +
    sqrt(1 - rho) z_j, where z0 is the group's own stream.
    """
    mc = mi.scenario.monte_carlo
    draws: dict[str, np.ndarray] = {}
    group: dict[str, tuple[np.ndarray, float]] = {}
    for members, rho in mi.correlations:
        z0 = stats.norm.ppf(uniforms(seed, "correlation:" + "|".join(members), n))
        for m in members:
            group.setdefault(m, (z0, rho))
    uc_names = {i.name for i in mi.unit_cost_inputs}

    def value(inp: Input) -> np.ndarray:
        if inp.name not in draws:
            is_uc = inp.name in uc_names
            off = (is_uc and not mc.unit_cost_uncertainty) or (
                not is_uc and not mc.parameter_uncertainty
            )
            if inp.dist.is_fixed or off:
                draws[inp.name] = np.full(n, inp.central)
            else:
                u = uniforms(seed, inp.name, n)
                if inp.name in group:
                    z0, rho = group[inp.name]
                    z = np.sqrt(rho) * z0 + np.sqrt(1.0 - rho) * stats.norm.ppf(u)
                    u = np.clip(stats.norm.cdf(z), 1e-12, 1 - 1e-12)
                draws[inp.name] = inp.transform(inp.dist.ppf(u))
        return draws[inp.name]

    return _params(mi, value, n), draws


@dataclass(frozen=True)
class Flows:
    """Use, money and programme costs per iteration and bucket."""

    cf_use: np.ndarray  # [i, s, b]
    pg_use: np.ndarray  # [i, s, b]
    cf_gbp: np.ndarray  # [i, r, b]
    pg_gbp: np.ndarray  # [i, r, b]
    savings: np.ndarray  # [i, r, b] after optimism bias
    costs: np.ndarray  # [i, b] programme costs after optimism bias
    cost_parts: np.ndarray  # [i, 4, b] per_client, per_client_month, per_completed_case, fixed


def flows(
    plan: Plan,
    ex: Exposure,
    fixed_share: np.ndarray,
    p: Params,
    s0: np.ndarray,
    s1: np.ndarray,
    n: np.ndarray,
    ncomp: np.ndarray,
    noise: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
    year_of_bucket: np.ndarray | None = None,
) -> Flows:
    """Counterfactual and programme-arm use and £ per bucket, from cohort cell sums.

    s0[i,k,d,s]: baseline use per month of the clients in cell (k, d); s1 the same weighted
    by engagement e; n, ncomp: clients and completers per cell.
    """
    cf, pg = projection.project(p.trend, p.change, projection.sums(s0, s1, ex))
    return flows_from_use(plan, ex, fixed_share, p, cf, pg, n, ncomp, noise, year_of_bucket)


def flows_from_use(
    plan: Plan,
    ex: Exposure,
    fixed_share: np.ndarray,
    p: Params,
    cf: np.ndarray,
    pg: np.ndarray,
    n: np.ndarray,
    ncomp: np.ndarray,
    noise: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
    year_of_bucket: np.ndarray | None = None,
) -> Flows:
    """£ and programme costs from use of both arms [i, s, b] (see `flows`).

    Optimism bias is taken per cost row and appraisal year; `year_of_bucket` maps buckets
    shorter than a year (months) to their year, so that a month's saving is treated by the
    sign of its year's.
    """
    if noise is not None:
        cf, pg = noise(cf, pg)
    ob_e = plan.ob_effect if plan.ob_effect is not None else np.zeros(len(plan.ob_benefit))
    cf_gbp, pg_gbp, savings = projection.price(
        cf,
        pg,
        plan.row_s,
        p.unit_cost,
        plan.ob_benefit,
        ob_e,
        year_of_bucket,
        projection.additionality(p.attribution, p.displacement),
    )
    parts = cost_parts(plan, ex, fixed_share, p, n, ncomp)
    return Flows(cf, pg, cf_gbp, pg_gbp, savings, parts.sum(axis=1), parts)


def cost_parts(
    plan: Plan, ex: Exposure, fixed_share: np.ndarray, p: Params, n: np.ndarray, ncomp: np.ndarray
) -> np.ndarray:
    """Programme costs [i, part, bucket] after optimism bias; parts: per_client,
    per_client_month, per_completed_case, fixed_per_year."""
    return projection.programme_cost_parts(
        ex,
        fixed_share,
        p.per_client,
        p.per_client_month,
        p.per_completed_case,
        p.fixed_per_year,
        n,
        ncomp,
        plan.ob_cost,
    )


def engagement(p: Params) -> np.ndarray:
    """Mean engagement e = completion + (1 - completion) x non_completer_effect."""
    return projection.engagement(p.completion, p.nce)


Cells = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def central_cells(plan: Plan, p: Params) -> Cells:
    e = engagement(p)
    s0 = np.broadcast_to(plan.s0, (len(e),) + plan.s0.shape)
    s1 = s0 * e[:, None, None, None]
    n = np.broadcast_to(plan.n0, (len(e),) + plan.n0.shape)
    ncomp = n * p.completion[:, None, None]
    return s0, s1, n, ncomp


@dataclass(frozen=True)
class Draws:
    """Per-iteration results (leading axis = iteration)."""

    params: dict[str, np.ndarray]  # named input -> draws
    costs: np.ndarray  # [i] PV programme costs
    benefits: np.ndarray  # [i, perspective] PV savings
    net_by_year: np.ndarray  # [i, year] discounted net, headline perspective
    agency_benefits: np.ndarray  # [i, agency] PV savings, headline perspective
    costs_by_year: np.ndarray  # [i, year] discounted programme costs
    benefits_by_year: np.ndarray  # [i, year] discounted savings, headline perspective
    headline: int  # index of the headline perspective in `benefits`
    extra: dict[str, np.ndarray] = field(default_factory=dict)  # an analysis pass's outputs

    @property
    def npv(self) -> np.ndarray:
        return self.benefits[:, self.headline] - self.costs


def _rng(seed: int, what: str, block: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream_key(what), block)))


def _blocks(first: int, count: int) -> Iterable[tuple[int, int, int, int]]:
    """(block, lo, hi, a): rows lo:hi of random-number block `block` are chunk rows a:a+hi-lo."""
    for block in range(first // BLOCK, (first + count - 1) // BLOCK + 1):
        lo = max(first, block * BLOCK) - block * BLOCK
        hi = min(first + count, (block + 1) * BLOCK) - block * BLOCK
        yield block, lo, hi, block * BLOCK + lo - first


def _in_block(x: np.ndarray, lo: int, hi: int, a: int) -> np.ndarray:
    """A chunk's per-iteration values at rows lo:hi of a whole block (0 elsewhere)."""
    out = np.zeros(BLOCK)
    out[lo:hi] = x[a : a + hi - lo]
    return out


def pick(u: np.ndarray, n: int, completion: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Data clients (0 .. n - 1) and completer flags from uniforms u [iteration, slot].

    x = u x n: the client is floor(x), a completer if x - floor(x) < completion (the
    fractional part is uniform whichever client is picked). `fam.engine.kernels.cell_sums` does
    the same arithmetic.
    """
    x = u * n
    client = np.minimum(x.astype(np.int64), n - 1)
    return client, (x - client) < completion[:, None]


def _aligned(shape: tuple[int, ...]) -> np.ndarray:
    """An empty float array starting on a 64-byte cache line (numpy only promises 16): a row
    of 16 floats then spans 2 lines, not 3, and the bootstrap reads rows at random."""
    size = int(np.prod(shape))
    buf = np.empty(size + 8)
    start = (-buf.ctypes.data % 64) // 8
    return buf[start : start + size].reshape(shape)


@dataclass(frozen=True)
class _Resample:
    """The bootstrap: `size` slots per iteration, each a data client drawn with replacement.

    One uniform per slot (`fam.engine.kernels`) picks the client and whether it completes; the
    uniforms of block b come from stream ("cohort.bootstrap", b), iteration after iteration,
    so no iteration's draws depend on how the run is chunked.
    """

    plan: Plan
    rows: np.ndarray  # [data client, s + 1]: baseline use per month, then 1 (counts clients)
    slot_cell: np.ndarray  # [slot]: first (k, d, completer) cell of the slot's intake month
    client_cell: np.ndarray  # [data client]: 2 x its duration index
    u: np.ndarray  # [slot] workspace (reused: fresh memory costs page faults)
    g: np.ndarray  # [cell, s + 1] workspace: one iteration's cell sums

    @classmethod
    def of(cls, plan: Plan) -> _Resample:
        mi = plan.inputs
        n_d, n_s = len(plan.dvals), len(mi.services)
        rows = _aligned((len(plan.dix), n_s + 1))
        rows[:, :n_s] = mi.baseline
        rows[:, n_s] = 1.0
        slot_cell = (plan.slot_k * (n_d * 2)).astype(np.int64)
        client_cell = (plan.dix * 2).astype(np.int64)
        n_cells = len(mi.intake) * n_d * 2
        u, g = np.empty(len(plan.slot_k)), _aligned((n_cells, n_s + 1))
        return cls(plan, rows, slot_cell, client_cell, u, g)

    def uniforms(self, seed: int, block: int) -> np.ndarray:
        """The block's uniforms [BLOCK, slot] (the small-cohort path draws them at once)."""
        rng = _rng(seed, "cohort.bootstrap", block)
        return rng.random((BLOCK, len(self.u)))

    def each(self, seed: int, block: int, completion: np.ndarray) -> Iterator[np.ndarray]:
        """Each iteration of the block in turn: its cell sums [k, d, 2, s + 1] of `rows` per
        (intake month, duration, completer), in a workspace the next iteration overwrites.

        Each iteration's uniforms are drawn and summed before the next are drawn, so they
        stay in cache; the stream is the same as `uniforms`.
        """
        from fam.engine.kernels import cell_sums

        g = self.g.reshape(len(self.plan.inputs.intake), len(self.plan.dvals), 2, -1)
        rng = _rng(seed, "cohort.bootstrap", block)
        for i in range(BLOCK):
            rng.random(out=self.u)
            cell_sums(self.u, completion[i], self.slot_cell, self.client_cell, self.rows, self.g)
            yield g


def _bootstrap_cells(plan: Plan, p: Params, seed: int, first: int, count: int) -> Cells:
    """Resample `size` clients per iteration and sum them into (k, d, completer) cells."""
    mi = plan.inputs
    n_k, n_d, n_s = len(mi.intake), len(plan.dvals), len(mi.services)
    rs = _Resample.of(plan)
    g = np.empty((count, n_k, n_d, 2, n_s + 1))
    for block, lo, hi, a in _blocks(first, count):
        for i, cells in enumerate(rs.each(seed, block, _in_block(p.completion, lo, hi, a))):
            if lo <= i < hi:
                g[a + i - lo] = cells
    cnt = g[..., n_s]
    s0 = g[:, :, :, 0, :n_s] + g[:, :, :, 1, :n_s]
    s1 = g[:, :, :, 1, :n_s] + p.nce[:, None, None, None] * g[:, :, :, 0, :n_s]
    return s0, s1, cnt[..., 0] + cnt[..., 1], cnt[..., 1].copy()


@dataclass(frozen=True)
class _Sums:
    """Per iteration, the exposure-weighted cohort sums that `flows` contracts cells into."""

    base: np.ndarray  # [i, s, 2b]: sum of baseline x c0 | baseline x c1
    q: np.ndarray  # [i, s, 2b]: sum of e x baseline x p0 | e x baseline x p1
    counts: np.ndarray  # [i, 3b]: client starts | programme months | programme ends (completers)

    def cells(self) -> Cells:
        """The sums as cells for `_sums_exposure` (k = 2b pseudo intake months, one duration)."""
        i, _, b2 = self.base.shape
        s0 = np.ascontiguousarray(self.base.transpose(0, 2, 1))[:, :, None, :]
        s1 = np.ascontiguousarray(self.q.transpose(0, 2, 1))[:, :, None, :]
        n = np.ascontiguousarray(self.counts[:, :b2, None])
        ncomp = np.zeros((i, b2, 1))
        ncomp[:, : b2 // 2, 0] = self.counts[:, b2:]
        return s0, s1, n, ncomp


def _sums_exposure(n_b: int, n_s: int) -> Exposure:
    """An exposure under which `flows` passes pre-contracted sums (`_Sums.cells`) through.

    Pseudo intake month k = b holds the first sum of bucket b (base0, q0, starts, ends) and
    k = n_b + b the second (base1, q1, programme months); `flows` multiplies each by 1 and
    every other cell by 0, which is exact.
    """
    one = np.eye(2 * n_b, n_b)
    two = np.eye(2 * n_b, n_b, k=-n_b)
    shape = (2 * n_b, 1, n_s, n_b)
    return Exposure(
        c0=one,
        c1=two,
        p0=np.ascontiguousarray(np.broadcast_to(one[:, None, None, :], shape)),
        p1=np.ascontiguousarray(np.broadcast_to(two[:, None, None, :], shape)),
        starts=one,
        months=two[:, None, :],
        ends=one[:, None, :],
    )


_Step = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


class _ByCell:
    """Large cohorts: each iteration's resampled clients summed into (k, d, completer) cells
    and contracted with the exposures, both compiled (`fam.engine.kernels`), one iteration at a
    time so that its cells stay in cache."""

    def __init__(self, plan: Plan) -> None:
        ex = plan.year_exp
        self.kb = np.concatenate([ex.c0, ex.c1], axis=1)  # [k, 2b]
        self.table, self.table_of = _effect_profiles(plan)
        self.months, self.ends = ex.months, ex.ends
        self.sk = np.empty(len(plan.inputs.services))  # workspace

    def __call__(
        self, rs: _Resample, seed: int, block: int, completion: np.ndarray, nce: np.ndarray
    ) -> _Step:
        from fam.engine.kernels import contract

        n_s, n_c = len(self.sk), self.kb.shape[1]
        n_b = n_c // 2
        base, q = np.empty((BLOCK, n_s, n_c)), np.empty((BLOCK, n_s, n_c))
        counts = np.empty((BLOCK, 2 * n_b))
        for i, g in enumerate(rs.each(seed, block, completion)):
            contract(
                g, nce[i], self.kb, self.table, self.table_of, self.months, self.ends,
                self.sk, base[i], q[i], counts[i],
            )  # fmt: skip
        return base, q, counts[:, :n_b], counts[:, n_b:]


def _effect_profiles(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """The distinct effect profiles [t, k, d, 2b] (p0 | p1) and each service's: [s], -1 for a
    service without an effect (its programme-arm use is the counterfactual's)."""
    ex = plan.year_exp
    p01 = np.concatenate([ex.p0, ex.p1], axis=3)  # [k, d, s, 2b]
    seen: dict[bytes, int] = {}
    tables: list[np.ndarray] = []
    table_of = np.full(p01.shape[2], -1, dtype=np.int64)
    for s, e in enumerate(plan.inputs.effects):
        if e.change is not None:
            profile = p01[:, :, s, :]
            table_of[s] = seen.setdefault(profile.tobytes(), len(seen))
            if table_of[s] == len(tables):
                tables.append(profile)
    table = np.stack(tables) if tables else np.zeros((1,) + p01[:, :, 0, :].shape)
    return np.ascontiguousarray(table), table_of


class _ByClient:
    """Small cohorts: each resampled client's own exposures, in batched matrix products."""

    def __init__(self, plan: Plan) -> None:
        mi, ex = plan.inputs, plan.year_exp
        n_k, n_d, n_s = len(mi.intake), len(plan.dvals), len(mi.services)
        size, c = len(plan.slot_k), 2 * ex.c0.shape[1]
        self.baseline = np.ascontiguousarray(mi.baseline, dtype=float)  # [data client, s]
        self.dix = plan.dix
        self.kd0 = plan.slot_k * n_d  # (k, d) row of each slot, before d
        self.kb = np.concatenate([ex.c0, ex.c1], axis=1)[plan.slot_k]  # [slot, 2b]
        table, table_of = _effect_profiles(plan)  # services with one profile share a product
        self.groups = [
            (
                None if (table_of == t).all() else np.flatnonzero(table_of == t),
                table[t].reshape(-1, c),
            )
            for t in range(int(table_of.max()) + 1)
        ]
        self.me = np.concatenate([ex.months, ex.ends], axis=2).reshape(n_k * n_d, c)
        # workspace, reused block after block (fresh memory costs page faults)
        self.kd = np.empty((BLOCK, size), dtype=np.intp)
        self.e = np.empty((BLOCK, size))
        self.x = np.empty((BLOCK, size, n_s))
        self.t = np.empty((BLOCK, size, c))
        self.me_ws = np.empty((BLOCK, size, c))

    def __call__(
        self, rs: _Resample, seed: int, block: int, completion: np.ndarray, nce: np.ndarray
    ) -> _Step:
        idx, comp = pick(rs.uniforms(seed, block), len(self.dix), completion)
        m = len(idx)
        kd = np.take(self.dix, idx, out=self.kd[:m], mode="clip")
        kd += self.kd0
        x = np.take(self.baseline, idx, axis=0, out=self.x[:m], mode="clip")  # [m, slot, s]
        base = np.matmul(x.transpose(0, 2, 1), self.kb)
        e = self.e[:m]
        np.copyto(e, nce[:, None])
        np.copyto(e, 1.0, where=comp)
        q = np.zeros(base.shape)
        for services, table in self.groups:
            t = np.take(table, kd, axis=0, out=self.t[:m], mode="clip")  # [m, slot, 2b]
            t *= e[:, :, None]
            if services is None:
                np.matmul(x.transpose(0, 2, 1), t, out=q)
            else:
                q[:, services, :] = np.matmul(x[:, :, services].transpose(0, 2, 1), t)
        me = np.take(self.me, kd, axis=0, out=self.me_ws[:m], mode="clip")  # months | ends
        n_b = me.shape[2] // 2
        months = me[:, :, :n_b].sum(axis=1)
        ends = np.matmul(comp.astype(float)[:, None, :], me[:, :, n_b:])[:, 0, :]
        return base, q, months, ends


def _by_client(plan: Plan) -> bool:
    """Whether per-client products cost less than (k, d) cells for this cohort."""
    mi = plan.inputs
    n_s, size = len(mi.services), len(plan.slot_k)
    per_cell = len(mi.intake) * len(plan.dvals) * (n_s * 4 + 2)
    return size * n_s * 6 < per_cell and size * n_s * BLOCK <= 8_000_000


def _bootstrap_sums(
    plan: Plan, p: Params, seed: int, first: int, count: int, by_client: bool | None = None
) -> _Sums:
    """The bootstrap of `_bootstrap_cells` (same draws), summed straight into `_Sums`.

    `by_client` chooses the method (default: the cheaper for this cohort, `_by_client`).
    """
    ex = plan.year_exp
    n_k, n_s, n_b = len(plan.inputs.intake), len(plan.inputs.services), ex.c0.shape[1]
    rs = _Resample.of(plan)
    if by_client is None:
        by_client = _by_client(plan)
    step: Callable[..., _Step] = _ByClient(plan) if by_client else _ByCell(plan)
    out = _Sums(
        np.empty((count, n_s, 2 * n_b)), np.empty((count, n_s, 2 * n_b)), np.empty((count, 3 * n_b))
    )
    out.counts[:, :n_b] = np.bincount(plan.slot_k, minlength=n_k) @ ex.starts
    for block, lo, hi, a in _blocks(first, count):
        # whole blocks (iterations outside the chunk filled in) keep every array the same
        # shape, so each iteration's sums are computed alike however the run is chunked
        completion, nce = _in_block(p.completion, lo, hi, a), _in_block(p.nce, lo, hi, a)
        base, q, months, ends = step(rs, seed, block, completion, nce)
        rows = slice(a, a + hi - lo)
        out.base[rows], out.q[rows] = base[lo:hi], q[lo:hi]
        out.counts[rows, n_b : 2 * n_b], out.counts[rows, 2 * n_b :] = months[lo:hi], ends[lo:hi]
    return out


Noise = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _poisson(plan: Plan, seed: int, first: int, count: int) -> Noise:
    """Poisson noise on cohort totals per service and year, counted in days for long units.

    The noise for a block depends on the whole block's expected counts, so chunks are whole
    blocks (see `simulate`).
    """
    scale = np.array(
        [
            DAYS_PER_UNIT.get(u, 1.0) if u in ("week", "month", "year") else 1.0
            for u in plan.inputs.units
        ]
    )[None, :, None]

    def noise(cf: np.ndarray, pg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out_cf, out_pg = np.empty_like(cf), np.empty_like(pg)
        for block in range(first // BLOCK, (first + count - 1) // BLOCK + 1):
            rng = _rng(seed, "cohort.poisson", block)
            shape = (BLOCK,) + cf.shape[1:]
            lo = max(first, block * BLOCK)
            hi = min(first + count, (block + 1) * BLOCK)
            a, b = lo - first, hi - first
            lam_cf = np.zeros(shape)
            lam_pg = np.zeros(shape)
            lam_cf[lo - block * BLOCK : hi - block * BLOCK] = np.maximum(cf[a:b], 0) * scale
            lam_pg[lo - block * BLOCK : hi - block * BLOCK] = np.maximum(pg[a:b], 0) * scale
            # coupled arms: the programme arm thins (or adds to) the counterfactual count, so
            # each arm is Poisson and a zero effect gives exactly zero saving
            n_cf = rng.poisson(lam_cf)
            keep = np.divide(lam_pg, lam_cf, out=np.ones_like(lam_cf), where=lam_cf > 0)
            thin = rng.binomial(n_cf, np.minimum(keep, 1.0))
            more = rng.poisson(np.maximum(lam_pg - lam_cf, 0.0))
            n_pg = np.where(lam_pg <= lam_cf, thin, n_cf + more)
            d_cf = n_cf / scale
            d_pg = n_pg / scale
            out_cf[a:b] = d_cf[lo - block * BLOCK : hi - block * BLOCK]
            out_pg[a:b] = d_pg[lo - block * BLOCK : hi - block * BLOCK]
        return out_cf, out_pg

    return noise


class ChunkPass(Protocol):
    """An analysis that runs inside the Monte Carlo on the same draws, chunk by chunk (e.g. the
    social impact bond's outcome payments, fam.analyses.sib): `take` gives its per-iteration inputs for
    a chunk; calling it returns per-iteration outputs [i, ...] from the chunk's parameters and
    the main outputs of the chunk (`simulate_chunk`'s dict). It must be picklable and give the
    same numbers however the run is chunked."""

    def take(self, sl: slice) -> ChunkPass: ...

    def __call__(
        self, plan: Plan, p: Params, seed: int, first: int, main: dict[str, np.ndarray]
    ) -> dict[str, np.ndarray]: ...


def simulate_chunk(
    plan: Plan, p: Params, seed: int, first: int, extra: ChunkPass | None = None
) -> dict[str, np.ndarray]:
    """Iterations first .. first + len(p.trend) - 1; the same numbers however they are chunked.

    With the bootstrap, resampled clients are summed straight into the exposure-weighted sums
    `flows` needs (`_bootstrap_sums`); memory is per block, never iterations x clients.
    `extra`'s outputs are added under keys "extra.<name>".
    """
    mc = plan.inputs.scenario.monte_carlo
    count = len(p.trend)
    noise = _poisson(plan, seed, first, count) if mc.poisson else None
    ones = np.ones(plan.inputs.n_years)
    if plan.tables is not None:
        h = plan.inputs.horizon_months
        edges = np.arange(0, h + 1, 12)
        if mc.bootstrap:
            cf, pg, n, ncomp = _drawn_use(plan, p, seed, first, count, edges)
        else:
            cf, pg = expected_use(plan, p, edges, strict=False)  # drawn rows: scaled
            _, _, n, ncomp = central_cells(plan, p)
        f = flows_from_use(plan, plan.year_exp, ones, p, cf, pg, n, ncomp, noise)
    elif mc.bootstrap:
        sums = _bootstrap_sums(plan, p, seed, first, count)
        ex = _sums_exposure(sums.base.shape[2] // 2, sums.base.shape[1])
        f = flows(plan, ex, ones, p, *sums.cells(), noise=noise)
    else:
        f = flows(plan, plan.year_exp, ones, p, *central_cells(plan, p), noise=noise)
    out = reduce_flows(plan, f)
    if extra is not None:
        out.update({f"extra.{k}": v for k, v in extra(plan, p, seed, first, out).items()})
    return out


def slot_draws(
    plan: Plan, p: Params, seed: int, first: int, count: int
) -> Iterator[tuple[slice, np.ndarray, np.ndarray]]:
    """The bootstrap's clients, block by block: (rows of the chunk, data client [m, slot],
    completer [m, slot]); the same uniforms as every other path (`_Resample`)."""
    n = len(plan.dix)
    size = len(plan.slot_k)
    for block, lo, hi, a in _blocks(first, count):
        u = _rng(seed, "cohort.bootstrap", block).random((BLOCK, size))[lo:hi]
        client, comp = pick(u, n, p.completion[a : a + hi - lo])
        yield slice(a, a + hi - lo), client, comp


def slot_cells(plan: Plan, client: np.ndarray, comp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Clients and completers per (intake month, duration) cell [m, k, d] of drawn slots."""
    m = client.shape[0]
    n_k, n_d = len(plan.inputs.intake), len(plan.dvals)
    cell = plan.slot_k[None, :] * n_d + plan.dix[client]
    off = (np.arange(m) * n_k * n_d)[:, None]
    n = np.bincount((cell + off).ravel(), minlength=m * n_k * n_d).reshape(m, n_k, n_d)
    nc = np.bincount((cell + off)[comp], minlength=m * n_k * n_d).reshape(m, n_k, n_d)
    return n.astype(float), nc.astype(float)


def drawn_slot_use(
    plan: Plan,
    p: Params,
    client: np.ndarray,
    comp: np.ndarray,
    edges: np.ndarray,
    window: int | None = None,
    services: np.ndarray | None = None,
    keep: np.ndarray | None = None,
    chain_p: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Use of both arms [m, s, b] of drawn slots (fam.model.slots); p has the m rows. `keep`
    selects slots (e.g. one intake cohort of a social impact bond); `chain_p` the chain's
    prefix sums if already computed for these rows (`drawn_chain`)."""
    tab = plan.tables
    assert tab is not None
    k = plan.slot_k
    if keep is not None:
        k, client, comp = k[keep], client[:, keep], comp[:, keep]
    e = np.where(comp, 1.0, p.nce[:, None])
    ecl = np.where(comp, 0, 1)
    fp = p.forms()
    if chain_p is None:
        chain_p = drawn_chain(plan, p)
    return slots.slot_use(
        tab, fp, chain_p, k, client, e, ecl, np.ones(len(k)), edges, window, services
    )


def drawn_chain(plan: Plan, p: Params) -> tuple[np.ndarray, np.ndarray] | None:
    """The chain's prefix sums for drawn parameters: engagement classes completer (1) and
    non-completer (the non-completer effect)."""
    tab = plan.tables
    if tab is None or tab.chain is None:
        return None
    e_cls = np.stack([np.ones(len(p.nce)), p.nce], axis=1)
    return slots.chain_prefix(tab, p.forms(), e_cls, False)


def _drawn_use(
    plan: Plan, p: Params, seed: int, first: int, count: int, edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n_s = len(plan.inputs.services)
    n_k, n_d = len(plan.inputs.intake), len(plan.dvals)
    cf = np.empty((count, n_s, len(edges) - 1))
    pg = np.empty_like(cf)
    n = np.empty((count, n_k, n_d))
    ncomp = np.empty_like(n)
    for rows, client, comp in slot_draws(plan, p, seed, first, count):
        q = p.take(rows)
        cf[rows], pg[rows] = drawn_slot_use(plan, q, client, comp, edges)
        n[rows], ncomp[rows] = slot_cells(plan, client, comp)
    return cf, pg, n, ncomp


def reduce_flows(plan: Plan, f: Flows) -> dict[str, np.ndarray]:
    df = plan.df[None, :]
    sav_pv = f.savings * df[:, None, :]  # [i, r, y]
    by_persp = np.einsum("iry,pr->ipy", sav_pv, plan.weights)
    head = plan.weights[plan.headline]
    agency = np.zeros((sav_pv.shape[0], len(plan.agencies)))
    row_tot = np.einsum("iry,r->ir", sav_pv, head)
    for a in range(len(plan.agencies)):
        agency[:, a] = row_tot[:, plan.row_agency == a].sum(axis=1)
    costs_y = f.costs * df
    ben_y = by_persp[:, plan.headline, :]
    return {
        "costs": costs_y.sum(axis=1),
        "benefits": by_persp.sum(axis=2),
        "net_by_year": ben_y - costs_y,
        "agency_benefits": agency,
        "costs_by_year": costs_y,
        "benefits_by_year": ben_y,
    }


def chunks(n: int, size: int) -> Iterable[tuple[int, int]]:
    for a in range(0, n, size):
        yield a, min(n, a + size)


_CHUNK_BYTES = 256 * 2**20  # working memory per chunk for (k, d) cell arrays


def default_chunk(plan: Plan) -> int:
    """Iterations per chunk: whole blocks, cell arrays within _CHUNK_BYTES, at most 2,000.

    The Monte Carlo itself holds one block's draws at a time; cells per chunk matter to
    callers of `_bootstrap_cells` and to runs without the bootstrap.
    """
    mi = plan.inputs
    per_iteration = len(mi.intake) * len(plan.dvals) * (4 * len(mi.services) + 6) * 8
    size = _CHUNK_BYTES // max(1, per_iteration) // BLOCK * BLOCK
    return int(min(2000, max(BLOCK, size)))


def simulate(
    plan: Plan,
    seed: int,
    iterations: int,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    mapper: Callable[..., Iterable[dict[str, np.ndarray]]] | None = None,
    extra: ChunkPass | None = None,
) -> Draws:
    """Run the Monte Carlo. `mapper(fn, args)` may run chunks elsewhere (e.g. Dask).

    A mapper returns `fn(*a)` for each `a` in `args`, in order (it may yield them as they
    come); `progress(n)` is called as each chunk of n iterations arrives, with or without one.
    """
    p, draws = draw_params(plan.inputs, seed, iterations)
    return simulate_with(plan, p, draws, seed, chunk_size, progress, mapper, extra)


def simulate_with(
    plan: Plan,
    p: Params,
    draws: dict[str, np.ndarray],
    seed: int,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    mapper: Callable[..., Iterable[dict[str, np.ndarray]]] | None = None,
    extra: ChunkPass | None = None,
) -> Draws:
    """The Monte Carlo with given parameter values (e.g. posterior draws, fam.analyses.update), with
    the cohort and count random streams of `seed`; `extra` runs in the same chunks."""
    iterations = len(p.trend)
    size = chunk_size or default_chunk(plan)
    size = -(-size // BLOCK) * BLOCK  # whole random-number blocks
    spans = list(chunks(iterations, size))
    args = [
        (plan, p.take(slice(a, b)), seed, a, None if extra is None else extra.take(slice(a, b)))
        for a, b in spans
    ]
    done = (simulate_chunk(*a) for a in args) if mapper is None else mapper(simulate_chunk, args)
    results = []
    for (a, b), r in zip(spans, done, strict=True):
        results.append(r)
        if progress is not None:
            progress(b - a)
    out = {k: np.concatenate([r[k] for r in results]) for k in results[0]}
    return Draws(
        params=draws,
        costs=out["costs"],
        benefits=out["benefits"],
        net_by_year=out["net_by_year"],
        agency_benefits=out["agency_benefits"],
        costs_by_year=out["costs_by_year"],
        benefits_by_year=out["benefits_by_year"],
        headline=plan.headline,
        extra={k.split(".", 1)[1]: v for k, v in out.items() if k.startswith("extra.")},
    )


def iteration_payback(d: Draws) -> np.ndarray:
    return payback_years(d.net_by_year)


@dataclass(frozen=True)
class Central:
    """The central case: every input at its central value, expected counts."""

    params: Params
    years: Flows  # buckets = appraisal years
    months: Flows  # buckets = calendar months
    costs: float
    benefits: np.ndarray  # [perspective]
    npv: float
    payback_years: float
    benefits_by_year: np.ndarray  # [perspective, year] discounted
    costs_by_year: np.ndarray  # [year] discounted
    agency_benefits: np.ndarray  # [agency] headline perspective
    agency_cashable: np.ndarray  # [agency] fiscal x cashable
    exposures: dict[str, np.ndarray]  # the fixed sums the workbook multiplies, by year


def central_flows(plan: Plan, p: Params, months: bool = False, strict: bool = True) -> Flows:
    """The central case's flows by appraisal year (or calendar month) for parameter values p
    (one variant per row: the central values, or one-way changes of them). `strict`: a row
    of chain moves summing to more than 1 is an error (the central case); else it is scaled
    to sum to 1, as in a Monte Carlo draw (one-way changes of one move at a time)."""
    mi = plan.inputs
    h = mi.horizon_months
    cells: Cells = central_cells(plan, p)
    if not months:
        ex, share, ybk = plan.year_exp, np.ones(mi.n_years), None
    else:
        ex, share, ybk = _month_exposure(plan), np.full(h, 1.0 / 12.0), np.arange(h) // 12
    if plan.tables is None:
        return flows(plan, ex, share, p, *cells, year_of_bucket=ybk)
    edges = np.arange(h + 1) if months else np.arange(0, h + 1, 12)
    cf, pg = expected_use(plan, p, edges, strict=strict)
    return flows_from_use(plan, ex, share, p, cf, pg, cells[2], cells[3], None, ybk)


def expected_use(
    plan: Plan, p: Params, edges: np.ndarray, window: int | None = None,
    services: np.ndarray | None = None, ks: np.ndarray | None = None, strict: bool = True,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Use of both arms [i, s, b] with expected counts: every (intake month, data client)
    pair weighted by the clients it stands for, at mean engagement (fam.model.slots).
    `strict` as in `central_flows`."""
    tab = plan.tables
    assert tab is not None
    mi = plan.inputs
    n = len(plan.dix)
    k_n = len(mi.intake)
    kk = np.arange(k_n) if ks is None else np.asarray(ks)
    k = np.repeat(kk, n)
    c = np.tile(np.arange(n), len(kk))[None, :]
    w = mi.intake[k] / n
    e = engagement(p)
    fp = p.forms()
    chain_p = None if tab.chain is None else slots.chain_prefix(tab, fp, e[:, None], strict)
    return slots.slot_use(
        tab, fp, chain_p, k, c, e[:, None], np.zeros((1, len(k)), dtype=np.int64), w, edges,
        window, services,
    )  # fmt: skip


def _rate_exposures(plan: Plan) -> dict[str, np.ndarray]:
    """For the workbook: per rate value j (the columns of Params.rates), the client-months its
    step covers in each appraisal year (`rate_months`) and the same weighted by the service's
    effect profile (`rate_profile`), with expected counts and ageing out, so that use =
    sum_j value_j x rate_months_j and the programme term is change x e x sum_j value_j x
    rate_profile_j."""
    tab = plan.tables
    assert tab is not None
    mi = plan.inputs
    n_v = sum(r.values.stop - r.values.start for r in tab.rates)
    n_s = len(mi.services)
    unit = slots.FormParams(
        trend=np.zeros((n_v, n_s)),
        change=np.ones((n_v, n_s)),
        rates=np.eye(n_v),
        trans=np.zeros((n_v, 0)),
        tchange=np.zeros((n_v, 0)),
    )
    n = len(plan.dix)
    k = np.repeat(np.arange(len(mi.intake)), n)
    c = np.tile(np.arange(n), len(mi.intake))[None, :]
    sv = np.array([r.service for r in tab.rates])
    edges = np.arange(0, mi.horizon_months + 1, 12)
    cf, pg = slots.slot_use(
        tab, unit, None, k, c, np.ones((n_v, 1)), np.zeros((1, len(k)), dtype=np.int64),
        mi.intake[k] / n, edges, None, sv,
    )  # fmt: skip
    months = np.zeros((n_v, mi.n_years))
    prof = np.zeros((n_v, mi.n_years))
    for i, r in enumerate(tab.rates):
        js = np.arange(r.values.start, r.values.stop)
        # both are >= 0; differences of prefix sums can leave -1e-14, which the workbook's
        # "No negative cohort exposure" check would flag
        months[js] = np.maximum(cf[js, i], 0.0)
        prof[js] = np.maximum(pg[js, i] - cf[js, i], 0.0)
    return {"rate_months": months, "rate_profile": prof}


def _month_exposure(plan: Plan) -> Exposure:
    mi = plan.inputs
    h = mi.horizon_months
    return exposure(
        h,
        len(mi.intake),
        plan.dvals.tolist(),
        [e.onset_months for e in mi.effects],
        [e.half_life_months for e in mi.effects],
        mi.scenario.counterfactual.ramp_months,
        np.arange(h),
        h,
    )


def central(plan: Plan) -> Central:
    mi = plan.inputs
    p = central_params(mi)
    y = central_flows(plan, p)
    m = central_flows(plan, p, months=True)
    red = reduce_flows(plan, y)
    sav_pv = y.savings[0] * plan.df[None, :]
    cashable = np.einsum("ry,r->r", sav_pv, plan.weights[1])
    agency_cash = np.array(
        [cashable[plan.row_agency == a].sum() for a in range(len(plan.agencies))]
    )
    ben = red["benefits"][0]
    costs = float(red["costs"][0])
    ex = plan.year_exp
    s0 = plan.s0
    if plan.tables is None:
        sums = (
            np.einsum("kds,ky->sy", s0, ex.c0),
            np.einsum("kds,ky->sy", s0, ex.c1),
            np.einsum("kds,kdsy->sy", s0, ex.p0),
            np.einsum("kds,kdsy->sy", s0, ex.p1),
        )
    else:  # ageing out included: the sums of fam.model.slots for own-baseline trend services
        n = len(plan.dix)
        k_all = np.repeat(np.arange(len(mi.intake)), n)
        c_all = np.tile(np.arange(n), len(mi.intake))[None, :]
        sums = slots.exposure_sums(
            plan.tables, k_all, c_all, mi.intake[k_all] / n, np.arange(0, mi.horizon_months + 1, 12)
        )
    exposures = {
        "baseline": sums[0],
        "baseline_ramp": sums[1],
        "profile": sums[2],
        "profile_ramp": sums[3],
        "starts": np.einsum("kd,ky->y", plan.n0, ex.starts),
        "client_months": np.einsum("kd,kdy->y", plan.n0, ex.months),
        "programme_ends": np.einsum("kd,kdy->y", plan.n0, ex.ends),
    }
    if plan.tables is not None and plan.tables.rates:
        exposures.update(_rate_exposures(plan))
    if plan.tables is not None and plan.tables.chain is not None:
        n = len(plan.dix)
        k = np.repeat(np.arange(len(mi.intake)), n)
        c = np.tile(np.arange(n), len(mi.intake))[None, :]
        exposures["chain_weights"] = slots.chain_weights(
            plan.tables, k, c, mi.intake[k] / n, np.arange(0, mi.horizon_months + 1, 12)
        )
    return Central(
        params=p,
        years=y,
        months=m,
        costs=costs,
        benefits=ben,
        npv=float(ben[plan.headline] - costs),
        payback_years=float(payback_years(red["net_by_year"][0])),
        benefits_by_year=np.einsum("ry,pr->py", sav_pv, plan.weights),
        costs_by_year=red["costs_by_year"][0],
        agency_benefits=red["agency_benefits"][0],
        agency_cashable=agency_cash,
        exposures=exposures,
    )


@dataclass(frozen=True)
class Run:
    """A finished Monte Carlo: the inputs, the fixed plan, the central case and the draws.

    The analyses (fam.analyses.sib, fam.analyses.update, fam.analyses.sensitivity) take a Run; fam.analyses.results.Results adds
    their outcomes for the writers.
    """

    inputs: ModelInputs
    plan: Plan
    central: Central
    params: Params  # the drawn parameter values, by iteration
    draws: Draws
    seed: int
    iterations: int

    @property
    def name(self) -> str:
        return self.inputs.scenario.name

    @property
    def stem(self) -> str:
        return self.inputs.scenario_path.stem

    @property
    def npv(self) -> np.ndarray:
        return self.draws.npv

    @property
    def bcr(self) -> np.ndarray:
        return bcr(self.draws.benefits[:, self.plan.headline], self.draws.costs)

    def iterations_frame(self) -> pd.DataFrame:
        """One row per iteration: drawn parameters, costs, benefits by
        perspective, npv, bcr."""
        d = self.draws
        cols: dict[str, Any] = {"iteration": np.arange(self.iterations)}
        for inp in self.inputs.uncertain_inputs():
            cols[inp.name] = d.params[inp.name]
        cols["costs"] = d.costs
        for i, name in enumerate(PERSPECTIVES):
            cols[f"benefits_{name}"] = d.benefits[:, i]
        cols["npv"] = self.npv
        cols["bcr"] = self.bcr
        return pd.DataFrame(cols)
