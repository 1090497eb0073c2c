"""The results of a run: the Monte Carlo (fam.engine.Run) and its analyses (social impact
bond, update, sensitivity), with the tables analysts and writers read.

Built by the analysis stage (fam.analyses.stage); the writers only format what is here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fam.analyses.ledger import Ledger, ledger
from fam.analyses.sensitivity import Report
from fam.analyses.sib import SibResults
from fam.analyses.update import Update
from fam.engine import Run
from fam.model.finance import bcr, clean, describe, payback_years
from fam.version import __version__
from fam.vocabulary import PERSPECTIVES


@dataclass(frozen=True)
class Results(Run):
    """A run and the outcomes of its analyses: everything the writers need, computed."""

    sib: SibResults | None = (
        None  # social impact bond (fam.analyses.sib), when the scenario has one
    )
    update: Update | None = None  # updated with observed follow-up (fam.analyses.update), if asked
    sensitivity: Report | None = None  # what matters (fam.analyses.sensitivity)

    def central_headline(self) -> dict[str, Any]:
        c = self.central
        b = float(c.benefits[self.plan.headline])
        ratio = float(bcr(b, c.costs))
        return {
            "costs": c.costs,
            "benefits": b,
            "npv": c.npv,
            "bcr": ratio,
            "roi": ratio - 1.0,
            "payback_years": c.payback_years,
        }

    @property
    def updated(self) -> bool:
        """True when observed follow-up updated the forecast (the headline is then the
        updated forecast, docs/update.md)."""
        return self.update is not None and bool(self.update.evidence)

    def headline(self) -> dict[str, Any]:
        """The figures every output leads with (page 1, the CLI's line, summary.json's
        `headline`, the workbook): `basis` 'scenario' or 'updated'.

        'scenario': the central case (every input at its central value), the chance of
        breaking even and the 90% interval of NPV from the Monte Carlo.
        'updated' (the scenario carries observed follow-up): the updated (posterior) Monte
        Carlo: mean costs, benefits and NPV; £ back per £1 = mean benefits / mean costs; the
        chance of breaking even and the NPV interval of the updated draws; payback of the
        mean net position by year. It has no central case, since the data move every input.
        """
        if not self.updated:
            return self.prior_headline()
        assert self.update is not None
        d = self.update.posterior
        costs = float(np.mean(d.costs))
        benefits = float(np.mean(d.benefits[:, self.plan.headline]))
        pay = payback_years(d.net_by_year.mean(axis=0, keepdims=True))
        return clean(
            {
                "basis": "updated",
                "costs": costs,
                "benefits": benefits,
                "npv": benefits - costs,
                "bcr": float(bcr(benefits, costs)),
                "payback_years": float(pay[0]),
                "prob_npv_positive": float(np.mean(d.npv > 0)),
                "npv_p5": float(np.percentile(d.npv, 5)),
                "npv_p95": float(np.percentile(d.npv, 95)),
            }
        )

    def prior_headline(self) -> dict[str, Any]:
        """The headline of the scenario as written (before any observed follow-up)."""
        c = self.central_headline()
        out = {k: c[k] for k in ("costs", "benefits", "npv", "bcr", "payback_years")}
        npv = self.npv
        return clean(
            {
                "basis": "scenario",
                **out,
                "prob_npv_positive": float(np.mean(npv > 0)),
                "npv_p5": float(np.percentile(npv, 5)),
                "npv_p95": float(np.percentile(npv, 95)),
            }
        )

    def summary(self) -> dict[str, Any]:
        """The content of summary.json (keys as in docs/outputs.md), JSON-safe."""
        sc = self.inputs.scenario
        by_agency = self.ledger().summary()
        out = {
            "scenario": sc.name,
            "fam_version": __version__,
            "seed": self.seed,
            "iterations": self.iterations,
            "price_base_year": sc.price_base_year,
            # the headline perspective: of central.benefits and by_agency's savings and net
            "perspective": sc.perspective,
            "inputs_sha256": dict(self.inputs.inputs_sha256),
            "central": self.central_headline(),
            "monte_carlo": {
                "npv": describe(self.npv),
                "bcr": describe(self.bcr),
                "prob_npv_positive": float(np.mean(self.npv > 0)),
                "payback": self.payback_summary(),
            },
            "by_agency": by_agency,
            "synthetic_data": bool(self.inputs.synthetic),
            "headline_basis": "updated" if self.updated else "scenario",
            "headline": self.headline(),
        }
        if self.inputs.edits:  # a workbook run whose inputs were changed since fam wrote it
            out["edited_inputs"] = list(self.inputs.edits)
        if self.updated:
            out["prior"] = self.prior_headline()
        return clean(out)

    def payback_summary(self) -> dict[str, Any]:
        """Payback across the simulations: the share that pays back within the horizon, and
        the payback year of those only (a simulation that never pays back has no payback year,
        so a mean over all of them would describe the few that do as if they were all)."""
        pay = payback_years(self.draws.net_by_year)
        paid = np.isfinite(pay)
        return {
            "share_within_horizon": float(np.mean(paid)) if pay.size else None,
            "simulations_paying_back": int(paid.sum()),
            "years_if_paid_back": describe(pay[paid]),
        }

    def summary_frame(self) -> pd.DataFrame:
        """Headline figures: central value, Monte Carlo mean and 5/50/95th percentiles, and
        the number of simulations each row describes (`simulations`).

        Payback is two rows: `payback_share_within_horizon` (the share of simulations that pay
        back within the horizon) and `payback_years_if_paid_back` (the payback year of those
        simulations only; central: the central case's payback, empty if it never pays back).
        """
        d = self.draws
        n = self.iterations
        series = {
            "costs": d.costs,
            "benefits": d.benefits[:, self.plan.headline],
            "npv": self.npv,
            "bcr": self.bcr,
            "roi": self.bcr - 1.0,
        }
        head = self.central_headline()
        rows = []
        for k, x in series.items():
            rows.append({"measure": k, "central": head[k], **describe(x), "simulations": n})
        empty = {"central": None, "p5": None, "p50": None, "p95": None}
        rows.append(
            {
                "measure": "prob_npv_positive",
                **empty,
                "mean": float(np.mean(self.npv > 0)),
                "simulations": n,
            }
        )
        pay = self.payback_summary()
        rows.append(
            {
                "measure": "payback_share_within_horizon",
                **empty,
                "mean": pay["share_within_horizon"],
                "simulations": n,
            }
        )
        rows.append(
            {
                "measure": "payback_years_if_paid_back",
                "central": head["payback_years"],
                **pay["years_if_paid_back"],
                "simulations": pay["simulations_paying_back"],
            }
        )
        return pd.DataFrame(rows).set_index("measure")

    def cashflows(self) -> pd.DataFrame:
        """Central case by appraisal year, agency, value type and service (£, price base year)."""
        rows = self.inputs.cost_rows
        f = self.central.years
        n_y = self.inputs.n_years
        df = self.plan.df
        out = []
        for r, row in enumerate(rows.itertuples()):
            for y in range(n_y):
                out.append(
                    {
                        "year": y,
                        "agency": row.agency,
                        "value_type": row.value_type,
                        "service": row.service,
                        "counterfactual_use": f.cf_use[0, row.s_index, y],
                        "programme_use": f.pg_use[0, row.s_index, y],
                        "counterfactual_cost": f.cf_gbp[0, r, y],
                        "programme_arm_cost": f.pg_gbp[0, r, y],
                        "saving": f.savings[0, r, y],
                        "cashable_saving": f.savings[0, r, y] * self.plan.weights[1, r],
                        "discount_factor": df[y],
                        "saving_pv": f.savings[0, r, y] * df[y],
                    }
                )
        return pd.DataFrame(out)

    def cashflows_by_period(self, period: str | None = None) -> pd.DataFrame:
        """Central case by reporting period (the scenario's `period` unless given): savings by
        agency and value type, programme costs, discount factor and present values.

        Periods are counted from the appraisal start: month 1.., quarter 1.., year 1..
        """
        period = period or self.inputs.scenario.period
        per = {"month": 1, "quarter": 3, "year": 12}[period]
        m = self.central.months
        h = self.inputs.horizon_months
        idx = np.arange(h) // per
        rows = self.inputs.cost_rows
        df_month = self.plan.df[np.arange(h) // 12]
        out = []
        for r, row in enumerate(rows.itertuples()):
            sav = np.bincount(idx, weights=m.savings[0, r], minlength=idx.max() + 1)
            pv = np.bincount(idx, weights=m.savings[0, r] * df_month, minlength=idx.max() + 1)
            for k in range(len(sav)):
                out.append(
                    {
                        "period": k + 1,
                        "agency": row.agency,
                        "value_type": row.value_type,
                        "service": row.service,
                        "saving": sav[k],
                        "saving_pv": pv[k],
                    }
                )
        frame = pd.DataFrame(out)
        costs = np.bincount(idx, weights=m.costs[0], minlength=idx.max() + 1)
        costs_pv = np.bincount(idx, weights=m.costs[0] * df_month, minlength=idx.max() + 1)
        frame.attrs["programme_costs"] = costs
        frame.attrs["programme_costs_pv"] = costs_pv
        frame.attrs["period"] = period
        return frame

    def programme_costs(self) -> pd.DataFrame:
        """Central programme costs by year and component, after optimism bias."""
        parts = self.central.years.cost_parts[0]
        names = ["per_client", "per_client_month", "per_completed_case", "fixed_per_year"]
        frame = pd.DataFrame(parts.T, columns=names)
        frame.index.name = "year"
        frame["total"] = frame[names].sum(axis=1)
        frame["discount_factor"] = self.plan.df
        frame["total_pv"] = frame["total"] * frame["discount_factor"]
        return frame

    def by_year(self) -> pd.DataFrame:
        """Central discounted benefits (each perspective), costs and cumulative net by year."""
        c = self.central
        frame = pd.DataFrame({p: c.benefits_by_year[i] for i, p in enumerate(PERSPECTIVES)})
        frame.index.name = "year"
        frame["costs"] = c.costs_by_year
        frame["net"] = frame[self.inputs.scenario.perspective] - frame["costs"]
        frame["cumulative_net"] = frame["net"].cumsum()
        return frame

    def ledger(self) -> Ledger:
        """Who invests and who saves: the agency ledger (fam.analyses.ledger)."""
        return ledger(self, self.sib)

    def ledger_frame(self) -> pd.DataFrame:
        """The agency ledger, central case (and the chance of a positive net position)."""
        lg = self.ledger()
        return pd.DataFrame(
            {
                "programme_cost": lg.programme_cost,
                "savings": lg.savings,
                "fiscal": lg.fiscal,
                "cashable": lg.cashable,
                "transfers": lg.transfers,
                "net": lg.net,
                "return_per_pound": lg.return_per_pound,
                "prob_net_positive": lg.prob_net_positive,
            },
            index=pd.Index(lg.agencies, name="agency"),
        )

    def by_agency(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "agency": self.plan.agencies,
                "central_benefits": self.central.agency_benefits,
                "cashable": self.central.agency_cashable,
            }
        ).set_index("agency")

    # short alias used in notebooks
    def iterations_df(self) -> pd.DataFrame:
        return self.iterations_frame()
