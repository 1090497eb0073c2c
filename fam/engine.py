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

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
from scipy import stats

from fam.distributions import stream_key, uniforms
from fam.finance import discount_factors, payback_years
from fam.loading import PERSPECTIVES, Input, ModelInputs
from fam.model import Exposure, exposure

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


def perspective_weights(value_type: np.ndarray, cashable: np.ndarray) -> np.ndarray:
    fiscal = (value_type == "fiscal").astype(float)
    return np.stack([fiscal, fiscal * cashable, np.ones_like(fiscal)])


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
    )


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
) -> Flows:
    """Counterfactual and programme-arm use and £ per bucket, from cohort cell sums.

    s0[i,k,d,s]: baseline use per month of the clients in cell (k, d); s1 the same weighted
    by engagement e; n, ncomp: clients and completers per cell.
    """
    trend = p.trend[:, None, None]
    base0 = np.einsum("ikds,kb->isb", s0, ex.c0)
    base1 = np.einsum("ikds,kb->isb", s0, ex.c1)
    q0 = np.einsum("ikds,kdsb->isb", s1, ex.p0)
    q1 = np.einsum("ikds,kdsb->isb", s1, ex.p1)
    cf = base0 - trend * base1
    pg = cf + p.change[:, :, None] * (q0 - trend * q1)
    if noise is not None:
        cf, pg = noise(cf, pg)
    cost = p.unit_cost[:, :, None]
    cf_gbp = cf[:, plan.row_s, :] * cost
    pg_gbp = pg[:, plan.row_s, :] * cost
    savings = (cf_gbp - pg_gbp) * (1.0 - plan.ob_benefit)[None, :, None]
    parts = np.stack(
        [
            p.per_client[:, None] * np.einsum("ikd,kb->ib", n, ex.starts),
            p.per_client_month[:, None] * np.einsum("ikd,kdb->ib", n, ex.months),
            p.per_completed_case[:, None] * np.einsum("ikd,kdb->ib", ncomp, ex.ends),
            p.fixed_per_year[:, None] * fixed_share[None, :],
        ],
        axis=1,
    ) * (1.0 + plan.ob_cost)
    return Flows(cf, pg, cf_gbp, pg_gbp, savings, parts.sum(axis=1), parts)


def engagement(p: Params) -> np.ndarray:
    """Mean engagement e = completion + (1 - completion) x non_completer_effect."""
    return p.completion + (1.0 - p.completion) * p.nce


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

    @property
    def npv(self) -> np.ndarray:
        return self.benefits[:, self.headline] - self.costs


def _rng(seed: int, what: str, block: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream_key(what), block)))


def _bootstrap_cells(plan: Plan, p: Params, seed: int, first: int, count: int) -> Cells:
    """Resample `size` clients per iteration and sum them into (k, d, completer) cells."""
    mi = plan.inputs
    n_k, n_d, n_s = len(mi.intake), len(plan.dvals), len(mi.services)
    size = len(plan.slot_k)
    n_data = len(plan.dix)
    idx_parts, u_parts = [], []
    for block in range(first // BLOCK, (first + count - 1) // BLOCK + 1):
        rng = _rng(seed, "cohort.bootstrap", block)
        b_idx = rng.integers(0, n_data, size=(BLOCK, size))
        b_u = rng.random((BLOCK, size))
        lo = max(first, block * BLOCK) - block * BLOCK
        hi = min(first + count, (block + 1) * BLOCK) - block * BLOCK
        idx_parts.append(b_idx[lo:hi])
        u_parts.append(b_u[lo:hi])
    idx = np.concatenate(idx_parts)
    comp = np.concatenate(u_parts) < p.completion[:, None]
    n_cells = n_k * n_d * 2
    key = (plan.slot_k[None, :] * n_d + plan.dix[idx]) * 2 + comp
    key += (np.arange(count) * n_cells)[:, None]
    flat = key.ravel()
    counts = np.bincount(flat, minlength=count * n_cells).reshape(count, n_k, n_d, 2)
    g = np.empty((count, n_k, n_d, 2, n_s))
    bt = np.ascontiguousarray(plan.inputs.baseline.T)
    for s in range(n_s):
        w = bt[s][idx].ravel()
        g[..., s] = np.bincount(flat, weights=w, minlength=count * n_cells).reshape(
            count, n_k, n_d, 2
        )
    s0 = g[:, :, :, 0, :] + g[:, :, :, 1, :]
    s1 = g[:, :, :, 1, :] + p.nce[:, None, None, None] * g[:, :, :, 0, :]
    n = counts.sum(axis=3).astype(float)
    ncomp = counts[..., 1].astype(float)
    return s0, s1, n, ncomp


Noise = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _poisson(plan: Plan, seed: int, first: int, count: int) -> Noise:
    """Poisson noise on cohort totals per service and year, counted in days for long units.

    The noise for a block depends on the whole block's expected counts, so chunks are whole
    blocks (see `simulate`).
    """
    from fam.cohort import DAYS_PER_UNIT

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


def simulate_chunk(plan: Plan, p: Params, seed: int, first: int) -> dict[str, np.ndarray]:
    """Iterations first .. first + len(p.trend) - 1; the same numbers however they are chunked."""
    mc = plan.inputs.scenario.monte_carlo
    count = len(p.trend)
    if mc.bootstrap:
        cells = _bootstrap_cells(plan, p, seed, first, count)
    else:
        cells = central_cells(plan, p)
    noise = _poisson(plan, seed, first, count) if mc.poisson else None
    ones = np.ones(plan.inputs.n_years)
    f = flows(plan, plan.year_exp, ones, p, *cells, noise=noise)
    return reduce_flows(plan, f)


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


def default_chunk(plan: Plan) -> int:
    per = max(1, len(plan.slot_k) * max(1, len(plan.inputs.services)) // 4)
    size = max(BLOCK, (_MAX_CELLS // per) // BLOCK * BLOCK)
    return size


def simulate(
    plan: Plan,
    seed: int,
    iterations: int,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    mapper: Callable[..., Iterable[dict[str, np.ndarray]]] | None = None,
) -> Draws:
    """Run the Monte Carlo. `mapper(fn, args)` may run chunks elsewhere (e.g. Dask)."""
    p, draws = draw_params(plan.inputs, seed, iterations)
    size = chunk_size or default_chunk(plan)
    size = -(-size // BLOCK) * BLOCK  # whole random-number blocks
    spans = list(chunks(iterations, size))
    args = [(plan, p.take(slice(a, b)), seed, a) for a, b in spans]
    if mapper is None:
        results = []
        for a in args:
            results.append(simulate_chunk(*a))
            if progress is not None:
                progress(len(a[1].trend))
    else:
        results = list(mapper(simulate_chunk, args))
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


def central(plan: Plan) -> Central:
    mi = plan.inputs
    p = central_params(mi)
    cells: Cells = central_cells(plan, p)
    y = flows(plan, plan.year_exp, np.ones(mi.n_years), p, *cells)
    h = mi.horizon_months
    month_exp = exposure(
        h,
        len(mi.intake),
        plan.dvals.tolist(),
        [e.onset_months for e in mi.effects],
        [e.half_life_months for e in mi.effects],
        mi.scenario.counterfactual.ramp_months,
        np.arange(h),
        h,
    )
    m = flows(plan, month_exp, np.full(h, 1.0 / 12.0), p, *cells)
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
    exposures = {
        "baseline": np.einsum("kds,ky->sy", s0, ex.c0),
        "baseline_ramp": np.einsum("kds,ky->sy", s0, ex.c1),
        "profile": np.einsum("kds,kdsy->sy", s0, ex.p0),
        "profile_ramp": np.einsum("kds,kdsy->sy", s0, ex.p1),
        "starts": np.einsum("kd,ky->y", plan.n0, ex.starts),
        "client_months": np.einsum("kd,kdy->y", plan.n0, ex.months),
        "programme_ends": np.einsum("kd,kdy->y", plan.n0, ex.ends),
    }
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
