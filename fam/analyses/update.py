"""Update the forecast with the programme's own observed follow-up (docs/update.md).

Before a programme starts, fam projects from published evidence: the scenario's effect
distributions. Once clients have months of service use after their start (up to the data
cut-off `cohort.observed_to`), those months are evidence about the effects:

- for each effect input k (a service, or a pattern's services) the observed programme-arm use
  O_k over the observed months is compared with what the model expects for the same client-
  months, E_k = A_k + change_k x P_k, where A_k is the counterfactual (baseline x
  (1 - trend x ramp)) and P_k the same weighted by the effect profile and engagement;
- likelihood (log-normal approximation): log O_k ~ Normal(log E_k, s_k^2), where s_k is the
  cluster-robust (between-client) standard error of log O_k, so over-dispersed counts do not
  make the data look more certain than they are;
- posterior: the prior draws (every input jointly, trend included, so regression to the mean
  is not mistaken for impact) weighted by the likelihood and resampled (sampling-importance-
  resampling, systematic, from a seeded stream);
- the posterior draws then drive the projection of the cohort, with the same cohort and count
  random numbers as the prior run.

With no observed follow-up every weight is equal and the updated results are the prior
results exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from fam.engine import Draws, Params, Plan, simulate_with
from fam.inputs.loading import ModelInputs
from fam.model import projection
from fam.model.distributions import uniforms
from fam.model.finance import bcr, clean, describe
from fam.model.profiles import profile, ramp

if TYPE_CHECKING:
    from fam.engine import Run


@dataclass(frozen=True)
class Evidence:
    """Observed follow-up for one effect input, and the sums its expectation is built from."""

    name: str
    services: tuple[str, ...]
    clients: int
    client_months: float
    observed: float
    a0: float  # sum of b x months observed
    a1: float  # sum of b x sum of ramp(t) over observed months
    p0: float  # sum of b x profile
    p1: float  # sum of b x profile x ramp
    se_log: float  # standard error of log(observed)

    def expected(self, trend: np.ndarray, change: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Expected programme-arm use; e is the mean engagement, as in the projection."""
        return projection.use(trend, change, self.a0, self.a1, self.p0, self.p1, e)[1]


def evidence(mi: ModelInputs) -> list[Evidence]:
    """Observed follow-up per effect input (empty when no client has follow-up)."""
    sc = mi.scenario
    min_f = sc.update.min_follow_up_months
    f = np.where(mi.follow_up >= min_f, mi.follow_up, 0).astype(np.int64)
    keep = f > 0
    if not keep.any():
        return []
    f, b, obs = f[keep], mi.baseline[keep], mi.observed[keep]
    dur = mi.durations[keep]
    cut = _cut(mi)[keep]  # [client, s]: months before each service's age limit
    t = np.arange(int(f.max()), dtype=float)
    r = ramp(t, sc.counterfactual.ramp_months)
    r_cum_at = np.concatenate([[0.0], np.cumsum(r)])
    trend0 = mi.trend.central
    c0 = mi.completion.central
    e0 = projection.engagement(c0, mi.non_completer_effect.central)
    groups: dict[str, list[int]] = {}
    for s, e in enumerate(mi.effects):
        if e.change is not None:
            groups.setdefault(e.change.name, []).append(s)
    out = []
    for name, svc in groups.items():
        a0 = a1 = p0 = p1 = 0.0
        o_c = obs[:, svc].sum(axis=1)
        x_c = np.zeros(len(f))
        change0 = next(e.change.central for e in mi.effects if e.change and e.change.name == name)
        for s in svc:
            e = mi.effects[s]
            prof = np.stack(
                [profile(t, e.onset_months, float(d), e.half_life_months) for d in dur]
            )  # [client, t]
            fs = np.minimum(f, cut[:, s])  # observed months before the age limit
            r_cum = r_cum_at[fs]
            mask = t[None, :] < fs[:, None]
            ps = (prof * mask).sum(axis=1)
            pr = (prof * r[None, :] * mask).sum(axis=1)
            bs = b[:, s]
            a0 += float((bs * fs).sum())
            a1 += float((bs * r_cum).sum())
            p0 += float((bs * ps).sum())
            p1 += float((bs * pr).sum())
            x_c += bs * projection.use(trend0, change0, fs, r_cum, ps, pr, e0)[1]
        total = float(o_c.sum())
        n = len(f)
        if x_c.sum() > 0 and n > 1:
            resid = o_c - total * x_c / x_c.sum()
            var = float((resid**2).sum()) * n / (n - 1)
        else:
            var = total
        o_eff = max(total, 0.5)
        se = float(np.sqrt(max(var, o_eff)) / o_eff)
        out.append(
            Evidence(
                name,
                tuple(mi.services[s] for s in svc),
                n,
                float(f.sum()),
                total,
                a0,
                a1,
                p0,
                p1,
                se,
            )
        )
    return out


def _cut(mi: ModelInputs) -> np.ndarray:
    """[client, s] the first relative month past each service's age limit (no limit: a large
    number); the update runs only with own-baseline services (fam.inputs.loading refuses
    rates and placements with it)."""
    if mi.forms is None:
        return np.full(mi.baseline.shape, np.iinfo(np.int64).max // 4, dtype=np.int64)
    return mi.forms.cut


def log_weights(ev: Sequence[Evidence], p: Params, mi: ModelInputs) -> np.ndarray:
    """Log-likelihood of the observed follow-up for each prior draw."""
    lw = np.zeros(len(p.trend))
    index: dict[str, int] = {}
    for s, eff in enumerate(mi.effects):
        if eff.change is not None:
            index.setdefault(eff.change.name, s)
    eng = projection.engagement(p.completion, p.nce)
    for ev_k in ev:
        change = p.change[:, index[ev_k.name]]
        exp = np.maximum(ev_k.expected(p.trend, change, eng), 1e-9)
        z = (np.log(max(ev_k.observed, 0.5)) - np.log(exp)) / ev_k.se_log
        lw += -0.5 * z * z
    return lw


def resample(weights: np.ndarray, seed: int) -> np.ndarray:
    """Systematic resampling: iteration indices drawn in proportion to the weights."""
    n = len(weights)
    u0 = uniforms(seed, "update.resample", 1)[0]
    positions = (u0 + np.arange(n)) / n
    cum = np.cumsum(weights / weights.sum())
    cum[-1] = 1.0
    return np.searchsorted(cum, positions, side="left")


def _take(p: Params, idx: np.ndarray) -> Params:
    return Params(*(getattr(p, f)[idx] for f in p.__dataclass_fields__))


@dataclass(frozen=True)
class Update:
    evidence: list[Evidence]
    ess: float  # effective sample size of the importance weights
    index: np.ndarray  # resampled prior iterations
    prior: Draws
    posterior: Draws
    observed_to_date: dict[str, Any]

    def summary(self, plan: Plan) -> dict[str, Any]:
        def block(d: Draws) -> dict[str, Any]:
            npv = d.npv
            ratio = bcr(d.benefits[:, plan.headline], d.costs)
            return {
                "costs": describe(d.costs),
                "benefits": describe(d.benefits[:, plan.headline]),
                "npv": describe(npv),
                "bcr": describe(ratio),
                "prob_npv_positive": float(np.mean(npv > 0)),
            }

        effects = []
        for e in self.evidence:
            pri = self.prior.params[e.name]
            post = self.posterior.params[e.name]
            w_pri = np.percentile(pri, 95) - np.percentile(pri, 5)
            w_post = np.percentile(post, 95) - np.percentile(post, 5)
            effects.append(
                {
                    "input": e.name,
                    "services": list(e.services),
                    "clients": e.clients,
                    "client_months": e.client_months,
                    "observed": e.observed,
                    "prior": describe(pri),
                    "updated": describe(post),
                    "interval_narrowing": float(1 - w_post / w_pri) if w_pri > 0 else None,
                }
            )
        return clean(
            {
                "effective_sample_size": self.ess,
                "effects": effects,
                "prior": block(self.prior),
                "updated": block(self.posterior),
                "observed_to_date": self.observed_to_date,
            }
        )


def observed_to_date(results: Run) -> dict[str, Any]:
    """Observed return for the data's clients over their observed months (undiscounted,
    headline perspective, central counterfactual, no optimism bias)."""
    mi, plan = results.inputs, results.plan
    f = mi.follow_up
    seen = f > 0
    if not seen.any():
        return {"clients": 0}
    rows = mi.cost_rows
    w = plan.weights[plan.headline]
    cost_s = np.zeros(len(mi.services))
    np.add.at(cost_s, rows["s_index"].to_numpy(), rows["cost_uprated"].to_numpy() * w)
    t = np.arange(int(f.max()), dtype=float)
    r_cum = np.concatenate([[0.0], np.cumsum(ramp(t, mi.scenario.counterfactual.ramp_months))])
    b, fs = mi.baseline[seen], f[seen]
    fs_s = np.minimum(fs[:, None], _cut(mi)[seen])  # [client, s], before any age limit
    cf_months = projection.use(mi.trend.central, 0.0, fs_s, r_cum[fs_s], 0.0, 0.0)[0]
    cf = (b * cf_months) @ cost_s
    pg = mi.observed[seen] @ cost_s
    pc = mi.programme_costs
    months = np.minimum(mi.durations[seen], fs)
    ended = (mi.durations[seen] <= fs) & mi.completed[seen]
    costs = (
        pc["per_client"].central * seen.sum()
        + pc["per_client_month"].central * months.sum()
        + pc["per_completed_case"].central * ended.sum()
    )
    costs *= 1.0 + plan.ob_cost
    savings = float(cf.sum() - pg.sum())
    return {
        "clients": int(seen.sum()),
        "client_months": int(fs.sum()),
        "counterfactual_cost": float(cf.sum()),
        "observed_cost": float(pg.sum()),
        "savings": savings,
        "programme_costs": float(costs),
        "net": savings - float(costs),
        "bcr": float(savings / costs) if costs > 0 else None,
    }


def update(
    results: Run,
    mapper: Callable[..., Iterable[dict[str, np.ndarray]]] | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_size: int | None = None,
) -> Update:
    """Weight the run's own parameter draws by the observed follow-up and re-project the
    cohort with the resampled draws (on `mapper`'s workers, reporting to `progress`)."""
    mi, plan = results.inputs, results.plan
    ev = evidence(mi)
    p, draws = results.params, results.draws.params
    if not ev:
        idx = np.arange(results.iterations)
        return Update(
            ev,
            float(results.iterations),
            idx,
            results.draws,
            results.draws,
            observed_to_date(results),
        )
    lw = log_weights(ev, p, mi)
    w = np.exp(lw - lw.max())
    ess = float(w.sum() ** 2 / (w**2).sum())
    idx = resample(w, results.seed)
    post_p = _take(p, idx)
    post_draws = {k: v[idx] for k, v in draws.items()}
    posterior = simulate_with(plan, post_p, post_draws, results.seed, chunk_size, progress, mapper)
    return Update(ev, ess, idx, results.draws, posterior, observed_to_date(results))
