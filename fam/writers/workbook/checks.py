"""The Checks sheet: each check 1 if it passes, 0 if not, and the master check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xlsxwriter.utility import xl_col_to_name

from fam.inputs.workbook_input import UNIT_COSTS
from fam.vocabulary import PUBLIC_VALUE_TYPES, VALUE_TYPES
from fam.writers.workbook.layout import HDR, PERSPECTIVES, YC, rng

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

    from fam.writers.workbook.agencies import AgencyRows
    from fam.writers.workbook.book import Book
    from fam.writers.workbook.calculations import CalcRows
    from fam.writers.workbook.cohort_exposure import ExposureRows
    from fam.writers.workbook.inputs import InputNames
    from fam.writers.workbook.layout import Run
    from fam.writers.workbook.outputs import OutputRows
    from fam.writers.workbook.timeline import TimelineRows
    from fam.writers.workbook.unit_costs import UnitCostRefs


def write_checks(
    bk: Book,
    ws: Worksheet,
    run: Run,
    inputs: InputNames,
    uc: UnitCostRefs,
    tl: TimelineRows,
    ex: ExposureRows,
    calc: CalcRows,
    out: OutputRows,
    ag: AgencyRows,
) -> str:
    """Each check 0 or 1 and their minimum, the master check; return its defined name."""
    ws.write(0, 0, "Checks: each 1 if it passes, 0 if not", bk.title)
    ws.write(
        1,
        0,
        "The master check (also on the Cover) is the minimum of all checks: 1 only if every "
        "check passes. Tolerance: Parameters!tolerance (relative).",
        bk.note,
    )
    a, b = xl_col_to_name(YC), xl_col_to_name(run.lastc())
    bprev = xl_col_to_name(run.lastc() - 1)
    a2 = xl_col_to_name(YC + 1)
    C = "Calculations"
    tc = xl_col_to_name(YC - 1)

    ucc = uc.col("cost_uprated")
    ucr = rng(UNIT_COSTS, uc.rows[0], ucc, uc.rows[-1], ucc)

    def near(x: str, y: str) -> str:
        return f"IF(ABS(({x})-({y}))<=tolerance*(1+ABS({y})),1,0)"

    cf1, cf2 = calc.cf_rows
    pg1, pg2 = calc.pg_rows
    v1, v2 = calc.pv_rows
    c1, c2 = calc.cost_rows_span
    df = tl.rows["df"] + 1
    ex_first = HDR + 2
    checks: list[tuple[str, str]] = [
        ("No negative counterfactual use", f"IF(MIN({C}!{a}{cf1 + 1}:{b}{cf2 + 1})>=0,1,0)"),
        ("No negative programme-arm use", f"IF(MIN({C}!{a}{pg1 + 1}:{b}{pg2 + 1})>=0,1,0)"),
        (
            "No negative cohort exposure",
            f"IF(MIN(CohortExposure!{a}{ex_first}:{b}{ex.last + 1})>=0,1,0)",
        ),
        ("Discount factor of year 0 is 1", f"IF(Timeline!{a}{df}=1,1,0)"),
        (
            "Discount factors decline year on year",
            f"IF(SUMPRODUCT(--(Timeline!{a2}{df}:{b}{df}>Timeline!{a}{df}:{bprev}{df}))=0,1,0)"
            if run.n_y > 1
            else f"IF(Timeline!{a}{df}<=1,1,0)",
        ),
        (
            "Timeline covers the horizon (years on the sheet = horizon_years)",
            f"IF(COLUMNS(Timeline!{a}{df}:{b}{df})={inputs.nm('horizon_years')},1,0)",
        ),
        (
            "Uprated unit costs are numbers >= 0 (every price year found)",
            f"IF(COUNT({ucr})=ROWS({ucr}),IF(MIN({ucr})>=0,1,0),0)",
        ),
        (
            "Savings rows (PV) other than transfers add up to public-value benefits",
            near(
                f"SUM({C}!{tc}{v1}:{tc}{v2})"
                + "".join(
                    f'-SUMIF({C}!$C{v1}:$C{v2},"{t}",{C}!{tc}{v1}:{tc}{v2})'
                    for t in VALUE_TYPES
                    if t not in PUBLIC_VALUE_TYPES
                ),
                f"{C}!{tc}{calc.persp['public_value'] + 1}",
            ),
        ),
        (
            "Discounted savings by year add up to the row totals",
            near(f"SUM({C}!{a}{v1}:{b}{v2})", f"SUM({C}!{tc}{v1}:{tc}{v2})"),
        ),
        (
            "Programme cost components add up to the total",
            near(f"SUM({C}!{tc}{c1}:{tc}{c2})", f"{C}!{tc}{calc.cost_total + 1}"),
        ),
        (
            "Outputs costs = discounted programme costs",
            near("out_costs", f"{C}!{tc}{calc.cost_pv + 1}"),
        ),
    ]
    for p in PERSPECTIVES:
        checks.append(
            (
                f"NPV = benefits − costs ({p})",
                near(f"out_npv_{p}", f"out_benefits_{p}-out_costs_{p}"),
            )
        )
    checks += [
        ("Headline NPV = benefits − costs", near("out_npv", "out_benefits-out_costs")),
        (
            "£ back per £1 × costs = benefits",
            f"IF(ISNUMBER(out_bcr),{near('out_bcr*out_costs', 'out_benefits')},IF(out_costs=0,1,0))",
        ),
        (
            "Cumulative net in the last year = headline NPV",
            near(f"{C}!{b}{calc.net['headline']['cum'] + 1}", "out_npv"),
        ),
        (
            "Agency benefits add up to headline benefits",
            near(f"Outputs!B{out.agency_total + 1}", "out_benefits"),
        ),
        (
            "Agency cashable savings add up to fiscal_cashable benefits",
            near(f"Outputs!C{out.agency_total + 1}", "out_benefits_fiscal_cashable"),
        ),
        (
            "Agency public-value benefits add up to public_value benefits",
            near(f"Outputs!E{out.agency_total + 1}", "out_benefits_public_value"),
        ),
        (
            "Funders' shares of the programme costs add up to 1",
            near(f"Agencies!B{ag.total + 1}", "1"),
        ),
        (
            "Agencies' programme costs add up to the programme's costs",
            near(f"Agencies!C{ag.total + 1}", "out_costs"),
        ),
        (
            "Agencies' net positions add up to the headline NPV",
            near(f"Agencies!H{ag.total + 1}", "out_npv"),
        ),
        (
            "Central shares within 0-1 and effects not below -1",
            "IF(AND("
            + ",".join(
                [
                    f"{inputs.nm('engagement.completion')}>=0",
                    f"{inputs.nm('engagement.completion')}<=1",
                    f"{inputs.nm('engagement.non_completer_effect')}>=0",
                    f"{inputs.nm('engagement.non_completer_effect')}<=1",
                    *[
                        f"{inputs.nm(k)}>=0,{inputs.nm(k)}<=1"
                        for k in ("additionality.attribution", "additionality.displacement")
                    ],
                    "calc_trend>=-1",
                    "calc_trend<=1",
                    *[
                        f"{inputs.nm(e.change.name)}>=-1"
                        for e in run.mi.effects
                        if e.change is not None
                    ],
                ]
            )
            + "),1,0)",
        ),
    ]
    ws.write(3, 0, "MASTER CHECK (all checks pass = 1)", bk.bold)
    ws.write_row(5, 0, ["check", "result (1 = pass)"], bk.head)
    r = 6
    for label, form in checks:
        ws.write(r, 0, label)
        ws.write_formula(r, 1, "=" + form, bk.check, 1)
        r += 1
    ws.write_formula(3, 1, f"=MIN(B7:B{r})", bk.check, 1)
    master = bk.define("master_check", "Checks", 3, 1)
    green = bk.wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"})
    red = bk.wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
    for span in ((3, 1, 3, 1), (6, 1, r - 1, 1)):
        ws.conditional_format(
            *span, {"type": "cell", "criteria": "==", "value": 1, "format": green}
        )
        ws.conditional_format(*span, {"type": "cell", "criteria": "!=", "value": 1, "format": red})
    ws.set_column(0, 0, 64)
    ws.set_column(1, 1, 18)
    ws.freeze_panes(6, 0)
    return master


# ------------------------------------------------------------------ Cover
