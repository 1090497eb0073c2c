"""The model's equation, written once: counterfactual use, programme-arm use, £ and savings.

Every stage that projects service use calls these functions: the engine (central case and
Monte Carlo), the social impact bond's outcome days (fam.analyses.sib), the update from observed
follow-up (fam.analyses.update) and the one-way sensitivity analyses (fam.analyses.sensitivity). The workbook's
Calculations sheet writes the same rows as live formulas from `FORMULAS` below; a test
evaluates each template with numbers and checks it against these functions.

For a set of clients summed over time (see fam.model.profiles for the exposure sums):

    counterfactual  cf = base0 - trend x base1
    programme arm   pg = cf + change x [e x] (q0 - trend x q1)

where base0 = sum of baseline use over the months counted, base1 = the same weighted by the
counterfactual ramp, q0 and q1 the same weighted by the effect profile (and by engagement e,
unless e is given separately). £ = use x uprated unit cost; saving = (cf £ - pg £) less
optimism bias, times the additionality (1 - attribution) x (1 - displacement): the share of
the change that is the programme's own and is not merely moved elsewhere.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from fam.model.profiles import Exposure

# One Calculations row per model quantity; {names} are other rows or central parameters.
FORMULAS: dict[str, str] = {
    "engagement": "{completion}+(1-{completion})*{non_completer_effect}",
    "counterfactual_use": "{baseline}-{trend}*{baseline_ramp}",
    "programme_use": "{counterfactual_use}+{change}*{engagement}*({profile}-{trend}*{profile_ramp})",
    "counterfactual_gbp": "{counterfactual_use}*{unit_cost}",
    "programme_gbp": "{programme_use}*{unit_cost}",
    # absolute rates: the step values times the client-months their steps cover
    "counterfactual_use_rate": "SUMPRODUCT({rates},{rate_months})",
    "programme_use_rate": "{counterfactual_use}+{change}*{engagement}*SUMPRODUCT({rates},{rate_profile})",
    "saving": "({counterfactual_gbp}-{programme_gbp})*IF({counterfactual_gbp}-{programme_gbp}>=0,"
    "(1-{ob_benefit})*(1-{ob_effect}),(1+{ob_benefit})*(1+{ob_effect}))"
    "*(1-{attribution})*(1-{displacement})",
}


def engagement(completion: Any, non_completer_effect: Any) -> Any:
    """Mean engagement e = completion + (1 - completion) x non_completer_effect."""
    return completion + (1.0 - completion) * non_completer_effect


def use(
    trend: np.ndarray | float,
    change: np.ndarray | float,
    base0: np.ndarray | float,
    base1: np.ndarray | float,
    q0: np.ndarray | float,
    q1: np.ndarray | float,
    e: np.ndarray | float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Counterfactual and programme-arm use from exposure sums (any broadcastable shapes).

    `q0`, `q1` already carry engagement unless `e` is given, in which case the programme
    term is multiplied by it: pg = cf + change x e x (q0 - trend x q1).
    """
    cf = base0 - trend * base1
    factor = change if e is None else change * e
    pg = cf + factor * (q0 - trend * q1)
    return np.asarray(cf), np.asarray(pg)


class Sums(NamedTuple):
    """Exposure-weighted cohort sums [i, s, b] that `use` turns into service use."""

    base0: np.ndarray
    base1: np.ndarray
    q0: np.ndarray
    q1: np.ndarray


def sums(s0: np.ndarray, s1: np.ndarray, ex: Exposure) -> Sums:
    """Contract cohort cells with exposures.

    s0[i, k, d, s]: baseline use per month of the clients in cell (k, d); s1 the same weighted
    by engagement e.
    """
    return Sums(
        np.einsum("ikds,kb->isb", s0, ex.c0),
        np.einsum("ikds,kb->isb", s0, ex.c1),
        np.einsum("ikds,kdsb->isb", s1, ex.p0),
        np.einsum("ikds,kdsb->isb", s1, ex.p1),
    )


def project(trend: np.ndarray, change: np.ndarray, sm: Sums) -> tuple[np.ndarray, np.ndarray]:
    """Use [i, s, b] of both arms: trend [i], change [i, s]."""
    return use(trend[:, None, None], change[:, :, None], *sm)


class Money(NamedTuple):
    cf_gbp: np.ndarray  # [i, r, b]
    pg_gbp: np.ndarray  # [i, r, b]
    savings: np.ndarray  # [i, r, b] after optimism bias


def price(
    cf: np.ndarray,
    pg: np.ndarray,
    row_s: np.ndarray,
    unit_cost: np.ndarray,
    ob_benefit: np.ndarray,
    ob_effect: np.ndarray | None = None,
    year_of_bucket: np.ndarray | None = None,
    additional: np.ndarray | None = None,
) -> Money:
    """£ per cost row: use of the row's service [i, s, b] x unit cost [i, r]; savings after
    optimism bias (`optimism_bias`), times the additionality [i] (`additionality`) if given."""
    cost = unit_cost[:, :, None]
    cf_gbp = cf[:, row_s, :] * cost
    pg_gbp = pg[:, row_s, :] * cost
    ob_e = np.zeros(len(ob_benefit)) if ob_effect is None else ob_effect
    savings = optimism_bias(cf_gbp - pg_gbp, ob_benefit, ob_e, year_of_bucket)
    if additional is not None:
        savings = savings * np.asarray(additional, dtype=float)[:, None, None]
    return Money(cf_gbp, pg_gbp, savings)


def optimism_bias(
    saving: np.ndarray,
    ob_cost: np.ndarray,
    ob_effect: np.ndarray,
    year_of_bucket: np.ndarray | None = None,
) -> np.ndarray:
    """Savings [i, r, b] after optimism bias, per cost row and appraisal year: a saving
    s >= 0 becomes s x (1 - ob_c) x (1 - ob_e) and a cost increase s < 0 becomes
    s x (1 + ob_c) x (1 + ob_e), where ob_c [r] is the share for the unit cost's confidence
    grade and ob_e [r] the share for the effect's evidence grade. With buckets shorter than a
    year, `year_of_bucket` [b] gives each bucket's year, whose total sets the sign."""
    sign_of = saving
    if year_of_bucket is not None:
        n_y = int(year_of_bucket.max()) + 1
        onehot = np.eye(n_y)[year_of_bucket]  # [b, y]
        sign_of = (saving @ onehot)[..., year_of_bucket]
    down = ((1.0 - ob_cost) * (1.0 - ob_effect))[None, :, None]
    up = ((1.0 + ob_cost) * (1.0 + ob_effect))[None, :, None]
    return np.asarray(saving * np.where(sign_of >= 0, down, up))


def additionality(attribution: Any, displacement: Any) -> Any:
    """The share of a saving that counts: (1 - attribution) x (1 - displacement)."""
    return (1.0 - attribution) * (1.0 - displacement)


def programme_cost_parts(
    ex: Exposure,
    fixed_share: np.ndarray,
    per_client: np.ndarray,
    per_client_month: np.ndarray,
    per_completed_case: np.ndarray,
    fixed_per_year: np.ndarray,
    n: np.ndarray,
    ncomp: np.ndarray,
    ob_cost: float,
) -> np.ndarray:
    """Programme costs [i, part, bucket] after optimism bias; parts: per_client,
    per_client_month, per_completed_case, fixed_per_year. n, ncomp [i, k, d]: clients and
    completers per cell; fixed_share [bucket]: share of a year's fixed cost in each bucket."""
    return np.stack(
        [
            per_client[:, None] * np.einsum("ikd,kb->ib", n, ex.starts),
            per_client_month[:, None] * np.einsum("ikd,kdb->ib", n, ex.months),
            per_completed_case[:, None] * np.einsum("ikd,kdb->ib", ncomp, ex.ends),
            fixed_per_year[:, None] * fixed_share[None, :],
        ],
        axis=1,
    ) * (1.0 + ob_cost)
