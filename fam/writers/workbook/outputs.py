"""The Outputs sheet: the central case's measures by perspective (live formulas)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from xlsxwriter.utility import xl_col_to_name

from fam.writers.notices import updated_notice
from fam.writers.workbook.layout import HDR, NOT_WITHIN, PERSPECTIVE_LABEL, PERSPECTIVES, YC, val

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

    from fam.writers.workbook.book import Book
    from fam.writers.workbook.calculations import CalcRows
    from fam.writers.workbook.inputs import InputNames
    from fam.writers.workbook.layout import Run
    from fam.writers.workbook.timeline import TimelineRows


@dataclass(frozen=True)
class OutputRows:
    """The Outputs rows that Checks refer to (the measures are defined names out_*)."""

    agency_total: int  # the 'total' row of the benefits-by-agency table (0-based)


def write_outputs(
    bk: Book, ws: Worksheet, run: Run, inputs: InputNames, tl: TimelineRows, calc: CalcRows
) -> OutputRows:
    """Costs, benefits, NPV, BCR, ROI, payback; who pays, who saves; by year."""
    res = run.res
    c = res.central
    ws.write(0, 0, "Outputs: the central case (live formulas)", bk.title)
    ws.write(
        1,
        0,
        "Every input at its central value (the mean of its distribution), expected counts. "
        "Column 'fam' is what fam computed (a value); 'difference' should be 0 until an "
        "input is edited.",
        bk.note,
    )
    if res.updated:
        bk.string(ws, 2, 0, updated_notice(res), bk.bold)
    hdr = ["measure", *PERSPECTIVES, "headline", "fam (headline)", "difference"]
    ws.write_row(HDR, 0, hdr, bk.head)
    ws.write_formula(HDR + 1, 4, f"={inputs.nm('perspective')}", bk.bold, run.sc.perspective)
    ws.write(HDR + 1, 0, "perspective →", bk.note)
    for k, p in enumerate(PERSPECTIVES):
        ws.write(HDR + 1, 1 + k, PERSPECTIVE_LABEL[p], bk.note)
    head = res.central_headline()
    r0 = HDR + 2
    measures = [
        ("costs", "Costs (£ PV of programme costs)"),
        ("benefits", "Benefits (£ PV of savings)"),
        ("npv", "Net present value (£)"),
        ("bcr", "£ back for every £1 (benefit-cost ratio)"),
        ("roi", "Return on investment (bcr − 1)"),
        ("payback_years", "Payback (years until cumulative discounted net ≥ 0)"),
    ]
    out_row: dict[str, int] = {}
    for i, (m, _label) in enumerate(measures):
        out_row[m] = r0 + i
    R = {m: r + 1 for m, r in out_row.items()}
    calc_sheet = "Calculations"
    ycol = xl_col_to_name(YC - 1)
    for k, p in enumerate([*PERSPECTIVES]):
        col = 1 + k
        L = xl_col_to_name(col)
        b = float(c.benefits[k])
        cost = float(c.costs)
        bcr_v = b / cost if cost > 0 else None
        pb = _payback(run, k)
        vals: dict[str, tuple[str, Any, Format]] = {
            "costs": (f"={calc_sheet}!{ycol}{calc.cost_pv + 1}", cost, bk.out_money),
            "benefits": (f"={calc_sheet}!{ycol}{calc.persp[p] + 1}", b, bk.out_money),
            "npv": (f"={L}{R['benefits']}-{L}{R['costs']}", b - cost, bk.out_money),
            "bcr": (
                f'=IF({L}{R["costs"]}>0,{L}{R["benefits"]}/{L}{R["costs"]},"n/a")',
                bcr_v,
                bk.out_ratio,
            ),
            "roi": (
                f'=IF(ISNUMBER({L}{R["bcr"]}),{L}{R["bcr"]}-1,"n/a")',
                None if bcr_v is None else bcr_v - 1,
                bk.out_ratio,
            ),
            "payback_years": (f"={calc_sheet}!{ycol}{calc.net[p]['payback'] + 1}", pb, bk.int),
        }
        for m, (form, v, fmt) in vals.items():
            if m in ("bcr", "roi") and v is None:
                v = "n/a"
            if m == "payback_years" and v is None:
                v = NOT_WITHIN
            ws.write_formula(out_row[m], col, form, fmt, val(v))
            bk.define(f"out_{m}_{p}", "Outputs", out_row[m], col)
    for m, label in measures:
        r = out_row[m]
        ws.write(r, 0, label, bk.bold)
        v = head[m]
        if m in ("bcr", "roi") and (v is None or v != v):
            v = "n/a"
        if m == "payback_years" and (v is None or v != v):
            v = NOT_WITHIN
        fmt = (
            bk.out_money
            if m in ("costs", "benefits", "npv")
            else bk.out_ratio
            if m in ("bcr", "roi")
            else bk.int
        )
        ws.write_formula(
            r,
            4,
            f"=INDEX(B{r + 1}:D{r + 1},MATCH($E${HDR + 2},$B${HDR + 1}:$D${HDR + 1},0))",
            fmt,
            val(v),
        )
        bk.define(f"out_{m}", "Outputs", r, 4)
        vfmt = bk.v_money2 if m in ("costs", "benefits", "npv") else bk.v_ratio
        if isinstance(v, str):
            ws.write_string(r, 5, v, bk.v_text)
        else:
            ws.write_number(r, 5, float(v), vfmt)
        ws.write_formula(
            r,
            6,
            f'=IF(AND(ISNUMBER(E{r + 1}),ISNUMBER(F{r + 1})),E{r + 1}-F{r + 1},IF(E{r + 1}=F{r + 1},0,"differs"))',
            bk.num,
            0.0,
        )
    # by agency
    r = r0 + len(measures) + 2
    ws.write(r, 0, "Who saves: benefits by agency (£ PV)", bk.section)
    r += 1
    ws.write_row(
        r,
        0,
        [
            "agency",
            "benefits (headline)",
            "cashable (fiscal × cashable)",
            "fiscal",
            "public_value",
            "share of headline benefits",
            "fam (headline)",
        ],
        bk.head,
    )
    r += 1
    agency_out_first = r
    ycol_c = f"Calculations!{ycol}"
    for ai, agency in enumerate(res.plan.agencies):
        rows = calc.agency_rows[agency]
        bk.string(ws, r, 0, agency, bk.bold)
        head_v = float(c.agency_benefits[ai])
        cash_v = float(c.agency_cashable[ai])
        sav_pv = run.f.savings[0] * run.df[None, :]
        mask = res.plan.row_agency == ai
        fis = float((sav_pv.sum(axis=1) * res.plan.weights[0] * mask).sum())
        pub = float((sav_pv.sum(axis=1) * res.plan.weights[2] * mask).sum())
        ws.write_formula(r, 1, f"={ycol_c}{rows['headline'] + 1}", bk.money, head_v)
        ws.write_formula(r, 2, f"={ycol_c}{rows['fiscal_cashable'] + 1}", bk.money, cash_v)
        ws.write_formula(r, 3, f"={ycol_c}{rows['fiscal'] + 1}", bk.money, fis)
        ws.write_formula(r, 4, f"={ycol_c}{rows['public_value'] + 1}", bk.money, pub)
        tb = float(c.benefits[res.plan.headline])
        ws.write_formula(
            r,
            5,
            f'=IF(out_benefits<>0,B{r + 1}/out_benefits,"n/a")',
            bk.pct,
            head_v / tb if tb else "n/a",
        )
        ws.write_number(r, 6, head_v, bk.v_money2)
        r += 1
    agency_out_last = r - 1
    a1, a2 = agency_out_first + 1, agency_out_last + 1
    ws.write(r, 0, "total", bk.bold)
    for col in range(1, 5):
        L = xl_col_to_name(col)
        tot = [
            float(c.agency_benefits.sum()),
            float(c.agency_cashable.sum()),
            float(c.benefits[0]),
            float(c.benefits[2]),
        ][col - 1]
        ws.write_formula(r, col, f"=SUM({L}{a1}:{L}{a2})", bk.out_money, tot)
    agency_total = r
    r += 1
    ws.write(r, 0, "Who pays: programme costs (£ PV); by funder on the Agencies sheet", bk.bold)
    ws.write_formula(r, 1, "=out_costs", bk.out_money, float(c.costs))
    r += 2
    # by year
    ws.write(r, 0, "By year (£ PV)", bk.section)
    r += 1
    ws.write_row(
        r,
        0,
        [
            "year",
            *[f"benefits {p}" for p in PERSPECTIVES],
            "costs",
            "net (headline)",
            "cumulative net (headline)",
        ],
        bk.head,
    )
    r += 1
    by_year = res.by_year()
    for y in range(run.n_y):
        cl = xl_col_to_name(YC + y)
        ws.write_formula(r, 0, f"=Timeline!{cl}{tl.rows['year'] + 1}", bk.int, y)
        for k, p in enumerate(PERSPECTIVES):
            ws.write_formula(
                r,
                1 + k,
                f"=Calculations!{cl}{calc.persp[p] + 1}",
                bk.money,
                float(by_year[p].iloc[y]),
            )
        ws.write_formula(
            r,
            4,
            f"=Calculations!{cl}{calc.cost_pv + 1}",
            bk.money,
            float(by_year["costs"].iloc[y]),
        )
        ws.write_formula(
            r,
            5,
            f"=Calculations!{cl}{calc.net['headline']['net'] + 1}",
            bk.money,
            float(by_year["net"].iloc[y]),
        )
        ws.write_formula(
            r,
            6,
            f"=Calculations!{cl}{calc.net['headline']['cum'] + 1}",
            bk.money,
            float(by_year["cumulative_net"].iloc[y]),
        )
        r += 1
    ws.set_column(0, 0, 52)
    ws.set_column(1, 6, 20)
    ws.freeze_panes(HDR + 1, 1)
    return OutputRows(agency_total)


def _payback(run: Run, k: int) -> float | None:
    c = run.res.central
    net = c.benefits_by_year[k] - c.costs_by_year
    cum = np.cumsum(net)
    ok = cum >= -1e-9 * (1 + np.abs(cum))
    return float(np.argmax(ok) + 1) if ok.any() else None


# ------------------------------------------------------------------ MonteCarlo
