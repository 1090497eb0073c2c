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
            },
            "by_agency": by_agency,
        }
        return clean(out)

    def summary_frame(self) -> pd.DataFrame:
        """Headline figures: central value, Monte Carlo mean and 5/50/95th percentiles."""
        d = self.draws
        series = {
            "costs": d.costs,
            "benefits": d.benefits[:, self.plan.headline],
            "npv": self.npv,
            "bcr": self.bcr,
            "roi": self.bcr - 1.0,
            "payback_years": payback_years(d.net_by_year),
        }
        head = self.central_headline()
        rows = []
        for k, x in series.items():
            rows.append({"measure": k, "central": head[k], **describe(x)})
        rows.append(
            {
                "measure": "prob_npv_positive",
                "central": None,
                "mean": float(np.mean(self.npv > 0)),
                "p5": None,
                "p50": None,
                "p95": None,
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
