"""Social impact bond: outcome payments, investors' returns and the commissioner's net saving.

Computed inside the Monte Carlo (`SibPass`, a fam.engine.ChunkPass) for a scenario with a
`sib:` block: for each chunk of iterations, from the same parameter draws and the same
bootstrap of the cohort as the main run, the programme arm's use of the outcome services per
quarterly intake cohort and calendar quarter inside each client's tracking window
(fam.model.projection, as everywhere), and the programme costs per quarter. Method and simplifications: docs/sib.md.

Money flows per iteration (all £ at the scenario's price base year, real):
- programme costs (after optimism bias, as in the main run) are drawn down from the
  investors' capital, quarter by quarter, until it is exhausted; the commissioner pays the rest;
- outcome days saved per cohort and quarter = comparison days - programme-arm days, floored
  at 0, times the price per day, fall due `payment_lag_quarters` later if that is inside the
  payment period; payments stop when their running total reaches the cap;
- the same payments are worked out a second time against fam's own counterfactual (the
  model's projection of the same clients without the programme): the contract's payments
  less these are what the commissioner pays for days that are not additional (care the
  clients would have avoided anyway); 0 when the contract's comparison is `counterfactual`;
- investors: -drawdowns, +payments (quarterly); commissioner: fiscal benefits of the main
  run - outcome payments - programme costs the investors did not fund.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from fam import engine
from fam.errors import InputError
from fam.inputs.loading import Input
from fam.model import projection
from fam.model.distributions import uniforms
from fam.model.finance import clean, describe
from fam.model.profiles import Exposure, exposure
from fam.vocabulary import DAYS_PER_UNIT, PERSPECTIVES, TIME_UNITS

if TYPE_CHECKING:
    from fam.engine import Params, Plan, Run
    from fam.inputs.scenario import Sib

_CHUNK = 500  # iterations per chunk (memory only; results do not depend on it)


@dataclass(frozen=True)
class SibPlan:
    """Everything about the bond that does not change between iterations."""

    sib: Sib
    services: tuple[int, ...]  # indices into ModelInputs.services
    service_names: tuple[str, ...]
    days_per_unit: np.ndarray  # [outcome service] days in one unit
    cohorts: tuple[np.ndarray, ...]  # intake months k in each intake cohort
    window: tuple[Exposure, ...]  # per cohort: quarterly exposure inside the tracking window
    quarters: Exposure  # quarterly exposure, whole horizon (programme costs)
    n_quarters: int
    pay_quarters: int  # quarters in which payments may fall due
    df_q: np.ndarray  # [quarter] discount factor (the appraisal year's)
    capital: float  # £, price base year
    cap: float  # £, price base year (inf: no cap)
    price: Input  # £ per day saved, price base year
    comparison: float | None  # days per client per month; None = fam's counterfactual
    # (sib.outcome.comparison in the contract's units, converted: a share of days x 365/12)


def _slice(ex: Exposure, ks: np.ndarray) -> Exposure:
    return Exposure(*(getattr(ex, f)[ks] for f in ex.__dataclass_fields__))


def make_sib_plan(plan: Plan) -> SibPlan:
    mi = plan.inputs
    sc = mi.scenario
    sib = sc.sib
    if sib is None:
        raise InputError(f"{mi.scenario_path}: sib: the scenario has no social impact bond")
    where = f"{mi.scenario_path}: sib"
    idx: list[int] = []
    for pat in sib.outcome.services:
        hits = [i for i, s in enumerate(mi.services) if fnmatch.fnmatchcase(s, pat)]
        if not hits:
            raise InputError(
                f"{where}.outcome.services: {pat!r} matches no service used by the cohort "
                f"(services: {', '.join(mi.services)})"
            )
        idx += [i for i in hits if i not in idx]
    for i in idx:
        if mi.units[i] not in TIME_UNITS:
            raise InputError(
                f"{where}.outcome.services: {mi.services[i]} is counted in {mi.units[i]}s; "
                "outcome days need a service measured in nights, days, weeks, months or years"
            )
    if sib.payment_years > sc.horizon_years:
        raise InputError(
            f"{where}.payment_years: {sib.payment_years} is longer than the horizon "
            f"({sc.horizon_years} years); lengthen horizon_years or shorten the payment period"
        )
    h = mi.horizon_months
    n_q = h // 3
    bucket = np.arange(h) // 3
    onset = [e.onset_months for e in mi.effects]
    half = [e.half_life_months for e in mi.effects]
    dvals = plan.dvals.tolist()
    ramp_m = sc.counterfactual.ramp_months
    k_n = len(mi.intake)
    win = exposure(
        h, k_n, dvals, onset, half, ramp_m, bucket, n_q, window=sib.outcome.tracking_months
    )
    whole = exposure(h, k_n, dvals, onset, half, ramp_m, bucket, n_q)
    cm = sib.outcome.cohort_months
    cohorts = tuple(np.arange(a, min(a + cm, k_n)) for a in range(0, k_n, cm))
    defl = mi.deflators
    py = sib.price_year or sc.price_base_year
    factor = defl.factor(py, sc.price_base_year)
    price_py = sib.price_per_day.price_year or py
    price = Input(
        "sib.price_per_day",
        sib.price_per_day,
        defl.factor(price_py, sc.price_base_year),
        lower=0.0,
        label=f"SIB price per outcome day ({price_py} prices)",
        source=sib.source,
    )
    return SibPlan(
        sib=sib,
        services=tuple(idx),
        service_names=tuple(mi.services[i] for i in idx),
        days_per_unit=np.array([DAYS_PER_UNIT.get(mi.units[i], 1.0) for i in idx]),
        cohorts=cohorts,
        window=tuple(_slice(win, ks) for ks in cohorts),
        quarters=whole,
        n_quarters=n_q,
        pay_quarters=sib.payment_years * 4,
        df_q=plan.df[np.arange(n_q) // 4],
        capital=sib.investor_capital * factor,
        cap=np.inf if sib.cap is None else sib.cap * factor,
        price=price,
        comparison=sib.outcome.comparison_days_per_month,
    )


class ComparisonDays(NamedTuple):
    """The days the programme arm is measured against [i, cohort, quarter]."""

    contract: np.ndarray  # the contract's comparison (a stated rate, or fam's counterfactual)
    counterfactual: np.ndarray  # fam's counterfactual: the same clients without the programme


def _outcome_days(
    plan: Plan,
    sp: SibPlan,
    p: Params,
    n: np.ndarray,
    ncomp: np.ndarray,
    use_of: Callable[[np.ndarray, Exposure], tuple[np.ndarray, np.ndarray]],
) -> tuple[ComparisonDays, np.ndarray, np.ndarray]:
    """Comparison days (the contract's and fam's counterfactual), programme-arm days
    [i, cohort, quarter] and programme costs [i, quarter].

    `use_of(ks, window)` gives the counterfactual and programme-arm use [i, bond service, quarter] of
    the clients starting in intake months ks, inside their tracking windows; n, ncomp
    [i, k, d]: clients and completers per cell; window: the cohort's quarterly exposure
    inside its tracking window. Costs are the main run's programme costs
    (after optimism bias) by quarter. With `comparison: counterfactual` the contract's
    comparison days are the counterfactual days.
    """
    comp = np.zeros((len(p.trend), len(sp.cohorts), sp.n_quarters))
    cfd = np.zeros_like(comp)
    prog = np.zeros_like(comp)
    dpu = sp.days_per_unit[None, :, None]
    for c, (ks, ex) in enumerate(zip(sp.cohorts, sp.window, strict=True)):
        cf, pg = use_of(ks, ex)
        prog[:, c] = (pg * dpu).sum(axis=1)
        cfd[:, c] = (cf * dpu).sum(axis=1)
        if sp.comparison is None:
            comp[:, c] = cfd[:, c]
        else:
            clients = np.asarray(n[:, ks]).sum(axis=2)  # [i, k]
            comp[:, c] = sp.comparison * (clients @ ex.c0)
    fixed_share = np.full(sp.n_quarters, 0.25)
    costs = engine.cost_parts(plan, sp.quarters, fixed_share, p, n, ncomp).sum(axis=1)
    return ComparisonDays(comp, cfd), prog, costs


def outcome_days(
    plan: Plan, sp: SibPlan, p: Params, cells: engine.Cells
) -> tuple[ComparisonDays, np.ndarray, np.ndarray]:
    """`_outcome_days` from cohort cells (the own-baseline path)."""
    s0, s1, n, ncomp = cells
    sv = list(sp.services)

    def use_of(ks: np.ndarray, ex: Exposure) -> tuple[np.ndarray, np.ndarray]:
        # the model's projection (fam.model.projection), for the bond's services only
        a0, a1 = s0[:, ks][..., sv], s1[:, ks][..., sv]
        ex_sv = replace(ex, p0=ex.p0[:, :, sv], p1=ex.p1[:, :, sv])
        return projection.project(p.trend, p.change[:, sv], projection.sums(a0, a1, ex_sv))

    return _outcome_days(plan, sp, p, n, ncomp, use_of)


@dataclass(frozen=True)
class Payments:
    """Quarterly money flows of the bond, per iteration [i, quarter] (£, real)."""

    due: np.ndarray  # outcome payments due before the cap
    paid: np.ndarray  # outcome payments made (after the cap)
    drawdown: np.ndarray  # programme costs funded by investors
    commissioner_costs: np.ndarray  # programme costs the commissioner pays
    cap_binds: np.ndarray  # [i] bool


def payments(
    saved: np.ndarray,
    costs: np.ndarray,
    price: np.ndarray,
    *,
    capital: float,
    cap: float,
    lag: int,
    pay_quarters: int,
) -> Payments:
    """The payment arithmetic, from days saved [i, cohort, quarter] and costs [i, quarter].

    Each cohort-quarter's days saved are floored at 0 and priced; the sum over cohorts falls
    due `lag` quarters later if that is before quarter `pay_quarters` (else it is never
    paid); the running total of payments stops at `cap`. Investors fund programme costs until
    `capital` is used up.
    """
    n_i, _, n_q = saved.shape
    earned = np.maximum(saved, 0.0).sum(axis=1) * np.asarray(price, dtype=float)[:, None]
    due = np.zeros((n_i, n_q))
    last = min(n_q, pay_quarters)
    if lag < last:
        due[:, lag:last] = earned[:, : last - lag]
    cum = np.cumsum(due, axis=1)
    paid = np.diff(np.minimum(cum, cap), axis=1, prepend=0.0)
    cap_binds = cum[:, -1] > cap * (1 + 1e-12)
    cum_cost = np.cumsum(costs, axis=1)
    drawdown = np.diff(np.minimum(cum_cost, capital), axis=1, prepend=0.0)
    return Payments(due, paid, drawdown, costs - drawdown, cap_binds)


def irr(flows: np.ndarray, periods_per_year: int = 4) -> np.ndarray:
    """Annualised internal rate of return of each row of `flows` (one period per column).

    Found by bisection on the per-period rate in (-0.75, 10); NaN where the net present value
    does not change sign over that range (no payments, no outlay, or no root there).
    """
    x = np.atleast_2d(np.asarray(flows, dtype=float))
    t = np.arange(x.shape[1], dtype=float)

    def npv(r: np.ndarray) -> np.ndarray:
        return np.asarray((x * (1.0 + r[:, None]) ** (-t[None, :])).sum(axis=1))

    lo = np.full(len(x), -0.75)
    hi = np.full(len(x), 10.0)
    f_lo = npv(lo)
    f_hi = npv(hi)
    ok = np.sign(f_lo) * np.sign(f_hi) < 0
    for _ in range(200):
        mid = (lo + hi) / 2
        f_mid = npv(mid)
        left = np.sign(f_mid) == np.sign(f_lo)
        lo = np.where(left, mid, lo)
        f_lo = np.where(left, f_mid, f_lo)
        hi = np.where(left, hi, mid)
    r = (lo + hi) / 2
    return np.where(ok, (1.0 + r) ** periods_per_year - 1.0, np.nan)


@dataclass(frozen=True)
class SibResults:
    """Per-iteration results of the bond (leading axis = iteration) and the central case."""

    plan: SibPlan
    price_per_day: np.ndarray  # [i] £ per day, price base year
    days_saved: np.ndarray  # [i] comparison - programme days in the tracking windows (net)
    days_paid: np.ndarray  # [i] days saved summed over cohort-quarters with a saving
    comparison_days: np.ndarray  # [i]
    programme_days: np.ndarray  # [i]
    # the same, measured against fam's counterfactual instead of the contract's comparison
    counterfactual_days: np.ndarray  # [i] fam's counterfactual days in the tracking windows
    days_saved_vs_counterfactual: np.ndarray  # [i] counterfactual - programme days (net)
    days_paid_vs_counterfactual: np.ndarray  # [i]
    payments_total_vs_counterfactual: np.ndarray  # [i] undiscounted (real)
    payments_pv_vs_counterfactual: np.ndarray  # [i]
    # paid for days that are not additional: against the contract - against the counterfactual
    days_paid_not_additional: np.ndarray  # [i]
    payments_not_additional_total: np.ndarray  # [i]
    payments_not_additional_pv: np.ndarray  # [i]
    payments_by_quarter: np.ndarray  # [i, quarter] outcome payments made
    drawdowns_by_quarter: np.ndarray  # [i, quarter] investors' funding of programme costs
    commissioner_costs_by_quarter: np.ndarray  # [i, quarter]
    payments_total: np.ndarray  # [i] undiscounted (real, price base year)
    payments_pv: np.ndarray  # [i]
    drawdowns_total: np.ndarray  # [i]
    commissioner_costs_pv: np.ndarray  # [i] programme costs not funded by investors
    programme_costs_pv: np.ndarray  # [i] all programme costs (equals the main run's costs)
    fiscal_benefits_pv: np.ndarray  # [i] from the main run (fiscal perspective)
    commissioner_net_pv: np.ndarray  # [i] fiscal benefits - payments - commissioner costs
    investor_multiple: np.ndarray  # [i] payments / drawdowns (NaN if nothing drawn)
    investor_irr: np.ndarray  # [i] annualised (NaN when undefined)
    cap_binds: np.ndarray  # [i] bool
    central: dict[str, Any]  # the same measures for the central case

    @property
    def prob_investor_loss(self) -> float:
        return float(np.mean(self.investor_multiple < 1.0))

    @property
    def prob_cap_binds(self) -> float:
        return float(np.mean(self.cap_binds))

    def summary(self) -> dict[str, Any]:
        """JSON-safe summary: contract terms, central case, distributions, probabilities."""
        sp = self.plan
        o = sp.sib.outcome
        mc = {
            name: describe(getattr(self, attr))
            for name, attr in [
                ("outcome_days_saved", "days_saved"),
                ("outcome_days_paid", "days_paid"),
                ("outcome_payments_pv", "payments_pv"),
                ("outcome_payments_total", "payments_total"),
                *_VERSUS,
                ("investor_drawdown", "drawdowns_total"),
                ("commissioner_programme_costs_pv", "commissioner_costs_pv"),
                ("fiscal_benefits_pv", "fiscal_benefits_pv"),
                ("commissioner_net_saving_pv", "commissioner_net_pv"),
                ("investor_multiple", "investor_multiple"),
                ("investor_irr", "investor_irr"),
            ]
        }
        mc["prob_investor_loss"] = self.prob_investor_loss  # type: ignore[assignment]
        mc["prob_cap_binds"] = self.prob_cap_binds  # type: ignore[assignment]
        out = {
            "terms": {
                "investor_capital": sp.capital,
                "cap": None if not np.isfinite(sp.cap) else sp.cap,
                "price_per_day": sp.price.central,
                "payment_years": sp.sib.payment_years,
                "payment_lag_quarters": sp.sib.payment_lag_quarters,
                "outcome_services": list(sp.service_names),
                # days per client per month (a share of days converted), or "counterfactual"
                "comparison": "counterfactual" if sp.comparison is None else sp.comparison,
                "comparison_as_written": (
                    o.comparison
                    if isinstance(o.comparison, str | float)
                    else o.comparison.model_dump()
                ),
                "tracking_months": o.tracking_months,
                "cohort_months": o.cohort_months,
                "money": "£ at the scenario's price base year (real), contract sums uprated "
                "from their price year with the GDP deflator",
            },
            "central": self.central,
            "monte_carlo": mc,
        }
        return dict(clean(out))


# contract's comparison vs fam's counterfactual: (summary key, SibResults field)
_VERSUS = (
    ("outcome_days_saved_vs_contract", "days_saved"),
    ("outcome_days_saved_vs_counterfactual", "days_saved_vs_counterfactual"),
    ("outcome_days_paid_vs_contract", "days_paid"),
    ("outcome_days_paid_vs_counterfactual", "days_paid_vs_counterfactual"),
    ("outcome_days_paid_not_additional", "days_paid_not_additional"),
    ("outcome_payments_pv_vs_contract", "payments_pv"),
    ("outcome_payments_pv_vs_counterfactual", "payments_pv_vs_counterfactual"),
    ("payments_for_days_not_additional_pv", "payments_not_additional_pv"),
    ("outcome_payments_total_vs_contract", "payments_total"),
    ("outcome_payments_total_vs_counterfactual", "payments_total_vs_counterfactual"),
    ("payments_for_days_not_additional_total", "payments_not_additional_total"),
)


def _price_draws(sp: SibPlan, seed: int, n: int) -> np.ndarray:
    inp = sp.price
    if inp.dist.is_fixed:
        return np.full(n, inp.central)
    return inp.transform(inp.dist.ppf(uniforms(seed, inp.name, n)))


_MEASURES = (
    "days_saved",
    "days_paid",
    "comparison_days",
    "programme_days",
    "counterfactual_days",
    "days_saved_vs_counterfactual",
    "days_paid_vs_counterfactual",
    "payments_total_vs_counterfactual",
    "payments_pv_vs_counterfactual",
    "days_paid_not_additional",
    "payments_not_additional_total",
    "payments_not_additional_pv",
    "payments_by_quarter",
    "drawdowns_by_quarter",
    "commissioner_costs_by_quarter",
    "payments_total",
    "payments_pv",
    "drawdowns_total",
    "commissioner_costs_pv",
    "programme_costs_pv",
    "fiscal_benefits_pv",
    "commissioner_net_pv",
    "investor_multiple",
    "investor_irr",
    "cap_binds",
)


def _measures(
    sp: SibPlan,
    comp: ComparisonDays,
    prog: np.ndarray,
    costs: np.ndarray,
    price: np.ndarray,
    fiscal: np.ndarray,
) -> dict[str, np.ndarray]:
    saved = comp.contract - prog
    saved_cf = comp.counterfactual - prog
    pay, pay_cf = (
        payments(
            x,
            costs,
            price,
            capital=sp.capital,
            cap=sp.cap,
            lag=sp.sib.payment_lag_quarters,
            pay_quarters=sp.pay_quarters,
        )
        for x in (saved, saved_cf)
    )
    df = sp.df_q[None, :]
    paid_total = pay.paid.sum(axis=1)
    drawn = pay.drawdown.sum(axis=1)
    payments_pv = (pay.paid * df).sum(axis=1)
    days_paid = np.maximum(saved, 0.0).sum(axis=(1, 2))
    days_paid_cf = np.maximum(saved_cf, 0.0).sum(axis=(1, 2))
    paid_total_cf = pay_cf.paid.sum(axis=1)
    payments_pv_cf = (pay_cf.paid * df).sum(axis=1)
    comm_pv = (pay.commissioner_costs * df).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        multiple = np.where(drawn > 0, paid_total / np.where(drawn > 0, drawn, 1.0), np.nan)
    return {
        "days_saved": saved.sum(axis=(1, 2)),
        "days_paid": days_paid,
        "comparison_days": comp.contract.sum(axis=(1, 2)),
        "programme_days": prog.sum(axis=(1, 2)),
        "counterfactual_days": comp.counterfactual.sum(axis=(1, 2)),
        "days_saved_vs_counterfactual": saved_cf.sum(axis=(1, 2)),
        "days_paid_vs_counterfactual": days_paid_cf,
        "payments_total_vs_counterfactual": paid_total_cf,
        "payments_pv_vs_counterfactual": payments_pv_cf,
        "days_paid_not_additional": days_paid - days_paid_cf,
        "payments_not_additional_total": paid_total - paid_total_cf,
        "payments_not_additional_pv": payments_pv - payments_pv_cf,
        "payments_by_quarter": pay.paid,
        "drawdowns_by_quarter": pay.drawdown,
        "commissioner_costs_by_quarter": pay.commissioner_costs,
        "payments_total": paid_total,
        "payments_pv": payments_pv,
        "drawdowns_total": drawn,
        "commissioner_costs_pv": comm_pv,
        "programme_costs_pv": (costs * df).sum(axis=1),
        "fiscal_benefits_pv": fiscal,
        "commissioner_net_pv": fiscal - payments_pv - comm_pv,
        "investor_multiple": multiple,
        "investor_irr": irr(pay.drawdown * -1.0 + pay.paid),
        "cap_binds": pay.cap_binds,
    }


@dataclass(frozen=True)
class SibPass:
    """The bond's outcome days and money flows, computed inside the Monte Carlo's chunks
    (fam.engine.ChunkPass) from the same parameter draws and the same bootstrap of the cohort
    as the main run, and the chunk's fiscal benefits."""

    sp: SibPlan
    price: np.ndarray  # [i] £ per day (drawn), price base year

    def take(self, sl: slice) -> SibPass:
        return SibPass(self.sp, self.price[sl])

    def __call__(
        self, plan: Plan, p: Params, seed: int, first: int, main: dict[str, np.ndarray]
    ) -> dict[str, np.ndarray]:
        fiscal = main["benefits"][:, PERSPECTIVES.index("fiscal")]
        bootstrap = plan.inputs.scenario.monte_carlo.bootstrap
        parts: list[dict[str, np.ndarray]] = []
        count = len(p.trend)
        # sub-chunks of whole random-number blocks bound the memory of the cohort cells
        if plan.tables is not None:  # per-service forms: client by client (fam.model.slots)
            return self._by_slot(plan, p, seed, first, fiscal)
        for a, b in engine.chunks(count, _CHUNK):
            q = p.take(slice(a, b))
            cells = (
                engine._bootstrap_cells(plan, q, seed, first + a, b - a)
                if bootstrap
                else engine.central_cells(plan, q)
            )
            comp, prog, costs = outcome_days(plan, self.sp, q, cells)
            parts.append(_measures(self.sp, comp, prog, costs, self.price[a:b], fiscal[a:b]))
        return {k: np.concatenate([x[k] for x in parts]) for k in parts[0]}

    def _by_slot(
        self, plan: Plan, p: Params, seed: int, first: int, fiscal: np.ndarray
    ) -> dict[str, np.ndarray]:
        parts: list[dict[str, np.ndarray]] = []
        count = len(p.trend)
        if not plan.inputs.scenario.monte_carlo.bootstrap:
            comp, prog, costs = outcome_days_expected(plan, self.sp, p)
            return _measures(self.sp, comp, prog, costs, self.price, fiscal)
        for rows, client, done in engine.slot_draws(plan, p, seed, first, count):
            q = p.take(rows)
            comp, prog, costs = outcome_days_drawn(plan, self.sp, q, client, done)
            parts.append(_measures(self.sp, comp, prog, costs, self.price[rows], fiscal[rows]))
        return {k: np.concatenate([x[k] for x in parts]) for k in parts[0]}


def _quarter_edges(sp: SibPlan) -> np.ndarray:
    return np.arange(sp.n_quarters + 1) * 3


def outcome_days_drawn(
    plan: Plan, sp: SibPlan, p: Params, client: np.ndarray, done: np.ndarray
) -> tuple[ComparisonDays, np.ndarray, np.ndarray]:
    """`_outcome_days` for drawn slots (data client and completer [i, slot]), with the
    per-service forms (fam.model.slots)."""
    sv, edges = np.array(sp.services), _quarter_edges(sp)
    n, ncomp = engine.slot_cells(plan, client, done)
    chain_p = engine.drawn_chain(plan, p)  # once for every cohort

    def use_of(ks: np.ndarray, _: Exposure) -> tuple[np.ndarray, np.ndarray]:
        keep = np.isin(plan.slot_k, ks)
        return engine.drawn_slot_use(
            plan, p, client, done, edges, sp.sib.outcome.tracking_months, sv, keep, chain_p
        )

    return _outcome_days(plan, sp, p, n, ncomp, use_of)


def outcome_days_expected(
    plan: Plan, sp: SibPlan, p: Params
) -> tuple[ComparisonDays, np.ndarray, np.ndarray]:
    """`_outcome_days` with expected counts (the central case, or no bootstrap), with the
    per-service forms (fam.model.slots)."""
    sv, edges = np.array(sp.services), _quarter_edges(sp)
    _, _, n, ncomp = engine.central_cells(plan, p)

    def use_of(ks: np.ndarray, _: Exposure) -> tuple[np.ndarray, np.ndarray]:
        # the central case was checked (strictly) by the run; drawn rows are scaled
        return engine.expected_use(
            plan, p, edges, sp.sib.outcome.tracking_months, sv, ks, strict=False
        )

    return _outcome_days(plan, sp, p, n, ncomp, use_of)


def sib_pass(plan: Plan, seed: int, iterations: int) -> SibPass:
    """The pass to give the Monte Carlo for a scenario with a `sib` block."""
    sp = make_sib_plan(plan)
    return SibPass(sp, _price_draws(sp, seed, iterations))


def sib_results(run: Run, sb: SibPass) -> SibResults:
    """The bond's results: per iteration from the Monte Carlo's pass, and the central case."""
    plan = run.plan
    mi = plan.inputs
    sp = sb.sp
    fiscal_i = PERSPECTIVES.index("fiscal")
    per = {k: run.draws.extra[k] for k in _MEASURES}
    pc = engine.central_params(mi)
    if plan.tables is not None:
        comp, prog, costs = outcome_days_expected(plan, sp, pc)
    else:
        comp, prog, costs = outcome_days(plan, sp, pc, engine.central_cells(plan, pc))
    cen = _measures(
        sp,
        comp,
        prog,
        costs,
        np.array([sp.price.central]),
        np.array([float(run.central.benefits[fiscal_i])]),
    )
    central = {
        "outcome_days_saved": cen["days_saved"][0],
        "outcome_days_paid": cen["days_paid"][0],
        "comparison_days": cen["comparison_days"][0],
        "programme_days": cen["programme_days"][0],
        "counterfactual_days": cen["counterfactual_days"][0],
        **{key: cen[attr][0] for key, attr in _VERSUS},
        "outcome_payments_pv": cen["payments_pv"][0],
        "outcome_payments_total": cen["payments_total"][0],
        "investor_drawdown": cen["drawdowns_total"][0],
        "commissioner_programme_costs_pv": cen["commissioner_costs_pv"][0],
        "fiscal_benefits_pv": cen["fiscal_benefits_pv"][0],
        "commissioner_net_saving_pv": cen["commissioner_net_pv"][0],
        "investor_multiple": cen["investor_multiple"][0],
        "investor_irr": cen["investor_irr"][0],
        "cap_binds": bool(cen["cap_binds"][0]),
    }
    return SibResults(
        plan=sp,
        price_per_day=sb.price,
        central=dict(clean(central)),
        **per,
    )
