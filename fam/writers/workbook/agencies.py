"""The Agencies sheet: who invests and who saves (the agency ledger, fam.analyses.ledger), as
live formulas on the Inputs (the funders' shares) and the Calculations sheet (programme costs
and each agency's savings, £ PV). A social impact bond's investor-funded costs and outcome
payments are fam's values (the bond is not yet written as formulas)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from xlsxwriter.utility import xl_col_to_name

from fam.analyses.ledger import INVESTORS
from fam.vocabulary import PERSPECTIVE_LABEL
from fam.writers.workbook.layout import HDR, YC, val

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

    from fam.writers.workbook.book import Book
    from fam.writers.workbook.calculations import CalcRows
    from fam.writers.workbook.inputs import InputNames
    from fam.writers.workbook.layout import Run

COLUMNS = (
    "agency",
    "share of programme costs (funders)",
    "programme cost (£ PV)",
    "savings, headline perspective (£ PV)",
    "fiscal savings (£ PV)",
    "of which cashable (£ PV)",
    "transfers: outcome payments (+ received, − paid)",
    "net position (savings − cost + transfers)",
    "£ back per £1 put in",
    "chance net position > 0 (Monte Carlo, value)",
    "fam (net position)",
)


@dataclass(frozen=True)
class AgencyRows:
    """Rows (0-based) of the Agencies sheet that Checks refer to."""

    total: int  # the total row: costs in column C, net positions in column H


def write_agencies(
    bk: Book, ws: Worksheet, run: Run, inputs: InputNames, calc: CalcRows
) -> AgencyRows:
    res = run.res
    lg = res.ledger()
    sib = res.sib
    ycol = f"Calculations!${xl_col_to_name(YC - 1)}$"
    ws.write(0, 0, "Agencies: who invests and who saves (central case, live formulas)", bk.title)
    ws.write(
        1,
        0,
        "Programme cost = the funder's share of the costs the investors do not fund; savings in "
        f"the headline perspective ({PERSPECTIVE_LABEL[run.sc.perspective]}); net = savings − "
        "cost + transfers. Costs add up to Outputs' costs and nets to its NPV.",
        bk.note,
    )
    # the totals the ledger divides
    r = HDR - 1
    inv_pv = float(lg.programme_cost[lg.agencies.index(INVESTORS)]) if sib is not None else 0.0
    pay_pv = float(sib.central["outcome_payments_pv"]) if sib is not None else 0.0
    top = {
        "costs": ("programme costs (£ PV), Calculations", f"={ycol}{calc.cost_pv + 1}"),
        "investors": ("of which funded by the bond's investors (£ PV; fam's value)", inv_pv),
        "payments": ("outcome payments to investors (£ PV; fam's value)", pay_pv),
    }
    cells: dict[str, str] = {}
    for k, (label, v) in zip(("costs", "investors", "payments"), top.values(), strict=True):
        ws.write(r, 0, label, bk.bold)
        if isinstance(v, str):
            ws.write_formula(r, 1, v, bk.money, float(res.central.costs))
        else:
            ws.write_number(r, 1, v, bk.v_money)
            if sib is None:
                ws.write(r, 2, "0: the scenario has no social impact bond", bk.note)
        cells[k] = f"$B${r + 1}"
        r += 1
    r += 1
    ws.write_row(r, 0, COLUMNS, bk.head)
    r += 1
    first = r
    saving_ix = {a: i for i, a in enumerate(res.plan.agencies)}
    shares = res.inputs.scenario.programme_costs.funders
    ret = lg.return_per_pound
    prob = lg.prob_net_positive
    c_, i_, p_ = cells["costs"], cells["investors"], cells["payments"]
    for a, name in enumerate(lg.agencies):
        R = r + 1
        bk.string(ws, r, 0, name, bk.bold)
        if name in shares:
            ws.write_formula(
                r, 1, f"={inputs.nm(f'programme_costs.funders.{name}')}", bk.pct, shares[name]
            )
        else:
            ws.write_number(r, 1, 0.0, bk.pct)
        inv = "+" + i_ if name == INVESTORS else ""
        ws.write_formula(
            r, 2, f"=B{R}*({c_}-{i_}){inv}", bk.money, val(float(lg.programme_cost[a]))
        )
        rows = calc.agency_rows.get(name) if name in saving_ix else None
        for col, key, v in (
            (3, "headline", lg.savings[a]),
            (4, "fiscal", lg.fiscal[a]),
            (5, "fiscal_cashable", lg.cashable[a]),
        ):
            if rows is None:
                ws.write_number(r, col, 0.0, bk.money)
            else:
                ws.write_formula(r, col, f"={ycol}{rows[key] + 1}", bk.money, val(float(v)))
        paid = "+" + p_ if name == INVESTORS else ""
        ws.write_formula(r, 6, f"=-B{R}*{p_}{paid}", bk.money, val(float(lg.transfers[a])))
        ws.write_formula(r, 7, f"=D{R}-C{R}+G{R}", bk.out_money, val(float(lg.net[a])))
        put_in = f"(C{R}+MAX(-G{R},0))"
        ws.write_formula(
            r,
            8,
            f'=IF({put_in}>0,(D{R}+MAX(G{R},0))/{put_in},"n/a")',
            bk.ratio,
            float(ret[a]) if np.isfinite(ret[a]) else "n/a",
        )
        ws.write_number(r, 9, float(prob[a]), bk.v_pct)
        ws.write_number(r, 10, float(lg.net[a]), bk.v_money2)
        r += 1
    last = r
    ws.write(r, 0, "total", bk.bold)
    totals = (
        float(lg.funder_share.sum()),
        float(lg.programme_cost.sum()),
        float(lg.savings.sum()),
        float(lg.fiscal.sum()),
        float(lg.cashable.sum()),
        float(lg.transfers.sum()),
        float(lg.net.sum()),
    )
    for col, v in zip(range(1, 8), totals, strict=True):
        L = xl_col_to_name(col)
        fmt = bk.pct if col == 1 else bk.out_money
        ws.write_formula(r, col, f"=SUM({L}{first + 1}:{L}{last})", fmt, val(v))
    ws.set_column(0, 0, 44)
    ws.set_column(1, 10, 18)
    ws.set_row(r - len(lg.agencies) - 1, 45)
    ws.freeze_panes(first, 1)
    return AgencyRows(total=r)
