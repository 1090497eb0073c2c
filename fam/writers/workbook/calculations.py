"""The Calculations sheet: the central case as live formulas, one formula along each row."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from xlsxwriter.utility import xl_col_to_name

from fam.model.projection import FORMULAS as F
from fam.vocabulary import FISCAL_VALUE_TYPES, PUBLIC_VALUE_TYPES
from fam.writers.workbook.layout import HDR, NOT_WITHIN, PERSPECTIVES, YC

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

    from fam.writers.workbook.book import Book
    from fam.writers.workbook.cohort_exposure import ExposureRows
    from fam.writers.workbook.inputs import InputNames
    from fam.writers.workbook.layout import Run
    from fam.writers.workbook.placements import PlacementRows
    from fam.writers.workbook.timeline import TimelineRows
    from fam.writers.workbook.unit_costs import UnitCostRefs


@dataclass(frozen=True)
class CalcRows:
    """Rows (0-based) of the Calculations sheet that Outputs and Checks refer to; spans are
    (first, last) as 1-based Excel rows except cf_rows and pg_rows (0-based)."""

    cf_rows: tuple[int, int]
    pg_rows: tuple[int, int]
    pv_rows: tuple[int, int]
    persp: Mapping[str, int]
    cost_rows_span: tuple[int, int]
    cost_total: int
    cost_pv: int
    net: Mapping[str, Mapping[str, int]]
    agency_rows: Mapping[str, Mapping[str, int]]


VALUE_NOTE = "value computed by fam (placement chain: no formula yet)"


@dataclass(frozen=True)
class RowSpec:
    """One row of the Calculations sheet: a formula copied along the years.

    A new model term is one new RowSpec. `formula` makes the formula for a year column letter
    (without '='); `values` are what fam computed for each year (stored with the formulas);
    `fmt` and the other *_fmt fields name a Book format.
    """

    name: str  # the line (column A)
    formula: Callable[..., str] | None  # None: fam's values (a form with no formula yet)
    values: Any
    fmt: str = "money"
    total: bool = True  # a SUM of the years in the total column
    item: str | None = None  # column B
    item_is_input: bool = False  # column B is text from the inputs (written as a string)
    item_formula: tuple[str, Any] | None = None  # column B as a formula and its value
    unit: str | None = None  # column C
    unit_cost: int | None = None  # columns B-D link to this UnitCosts row
    constants: tuple[tuple[int, str, str, float], ...] = ()  # (column, formula, fmt, value)
    name_fmt: str | None = None
    total_cell: tuple[str, str, Any] | None = None  # the total column: (formula, fmt, value)


def _emit(bk: Book, ws: Worksheet, run: Run, uc: UnitCostRefs, r: int, spec: RowSpec) -> None:
    if spec.unit_cost is not None:
        _row_labels(bk, ws, run, uc, r, spec.unit_cost, spec.name)
    elif spec.name_fmt is not None:
        ws.write(r, 0, spec.name, getattr(bk, spec.name_fmt))
    else:
        ws.write(r, 0, spec.name)
    if spec.item is not None:
        if spec.item_is_input:
            bk.string(ws, r, 1, spec.item)
        else:
            ws.write_string(r, 1, spec.item)
    if spec.item_formula is not None:
        ws.write_formula(r, 1, spec.item_formula[0], bk.text, spec.item_formula[1])
    if spec.unit is not None:
        ws.write_string(r, 2, spec.unit)
    for col, formula, fmt, value in spec.constants:
        ws.write_formula(r, col, formula, getattr(bk, fmt), value)
    if spec.formula is None:
        for y in range(run.n_y):
            ws.write_number(r, YC + y, float(spec.values[y]), bk.v_num)
        a, b = xl_col_to_name(YC), xl_col_to_name(run.lastc())
        ws.write_formula(
            r, YC - 1, f"=SUM({a}{r + 1}:{b}{r + 1})", bk.num, float(np.sum(spec.values))
        )
        ws.write(r, 3, VALUE_NOTE, bk.note)
        return
    run.row_formula(ws, r, spec.formula, spec.values, getattr(bk, spec.fmt), spec.total)
    if spec.total_cell is not None:
        formula, fmt, value = spec.total_cell
        ws.write_formula(r, YC - 1, formula, getattr(bk, fmt), value)


def write_calculations(
    bk: Book,
    ws: Worksheet,
    run: Run,
    inputs: InputNames,
    uc: UnitCostRefs,
    tl: TimelineRows,
    ex: ExposureRows,
    pl: PlacementRows | None = None,
) -> CalcRows:
    """The central case as live formulas; return the rows later sheets refer to."""
    mi, res, f = run.mi, run.res, run.f
    plan = res.plan
    ws.write(0, 0, "Calculations: the central case, as live formulas", bk.title)
    ws.write(
        1,
        0,
        "Each row has one formula copied across the years (columns H onward). Use = baseline − "
        "T × baseline_ramp (counterfactual) and + change × e × (profile − T × profile_ramp) "
        "(programme arm); £ = use × uprated unit cost; saving s = counterfactual £ − programme "
        "£, then optimism bias per row and year: s × (1 − OB of the unit cost) × (1 − OB of the "
        "effect's evidence) if s ≥ 0, s × (1 + …) × (1 + …) if s < 0 (a cost increase is made "
        "larger, not smaller), then × (1 − attribution) × (1 − displacement) (Inputs, "
        "additionality).",
        bk.note,
    )
    for c, h in enumerate(
        [
            "line",
            "service / item",
            "value type / unit",
            "agency (effect rows: the effect's key)",
            "constant",
            "constant 2",
        ]
    ):
        ws.write(HDR, c, h, bk.head)
    run.years_header(ws, bk.head)
    a, b = xl_col_to_name(YC), xl_col_to_name(run.lastc())
    r = HDR + 1
    trend_name = inputs.nm("counterfactual.trend")
    comp, nce = inputs.nm("engagement.completion"), inputs.nm("engagement.non_completer_effect")
    p = res.central.params

    def section(title: str) -> None:
        nonlocal r
        r += 1
        ws.write(r, 0, title, bk.section)
        r += 1

    section("Central parameters")
    method = getattr(run.sc.counterfactual, "method", "assumed")
    ws.write(r, 0, "counterfactual trend T")
    if method == "assumed":
        ws.write_formula(r, 4, f"={trend_name}", bk.num6, float(p.trend[0]))
    else:
        ws.write_number(r, 4, float(p.trend[0]), bk.v_num)
        ws.write(r, 1, "estimated by fam from the comparison group (value)")
    bk.define("calc_trend", "Calculations", r, 4)
    r += 1
    e = float(p.completion[0] + (1 - p.completion[0]) * p.nce[0])
    ws.write(r, 0, "engagement e = completion + (1 − completion) × non-completer effect")
    ws.write_formula(
        r,
        4,
        "=" + F["engagement"].format(completion=comp, non_completer_effect=nce),
        bk.num6,
        e,
    )
    bk.define("calc_engagement", "Calculations", r, 4)
    r += 1
    ws.write(r, 0, "optimism bias on programme costs (uplift)")
    ws.write_formula(
        r,
        4,
        f"=IF({inputs.nm('optimism_bias.apply')},INDEX(ob_costs,MATCH({inputs.nm('programme_costs.confidence')},ob_grades,0)),0)",
        bk.pct,
        float(plan.ob_cost),
    )
    bk.define("calc_ob_cost", "Calculations", r, 4)
    r += 1

    section(
        "Effect by service (column E: relative change in use, blank = no effect declared; "
        "column F: optimism bias for the effect's evidence grade)"
    )
    ob_e = plan.ob_effect if plan.ob_effect is not None else np.zeros(len(plan.ob_benefit))
    ob_effect = {int(s): float(ob_e[i]) for i, s in enumerate(plan.row_s)}
    eff_row = {}
    for s, eff in enumerate(mi.effects):
        ws.write(r, 0, "change")
        ws.write_string(r, 1, eff.service)
        ws.write_string(r, 2, mi.units[s])
        if eff.change is not None:
            key = eff.change.name
            bk.string(ws, r, 3, key.split(".", 1)[1].rsplit(".", 1)[0])
            used = float(p.change[0, s])
            if key in inputs.names and abs(used - eff.change.dist.mean) <= 1e-12:
                ws.write_formula(r, 4, f"={inputs.nm(key)}", bk.num6, used)
            else:  # e.g. updated by fam from observed follow-up (update.apply)
                ws.write_number(r, 4, used, bk.v_num)
                ws.write(r, 6, "value used by fam (not the Inputs central value)", bk.note)
            conf = key.rsplit(".", 1)[0] + ".confidence"
            if conf in inputs.names:
                ws.write_formula(
                    r,
                    5,
                    f"=IF(AND({inputs.nm('optimism_bias.apply')},ISNUMBER({inputs.nm(conf)})),"
                    f"INDEX(ob_benefits,MATCH({inputs.nm(conf)},ob_grades,0)),0)",
                    bk.pct,
                    ob_effect.get(s, 0.0),
                )
            else:
                ws.write_number(r, 5, ob_effect.get(s, 0.0), bk.pct)
        else:
            ws.write_string(r, 3, "(none)")
            if ob_effect.get(s, 0.0):  # a placement state: placements.confidence's share
                ws.write_number(r, 5, ob_effect[s], bk.pct)
                ws.write(r, 6, "optimism bias of placements.confidence (scenario file)", bk.note)
        eff_row[s] = r
        r += 1

    # per-service forms: own trends as parameter cells; rates and placement states as values
    fm = mi.forms
    kind = fm.kind if fm is not None else np.zeros(len(mi.services), dtype=np.int64)
    trend_of = {s: "calc_trend" for s in range(len(mi.services))}
    # absolute rates: one value cell per step (the scenario file's, not on the Inputs sheet)
    rate_rows: dict[int, tuple[int, int, int]] = {}  # service -> (first row, last row, j0)
    if fm is not None and fm.rates:
        section("Absolute rates: use per client-month by step (counterfactual.services)")
        j = 0
        for rf in fm.rates:
            r_first = r
            for v in rf.values:
                ws.write(r, 0, "rate")
                ws.write_string(r, 1, mi.services[rf.service])
                ws.write_number(r, 4, float(p.rates[0, j]), bk.num6)
                ws.write(r, 5, f"{v.name} (Inputs: the rate's list of steps)", bk.note)
                r += 1
                j += 1
            rate_rows[rf.service] = (r_first, r - 1, j - len(rf.values))
    own = [] if fm is None else [s for s, t in enumerate(fm.trends) if t and kind[s] == 0]
    if own:
        section("Own-baseline trends of single services (counterfactual.services)")
    if fm is not None:
        for s, t_in in enumerate(fm.trends):
            if t_in is None or kind[s] != 0:
                continue
            ws.write(r, 0, "counterfactual trend of this service (scenario file)")
            ws.write_string(r, 1, mi.services[s])
            if t_in.name in inputs.names:
                ws.write_formula(r, 4, f"={inputs.nm(t_in.name)}", bk.num6, float(p.trend_s[0, s]))
            else:
                ws.write_number(r, 4, float(p.trend_s[0, s]), bk.v_num)
            ws.write(r, 5, t_in.name, bk.note)
            trend_of[s] = bk.define(f"calc_trend_{s}", "Calculations", r, 4)
            r += 1

    def put(spec: RowSpec) -> int:
        """Write one row spec at the next row; return its row."""
        nonlocal r
        _emit(bk, ws, run, uc, r, spec)
        r += 1
        return r - 1

    section("Counterfactual use (service units per year)")

    def rate_refs(s: int, q: str, c: str) -> tuple[str, str]:
        first, last, j0 = rate_rows[s]
        n = last - first
        e0, e1 = ex.rows[(q, j0)] + 1, ex.rows[(q, j0 + n)] + 1
        return f"$E${first + 1}:$E${last + 1}", f"CohortExposure!{c}${e0}:{c}${e1}"

    def cf_formula(s: int) -> Callable[..., str] | None:
        """The counterfactual use formula of service s, by its form."""
        if s in rate_rows:
            return lambda c: F["counterfactual_use_rate"].format(
                rates=rate_refs(s, "rate_months", c)[0],
                rate_months=rate_refs(s, "rate_months", c)[1],
            )
        if pl is not None and s in pl.cf:
            return lambda c: pl.ref("cf", s, c)
        if kind[s] != 0:
            return None
        return lambda c: F["counterfactual_use"].format(
            baseline=ex.ref("baseline", s, c),
            trend=trend_of[s],
            baseline_ramp=ex.ref("baseline_ramp", s, c),
        )

    def pg_formula(s: int, er: int) -> Callable[..., str] | None:
        """The programme-arm use formula of service s (er: its effect row), by its form."""
        if s in rate_rows:
            return lambda c: F["programme_use_rate"].format(
                counterfactual_use=f"{c}{cf_row[s] + 1}",
                change=f"$E${er}",
                engagement="calc_engagement",
                rates=rate_refs(s, "rate_profile", c)[0],
                rate_profile=rate_refs(s, "rate_profile", c)[1],
            )
        if pl is not None and s in pl.pg:
            return lambda c: pl.ref("pg", s, c)
        if kind[s] != 0:
            return None
        return lambda c: F["programme_use"].format(
            counterfactual_use=f"{c}{cf_row[s] + 1}",
            change=f"$E${er}",
            engagement="calc_engagement",
            profile=ex.ref("profile", s, c),
            trend=trend_of[s],
            profile_ramp=ex.ref("profile_ramp", s, c),
        )

    cf_row: dict[int, int] = {}
    for s, svc in enumerate(mi.services):
        cf_row[s] = put(
            RowSpec(
                "counterfactual use",
                cf_formula(s),
                f.cf_use[0, s],
                "num",
                item=svc,
                unit=mi.units[s],
            )
        )
    cf_rows = (cf_row[0], cf_row[len(mi.services) - 1]) if mi.services else (r, r)

    section("Programme-arm use (service units per year)")
    pg_row = {}
    for s, svc in enumerate(mi.services):
        pg_row[s] = put(
            RowSpec(
                "programme-arm use",
                pg_formula(s, eff_row[s] + 1),
                f.pg_use[0, s],
                "num",
                item=svc,
                unit=mi.units[s],
            )
        )
    pg_rows = (pg_row[0], pg_row[len(mi.services) - 1]) if mi.services else (r, r)

    def cost_block(
        title: str, label: str, use_row: dict[int, int], values: np.ndarray, key: str
    ) -> dict[int, int]:
        use_key = {"counterfactual_gbp": "counterfactual_use", "programme_gbp": "programme_use"}[
            key
        ]
        section(title)
        out = {}
        for i, row in enumerate(run.rows.itertuples()):
            ur = use_row[int(row.s_index)] + 1
            out[i] = put(
                RowSpec(
                    label,
                    lambda c, ur=ur, rr=r + 1: F[key].format(
                        **{use_key: f"{c}{ur}", "unit_cost": f"$E{rr}"}
                    ),
                    values[i],
                    unit_cost=i,
                    constants=(
                        (4, "=" + uc.ref(i, "cost_uprated"), "money2", float(row.cost_uprated)),
                    ),
                )
            )
        return out

    cfg = cost_block(
        "Counterfactual £ (use × uprated unit cost)",
        "counterfactual £",
        cf_row,
        f.cf_gbp[0],
        "counterfactual_gbp",
    )
    pgg = cost_block("Programme-arm £", "programme-arm £", pg_row, f.pg_gbp[0], "programme_gbp")

    section("Savings after optimism bias and additionality (£, undiscounted)")
    attribution = inputs.nm("additionality.attribution")
    displacement = inputs.nm("additionality.displacement")
    sav = {}
    for i, row in enumerate(run.rows.itertuples()):
        sav[i] = put(
            RowSpec(
                "saving",
                lambda c, i=i, rr=r + 1, er=eff_row[int(row.s_index)] + 1: F["saving"].format(
                    counterfactual_gbp=f"{c}{cfg[i] + 1}",
                    programme_gbp=f"{c}{pgg[i] + 1}",
                    ob_benefit=f"$E{rr}",
                    ob_effect=f"$F${er}",
                    attribution=attribution,
                    displacement=displacement,
                ),
                f.savings[0, i],
                unit_cost=i,
                constants=(
                    (4, "=" + uc.ref(i, "ob_benefit_share"), "pct", float(plan.ob_benefit[i])),
                    (5, "=" + uc.ref(i, "cashable"), "pct", float(row.cashable)),
                ),
            )
        )

    section("Savings, discounted (£ present value)")
    pv = {}
    sav_pv = f.savings[0] * run.df[None, :]
    for i, row in enumerate(run.rows.itertuples()):
        pv[i] = put(
            RowSpec(
                "saving PV",
                lambda c, i=i: f"{c}{sav[i] + 1}*{tl.ref('df', c)}",
                sav_pv[i],
                unit_cost=i,
                constants=((5, "=" + uc.ref(i, "cashable"), "pct", float(row.cashable)),),
            )
        )
    n_r = len(run.rows)
    if n_r:
        s1, s2 = sav[0] + 1, sav[n_r - 1] + 1
        v1, v2 = pv[0] + 1, pv[n_r - 1] + 1
    else:  # pragma: no cover - a scenario always has cost rows
        s1 = s2 = v1 = v2 = r + 1
    pv_rows = (v1, v2)
    w = plan.weights

    def persp_block(title: str, top: int, bottom: int, vals: np.ndarray) -> dict[str, int]:
        section(title)
        out = {}
        forms: dict[str, Any] = {
            "fiscal": lambda c: _sum_types(FISCAL_VALUE_TYPES, top, bottom, c),
            "fiscal_cashable": lambda c: _sum_types(FISCAL_VALUE_TYPES, top, bottom, c, "$F"),
            "public_value": lambda c: _sum_types(PUBLIC_VALUE_TYPES, top, bottom, c),
        }
        for k, persp in enumerate(PERSPECTIVES):
            out[persp] = put(RowSpec("benefits", forms[persp], vals[k], item=persp))
        f1, f3 = out["fiscal"] + 1, out["public_value"] + 1
        out["headline"] = put(
            RowSpec(
                "benefits, headline perspective",
                lambda c, rr=r + 1: f"INDEX({c}{f1}:{c}{f3},MATCH($B{rr},$B{f1}:$B{f3},0))",
                vals[res.plan.headline],
                item_formula=(f"={inputs.nm('perspective')}", run.sc.perspective),
            )
        )
        return out

    und = np.einsum("ry,pr->py", f.savings[0], w)
    persp_block("Savings by perspective (£, undiscounted)", s1, s2, und)
    ben = res.central.benefits_by_year
    persp_rows = persp_block("Benefits by perspective (£ present value)", v1, v2, ben)

    section("Programme costs (£, after optimism bias)")
    ob = "(1+calc_ob_cost)"
    parts = f.cost_parts[0]
    pc_inputs = mi.programme_costs
    cost_terms: list[tuple[str, str, Any]] = [
        ("per_client", "per client started", lambda c: f"*{ex.ref('starts', -1, c)}"),
        ("per_client_month", "per client-month", lambda c: f"*{ex.ref('client_months', -1, c)}"),
        (
            "per_completed_case",
            "per completed case",
            lambda c: f"*{comp}*{ex.ref('programme_ends', -1, c)}",
        ),
        ("fixed_per_year", "fixed per year", lambda c: f"*{tl.ref('horizon', c)}"),
    ]
    first_cost = r
    for k, (key, label, times) in enumerate(cost_terms):
        gbp = inputs.nm(f"programme_costs.{key}") + "_gbp"
        put(
            RowSpec(
                "programme cost",
                lambda c, times=times, rr=r + 1: f"$E{rr}{times(c)}*{ob}",
                parts[k],
                item=label,
                constants=((4, f"={gbp}", "money2", float(pc_inputs[key].central)),),
            )
        )
    cost_total = put(
        RowSpec(
            "programme costs, total",
            lambda c, rr=r: f"SUM({c}{first_cost + 1}:{c}{rr})",
            f.costs[0],
            name_fmt="bold",
        )
    )
    cost_rows_span = (first_cost + 1, cost_total)
    ct = cost_total + 1
    cost_pv = put(
        RowSpec(
            "programme costs, discounted (£ PV)",
            lambda c: f"{c}{ct}*{tl.ref('df', c)}",
            res.central.costs_by_year,
            name_fmt="bold",
        )
    )

    section("Net present value by year and payback, by perspective")
    net_rows: dict[str, dict[str, int]] = {}
    cpv = cost_pv + 1
    y1 = tl.rows["year1"] + 1
    for k, p_name in enumerate([*PERSPECTIVES, "headline"]):
        rows: dict[str, int] = {}
        br = persp_rows[p_name] + 1
        net = (
            ben[k] - res.central.costs_by_year
            if p_name != "headline"
            else (ben[res.plan.headline] - res.central.costs_by_year)
        )
        cum = np.cumsum(net)
        ok = cum >= -1e-9 * (1 + np.abs(cum))
        first = np.zeros(run.n_y)
        if ok.any():
            first[int(np.argmax(ok))] = 1
        label = p_name if p_name != "headline" else "headline"
        rows["net"] = put(
            RowSpec(
                "net (benefits − costs), PV",
                lambda c, br=br: f"{c}{br}-{c}{cpv}",
                net,
                item=label,
            )
        )
        nr = rows["net"] + 1
        rows["cum"] = put(
            RowSpec(
                "cumulative net, PV",
                lambda c, nr=nr: f"SUM(${a}{nr}:{c}{nr})",
                cum,
                total=False,
                item=label,
            )
        )
        cr = rows["cum"] + 1
        rows["flag"] = put(
            RowSpec(
                "paid back by the end of the year (flag)",
                lambda c, cr=cr: f"IF({c}{cr}>=-tolerance*(1+ABS({c}{cr})),1,0)",
                ok * 1.0,
                "flag",
                total=False,
                item=label,
            )
        )
        fr = rows["flag"] + 1
        pb = float(np.argmax(ok) + 1) if ok.any() else None
        rr = r + 1
        rows["payback"] = put(
            RowSpec(
                "first year paid back (flag); total column: payback years",
                lambda c, fr=fr: f"IF(AND({c}{fr}=1,SUM(${a}{fr}:{c}{fr})=1),1,0)",
                first,
                "flag",
                total=False,
                item=label,
                total_cell=(
                    f'=IF(SUM({a}{rr}:{b}{rr})=0,"{NOT_WITHIN}",'
                    f"SUMPRODUCT({a}{rr}:{b}{rr},Timeline!{a}{y1}:{b}{y1}))",
                    "int",
                    pb if pb is not None else NOT_WITHIN,
                ),
            )
        )
        net_rows[p_name] = rows

    section("Benefits by agency (£ present value)")
    agency_rows: dict[str, dict[str, int]] = {}
    w_head = w[res.plan.headline]
    for ai, agency in enumerate(res.plan.agencies):
        mask = (res.plan.row_agency == ai)[:, None]
        fis = (sav_pv * (w[0][:, None]) * mask).sum(axis=0)
        cash = (sav_pv * (w[1][:, None]) * mask).sum(axis=0)
        pub = (sav_pv * (w[2][:, None]) * mask).sum(axis=0)
        head = (sav_pv * (w_head[:, None]) * mask).sum(axis=0)
        rows = {}
        forms: dict[str, Any] = {
            "fiscal": (
                lambda c, rr: _sum_types(FISCAL_VALUE_TYPES, v1, v2, c, agency=f"$B{rr}"),
                fis,
            ),
            "fiscal_cashable": (
                lambda c, rr: _sum_types(FISCAL_VALUE_TYPES, v1, v2, c, "$F", f"$B{rr}"),
                cash,
            ),
            "public_value": (
                lambda c, rr: _sum_types(PUBLIC_VALUE_TYPES, v1, v2, c, agency=f"$B{rr}"),
                pub,
            ),
        }
        for persp, (make, vals) in forms.items():
            rows[persp] = put(
                RowSpec(
                    f"agency benefits: {persp}",
                    lambda c, make=make, rr=r + 1: make(c, rr),
                    vals,
                    item=agency,
                    item_is_input=True,
                )
            )
        pn = inputs.nm("perspective")
        fr_, cr_, pr_ = (
            rows["fiscal"] + 1,
            rows["fiscal_cashable"] + 1,
            rows["public_value"] + 1,
        )
        rows["headline"] = put(
            RowSpec(
                "agency benefits: headline perspective",
                lambda c, pn=pn, fr_=fr_, cr_=cr_, pr_=pr_: (
                    f'IF({pn}="fiscal",{c}{fr_},IF({pn}="fiscal_cashable",{c}{cr_},{c}{pr_}))'
                ),
                head,
                item=agency,
                item_is_input=True,
            )
        )
        agency_rows[agency] = rows
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 26)
    ws.set_column(2, 3, 16)
    ws.set_column(4, 5, 12)
    ws.set_column(YC - 1, run.lastc(), 14)
    ws.freeze_panes(HDR + 1, YC)
    return CalcRows(
        cf_rows=cf_rows,
        pg_rows=pg_rows,
        pv_rows=pv_rows,
        persp=persp_rows,
        cost_rows_span=cost_rows_span,
        cost_total=cost_total,
        cost_pv=cost_pv,
        net=net_rows,
        agency_rows=agency_rows,
    )


def _sum_types(
    types: tuple[str, ...],
    top: int,
    bottom: int,
    c: str,
    weight: str | None = None,
    agency: str | None = None,
) -> str:
    """The sum over rows top..bottom of column c for the rows whose value type (column C) is
    one of `types` (fam.vocabulary.PERSPECTIVE_VALUE_TYPES), times the row's share in column
    `weight` if given, for the rows of `agency` (column D) if given."""
    rng = f"$C${top}:$C${bottom}"
    kind = "+".join(f'({rng}="{t}")' for t in types)
    terms = [f"({kind})"]
    if weight is not None:
        terms.append(f"{weight}${top}:{weight}${bottom}")
    if agency is not None:
        terms.append(f"($D${top}:$D${bottom}={agency})")
    return f"SUMPRODUCT({'*'.join(terms)}*{c}{top}:{c}{bottom})"


def _row_labels(
    bk: Book, ws: Worksheet, run: Run, uc: UnitCostRefs, r: int, i: int, label: str
) -> None:
    row = run.rows.iloc[i]
    ws.write(r, 0, label)
    for c, col in ((1, "service"), (2, "value_type"), (3, "agency")):
        ws.write_formula(r, c, "=" + uc.ref(i, col) + '&""', bk.text, str(row[col]))


# ------------------------------------------------------------------ Outputs
