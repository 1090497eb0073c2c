"""The Excel workbook: live formulas that recompute the central case, every input sourced.

Laid out after the FAST Standard and the ICAEW Financial Modelling Code: inputs on one sheet
(each scalar a named, validated cell), calculations that refer only to Inputs, UnitCosts,
Timeline, CohortExposure and Parameters, one consistent formula along each row (years run
across the columns from H, in the same columns on every time-based sheet), outputs that only
refer to calculations, and checks that are each 0 or 1 and multiply into a master check on the
Cover. Every formula is stored with the value fam computed, so viewers that do not recalculate
still see numbers. See docs/workbook.md for a sheet-by-sheet audit guide.

The Inputs and UnitCosts sheets are a scenario: `fam run workbook.xlsx` reads them back
(fam/workbook_input.py, which also defines the layout shared with this writer).
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from fam import __version__
from fam.distributions import parse_dist
from fam.finance import GREEN_BOOK_STEPS
from fam.sensitivity import REPORT_MAX_INPUTS
from fam.vocabulary import PERSPECTIVE_LABEL, PERSPECTIVES, UNITS, VALUE_TYPES
from fam.workbook_input import (
    FOLDER_LABEL,
    FOLDER_NAME,
    INPUT_HEADERS,
    INPUTS,
    T_BOOL,
    T_CHOICE,
    T_DIST,
    T_FY,
    T_INT,
    T_LIST,
    T_MONEY,
    T_MONTH,
    T_NUMBER,
    T_TEXT,
    UNIT_COSTS,
    dist_text,
)

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

    from fam.api import Results
    from fam.unit_costs import Deflators

YC = 7  # first year column (H) on Timeline, CohortExposure and Calculations
HDR = 3  # header row (Excel row 4) on every table sheet
NOT_WITHIN = "not within horizon"

SHEETS = (
    "Cover",
    INPUTS,
    UNIT_COSTS,
    "Timeline",
    "CohortExposure",
    "Calculations",
    "Outputs",
    "MonteCarlo",
    "Sensitivity",
    "Checks",
    "Parameters",
)

# what each of fam.sensitivity.default_groups is, for the Sensitivity sheet
_GROUP_WHAT = {
    "effects": "every effect on service use, learnt together",
    "unit costs": "every drawn unit cost, learnt together",
    "programme costs": "the programme costs, learnt together",
    "all drawn inputs": "every drawn input together (not the chance variation between clients)",
}

# --------------------------------------------------------------------------- Inputs rows

CHOICES: dict[str, tuple[str, ...]] = {
    "programme": ("mst", "wraparound", "link_worker", "custom"),
    "period": ("month", "quarter", "year"),
    "perspective": PERSPECTIVES,
    "discounting.schedule": ("green_book", "constant"),
    "counterfactual.method": ("assumed", "comparison"),
}

# key pattern -> (type, lower bound, upper bound, label)
KNOWN: list[tuple[str, str, float | None, float | None, str]] = [
    ("name", T_TEXT, None, None, "Scenario name"),
    ("description", T_TEXT, None, None, "What the programme is and whom it serves"),
    ("programme", T_CHOICE, None, None, "Programme type"),
    ("price_base_year", T_FY, None, None, "Price base year: all £ are in this year's prices"),
    ("start", T_MONTH, None, None, "First calendar month of the appraisal (YYYY-MM)"),
    ("horizon_years", T_INT, 1, 75, "Appraisal period in years"),
    ("period", T_CHOICE, None, None, "Reporting period"),
    ("perspective", T_CHOICE, None, None, "Headline perspective"),
    ("unit_costs", T_LIST, None, None, "Unit-cost tables (paths relative to the scenario folder)"),
    ("discounting.rate", T_NUMBER, 0, 0.2, "Discount rate (Green Book standard 3.5%)"),
    ("discounting.schedule", T_CHOICE, None, None, "Discount schedule"),
    ("cohort.clients", T_TEXT, None, None, "Client file (relative to the scenario folder)"),
    (
        "cohort.service_use",
        T_TEXT,
        None,
        None,
        "Service-use file (relative to the scenario folder)",
    ),
    ("cohort.baseline_months", T_INT, 1, 120, "Months before start that define baseline use"),
    ("cohort.size", T_NUMBER, 0, None, "Clients to project (blank: as many as in the data)"),
    ("cohort.intake.months", T_INT, 1, 600, "Intake spread evenly over this many months"),
    ("cohort.intake.per_month", T_LIST, None, None, "Or: clients starting in each month (list)"),
    ("programme_costs.per_client", T_MONEY, 0, None, "Programme cost per client started (£)"),
    ("programme_costs.per_client_month", T_MONEY, 0, None, "Programme cost per client-month (£)"),
    ("programme_costs.per_completed_case", T_MONEY, 0, None, "Programme cost per completer (£)"),
    ("programme_costs.fixed_per_year", T_MONEY, 0, None, "Fixed programme cost per year (£)"),
    ("programme_costs.price_year", T_FY, None, None, "Price year of the programme costs"),
    ("programme_costs.confidence", T_INT, 1, 6, "Confidence grade of the costs (optimism bias)"),
    ("counterfactual.trend", T_DIST, -1, 1, "Share of baseline use that falls away anyway"),
    ("counterfactual.ramp_months", T_INT, 0, 600, "Months over which that fall is reached"),
    ("effects.*.change", T_DIST, -1, None, "Relative change in use (-0.25 = a quarter less)"),
    ("effects.*.onset_months", T_NUMBER, 0, 600, "Months for the effect to build up"),
    ("effects.*.half_life_months", T_NUMBER, 0, None, "Months for the effect to halve after"),
    ("engagement.duration_months", T_INT, 1, 600, "Programme months per client"),
    ("engagement.completion", T_DIST, 0, 1, "Share completing the programme"),
    ("engagement.non_completer_effect", T_DIST, 0, 1, "Effect for non-completers (share)"),
    ("optimism_bias.apply", T_BOOL, None, None, "Apply optimism bias by confidence grade"),
    ("monte_carlo.iterations", T_INT, 1, 10_000_000, "Monte Carlo iterations"),
    ("monte_carlo.seed", T_INT, 0, None, "Random seed"),
    ("outputs.dir", T_TEXT, None, None, "Output folder (relative to the working directory)"),
    ("counterfactual.method", T_CHOICE, None, None, "assumed trend, or from a comparison arm"),
    ("cohort.history_from", T_TEXT, None, None, "First date the data cover (blank: unknown)"),
    ("cohort.observed_to", T_TEXT, None, None, "Last date the data cover (blank: unknown)"),
    ("monte_carlo.bootstrap", T_BOOL, None, None, "Resample the cohort each iteration"),
    ("monte_carlo.poisson", T_BOOL, None, None, "Poisson noise on counts"),
    ("monte_carlo.parameter_uncertainty", T_BOOL, None, None, "Draw uncertain inputs"),
    ("monte_carlo.unit_cost_uncertainty", T_BOOL, None, None, "Draw unit costs in their ranges"),
    ("correlations", T_LIST, None, None, "Correlated input groups (list)"),
    ("update.apply", T_BOOL, None, None, "Update effects from observed follow-up"),
    ("update.min_follow_up_months", T_INT, 1, 600, "Minimum follow-up for the update"),
    ("sib.price_per_day", T_MONEY, 0, None, "SIB outcome price per day saved (£)"),
    ("sib.investor_capital", T_NUMBER, 0, None, "SIB investor capital (£)"),
    ("sib.cap", T_NUMBER, 0, None, "SIB cap on outcome payments (£)"),
    ("sib.payment_years", T_INT, 1, 75, "SIB payment years"),
    ("sib.payment_lag_quarters", T_INT, 0, 40, "SIB payment lag (quarters)"),
    ("*.price_year", T_FY, None, None, "Price year of the £ inputs in this section"),
    ("effects.*.source", T_TEXT, None, None, "Source for this effect"),
    ("*.source", T_TEXT, None, None, "Source for this section"),
    ("sources.*", T_TEXT, None, None, "Source for this key"),
]


@dataclass
class InRow:
    key: str
    kind: str
    label: str = ""
    value: Any = None  # the setting, or the central value of a distribution
    dist: str = ""  # distribution text (distribution rows)
    price_year: str | None = None
    lower: float | None = None
    upper: float | None = None
    choices: tuple[str, ...] = ()
    section: str = ""
    name: str = ""  # defined name of the value cell
    row: int = -1  # 0-based row on the Inputs sheet
    source_key: str | None = None


def _known(key: str) -> tuple[str, float | None, float | None, str] | None:
    from fnmatch import fnmatchcase

    for pat, kind, lo, hi, label in KNOWN:
        if fnmatchcase(key, pat) and (
            pat.count(".") == key.count(".") or pat.startswith("sources")
        ):
            return kind, lo, hi, label
    return None


def _flatten(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and "dist" not in v and not (prefix == "" and k == "sources"):
            out += _flatten(v, key + ".")
        elif prefix == "" and k == "sources":
            out += [(f"sources.{sk}", sv) for sk, sv in v.items()]
        else:
            out.append((key, v))
    return out


def _infer(value: Any) -> str:
    if isinstance(value, bool):
        return T_BOOL
    if isinstance(value, int):
        return T_INT
    if isinstance(value, float):
        return T_NUMBER
    if isinstance(value, list):
        return T_LIST
    if isinstance(value, dict):
        return T_MONEY if "price_year" in value else T_DIST
    return T_TEXT


def input_rows(dump: Mapping[str, Any]) -> list[InRow]:
    """One row per scenario key path (the scenario's validated form, model_dump(mode='json'))."""
    rows: list[InRow] = []
    flat = _flatten(dump)
    # top-level settings first, then each group in the schema's order
    flat = [kv for kv in flat if "." not in kv[0]] + [kv for kv in flat if "." in kv[0]]
    keys = {k for k, _ in flat}
    for key, value in flat:
        known = _known(key)
        kind, lo, hi, label = known if known else (_infer(value), None, None, "")
        if kind == T_DIST and isinstance(value, dict) and "price_year" in value:
            kind = T_MONEY
        top = key.split(".")[0]
        section = top if "." in key else "scenario"
        r = InRow(key, kind, label, lower=lo, upper=hi, section=section)
        r.choices = CHOICES.get(key, ())
        if kind in (T_DIST, T_MONEY):
            if isinstance(value, dict):
                d = parse_dist(value)
                r.value = d.mean
                r.dist = dist_text(d)
                r.price_year = d.price_year
        elif kind == T_LIST:
            r.value = None if value is None else json.dumps(value, ensure_ascii=False)
        else:
            r.value = value
        parts = key.split(".")
        if key in dump.get("sources", {}) or f"sources.{key}" in keys:
            r.source_key = f"sources.{key}"
        elif len(parts) > 1 and parts[-1] != "source":
            parent = ".".join(parts[:-1])
            if f"{parent}.source" in keys:
                r.source_key = f"{parent}.source"
        rows.append(r)
    return rows


def _get(data: Mapping[str, Any], key: str) -> Any:
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def template_dump() -> dict[str, Any]:
    """The rows of a blank scenario: defaults where the schema has them, blanks where not."""
    from fam.scenario import (
        Counterfactual,
        Discounting,
        Engagement,
        MonteCarlo,
        OptimismBias,
        ProgrammeCosts,
    )

    return {
        "name": None,
        "description": None,
        "programme": "custom",
        "price_base_year": None,
        "start": None,
        "horizon_years": None,
        "period": "year",
        "perspective": "fiscal",
        "unit_costs": None,
        "discounting": Discounting().model_dump(mode="json"),
        "cohort": {
            "clients": None,
            "service_use": None,
            "baseline_months": 12,
            "size": None,
            "intake": {"months": None, "per_month": None},
        },
        "programme_costs": ProgrammeCosts().model_dump(mode="json"),
        "counterfactual": {
            k: v
            for k, v in Counterfactual().model_dump(mode="json").items()
            if k in ("trend", "ramp_months", "source")
        },
        "effects": {
            "<service>": {
                "change": None,
                "onset_months": None,
                "half_life_months": None,
                "source": None,
            }
        },
        "engagement": Engagement().model_dump(mode="json"),
        "optimism_bias": OptimismBias().model_dump(mode="json"),
        "monte_carlo": {
            k: v
            for k, v in MonteCarlo().model_dump(mode="json").items()
            if k in ("iterations", "seed", "bootstrap", "poisson")
        },
        "outputs": {"dir": None},
    }


def _name(key: str, used: set[str], prefix: str = "in_") -> str:
    base = prefix + re.sub(r"[^A-Za-z0-9_]", "_", key.replace("*", "any").replace("?", "q"))
    base = base[:240]
    name, i = base, 2
    while name.lower() in used:
        name = f"{base}_{i}"
        i += 1
    used.add(name.lower())
    return name


# --------------------------------------------------------------------------- the book


class _Book:
    def __init__(self, path: Path) -> None:
        self.wb = xlsxwriter.Workbook(
            str(path),
            {
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "nan_inf_to_errors": True,
            },
        )
        wb = self.wb
        self.names: set[str] = set()
        base = {"font_name": "Arial", "font_size": 10}

        def f(**kw: Any) -> Format:
            return wb.add_format({**base, **kw})

        self.title = f(bold=True, font_size=14)
        self.note = f(italic=True, font_color="#595959", text_wrap=False)
        self.bold = f(bold=True)
        self.head = f(bold=True, bg_color="#DDEBF7", bottom=1, text_wrap=True, valign="top")
        self.section = f(bold=True, font_color="#1F4E79", top=1)
        self.text = f()
        self.wrap = f(text_wrap=True, valign="top")
        self.textq = f(quote_prefix=True)  # text that a spreadsheet might read as a formula
        inp = {"bg_color": "#FFF2CC", "border": 1, "border_color": "#BFBFBF"}
        self.in_text = f(**inp)
        self.in_textq = f(**inp, quote_prefix=True)
        self.in_num = f(**inp, num_format="#,##0.########")
        self.in_money = f(**inp, num_format="£#,##0.00")
        self.in_int = f(**inp, num_format="0")
        calc_v = {"bg_color": "#F2F2F2"}  # values computed by fam, not formulas
        self.v_num = f(**calc_v, num_format="#,##0.00")
        self.v_money = f(**calc_v, num_format="£#,##0;-£#,##0")
        self.v_money2 = f(**calc_v, num_format="£#,##0.00;-£#,##0.00")
        self.v_ratio = f(**calc_v, num_format="0.00")
        self.v_pct = f(**calc_v, num_format="0.0%")
        self.v_text = f(**calc_v)
        self.v_int = f(**calc_v, num_format="0")
        self.num = f(num_format="#,##0.00")
        self.num6 = f(num_format="0.000000")
        self.money = f(num_format="£#,##0;-£#,##0")
        self.money2 = f(num_format="£#,##0.00;-£#,##0.00")
        self.ratio = f(num_format="0.00")
        self.pct = f(num_format="0.0%")
        self.int = f(num_format="0")
        self.flag = f(num_format="0", align="center")
        self.check = f(num_format="0", align="center", bold=True)
        self.out_money = f(num_format="£#,##0;-£#,##0", bold=True)
        self.out_ratio = f(num_format="0.00", bold=True)

    def define(
        self, name: str, sheet: str, row: int, col: int, row2: int = -1, col2: int = -1
    ) -> str:
        ref = xl_rowcol_to_cell(row, col, True, True)
        if row2 >= 0:
            ref += ":" + xl_rowcol_to_cell(row2, col2, True, True)
        self.wb.define_name(name, f"={sheet}!{ref}")
        self.names.add(name.lower())
        return name

    def string(
        self, ws: Worksheet, row: int, col: int, text: Any, fmt: Format | None = None
    ) -> None:
        """Text from inputs: always a string cell, never a formula."""
        s = "" if text is None else str(text)
        if s[:1] in ("=", "+", "-", "@"):
            fmt = self.textq if fmt is None or fmt is self.text else fmt
        if s == "":
            ws.write_blank(row, col, None, fmt)
        else:
            ws.write_string(row, col, s, fmt)


def _ref(sheet: str, row: int, col: int, row_abs: bool = False, col_abs: bool = False) -> str:
    return f"{sheet}!{xl_rowcol_to_cell(row, col, row_abs, col_abs)}"


def _rng(sheet: str | None, r1: int, c1: int, r2: int, c2: int) -> str:
    a = xl_rowcol_to_cell(r1, c1, True, True) + ":" + xl_rowcol_to_cell(r2, c2, True, True)
    return f"{sheet}!{a}" if sheet else a


def _val(x: Any) -> Any:
    """A cached value for write_formula: finite numbers, else an empty string."""
    if isinstance(x, str):
        return x
    if x is None:
        return ""
    v = float(x)
    return v if np.isfinite(v) else ""


# --------------------------------------------------------------------------- Parameters


def _write_parameters(
    bk: _Book,
    ws: Worksheet,
    deflators: Deflators,
    ob: Mapping[int, Mapping[str, float]],
) -> None:
    ws.write(0, 0, "Parameters: fam's built-in tables (not scenario inputs)", bk.title)
    ws.write(
        1,
        0,
        "Values from fam's data files. Editing them changes this workbook's formulas only; "
        "fam run uses its own files (unit_costs/gdp_deflators.csv, "
        "fam/parameters/optimism_bias.yaml, fam/finance.py).",
        bk.note,
    )
    # GDP deflators
    ws.write(HDR, 0, "financial_year", bk.head)
    ws.write(HDR, 1, "gdp_deflator_index", bk.head)
    ws.write(HDR, 2, "status", bk.head)
    years = sorted(deflators.index)
    for i, y in enumerate(years):
        r = HDR + 1 + i
        ws.write_string(r, 0, y, bk.v_text)
        ws.write_number(r, 1, deflators.index[y], bk.v_num)
        ws.write_string(r, 2, "forecast" if y in deflators.forecast_years else "outturn", bk.v_text)
    last = HDR + len(years)
    bk.define("deflator_years", "Parameters", HDR + 1, 0, last, 0)
    bk.define("deflator_index", "Parameters", HDR + 1, 1, last, 1)
    bk.string(ws, last + 2, 0, f"Source: {deflators.release}", bk.note)
    # optimism bias
    ws.write(HDR, 4, "confidence_grade", bk.head)
    ws.write(HDR, 5, "ob_costs (uplift)", bk.head)
    ws.write(HDR, 6, "ob_benefits (reduction)", bk.head)
    grades = sorted(ob)
    for i, g in enumerate(grades):
        r = HDR + 1 + i
        ws.write_number(r, 4, g, bk.v_int)
        ws.write_number(r, 5, ob[g]["costs"], bk.v_pct)
        ws.write_number(r, 6, ob[g]["benefits"], bk.v_pct)
    gl = HDR + len(grades)
    bk.define("ob_grades", "Parameters", HDR + 1, 4, gl, 4)
    bk.define("ob_costs", "Parameters", HDR + 1, 5, gl, 5)
    bk.define("ob_benefits", "Parameters", HDR + 1, 6, gl, 6)
    ws.write(
        gl + 2,
        4,
        "Source: fam/parameters/optimism_bias.yaml (GMCA / New Economy CBA guidance grades; "
        "status U: confirm before relying on it)",
        bk.note,
    )
    # Green Book schedule
    ws.write(HDR, 8, "band_first_year", bk.head)
    ws.write(HDR, 9, "rate_relative_to_standard", bk.head)
    firsts = [0] + [last_y + 1 for last_y, _ in GREEN_BOOK_STEPS]
    scales = [s for _, s in GREEN_BOOK_STEPS] + [1.0 / 3.5]
    for i, (a, s) in enumerate(zip(firsts, scales, strict=True)):
        ws.write_number(HDR + 1 + i, 8, a, bk.v_int)
        ws.write_number(HDR + 1 + i, 9, s, bk.num6)
    bl = HDR + len(firsts)
    bk.define("gb_first_year", "Parameters", HDR + 1, 8, bl, 8)
    bk.define("gb_scale", "Parameters", HDR + 1, 9, bl, 9)
    ws.write(
        bl + 2,
        8,
        "Source: HM Treasury Green Book (2022) long-term discount schedule, as in fam/finance.py",
        bk.note,
    )
    ws.write(bl + 4, 8, "tolerance", bk.bold)
    ws.write_number(bl + 4, 9, 1e-9, bk.v_num)
    bk.define("tolerance", "Parameters", bl + 4, 9)
    ws.write(
        bl + 5,
        8,
        "Relative tolerance for checks and for 'pays back' (as fam/finance.py)",
        bk.note,
    )
    ws.set_column(0, 0, 15)
    ws.set_column(1, 2, 12)
    ws.set_column(4, 6, 14)
    ws.set_column(8, 9, 16)
    ws.freeze_panes(HDR + 1, 0)


# --------------------------------------------------------------------------- Inputs


def _write_inputs(
    bk: _Book,
    ws: Worksheet,
    rows: list[InRow],
    folder: str | None,
    written: bool,
    factors: Mapping[str, float] | None = None,
    price_base_year_name: str = "in_price_base_year",
) -> dict[str, InRow]:
    """Write the Inputs sheet; return rows by key (with their defined names and rows)."""
    ws.write(0, 0, "Inputs: every scenario input (yellow cells are inputs)", bk.title)
    ws.write(
        1,
        0,
        "Change a yellow cell and run `fam run THIS.xlsx`: a changed central value re-centres its "
        "distribution. Distributions are written as in a scenario file, e.g. "
        "{dist: normal, mean: -0.25, sd: 0.15}; 'fixed' means no uncertainty.",
        bk.note,
    )
    ws.write(2, 0, FOLDER_LABEL, bk.bold)
    bk.string(ws, 2, 1, folder or "", bk.in_text)
    bk.define(FOLDER_NAME, INPUTS, 2, 1)
    ws.write(
        2, 3, "relative paths below resolve from this folder (blank: this file's folder)", bk.note
    )
    headers = list(INPUT_HEADERS)  # the layout workbook_input reads back
    ws.write_row(HDR, 0, headers, bk.head)
    by_key: dict[str, InRow] = {}
    r = HDR + 1
    section = None
    for row in rows:
        if row.section != section:
            section = row.section
            ws.write(r, 1, section.replace("_", " ").capitalize(), bk.section)
            r += 1
        row.row = r
        row.name = _name(row.key, bk.names)
        by_key[row.key] = row
        r += 1
    fy_list = "=deflator_years"
    for row in rows:
        r = row.row
        bk.string(ws, r, 0, row.key)
        bk.string(ws, r, 1, row.label, bk.text)
        ws.write_string(r, 2, row.kind)
        v = row.value
        dv: dict[str, Any] | None = None
        if row.kind in (T_NUMBER, T_INT, T_DIST, T_MONEY):
            fmt = (
                bk.in_money
                if row.kind == T_MONEY
                else bk.in_int
                if row.kind == T_INT
                else bk.in_num
            )
            if v is None:
                ws.write_blank(r, 3, None, fmt)
            else:
                ws.write_number(r, 3, float(v), fmt)
            kind = "integer" if row.kind == T_INT else "decimal"
            if row.lower is not None and row.upper is not None:
                dv = {
                    "validate": kind,
                    "criteria": "between",
                    "minimum": row.lower,
                    "maximum": row.upper,
                }
            elif row.lower is not None:
                dv = {"validate": kind, "criteria": ">=", "value": row.lower}
            else:
                dv = {"validate": kind, "criteria": "between", "minimum": -1e300, "maximum": 1e300}
            what = f"a {'whole ' if kind == 'integer' else ''}number"
            if row.lower is not None:
                what += f" from {row.lower:g}" + (
                    f" to {row.upper:g}" if row.upper is not None else ""
                )
            dv["error_message"] = f"{row.key}: expected {what}"
        elif row.kind == T_BOOL:
            if v is None:
                ws.write_blank(r, 3, None, bk.in_text)
            else:
                ws.write_boolean(r, 3, bool(v), bk.in_text)
            dv = {"validate": "list", "source": ["TRUE", "FALSE"]}
        else:
            bk.string(ws, r, 3, v, bk.in_textq if str(v or "")[:1] in "=+-@" else bk.in_text)
            if row.kind == T_CHOICE and row.choices:
                dv = {"validate": "list", "source": list(row.choices)}
            elif row.kind == T_FY:
                dv = {"validate": "list", "source": fy_list}
            elif row.kind == T_MONTH:
                dv = {"validate": "length", "criteria": "==", "value": 7}
                dv["error_message"] = f"{row.key}: expected a month like 2013-04"
        if dv is not None:
            dv.setdefault("error_title", "fam input")
            dv.setdefault("error_message", f"{row.key}: not an allowed value")
            dv["ignore_blank"] = True
            ws.data_validation(r, 3, r, 3, dv)
        if row.kind != T_TEXT or row.key.split(".")[0] != "sources":
            bk.define(row.name, INPUTS, r, 3)
        if row.kind in (T_DIST, T_MONEY):
            bk.string(ws, r, 4, row.dist, bk.in_text)
            ws.data_validation(
                r,
                4,
                r,
                4,
                {
                    "validate": "any",
                    "input_title": "distribution",
                    "input_message": "fixed, or e.g. {dist: normal, mean: -0.25, sd: 0.15}; "
                    "{dist: triangular, low: 1, mode: 2, high: 4}",
                },
            )
        if row.kind == T_MONEY:
            bk.string(ws, r, 5, row.price_year or "", bk.in_text)
            ws.data_validation(
                r, 5, r, 5, {"validate": "list", "source": fy_list, "ignore_blank": True}
            )
            parent = row.key.rsplit(".", 1)[0]
            fallback = by_key.get(f"{parent}.price_year")
            py = f'IF(F{r + 1}<>"",F{r + 1},'
            py += (
                f'IF({fallback.name}<>"",{fallback.name},{price_base_year_name}))'
                if fallback
                else (f"{price_base_year_name})")
            )
            factor = (
                f"=INDEX(deflator_index,MATCH({price_base_year_name},deflator_years,0))"
                f"/INDEX(deflator_index,MATCH({py},deflator_years,0))"
            )
            fac = (factors or {}).get(row.key, 1.0)
            ws.write_formula(r, 6, factor, bk.num6, _val(fac))
            up = None if row.value is None else float(row.value) * fac
            ws.write_formula(r, 7, f"=D{r + 1}*G{r + 1}", bk.money2, _val(up))
            bk.define(row.name + "_gbp", INPUTS, r, 7)
        src = by_key.get(row.source_key or "")
        if src is not None:
            ws.write_formula(r, 8, f'=D{src.row + 1}&""', bk.text, str(src.value or ""))
        if written:
            if row.kind == T_BOOL and v is not None:
                ws.write_boolean(r, 9, bool(v), bk.v_text)
            elif isinstance(v, int | float) and not isinstance(v, bool):
                ws.write_number(r, 9, float(v), bk.v_num)
            elif v is not None:
                bk.string(ws, r, 9, v, bk.v_text)
            ws.write_formula(r, 10, f'=IF(D{r + 1}=J{r + 1},"","edited")', bk.text, "")
    ws.set_column(0, 0, 36)
    ws.set_column(1, 1, 44)
    ws.set_column(2, 2, 16)
    ws.set_column(3, 3, 22)
    ws.set_column(4, 4, 42)
    ws.set_column(5, 7, 14)
    ws.set_column(8, 8, 60)
    ws.set_column(9, 10, 14)
    ws.freeze_panes(HDR + 1, 1)
    ws.autofilter(HDR, 0, max((x.row for x in rows), default=HDR + 1), 10)
    return by_key


# --------------------------------------------------------------------------- full workbook


class _Writer:
    def __init__(self, res: Results, path: Path, client_detail: Any = None) -> None:
        self.client_detail = client_detail
        self.res = res
        self.mi = res.inputs
        self.sc = res.inputs.scenario
        self.bk = _Book(path)
        self.ws = {name: self.bk.wb.add_worksheet(name) for name in SHEETS}
        self.n_y = self.mi.n_years
        self.rows = self.mi.cost_rows.reset_index(drop=True)
        self.f = res.central.years
        self.df = np.asarray(res.plan.df, dtype=float)

    # helpers
    def ycol(self, y: int) -> int:
        return YC + y

    def lastc(self) -> int:
        return YC + self.n_y - 1

    def years_header(self, ws: Worksheet, label: str = "year") -> None:
        for y in range(self.n_y):
            ws.write_formula(
                HDR, YC + y, f"=Timeline!{xl_col_to_name(YC + y)}${HDR + 2}", self.bk.head, y
            )
        ws.write(HDR, YC - 1, "total", self.bk.head)

    def row_formula(
        self,
        ws: Worksheet,
        r: int,
        make: Any,
        values: Any,
        fmt: Format,
        total: bool = True,
    ) -> None:
        """Write one consistent formula along row r (make(col_letter) -> formula)."""
        for y in range(self.n_y):
            c = xl_col_to_name(YC + y)
            ws.write_formula(r, YC + y, "=" + make(c), fmt, _val(values[y]))
        if total:
            a, b = xl_col_to_name(YC), xl_col_to_name(self.lastc())
            ws.write_formula(
                r, YC - 1, f"=SUM({a}{r + 1}:{b}{r + 1})", fmt, _val(float(np.sum(values)))
            )

    def write(self) -> None:
        bk = self.bk
        _write_parameters(bk, self.ws["Parameters"], self.mi.deflators, self.mi.optimism_bias)
        self.write_inputs()
        self.write_unit_costs()
        self.write_timeline()
        self.write_exposure()
        self.write_calculations()
        self.write_outputs()
        self.write_monte_carlo()
        self.write_sensitivity()
        self.write_checks()
        self.write_cover()
        if self.client_detail is not None:
            self.write_client_detail(self.client_detail)
        self.ws["Cover"].activate()
        bk.wb.close()

    def write_client_detail(self, frame: Any) -> None:
        """Optional per-client sheet: salted-hash pseudonyms only (fam.privacy), never ids."""
        ws = self.bk.wb.add_worksheet("ClientDetail")
        ws.write(0, 0, "ClientDetail: one row per client in the data, pseudonymised", self.bk.title)
        ws.write(
            1,
            0,
            "Pseudonyms are salted hashes (HMAC-SHA256) and cannot be reversed without the salt; "
            "cohort and age band are suppressed where fewer than 5 clients share them.",
            self.bk.note,
        )
        ws.write_row(HDR, 0, [str(c) for c in frame.columns], self.bk.head)
        for i, row in enumerate(frame.itertuples(index=False)):
            for j, v in enumerate(row):
                if isinstance(v, int | float | np.integer | np.floating) and np.isfinite(v):
                    ws.write_number(HDR + 1 + i, j, float(v))
                else:
                    ws.write_string(HDR + 1 + i, j, str(v))
        ws.freeze_panes(HDR + 1, 1)
        ws.set_column(0, len(frame.columns), 16)

    # ------------------------------------------------------------------ Inputs
    def write_inputs(self) -> None:
        dump = self.sc.model_dump(mode="json")
        rows = input_rows(dump)
        factors = {}
        base = self.sc.price_base_year
        for row in rows:
            if row.kind == T_MONEY:
                parent = row.key.rsplit(".", 1)[0]
                py = row.price_year or _get(dump, f"{parent}.price_year") or base
                try:
                    factors[row.key] = self.mi.deflators.factor(str(py), base)
                except Exception:  # noqa: BLE001 - the formula will show the problem
                    factors[row.key] = float("nan")
        folder = str(Path(self.mi.scenario_path).resolve().parent)
        self.inputs = _write_inputs(self.bk, self.ws[INPUTS], rows, folder, True, factors)
        self.in_name = {k: r.name for k, r in self.inputs.items()}

    def nm(self, key: str) -> str:
        return self.in_name[key]

    # ------------------------------------------------------------------ UnitCosts
    UC_COLS = (
        "service",
        "description",
        "unit",
        "value_type",
        "agency",
        "agency_detail",
        "cost",
        "price_year",
        "deflator_from",
        "deflator_to",
        "cost_uprated",
        "low",
        "high",
        "cashable",
        "cashable_rationale",
        "confidence",
        "ob_benefit_share",
        "source",
        "fam_cost_uprated",
    )

    def uc(self, name: str) -> int:
        return self.UC_COLS.index(name)

    def write_unit_costs(self) -> None:
        bk, ws = self.bk, self.ws[UNIT_COSTS]
        ws.write(0, 0, "UnitCosts: the unit costs used, uprated to the price base year", bk.title)
        ws.write(
            1,
            0,
            "Yellow cells are inputs (fam run reads them back). cost_uprated = cost × "
            "deflator_to / deflator_from (HM Treasury GDP deflators, Parameters sheet); "
            "ob_benefit_share is the optimism-bias reduction of savings for the row's confidence "
            "grade. fam_cost_uprated is what fam computed, for reconciliation.",
            bk.note,
        )
        ws.write_row(HDR, 0, list(self.UC_COLS), bk.head)
        self.uc_row: list[int] = []
        ob = self.res.plan.ob_benefit
        for i, row in enumerate(self.rows.itertuples()):
            r = HDR + 1 + i
            self.uc_row.append(r)
            R = r + 1
            for col in ("service", "description", "unit", "value_type", "agency", "agency_detail"):
                bk.string(ws, r, self.uc(col), getattr(row, col), bk.in_text)
            ws.write_number(r, self.uc("cost"), float(row.cost), bk.in_money)
            bk.string(ws, r, self.uc("price_year"), row.price_year, bk.in_text)
            pcol = xl_col_to_name(self.uc("price_year"))
            ws.write_formula(
                r,
                self.uc("deflator_from"),
                f"=INDEX(deflator_index,MATCH({pcol}{R},deflator_years,0))",
                bk.num6,
                float(row.deflator_from),
            )
            ws.write_formula(
                r,
                self.uc("deflator_to"),
                f"=INDEX(deflator_index,MATCH({self.nm('price_base_year')},deflator_years,0))",
                bk.num6,
                float(row.deflator_to),
            )
            c, fr, to = (
                xl_col_to_name(self.uc(x)) for x in ("cost", "deflator_from", "deflator_to")
            )
            ws.write_formula(
                r,
                self.uc("cost_uprated"),
                f"={c}{R}*({to}{R}/{fr}{R})",
                bk.money2,
                float(row.cost_uprated),
            )
            for col in ("low", "high"):
                v = getattr(row, col)
                if v == v:
                    ws.write_number(r, self.uc(col), float(v), bk.in_money)
                else:
                    ws.write_blank(r, self.uc(col), None, bk.in_money)
            ws.write_number(r, self.uc("cashable"), float(row.cashable), bk.in_num)
            bk.string(ws, r, self.uc("cashable_rationale"), row.cashable_rationale, bk.in_text)
            ws.write_number(r, self.uc("confidence"), int(row.confidence), bk.in_int)
            gcol = xl_col_to_name(self.uc("confidence"))
            ws.write_formula(
                r,
                self.uc("ob_benefit_share"),
                f"=IF({self.nm('optimism_bias.apply')},INDEX(ob_benefits,MATCH({gcol}{R},ob_grades,0)),0)",
                bk.pct,
                float(ob[i]),
            )
            bk.string(ws, r, self.uc("source"), row.source, bk.in_text)
            ws.write_number(r, self.uc("fam_cost_uprated"), float(row.cost_uprated), bk.v_money2)
        n = len(self.rows)
        if n:
            last = HDR + n
            val: dict[str, dict[str, Any]] = {
                "cost": {"validate": "decimal", "criteria": ">=", "value": 0},
                "low": {"validate": "decimal", "criteria": ">=", "value": 0},
                "high": {"validate": "decimal", "criteria": ">=", "value": 0},
                "cashable": {
                    "validate": "decimal",
                    "criteria": "between",
                    "minimum": 0,
                    "maximum": 1,
                },
                "confidence": {
                    "validate": "integer",
                    "criteria": "between",
                    "minimum": 1,
                    "maximum": 6,
                },
                "price_year": {"validate": "list", "source": "=deflator_years"},
                "value_type": {"validate": "list", "source": list(VALUE_TYPES)},
                "unit": {
                    "validate": "list",
                    "source": list(UNITS),
                },
            }
            for col, dv in val.items():
                ws.data_validation(
                    HDR + 1, self.uc(col), last, self.uc(col), {**dv, "ignore_blank": True}
                )
        widths = {
            "service": 26,
            "description": 50,
            "agency": 20,
            "agency_detail": 24,
            "source": 60,
            "cashable_rationale": 30,
        }
        for i, name in enumerate(self.UC_COLS):
            ws.set_column(i, i, widths.get(name, 13))
        ws.freeze_panes(HDR + 1, 1)

    def uc_ref(self, i: int, col: str, abs_col: bool = True) -> str:
        return _ref(UNIT_COSTS, self.uc_row[i], self.uc(col), True, abs_col)

    # ------------------------------------------------------------------ Timeline
    def write_timeline(self) -> None:
        bk, ws = self.bk, self.ws["Timeline"]
        ws.write(0, 0, "Timeline: appraisal years, discount rates and discount factors", bk.title)
        ws.write(
            1,
            0,
            "Year y runs over calendar months 12y .. 12y+11 from the scenario start. Year 0 is "
            "undiscounted; the rate for year y applies between y-1 and y (Green Book schedule: "
            "the rate steps down after year 30).",
            bk.note,
        )
        ws.write(HDR, 0, "line", bk.head)
        ws.write(HDR, YC - 1, "", bk.head)
        for i in range(self.n_y):
            ws.write(HDR, YC + i, f"year {i}", bk.head)
        a = xl_col_to_name(YC)
        y = np.arange(self.n_y)
        lines = {}
        r = HDR + 1
        labels = [
            ("year", "Appraisal year (0-based)"),
            ("year1", "Years elapsed at the end of the year (payback count)"),
            ("first", "First-year flag"),
            ("horizon", "Within the appraisal horizon flag"),
            ("calendar", "Starts in calendar month (written by fam)"),
            ("scale", "Green Book rate relative to the standard rate"),
            ("rate", "Discount rate applying to this year"),
            ("mult", "One-year discount multiplier 1/(1+rate)"),
            ("df", "Discount factor (year 0 = 1)"),
        ]
        for key, label in labels:
            lines[key] = r
            ws.write(r, 0, label, bk.text)
            r += 1
        self.tl = lines
        L = {k: v + 1 for k, v in lines.items()}
        rates = np.zeros(self.n_y)
        from fam.finance import year_rates

        rates = year_rates(self.sc.discounting.rate, self.n_y, self.sc.discounting.schedule)
        scale = np.ones(self.n_y)
        for i in range(self.n_y):
            sc_ = 1.0 / 3.5
            for last, s in GREEN_BOOK_STEPS:
                if i <= last:
                    sc_ = s
                    break
            scale[i] = 1.0 if self.sc.discounting.schedule == "constant" else sc_
        start = _dt.date(int(self.sc.start[:4]), int(self.sc.start[5:7]), 1)
        cal = []
        for i in range(self.n_y):
            m = start.month - 1 + 12 * i
            cal.append(f"{start.year + m // 12:04d}-{m % 12 + 1:02d}")
        sched = self.nm("discounting.schedule")
        rate = self.nm("discounting.rate")
        hz = self.nm("horizon_years")
        self.row_formula(
            ws,
            lines["year"],
            lambda c: f"COLUMNS(${a}{L['year']}:{c}{L['year']})-1",
            y,
            bk.int,
            False,
        )
        self.row_formula(ws, lines["year1"], lambda c: f"{c}{L['year']}+1", y + 1, bk.int, False)
        self.row_formula(
            ws,
            lines["first"],
            lambda c: f"IF({c}{L['year']}=0,1,0)",
            (y == 0) * 1.0,
            bk.flag,
            False,
        )
        self.row_formula(
            ws,
            lines["horizon"],
            lambda c: f"IF({c}{L['year']}<{hz},1,0)",
            np.ones(self.n_y),
            bk.flag,
            False,
        )
        for i in range(self.n_y):
            ws.write_string(lines["calendar"], YC + i, cal[i], bk.v_text)
        self.row_formula(
            ws,
            lines["scale"],
            lambda c: (
                f'IF({sched}="constant",1,INDEX(gb_scale,MATCH({c}{L["year"]},gb_first_year,1)))'
            ),
            scale,
            bk.num6,
            False,
        )
        self.row_formula(
            ws,
            lines["rate"],
            lambda c: f"(1-{c}{L['first']})*{rate}*{c}{L['scale']}",
            rates,
            bk.pct,
            False,
        )
        self.row_formula(
            ws, lines["mult"], lambda c: f"1/(1+{c}{L['rate']})", 1 / (1 + rates), bk.num6, False
        )
        self.row_formula(
            ws,
            lines["df"],
            lambda c: f"PRODUCT(${a}{L['mult']}:{c}{L['mult']})",
            self.df,
            bk.num6,
            False,
        )
        ws.set_column(0, 0, 50)
        ws.set_column(1, YC - 1, 3)
        ws.set_column(YC, self.lastc(), 12)
        ws.freeze_panes(HDR + 1, YC)

    def tl_ref(self, key: str, col: str) -> str:
        return f"Timeline!{col}${self.tl[key] + 1}"

    # ------------------------------------------------------------------ CohortExposure
    def write_exposure(self) -> None:
        bk, ws = self.bk, self.ws["CohortExposure"]
        ex = self.res.central.exposures
        mi = self.mi
        ws.write(
            0,
            0,
            "CohortExposure: cohort sums computed by fam from the client data (values)",
            bk.title,
        )
        notes = [
            "Computed by fam from the client data; no individual client appears here. For each "
            "service s and appraisal year y, summed over the projected cohort (size × the mean "
            "over the data's clients, placed on the intake schedule):",
            "baseline = Σ baseline use per month × months of the year on or after each client's "
            "start; baseline_ramp = the same weighted by ramp(t) = min(1, t / ramp_months);",
            "profile = Σ baseline use × rise(t) × decay(t) (the effect's time profile); "
            "profile_ramp = the same × ramp(t). starts, client_months and programme_ends count "
            "clients starting, programme months and programme ends in the year.",
        ]
        ws.write(1, 0, notes[0], bk.note)
        ws.write(2, 0, notes[1] + " " + notes[2], bk.note)
        ws.write(HDR, 0, "quantity", bk.head)
        ws.write(HDR, 1, "service", bk.head)
        ws.write(HDR, 2, "unit", bk.head)
        self.years_header(ws)
        r = HDR + 1
        self.ex_row: dict[tuple[str, int], int] = {}
        a, b = xl_col_to_name(YC), xl_col_to_name(self.lastc())
        for q in ("baseline", "baseline_ramp", "profile", "profile_ramp"):
            ws.write(r, 0, q, bk.section)
            r += 1
            for s, svc in enumerate(mi.services):
                ws.write(r, 0, q)
                ws.write_string(r, 1, svc)
                ws.write_string(r, 2, mi.units[s])
                for y in range(self.n_y):
                    ws.write_number(r, YC + y, float(ex[q][s, y]), bk.v_num)
                ws.write_formula(
                    r, YC - 1, f"=SUM({a}{r + 1}:{b}{r + 1})", bk.num, float(ex[q][s].sum())
                )
                self.ex_row[(q, s)] = r
                r += 1
        ws.write(r, 0, "programme", bk.section)
        r += 1
        for q, label in (
            ("starts", "clients starting"),
            ("client_months", "client-months in the programme"),
            ("programme_ends", "clients ending the programme"),
        ):
            ws.write(r, 0, q)
            ws.write(r, 1, label)
            for y in range(self.n_y):
                ws.write_number(r, YC + y, float(ex[q][y]), bk.v_num)
            ws.write_formula(r, YC - 1, f"=SUM({a}{r + 1}:{b}{r + 1})", bk.num, float(ex[q].sum()))
            self.ex_row[(q, -1)] = r
            r += 1
        self.ex_last = r - 1
        ws.set_column(0, 0, 16)
        ws.set_column(1, 1, 28)
        ws.set_column(2, 2, 8)
        ws.set_column(3, YC - 2, 3)
        ws.set_column(YC - 1, self.lastc(), 13)
        ws.freeze_panes(HDR + 1, YC)

    def ex(self, q: str, s: int, col: str) -> str:
        return f"CohortExposure!{col}{self.ex_row[(q, s)] + 1}"

    # ------------------------------------------------------------------ Calculations
    def write_calculations(self) -> None:
        bk, ws = self.bk, self.ws["Calculations"]
        mi, res, f = self.mi, self.res, self.f
        plan = res.plan
        ws.write(0, 0, "Calculations: the central case, as live formulas", bk.title)
        ws.write(
            1,
            0,
            "Each row has one formula copied across the years (columns H onward). Use = baseline − "
            "T × baseline_ramp (counterfactual) and + change × e × (profile − T × profile_ramp) "
            "(programme arm); £ = use × uprated unit cost; saving = (counterfactual £ − programme "
            "£) × (1 − optimism bias).",
            bk.note,
        )
        for c, h in enumerate(
            ["line", "service / item", "value type / unit", "agency", "constant", "constant 2"]
        ):
            ws.write(HDR, c, h, bk.head)
        self.years_header(ws)
        a, b = xl_col_to_name(YC), xl_col_to_name(self.lastc())
        r = HDR + 1
        trend_name = self.nm("counterfactual.trend")
        comp, nce = self.nm("engagement.completion"), self.nm("engagement.non_completer_effect")
        p = res.central.params

        def section(title: str) -> None:
            nonlocal r
            r += 1
            ws.write(r, 0, title, bk.section)
            r += 1

        section("Central parameters")
        method = getattr(self.sc.counterfactual, "method", "assumed")
        ws.write(r, 0, "counterfactual trend T")
        if method == "assumed":
            ws.write_formula(r, 4, f"={trend_name}", bk.num6, float(p.trend[0]))
        else:
            ws.write_number(r, 4, float(p.trend[0]), bk.v_num)
            ws.write(r, 1, "estimated by fam from the comparison group (value)")
        self.trend = bk.define("calc_trend", "Calculations", r, 4)
        r += 1
        e = float(p.completion[0] + (1 - p.completion[0]) * p.nce[0])
        ws.write(r, 0, "engagement e = completion + (1 − completion) × non-completer effect")
        ws.write_formula(r, 4, f"={comp}+(1-{comp})*{nce}", bk.num6, e)
        bk.define("calc_engagement", "Calculations", r, 4)
        r += 1
        ws.write(r, 0, "optimism bias on programme costs (uplift)")
        ws.write_formula(
            r,
            4,
            f"=IF({self.nm('optimism_bias.apply')},INDEX(ob_costs,MATCH({self.nm('programme_costs.confidence')},ob_grades,0)),0)",
            bk.pct,
            float(plan.ob_cost),
        )
        bk.define("calc_ob_cost", "Calculations", r, 4)
        r += 1

        section("Effect by service (relative change in use; blank = no effect declared)")
        eff_row = {}
        for s, eff in enumerate(mi.effects):
            ws.write(r, 0, "change")
            ws.write_string(r, 1, eff.service)
            ws.write_string(r, 2, mi.units[s])
            if eff.change is not None:
                key = eff.change.name
                bk.string(ws, r, 3, key.split(".", 1)[1].rsplit(".", 1)[0])
                used = float(p.change[0, s])
                if key in self.in_name and abs(used - eff.change.dist.mean) <= 1e-12:
                    ws.write_formula(r, 4, f"={self.nm(key)}", bk.num6, used)
                else:  # e.g. updated by fam from observed follow-up (update.apply)
                    ws.write_number(r, 4, used, bk.v_num)
                    ws.write(r, 5, "value used by fam (not the Inputs central value)", bk.note)
            else:
                ws.write_string(r, 3, "(none)")
            eff_row[s] = r
            r += 1

        T = "calc_trend"
        section("Counterfactual use (service units per year)")
        cf_row = {}
        for s, svc in enumerate(mi.services):
            ws.write(r, 0, "counterfactual use")
            ws.write_string(r, 1, svc)
            ws.write_string(r, 2, mi.units[s])
            self.row_formula(
                ws,
                r,
                lambda c, s=s: f"{self.ex('baseline', s, c)}-{T}*{self.ex('baseline_ramp', s, c)}",
                f.cf_use[0, s],
                bk.num,
            )
            cf_row[s] = r
            r += 1
        self.cf_rows = (cf_row[0], cf_row[len(mi.services) - 1]) if mi.services else (r, r)

        section("Programme-arm use (service units per year)")
        pg_row = {}
        for s, svc in enumerate(mi.services):
            ws.write(r, 0, "programme-arm use")
            ws.write_string(r, 1, svc)
            ws.write_string(r, 2, mi.units[s])
            er = eff_row[s] + 1
            self.row_formula(
                ws,
                r,
                lambda c, s=s, er=er: (
                    f"{c}{cf_row[s] + 1}+$E${er}*calc_engagement*"
                    f"({self.ex('profile', s, c)}-{T}*{self.ex('profile_ramp', s, c)})"
                ),
                f.pg_use[0, s],
                bk.num,
            )
            pg_row[s] = r
            r += 1
        self.pg_rows = (pg_row[0], pg_row[len(mi.services) - 1]) if mi.services else (r, r)

        def cost_block(
            title: str, label: str, use_row: dict[int, int], values: np.ndarray
        ) -> dict[int, int]:
            nonlocal r
            section(title)
            out = {}
            for i, row in enumerate(self.rows.itertuples()):
                self.row_labels(ws, r, i, label)
                ws.write_formula(
                    r, 4, "=" + self.uc_ref(i, "cost_uprated"), bk.money2, float(row.cost_uprated)
                )
                ur = use_row[int(row.s_index)] + 1
                self.row_formula(
                    ws, r, lambda c, ur=ur, rr=r + 1: f"{c}{ur}*$E{rr}", values[i], bk.money
                )
                out[i] = r
                r += 1
            return out

        cfg = cost_block(
            "Counterfactual £ (use × uprated unit cost)", "counterfactual £", cf_row, f.cf_gbp[0]
        )
        pgg = cost_block("Programme-arm £", "programme-arm £", pg_row, f.pg_gbp[0])

        section("Savings after optimism bias (£, undiscounted)")
        sav = {}
        for i, row in enumerate(self.rows.itertuples()):
            self.row_labels(ws, r, i, "saving")
            ws.write_formula(
                r, 4, "=" + self.uc_ref(i, "ob_benefit_share"), bk.pct, float(plan.ob_benefit[i])
            )
            ws.write_formula(r, 5, "=" + self.uc_ref(i, "cashable"), bk.pct, float(row.cashable))
            self.row_formula(
                ws,
                r,
                lambda c, i=i, rr=r + 1: f"({c}{cfg[i] + 1}-{c}{pgg[i] + 1})*(1-$E{rr})",
                f.savings[0, i],
                bk.money,
            )
            sav[i] = r
            r += 1

        section("Savings, discounted (£ present value)")
        pv = {}
        sav_pv = f.savings[0] * self.df[None, :]
        for i, row in enumerate(self.rows.itertuples()):
            self.row_labels(ws, r, i, "saving PV")
            ws.write_formula(r, 5, "=" + self.uc_ref(i, "cashable"), bk.pct, float(row.cashable))
            self.row_formula(
                ws, r, lambda c, i=i: f"{c}{sav[i] + 1}*{self.tl_ref('df', c)}", sav_pv[i], bk.money
            )
            pv[i] = r
            r += 1
        n_r = len(self.rows)
        if n_r:
            s1, s2 = sav[0] + 1, sav[n_r - 1] + 1
            v1, v2 = pv[0] + 1, pv[n_r - 1] + 1
        else:  # pragma: no cover - a scenario always has cost rows
            s1 = s2 = v1 = v2 = r + 1
        self.pv_rows = (v1, v2)
        w = plan.weights

        def persp_block(title: str, top: int, bottom: int, vals: np.ndarray) -> dict[str, int]:
            nonlocal r
            section(title)
            out = {}
            forms: dict[str, Any] = {
                "fiscal": lambda c: f'SUMIF($C${top}:$C${bottom},"fiscal",{c}{top}:{c}{bottom})',
                "fiscal_cashable": lambda c: (
                    f'SUMPRODUCT(($C${top}:$C${bottom}="fiscal")*$F${top}:$F${bottom}*{c}{top}:{c}{bottom})'
                ),
                "public_value": lambda c: f"SUM({c}{top}:{c}{bottom})",
            }
            for k, persp in enumerate(PERSPECTIVES):
                ws.write(r, 0, "benefits")
                ws.write_string(r, 1, persp)
                self.row_formula(ws, r, forms[persp], vals[k], bk.money)
                out[persp] = r
                r += 1
            ws.write(r, 0, "benefits, headline perspective")
            ws.write_formula(r, 1, f"={self.nm('perspective')}", bk.text, self.sc.perspective)
            f1, f3 = out["fiscal"] + 1, out["public_value"] + 1
            self.row_formula(
                ws,
                r,
                lambda c: f"INDEX({c}{f1}:{c}{f3},MATCH($B{r + 1},$B{f1}:$B{f3},0))",
                vals[res.plan.headline],
                bk.money,
            )
            out["headline"] = r
            r += 1
            return out

        und = np.einsum("ry,pr->py", f.savings[0], w)
        self.persp_und = persp_block("Savings by perspective (£, undiscounted)", s1, s2, und)
        ben = res.central.benefits_by_year
        self.persp = persp_block("Benefits by perspective (£ present value)", v1, v2, ben)

        section("Programme costs (£, after optimism bias)")
        ob = "(1+calc_ob_cost)"
        parts = f.cost_parts[0]
        pcn = {
            k: self.nm(f"programme_costs.{k}") + "_gbp"
            for k in ("per_client", "per_client_month", "per_completed_case", "fixed_per_year")
        }
        pc_inputs = mi.programme_costs
        specs = [
            (
                "per_client",
                "per client started",
                lambda c: f"$E{r + 1}*{self.ex('starts', -1, c)}*{ob}",
            ),
            (
                "per_client_month",
                "per client-month",
                lambda c: f"$E{r + 1}*{self.ex('client_months', -1, c)}*{ob}",
            ),
            (
                "per_completed_case",
                "per completed case",
                lambda c: f"$E{r + 1}*{comp}*{self.ex('programme_ends', -1, c)}*{ob}",
            ),
            (
                "fixed_per_year",
                "fixed per year",
                lambda c: f"$E{r + 1}*{self.tl_ref('horizon', c)}*{ob}",
            ),
        ]
        first_cost = r
        for k, (key, label, make) in enumerate(specs):
            ws.write(r, 0, "programme cost")
            ws.write(r, 1, label)
            ws.write_formula(r, 4, f"={pcn[key]}", bk.money2, float(pc_inputs[key].central))
            self.row_formula(ws, r, make, parts[k], bk.money)
            r += 1
        ws.write(r, 0, "programme costs, total", bk.bold)
        self.row_formula(ws, r, lambda c: f"SUM({c}{first_cost + 1}:{c}{r})", f.costs[0], bk.money)
        self.cost_rows_span = (first_cost + 1, r)
        self.cost_total = r
        r += 1
        ws.write(r, 0, "programme costs, discounted (£ PV)", bk.bold)
        ct = self.cost_total + 1
        self.row_formula(
            ws, r, lambda c: f"{c}{ct}*{self.tl_ref('df', c)}", res.central.costs_by_year, bk.money
        )
        self.cost_pv = r
        r += 1

        section("Net present value by year and payback, by perspective")
        self.net: dict[str, dict[str, int]] = {}
        cpv = self.cost_pv + 1
        y1 = self.tl["year1"] + 1
        for k, persp in enumerate([*PERSPECTIVES, "headline"]):
            rows: dict[str, int] = {}
            br = self.persp[persp] + 1
            net = (
                ben[k] - res.central.costs_by_year
                if persp != "headline"
                else (ben[res.plan.headline] - res.central.costs_by_year)
            )
            cum = np.cumsum(net)
            ok = cum >= -1e-9 * (1 + np.abs(cum))
            first = np.zeros(self.n_y)
            if ok.any():
                first[int(np.argmax(ok))] = 1
            label = persp if persp != "headline" else "headline"
            ws.write(r, 0, "net (benefits − costs), PV")
            ws.write_string(r, 1, label)
            self.row_formula(ws, r, lambda c, br=br: f"{c}{br}-{c}{cpv}", net, bk.money)
            rows["net"] = r
            r += 1
            nr = rows["net"] + 1
            ws.write(r, 0, "cumulative net, PV")
            ws.write_string(r, 1, label)
            self.row_formula(ws, r, lambda c, nr=nr: f"SUM(${a}{nr}:{c}{nr})", cum, bk.money, False)
            rows["cum"] = r
            r += 1
            cr = rows["cum"] + 1
            ws.write(r, 0, "paid back by the end of the year (flag)")
            ws.write_string(r, 1, label)
            self.row_formula(
                ws,
                r,
                lambda c, cr=cr: f"IF({c}{cr}>=-tolerance*(1+ABS({c}{cr})),1,0)",
                ok * 1.0,
                bk.flag,
                False,
            )
            rows["flag"] = r
            r += 1
            fr = rows["flag"] + 1
            ws.write(r, 0, "first year paid back (flag); total column: payback years")
            ws.write_string(r, 1, label)
            self.row_formula(
                ws,
                r,
                lambda c, fr=fr: f"IF(AND({c}{fr}=1,SUM(${a}{fr}:{c}{fr})=1),1,0)",
                first,
                bk.flag,
                False,
            )
            pb = float(np.argmax(ok) + 1) if ok.any() else None
            ws.write_formula(
                r,
                YC - 1,
                f'=IF(SUM({a}{r + 1}:{b}{r + 1})=0,"{NOT_WITHIN}",'
                f"SUMPRODUCT({a}{r + 1}:{b}{r + 1},Timeline!{a}{y1}:{b}{y1}))",
                bk.int,
                pb if pb is not None else NOT_WITHIN,
            )
            rows["payback"] = r
            r += 1
            self.net[persp] = rows

        section("Benefits by agency (£ present value)")
        self.agency_rows: dict[str, dict[str, int]] = {}
        w_head = w[res.plan.headline]
        for ai, agency in enumerate(res.plan.agencies):
            mask = (res.plan.row_agency == ai)[:, None]
            fis = (sav_pv * (w[0][:, None]) * mask).sum(axis=0)
            cash = (sav_pv * (w[1][:, None]) * mask).sum(axis=0)
            pub = (sav_pv * mask).sum(axis=0)
            head = (sav_pv * (w_head[:, None]) * mask).sum(axis=0)
            rows = {}
            forms: dict[str, Any] = {
                "fiscal": (
                    lambda c, rr: (
                        f'SUMPRODUCT(($D${v1}:$D${v2}=$B{rr})*($C${v1}:$C${v2}="fiscal")*{c}{v1}:{c}{v2})'
                    ),
                    fis,
                ),
                "fiscal_cashable": (
                    lambda c, rr: (
                        f'SUMPRODUCT(($D${v1}:$D${v2}=$B{rr})*($C${v1}:$C${v2}="fiscal")*$F${v1}:$F${v2}*{c}{v1}:{c}{v2})'
                    ),
                    cash,
                ),
                "public_value": (
                    lambda c, rr: f"SUMIF($D${v1}:$D${v2},$B{rr},{c}{v1}:{c}{v2})",
                    pub,
                ),
            }
            for persp, (make, vals) in forms.items():
                ws.write(r, 0, f"agency benefits: {persp}")
                bk.string(ws, r, 1, agency)
                self.row_formula(ws, r, lambda c, make=make, rr=r + 1: make(c, rr), vals, bk.money)
                rows[persp] = r
                r += 1
            ws.write(r, 0, "agency benefits: headline perspective")
            bk.string(ws, r, 1, agency)
            pn = self.nm("perspective")
            fr_, cr_, pr_ = (
                rows["fiscal"] + 1,
                rows["fiscal_cashable"] + 1,
                rows["public_value"] + 1,
            )
            self.row_formula(
                ws,
                r,
                lambda c, pn=pn, fr_=fr_, cr_=cr_, pr_=pr_: (
                    f'IF({pn}="fiscal",{c}{fr_},IF({pn}="fiscal_cashable",{c}{cr_},{c}{pr_}))'
                ),
                head,
                bk.money,
            )
            rows["headline"] = r
            r += 1
            self.agency_rows[agency] = rows
        self.calc_last = r
        ws.set_column(0, 0, 34)
        ws.set_column(1, 1, 26)
        ws.set_column(2, 3, 16)
        ws.set_column(4, 5, 12)
        ws.set_column(YC - 1, self.lastc(), 14)
        ws.freeze_panes(HDR + 1, YC)

    def row_labels(self, ws: Worksheet, r: int, i: int, label: str) -> None:
        row = self.rows.iloc[i]
        ws.write(r, 0, label)
        for c, col in ((1, "service"), (2, "value_type"), (3, "agency")):
            ws.write_formula(r, c, "=" + self.uc_ref(i, col) + '&""', self.bk.text, str(row[col]))

    # ------------------------------------------------------------------ Outputs
    def write_outputs(self) -> None:
        bk, ws = self.bk, self.ws["Outputs"]
        res = self.res
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
        hdr = ["measure", *PERSPECTIVES, "headline", "fam (headline)", "difference"]
        ws.write_row(HDR, 0, hdr, bk.head)
        ws.write_formula(HDR + 1, 4, f"={self.nm('perspective')}", bk.bold, self.sc.perspective)
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
        self.out_row = {}
        for i, (m, _label) in enumerate(measures):
            self.out_row[m] = r0 + i
        R = {m: r + 1 for m, r in self.out_row.items()}
        calc = "Calculations"
        ycol = xl_col_to_name(YC - 1)
        for k, p in enumerate([*PERSPECTIVES]):
            col = 1 + k
            L = xl_col_to_name(col)
            b = float(c.benefits[k])
            cost = float(c.costs)
            bcr_v = b / cost if cost > 0 else None
            pb = self._payback(k)
            vals: dict[str, tuple[str, Any, Format]] = {
                "costs": (f"={calc}!{ycol}{self.cost_pv + 1}", cost, bk.out_money),
                "benefits": (f"={calc}!{ycol}{self.persp[p] + 1}", b, bk.out_money),
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
                "payback_years": (f"={calc}!{ycol}{self.net[p]['payback'] + 1}", pb, bk.int),
            }
            for m, (form, v, fmt) in vals.items():
                if m in ("bcr", "roi") and v is None:
                    v = "n/a"
                if m == "payback_years" and v is None:
                    v = NOT_WITHIN
                ws.write_formula(self.out_row[m], col, form, fmt, _val(v))
                self.bk.define(f"out_{m}_{p}", "Outputs", self.out_row[m], col)
        for m, label in measures:
            r = self.out_row[m]
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
                _val(v),
            )
            self.bk.define(f"out_{m}", "Outputs", r, 4)
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
        self.agency_out_first = r
        ycol_c = f"Calculations!{ycol}"
        for ai, agency in enumerate(res.plan.agencies):
            rows = self.agency_rows[agency]
            bk.string(ws, r, 0, agency, bk.bold)
            head_v = float(c.agency_benefits[ai])
            cash_v = float(c.agency_cashable[ai])
            sav_pv = self.f.savings[0] * self.df[None, :]
            mask = res.plan.row_agency == ai
            fis = float((sav_pv.sum(axis=1) * res.plan.weights[0] * mask).sum())
            pub = float((sav_pv.sum(axis=1) * mask).sum())
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
        self.agency_out_last = r - 1
        a1, a2 = self.agency_out_first + 1, self.agency_out_last + 1
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
        self.agency_total = r
        r += 1
        ws.write(r, 0, "Who pays: programme costs (£ PV), paid by the commissioner", bk.bold)
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
        self.year_out_first = r
        by_year = res.by_year()
        for y in range(self.n_y):
            cl = xl_col_to_name(YC + y)
            ws.write_formula(r, 0, f"=Timeline!{cl}{self.tl['year'] + 1}", bk.int, y)
            for k, p in enumerate(PERSPECTIVES):
                ws.write_formula(
                    r,
                    1 + k,
                    f"=Calculations!{cl}{self.persp[p] + 1}",
                    bk.money,
                    float(by_year[p].iloc[y]),
                )
            ws.write_formula(
                r,
                4,
                f"=Calculations!{cl}{self.cost_pv + 1}",
                bk.money,
                float(by_year["costs"].iloc[y]),
            )
            ws.write_formula(
                r,
                5,
                f"=Calculations!{cl}{self.net['headline']['net'] + 1}",
                bk.money,
                float(by_year["net"].iloc[y]),
            )
            ws.write_formula(
                r,
                6,
                f"=Calculations!{cl}{self.net['headline']['cum'] + 1}",
                bk.money,
                float(by_year["cumulative_net"].iloc[y]),
            )
            r += 1
        self.year_out_last = r - 1
        ws.set_column(0, 0, 52)
        ws.set_column(1, 6, 20)
        ws.freeze_panes(HDR + 1, 1)

    def _payback(self, k: int) -> float | None:
        c = self.res.central
        net = c.benefits_by_year[k] - c.costs_by_year
        cum = np.cumsum(net)
        ok = cum >= -1e-9 * (1 + np.abs(cum))
        return float(np.argmax(ok) + 1) if ok.any() else None

    # ------------------------------------------------------------------ MonteCarlo
    def write_monte_carlo(self) -> None:
        bk, ws = self.bk, self.ws["MonteCarlo"]
        res = self.res
        ws.write(
            0, 0, "MonteCarlo: simulation results computed by fam (values, not formulas)", bk.title
        )
        ws.write(
            1,
            0,
            f"{res.iterations:,} iterations, seed {res.seed}: every uncertain input drawn once per "
            "iteration, the cohort resampled and counts with Poisson noise (as the scenario sets). "
            "Raw draws: iterations.csv.",
            bk.note,
        )
        ws.write_row(HDR, 0, ["measure", "central", "mean", "p5", "p50", "p95"], bk.head)
        frame = res.summary_frame()
        r = HDR + 1
        for measure, row in frame.iterrows():
            ws.write_string(r, 0, str(measure), bk.bold)
            money = measure in ("costs", "benefits", "npv")
            fmt = (
                bk.v_money if money else bk.v_pct if measure == "prob_npv_positive" else bk.v_ratio
            )
            for j, col in enumerate(["central", "mean", "p5", "p50", "p95"]):
                v = row[col]
                if v is not None and v == v:
                    ws.write_number(r, 1 + j, float(v), fmt)
            r += 1
        r += 1
        ws.write(r, 0, "P(NPV > 0): chance of breaking even", bk.bold)
        ws.write_number(r, 1, float(np.mean(res.npv > 0)), bk.v_pct)
        r += 1
        ws.write(r, 0, "iterations", bk.bold)
        ws.write_number(r, 1, res.iterations, bk.v_int)
        r += 1
        ws.write(r, 0, "seed", bk.bold)
        ws.write_number(r, 1, res.seed, bk.v_int)
        r += 2
        ws.write(r, 0, "Histogram of NPV (£)", bk.section)
        r += 1
        ws.write_row(r, 0, ["bin", "from (£)", "to (£)", "iterations", "share"], bk.head)
        r += 1
        npv = np.asarray(res.npv, dtype=float)
        npv = npv[np.isfinite(npv)]
        first = r
        if npv.size:
            lo, hi = float(npv.min()), float(npv.max())
            if hi <= lo:
                hi = lo + 1.0
            counts, edges = np.histogram(npv, bins=20, range=(lo, hi))
            for i, n in enumerate(counts):
                mid = (edges[i] + edges[i + 1]) / 2
                ws.write_string(r, 0, f"£{mid / 1000:,.0f}k", bk.v_text)
                ws.write_number(r, 1, float(edges[i]), bk.v_money)
                ws.write_number(r, 2, float(edges[i + 1]), bk.v_money)
                ws.write_number(r, 3, int(n), bk.v_int)
                ws.write_number(r, 4, float(n / npv.size), bk.v_pct)
                r += 1
            chart = bk.wb.add_chart({"type": "column"})
            chart.add_series(
                {
                    "name": "iterations",
                    "categories": ["MonteCarlo", first, 0, r - 1, 0],
                    "values": ["MonteCarlo", first, 3, r - 1, 3],
                    "gap": 10,
                }
            )
            chart.set_title({"name": "NPV across iterations (simulation results computed by fam)"})
            chart.set_x_axis({"name": "NPV, bin centre (£ thousand)"})
            chart.set_y_axis({"name": "iterations"})
            chart.set_legend({"none": True})
            chart.set_size({"width": 720, "height": 360})
            ws.insert_chart(HDR, 7, chart)
        ws.set_column(0, 0, 34)
        ws.set_column(1, 5, 16)
        ws.freeze_panes(HDR + 1, 0)

    # ------------------------------------------------------------------ Sensitivity
    def write_sensitivity(self) -> None:
        """Values computed by fam (fam.sensitivity.report), kept out of the Checks."""
        from fam.sensitivity import report

        bk, ws, res = self.bk, self.ws["Sensitivity"], self.res
        rep = report(res)
        pby = self.sc.price_base_year
        persp = self.sc.perspective
        ws.write(
            0,
            0,
            "Sensitivity: what matters to the decision (values computed by fam, not formulas)",
            bk.title,
        )
        ws.write(
            1,
            0,
            f"Computed by fam from this run ({res.iterations:,} iterations, seed {res.seed}; "
            f"NPV in the {persp} perspective, present values, £ in {pby} prices). Not linked "
            "to the formulas: after editing Inputs, re-run fam to update this sheet.",
            bk.note,
        )
        r = 2
        if rep.n_uncertain == 0:
            ws.write(r, 0, "No uncertain inputs", bk.section)
            ws.write(
                r + 1,
                0,
                "Every input in this scenario is fixed, so there is no one-way sensitivity "
                "(tornado), no switching value and no partial value of information to show. "
                "Give inputs distributions (Inputs sheet) to see which of them matter.",
                bk.text,
            )
            r += 3
        else:
            r = self._sens_tornado(ws, r, rep)
            r = self._sens_switching(ws, r + 1, rep)
        r = self._sens_curve(ws, r + 1, rep)
        self._sens_voi(ws, r + 1, rep)
        ws.set_column(0, 0, 40)
        ws.set_column(1, 1, 46)
        ws.set_column(2, 2, 22)
        ws.set_column(3, 8, 17)
        ws.freeze_panes(HDR + 1, 0)

    def _sens_title(self, text: str) -> str:
        self._sens_n = getattr(self, "_sens_n", 0) + 1
        return f"{self._sens_n}. {text}"

    def _sens_label(self, name: str, label: str) -> str:
        return re.sub(r" \((\d{4}-\d{2}) prices\)$", r" (entered in \1 prices)", label or name)

    def _sens_unit(self, name: str) -> tuple[str, Format]:
        bk = self.bk
        if name.startswith("effects."):
            return "relative change in use", bk.v_pct
        if name.startswith(("counterfactual.trend", "engagement.")):
            return "share", bk.v_pct
        if name.startswith(("programme_costs.", "unit_cost.")):
            return f"£, {self.sc.price_base_year} prices", bk.v_money2
        return "number", bk.v_num

    def _sens_note(self, ws: Worksheet, r: int, lines: list[str]) -> int:
        for line in lines:
            ws.write(r, 0, line, self.bk.note)
            r += 1
        return r

    def _sens_tornado(self, ws: Worksheet, r: int, rep: Any) -> int:
        bk = self.bk
        ws.write(
            r,
            0,
            self._sens_title("One-way sensitivity (tornado): NPV swing, largest first"),
            bk.section,
        )
        r += 1
        assert r == HDR  # the frozen header row
        ws.write_row(
            r,
            0,
            [
                "input (key)",
                "what it is",
                "unit",
                "low value (10th percentile)",
                "high value (90th percentile)",
                "NPV at low value (£)",
                "NPV at high value (£)",
                "swing (£)",
            ],
            bk.head,
        )
        r += 1
        for row in rep.tornado.itertuples(index=False):
            unit, fmt = self._sens_unit(str(row.input))
            bk.string(ws, r, 0, row.input, bk.v_text)
            bk.string(ws, r, 1, self._sens_label(str(row.input), str(row.label)), bk.v_text)
            ws.write_string(r, 2, unit, bk.v_text)
            ws.write_number(r, 3, float(row.low_value), fmt)
            ws.write_number(r, 4, float(row.high_value), fmt)
            ws.write_number(r, 5, float(row.npv_low), bk.v_money)
            ws.write_number(r, 6, float(row.npv_high), bk.v_money)
            ws.write_number(r, 7, float(row.swing), bk.v_money)
            r += 1
        ws.write(r, 0, "central NPV (every input central)", bk.bold)
        ws.write_number(r, 5, float(rep.tornado.attrs["npv_central"]), bk.v_money)
        r += 1
        return self._sens_note(
            ws,
            r,
            [
                "Each uncertain input at its 10th and 90th percentile with every other input at "
                "its central value; the central case's NPV recomputed by fam.",
                "For a commissioner: the inputs at the top are the assumptions the answer rests "
                "on most. A row whose NPVs lie on both sides of £0 can, on its own, change "
                "whether the programme pays for itself.",
            ],
        )

    def _sens_switching(self, ws: Worksheet, r: int, rep: Any) -> int:
        bk = self.bk
        ws.write(
            r,
            0,
            self._sens_title("Switching values: the value of each input at which NPV = 0"),
            bk.section,
        )
        r += 1
        ws.write_row(
            r,
            0,
            [
                "input (key)",
                "what it is",
                "unit",
                "central value",
                "range searched from (0.1th percentile)",
                "range searched to (99.9th percentile)",
                "NPV = 0 at",
            ],
            bk.head,
        )
        r += 1
        for row in rep.switching.itertuples(index=False):
            unit, fmt = self._sens_unit(str(row.input))
            bk.string(ws, r, 0, row.input, bk.v_text)
            bk.string(ws, r, 1, self._sens_label(str(row.input), str(row.label)), bk.v_text)
            ws.write_string(r, 2, unit, bk.v_text)
            ws.write_number(r, 3, float(row.central), fmt)
            ws.write_number(r, 4, float(row.range_low), fmt)
            ws.write_number(r, 5, float(row.range_high), fmt)
            sv = row.switching_value
            if sv is None or not np.isfinite(float(sv)):
                ws.write_string(r, 6, "none within the range", bk.v_text)
            else:
                ws.write_number(r, 6, float(sv), fmt)
            r += 1
        return self._sens_note(
            ws,
            r,
            [
                "The value at which the central case breaks even, with every other input at its "
                "central value.",
                "For a commissioner: 'none within the range' means that input alone cannot turn "
                "the answer round anywhere in its plausible range; where there is a value, ask "
                "how likely the true value is to lie beyond it.",
            ],
        )

    def _sens_curve(self, ws: Worksheet, r: int, rep: Any) -> int:
        bk = self.bk
        pby = self.sc.price_base_year
        curve = rep.curve
        ws.write(
            r,
            0,
            self._sens_title(
                "Break-even curve: chance that NPV > 0 as the programme cost per client varies"
            ),
            bk.section,
        )
        r += 1
        for label, v, fmt in (
            (
                f"Programme cost per client in this scenario (£, {pby} prices)",
                rep.scenario_cost,
                bk.v_money2,
            ),
            (
                "Cost per client at which the central case breaks even (£)",
                rep.break_even_cost,
                bk.v_money2,
            ),
            (
                "Cost per client at which P(NPV > 0) = 50% (£)",
                rep.even_odds_cost,
                bk.v_money2,
            ),
        ):
            ws.write(r, 0, label, bk.bold)
            if v is None or not np.isfinite(v):
                ws.write_string(r, 1, "n/a: the cost per client does not move the NPV", bk.v_text)
            else:
                ws.write_number(r, 1, float(v), fmt)
            r += 1
        r += 1
        ws.write_row(
            r,
            0,
            [
                f"programme cost per client (£, {pby} prices)",
                "P(NPV > 0)",
                "50% (as likely as not)",
                "P(NPV > 0) at the scenario's cost",
                "",
            ],
            bk.head,
        )
        r += 1
        first = r
        costs = curve["cost"].to_numpy(dtype=float)
        mark = int(np.argmin(np.abs(costs - rep.scenario_cost))) if len(costs) else -1
        for i, (c, p) in enumerate(
            zip(costs, curve["prob_npv_positive"].to_numpy(dtype=float), strict=True)
        ):
            ws.write_number(r, 0, float(c), bk.v_money)
            ws.write_number(r, 1, float(p), bk.v_pct)
            ws.write_number(r, 2, 0.5, bk.v_pct)
            if i == mark:
                ws.write_number(r, 3, float(p), bk.v_pct)
                ws.write_string(r, 4, "◄ the scenario's cost", bk.bold)
            r += 1
        last = r - 1
        if last >= first:
            sheet = "Sensitivity"
            chart = bk.wb.add_chart({"type": "line"})
            cats = [sheet, first, 0, last, 0]
            chart.add_series(
                {
                    "name": "P(NPV > 0)",
                    "categories": cats,
                    "values": [sheet, first, 1, last, 1],
                    "line": {"color": "#0072B2", "width": 2.25},
                }
            )
            chart.add_series(
                {
                    "name": "50%",
                    "categories": cats,
                    "values": [sheet, first, 2, last, 2],
                    "line": {"color": "#4D4D4D", "width": 1, "dash_type": "dash"},
                }
            )
            chart.add_series(
                {
                    "name": "the scenario's cost",
                    "categories": cats,
                    "values": [sheet, first, 3, last, 3],
                    "line": {"none": True},
                    "marker": {
                        "type": "diamond",
                        "size": 9,
                        "fill": {"color": "#D55E00"},
                        "border": {"color": "#1A1A1A"},
                    },
                }
            )
            chart.show_blanks_as("gap")
            chart.set_title(
                {"name": "Chance of breaking even by cost per client (computed by fam)"}
            )
            chart.set_x_axis(
                {
                    "name": f"programme cost per client (£, {pby} prices)",
                    "num_format": "£#,##0",
                    "interval_unit": 10,
                    "interval_tick": 5,
                }
            )
            chart.set_y_axis(
                {"name": "P(NPV > 0)", "min": 0, "max": 1, "num_format": "0%", "major_unit": 0.25}
            )
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": 640, "height": 340})
            ws.insert_chart(first - 1, 6, chart)
        r = max(r, first + 18)
        return self._sens_note(
            ws,
            r,
            [
                "Each iteration's NPV with its programme cost per client replaced by the cost in "
                "the row (NPV falls by the same amount per £1 of cost in every iteration); all "
                "other uncertainty as in the simulations.",
                "For a commissioner: read across from 50% for the cost per client at which "
                "breaking even is as likely as not; the marked row is the scenario's own cost.",
            ],
        )

    def _sens_voi(self, ws: Worksheet, r: int, rep: Any) -> int:
        bk = self.bk
        size = self.mi.size
        vi = rep.voi
        ws.write(
            r,
            0,
            self._sens_title(
                "Value of information: the most it would be worth paying for research that "
                "removes this uncertainty"
            ),
            bk.section,
        )
        r += 1
        for label, key in (
            ("EVPI per client (£)", "evpi_per_client"),
            (
                f"EVPI for the cohort of {size:,.0f} clients expected over the horizon (£)",
                "evpi_population",
            ),
        ):
            ws.write(r, 0, label, bk.bold)
            ws.write_number(r, 1, float(vi.attrs[key]), bk.v_money2)
            r += 1
        r += 1
        if len(vi) == 0:
            ws.write(
                r,
                0,
                "No input in this scenario is uncertain, so there is no partial value of "
                "information: any EVPI above is chance variation between clients, which no "
                "research removes.",
                bk.text,
            )
            r += 1
        else:
            ws.write_row(
                r,
                0,
                [
                    "input or group",
                    "what it is",
                    "kind",
                    "partial EVPI per client (£)",
                    "partial EVPI for the cohort (£)",
                    "share of EVPI",
                ],
                bk.head,
            )
            r += 1
            labels = {str(t.input): str(t.label) for t in rep.tornado.itertuples(index=False)}
            for row in vi.itertuples(index=False):
                name = str(row.name)
                what = (
                    self._sens_label(name, labels.get(name, name))
                    if row.kind == "input"
                    else _GROUP_WHAT.get(name, "these inputs together")
                )
                bk.string(ws, r, 0, name, bk.v_text)
                bk.string(ws, r, 1, what, bk.v_text)
                ws.write_string(r, 2, str(row.kind), bk.v_text)
                ws.write_number(r, 3, float(row.evppi_per_client), bk.v_money2)
                ws.write_number(r, 4, float(row.evppi_population), bk.v_money)
                ws.write_number(r, 5, float(row.share_of_evpi), bk.v_pct)
                r += 1
        left_out = rep.voi_inputs_left_out
        notes = [
            "EVPI = E[max(NPV, 0)] − max(E[NPV], 0) over the iterations, for the decision to fund "
            "or not; partial EVPI: the same for learning one input (or group) exactly, by "
            "regression on the iterations (docs/voi.md). Cohort = per client × the clients "
            "expected over the horizon.",
            "For a commissioner: an upper bound on what any evaluation, pilot or data "
            "exercise could be worth for this decision (no study removes uncertainty "
            "completely); research costing more is not worth doing for this decision alone. "
            "Near £0: more evidence would not change the decision.",
        ]
        if len(vi):
            notes.append(
                f"Partial EVPI is computed for the {REPORT_MAX_INPUTS} inputs with the largest "
                "tornado swings and for the groups"
                + (
                    f"; the other {left_out} uncertain inputs move the NPV less (or not at all) "
                    "and are not evaluated one by one"
                    if left_out
                    else ""
                )
                + ". Group values are joint and do not add up. EVPI also counts chance "
                "variation between clients that no research removes; 'all drawn inputs' "
                "leaves it out."
            )
        return self._sens_note(ws, r, notes)

    # ------------------------------------------------------------------ Checks
    def write_checks(self) -> None:
        bk, ws = self.bk, self.ws["Checks"]
        ws.write(0, 0, "Checks: each 1 if it passes, 0 if not", bk.title)
        ws.write(
            1,
            0,
            "The master check (also on the Cover) is the minimum of all checks: 1 only if every "
            "check passes. Tolerance: Parameters!tolerance (relative).",
            bk.note,
        )
        a, b = xl_col_to_name(YC), xl_col_to_name(self.lastc())
        bprev = xl_col_to_name(self.lastc() - 1)
        a2 = xl_col_to_name(YC + 1)
        C = "Calculations"
        tc = xl_col_to_name(YC - 1)

        ucc = self.uc("cost_uprated")
        ucr = _rng(UNIT_COSTS, self.uc_row[0], ucc, self.uc_row[-1], ucc)

        def near(x: str, y: str) -> str:
            return f"IF(ABS(({x})-({y}))<=tolerance*(1+ABS({y})),1,0)"

        cf1, cf2 = self.cf_rows
        pg1, pg2 = self.pg_rows
        v1, v2 = self.pv_rows
        c1, c2 = self.cost_rows_span
        df = self.tl["df"] + 1
        ex_first = HDR + 2
        checks: list[tuple[str, str]] = [
            ("No negative counterfactual use", f"IF(MIN({C}!{a}{cf1 + 1}:{b}{cf2 + 1})>=0,1,0)"),
            ("No negative programme-arm use", f"IF(MIN({C}!{a}{pg1 + 1}:{b}{pg2 + 1})>=0,1,0)"),
            (
                "No negative cohort exposure",
                f"IF(MIN(CohortExposure!{a}{ex_first}:{b}{self.ex_last + 1})>=0,1,0)",
            ),
            ("Discount factor of year 0 is 1", f"IF(Timeline!{a}{df}=1,1,0)"),
            (
                "Discount factors decline year on year",
                f"IF(SUMPRODUCT(--(Timeline!{a2}{df}:{b}{df}>Timeline!{a}{df}:{bprev}{df}))=0,1,0)"
                if self.n_y > 1
                else f"IF(Timeline!{a}{df}<=1,1,0)",
            ),
            (
                "Timeline covers the horizon (years on the sheet = horizon_years)",
                f"IF(COLUMNS(Timeline!{a}{df}:{b}{df})={self.nm('horizon_years')},1,0)",
            ),
            (
                "Uprated unit costs are numbers >= 0 (every price year found)",
                f"IF(COUNT({ucr})=ROWS({ucr}),IF(MIN({ucr})>=0,1,0),0)",
            ),
            (
                "Savings rows (PV) add up to public-value benefits",
                near(f"SUM({C}!{tc}{v1}:{tc}{v2})", f"{C}!{tc}{self.persp['public_value'] + 1}"),
            ),
            (
                "Discounted savings by year add up to the row totals",
                near(f"SUM({C}!{a}{v1}:{b}{v2})", f"SUM({C}!{tc}{v1}:{tc}{v2})"),
            ),
            (
                "Programme cost components add up to the total",
                near(f"SUM({C}!{tc}{c1}:{tc}{c2})", f"{C}!{tc}{self.cost_total + 1}"),
            ),
            (
                "Outputs costs = discounted programme costs",
                near("out_costs", f"{C}!{tc}{self.cost_pv + 1}"),
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
                near(f"{C}!{b}{self.net['headline']['cum'] + 1}", "out_npv"),
            ),
            (
                "Agency benefits add up to headline benefits",
                near(f"Outputs!B{self.agency_total + 1}", "out_benefits"),
            ),
            (
                "Agency cashable savings add up to fiscal_cashable benefits",
                near(f"Outputs!C{self.agency_total + 1}", "out_benefits_fiscal_cashable"),
            ),
            (
                "Agency public-value benefits add up to public_value benefits",
                near(f"Outputs!E{self.agency_total + 1}", "out_benefits_public_value"),
            ),
            (
                "Central shares within 0-1 and effects not below -1",
                "IF(AND("
                + ",".join(
                    [
                        f"{self.nm('engagement.completion')}>=0",
                        f"{self.nm('engagement.completion')}<=1",
                        f"{self.nm('engagement.non_completer_effect')}>=0",
                        f"{self.nm('engagement.non_completer_effect')}<=1",
                        "calc_trend>=-1",
                        "calc_trend<=1",
                        *[
                            f"{self.nm(e.change.name)}>=-1"
                            for e in self.mi.effects
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
        bk.define("master_check", "Checks", 3, 1)
        green = bk.wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"})
        red = bk.wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        for rng in ((3, 1, 3, 1), (6, 1, r - 1, 1)):
            ws.conditional_format(
                *rng, {"type": "cell", "criteria": "==", "value": 1, "format": green}
            )
            ws.conditional_format(
                *rng, {"type": "cell", "criteria": "!=", "value": 1, "format": red}
            )
        ws.set_column(0, 0, 64)
        ws.set_column(1, 1, 18)
        ws.freeze_panes(6, 0)
        self.n_checks = len(checks)

    # ------------------------------------------------------------------ Cover
    def write_cover(self) -> None:
        bk, ws = self.bk, self.ws["Cover"]
        res, sc = self.res, self.sc
        s = res.summary()
        bk.string(ws, 0, 0, f"fam: {sc.name}", bk.title)
        bk.string(ws, 1, 0, sc.description, bk.wrap)
        rows: list[tuple[str, Any, Format | None]] = [
            ("Scenario", sc.name, None),
            ("Scenario file", str(self.mi.scenario_path), None),
            ("fam version", __version__, None),
            ("Run date (UTC)", _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M"), None),
            ("Seed", res.seed, bk.int),
            ("Iterations", res.iterations, bk.int),
            ("Price base year", sc.price_base_year, None),
            ("Headline perspective", sc.perspective, None),
            ("Counterfactual", self.mi.counterfactual_method, None),
        ]
        r = 3
        for label, v, fmt in rows:
            ws.write(r, 0, label, bk.bold)
            if isinstance(v, str):
                bk.string(ws, r, 1, v)
            else:
                ws.write_number(r, 1, v, fmt)
            r += 1
        r += 1
        ws.write(r, 0, "MASTER CHECK (1 = all checks pass)", bk.bold)
        ws.write_formula(r, 1, "=master_check", bk.check, 1)
        green = bk.wb.add_format({"bg_color": "#C6EFCE", "font_color": "#006100", "bold": True})
        red = bk.wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006", "bold": True})
        ws.conditional_format(
            r, 1, r, 1, {"type": "cell", "criteria": "==", "value": 1, "format": green}
        )
        ws.conditional_format(
            r, 1, r, 1, {"type": "cell", "criteria": "!=", "value": 1, "format": red}
        )
        r += 2
        ws.write(r, 0, "Headline (central case, live)", bk.section)
        r += 1
        head = res.central_headline()
        for label, name, v, fmt in (
            ("Net present value", "out_npv", head["npv"], bk.out_money),
            ("£ back for every £1", "out_bcr", head["bcr"], bk.out_ratio),
            ("Payback (years)", "out_payback_years", head["payback_years"], bk.int),
        ):
            ws.write(r, 0, label, bk.bold)
            if v is None or v != v:
                v = NOT_WITHIN if name == "out_payback_years" else "n/a"
            ws.write_formula(r, 1, f"={name}", fmt, _val(v))
            r += 1
        ws.write(r, 0, "Chance of breaking even (Monte Carlo)", bk.bold)
        ws.write_number(r, 1, s["monte_carlo"]["prob_npv_positive"], bk.v_pct)
        r += 2
        ws.write(r, 0, "Input hashes (SHA-256 of canonical content)", bk.section)
        r += 1
        for k, v in sorted(res.inputs.inputs_sha256.items()):
            bk.string(ws, r, 0, k)
            bk.string(ws, r, 1, v)
            r += 1
        r += 1
        ws.write(r, 0, "Sheets", bk.section)
        r += 1
        guide = [
            (
                "Inputs",
                "every scenario input: central value, distribution, source (yellow = input)",
            ),
            ("UnitCosts", "unit costs used: original, price year, deflators, uprated (formula)"),
            ("Timeline", "appraisal years, discount rates and factors (formulas)"),
            ("CohortExposure", "cohort sums computed by fam from the client data (values)"),
            ("Calculations", "use, £, savings, programme costs, by service, agency and year"),
            ("Outputs", "costs, benefits, NPV, £ back per £1, ROI, payback; who pays, who saves"),
            ("MonteCarlo", "simulation results computed by fam (values) and a histogram"),
            (
                "Sensitivity",
                "what matters (computed by fam, values): tornado, switching values, "
                "break-even curve, value of information",
            ),
            ("Checks", "each check 0/1; the master check above is their minimum"),
            ("Parameters", "fam's built-in tables: GDP deflators, optimism bias, Green Book"),
        ]
        for name, what in guide:
            ws.write_url(r, 0, f"internal:'{name}'!A1", string=name)
            ws.write(r, 1, what)
            r += 1
        ws.set_column(0, 0, 44)
        ws.set_column(1, 1, 70)


def write_workbook(results: Results, path: Path, client_detail: Any = None) -> None:
    """Write the workbook for a run (see the module docstring and docs/workbook.md).

    `client_detail` (a frame from fam.privacy.client_detail_frame) adds a ClientDetail sheet.
    """
    _Writer(results, Path(path), client_detail).write()


def write_template(
    path: Path, deflators: Deflators, optimism_bias: Mapping[int, Mapping[str, float]]
) -> None:
    """A blank, validated input workbook: the Inputs and UnitCosts sheets of a new scenario."""
    bk = _Book(Path(path))
    ws_in = bk.wb.add_worksheet(INPUTS)
    ws_uc = bk.wb.add_worksheet(UNIT_COSTS)
    ws_p = bk.wb.add_worksheet("Parameters")
    _write_parameters(bk, ws_p, deflators, optimism_bias)
    rows = input_rows(template_dump())
    _write_inputs(bk, ws_in, rows, None, False)
    from fam.unit_costs import COLUMNS

    ws_uc.write(
        0,
        0,
        "UnitCosts: optional rows that replace or add to the scenario's unit-cost files",
        bk.title,
    )
    ws_uc.write(
        1,
        0,
        "Columns as in a unit-cost CSV (docs/unit_costs.md); leave empty to use the files.",
        bk.note,
    )
    ws_uc.write_row(HDR, 0, list(COLUMNS), bk.head)
    last = HDR + 200
    for c, col in enumerate(COLUMNS):
        fmt = (
            bk.in_money
            if col in ("cost", "low", "high")
            else bk.in_num
            if col == "cashable"
            else bk.in_text
        )
        ws_uc.set_column(c, c, 50 if col in ("description", "source") else 14, fmt)
    dvs: dict[str, dict[str, Any]] = {
        "cost": {"validate": "decimal", "criteria": ">=", "value": 0},
        "low": {"validate": "decimal", "criteria": ">=", "value": 0},
        "high": {"validate": "decimal", "criteria": ">=", "value": 0},
        "cashable": {"validate": "decimal", "criteria": "between", "minimum": 0, "maximum": 1},
        "confidence": {"validate": "integer", "criteria": "between", "minimum": 1, "maximum": 6},
        "price_year": {"validate": "list", "source": "=deflator_years"},
        "value_type": {"validate": "list", "source": list(VALUE_TYPES)},
        "unit": {
            "validate": "list",
            "source": list(UNITS),
        },
    }
    for col, dv in dvs.items():
        c = list(COLUMNS).index(col)
        ws_uc.data_validation(HDR + 1, c, last, c, {**dv, "ignore_blank": True})
    ws_uc.freeze_panes(HDR + 1, 1)
    ws_in.activate()
    bk.wb.close()


__all__ = ["write_workbook", "write_template", "input_rows", "template_dump", "InRow"]
