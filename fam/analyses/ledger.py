"""The agency ledger: who invests and who saves (docs/method.md, section 6).

For each agency, in £ present value at the price base year, central and per iteration:

- programme cost: its share of the programme's costs (`programme_costs.funders`); with a
  social impact bond, the investors carry the costs their capital funds and the funders share
  the rest (the costs the commissioner pays, fam.analyses.sib);
- savings: the fall in its costs in the headline perspective (the unit-cost rows' `agency`);
  fiscal savings and their cashable part are shown beside them;
- transfers: with a bond, the outcome payments, paid by the funders in their shares (−) and
  received by the investors (+); they sum to zero;
- net position = savings − programme cost + transfers;
- return per £1 = what comes back (savings and payments received) per £1 put in (programme
  cost and payments made); none if it puts nothing in.

The programme costs add up to the run's costs and the net positions to its NPV (headline
perspective), in the central case and in every iteration.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from fam.model.finance import clean, describe

if TYPE_CHECKING:
    from fam.analyses.sib import SibResults
    from fam.engine import Run

INVESTORS = "investors"  # the ledger's row for a social impact bond's investors


@dataclass(frozen=True)
class Ledger:
    """Per agency (the columns' order), central values [a] and iterations [i, a]."""

    agencies: tuple[str, ...]
    funder_share: np.ndarray  # [a] share of the programme costs the funders pay (0 for others)
    programme_cost: np.ndarray  # [a] central, £ PV
    savings: np.ndarray  # [a] headline perspective
    fiscal: np.ndarray  # [a] fiscal perspective
    cashable: np.ndarray  # [a] fiscal x cashable share
    transfers: np.ndarray  # [a] + received, - paid
    draws_cost: np.ndarray  # [i, a]
    draws_savings: np.ndarray  # [i, a] headline perspective
    draws_transfers: np.ndarray  # [i, a]

    @property
    def net(self) -> np.ndarray:
        return np.asarray(self.savings - self.programme_cost + self.transfers)

    @property
    def draws_net(self) -> np.ndarray:
        return np.asarray(self.draws_savings - self.draws_cost + self.draws_transfers)

    @property
    def return_per_pound(self) -> np.ndarray:
        """[a] (savings + payments received) / (programme cost + payments made); NaN if the
        agency puts nothing in."""
        back = self.savings + np.maximum(self.transfers, 0.0)
        put_in = self.programme_cost + np.maximum(-self.transfers, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(put_in > 0, back / np.where(put_in > 0, put_in, 1.0), np.nan)

    @property
    def prob_net_positive(self) -> np.ndarray:
        return np.asarray(np.mean(self.draws_net > 0, axis=0))

    def summary(self) -> dict[str, Any]:
        """summary.json's `by_agency` (docs/outputs.md), JSON-safe."""
        out = {}
        ret = self.return_per_pound
        prob = self.prob_net_positive
        for a, name in enumerate(self.agencies):
            out[name] = {
                "central_benefits": self.savings[a],
                "cashable": self.cashable[a],
                "programme_cost": self.programme_cost[a],
                "savings": self.savings[a],
                "fiscal": self.fiscal[a],
                "transfers": self.transfers[a],
                "net": self.net[a],
                "return_per_pound": ret[a],
                "monte_carlo": {
                    "net": describe(self.draws_net[:, a]),
                    "prob_net_positive": prob[a],
                },
            }
        return dict(clean(out))


def funder_shares(run: Run) -> dict[str, float]:
    return dict(run.inputs.scenario.programme_costs.funders)


def ledger(run: Run, sib: SibResults | None = None) -> Ledger:
    """The agency ledger of a run (and its social impact bond, if any)."""
    plan = run.plan
    c = run.central
    shares = funder_shares(run)
    names = list(shares)
    if sib is not None and INVESTORS not in names:
        names.append(INVESTORS)
    names += [a for a in plan.agencies if a not in names]
    ix = {a: i for i, a in enumerate(names)}
    n_a, n_i = len(names), len(run.draws.costs)
    share = np.zeros(n_a)
    for a, s in shares.items():
        share[ix[a]] = s
    # programme costs: the investors' part with a bond, the funders' shares of the rest
    cost_c = float(c.costs)
    cost_i = np.asarray(run.draws.costs, dtype=float)
    if sib is not None:
        comm_c = float(sib.central["commissioner_programme_costs_pv"])
        comm_i = np.asarray(sib.commissioner_costs_pv, dtype=float)
        pay_c = float(sib.central["outcome_payments_pv"])
        pay_i = np.asarray(sib.payments_pv, dtype=float)
    else:
        comm_c, comm_i, pay_c, pay_i = cost_c, cost_i, 0.0, np.zeros(n_i)
    programme_cost = share * comm_c
    draws_cost = comm_i[:, None] * share[None, :]
    transfers = 0.0 - share * pay_c
    draws_transfers = 0.0 - pay_i[:, None] * share[None, :]
    if sib is not None:
        inv = ix[INVESTORS]
        programme_cost[inv] += cost_c - comm_c
        draws_cost[:, inv] += cost_i - comm_i
        transfers[inv] += pay_c
        draws_transfers[:, inv] += pay_i
    # savings by agency: the unit-cost rows' agencies
    sav_pv = c.years.savings[0] * plan.df[None, :]  # [r, y]
    by_row = sav_pv.sum(axis=1)
    savings, fiscal, cashable = np.zeros(n_a), np.zeros(n_a), np.zeros(n_a)
    draws_savings = np.zeros((n_i, n_a))
    for k, a in enumerate(plan.agencies):
        mask = plan.row_agency == k
        j = ix[a]
        savings[j] = float(c.agency_benefits[k])
        fiscal[j] = float((by_row * plan.weights[0])[mask].sum())
        cashable[j] = float(c.agency_cashable[k])
        draws_savings[:, j] = run.draws.agency_benefits[:, k]
    return Ledger(
        agencies=tuple(names),
        funder_share=share,
        programme_cost=programme_cost,
        savings=savings,
        fiscal=fiscal,
        cashable=cashable,
        transfers=transfers,
        draws_cost=draws_cost,
        draws_savings=draws_savings,
        draws_transfers=draws_transfers,
    )
