"""The UnitCosts sheet: the unit costs used, uprated to the price base year by formula."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from xlsxwriter.utility import xl_col_to_name

from fam.inputs.workbook_input import UNIT_COSTS
from fam.vocabulary import UNITS, VALUE_TYPES
from fam.writers.workbook.layout import HDR, ref

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

    from fam.writers.workbook.book import Book
    from fam.writers.workbook.inputs import InputNames
    from fam.writers.workbook.layout import Run

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


def _col(name: str) -> int:
    return UC_COLS.index(name)


@dataclass(frozen=True)
class UnitCostRefs:
    """The sheet row of each unit-cost row (in the order of the run's cost rows)."""

    rows: tuple[int, ...]

    @staticmethod
    def col(name: str) -> int:
        return _col(name)

    def ref(self, i: int, col: str, abs_col: bool = True) -> str:
        return ref(UNIT_COSTS, self.rows[i], _col(col), True, abs_col)


def write_unit_costs(bk: Book, ws: Worksheet, run: Run, inputs: InputNames) -> UnitCostRefs:
    """The unit costs used, uprated by formula; return the row of each unit cost."""
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
    ws.write_row(HDR, 0, list(UC_COLS), bk.head)
    uc_rows: list[int] = []
    ob = run.res.plan.ob_benefit
    for i, row in enumerate(run.rows.itertuples()):
        r = HDR + 1 + i
        uc_rows.append(r)
        R = r + 1
        for col in ("service", "description", "unit", "value_type", "agency", "agency_detail"):
            bk.string(ws, r, _col(col), getattr(row, col), bk.in_text)
        ws.write_number(r, _col("cost"), float(row.cost), bk.in_money)
        bk.string(ws, r, _col("price_year"), row.price_year, bk.in_text)
        pcol = xl_col_to_name(_col("price_year"))
        ws.write_formula(
            r,
            _col("deflator_from"),
            f"=INDEX(deflator_index,MATCH({pcol}{R},deflator_years,0))",
            bk.num6,
            float(row.deflator_from),
        )
        ws.write_formula(
            r,
            _col("deflator_to"),
            f"=INDEX(deflator_index,MATCH({inputs.nm('price_base_year')},deflator_years,0))",
            bk.num6,
            float(row.deflator_to),
        )
        c, fr, to = (xl_col_to_name(_col(x)) for x in ("cost", "deflator_from", "deflator_to"))
        ws.write_formula(
            r,
            _col("cost_uprated"),
            f"={c}{R}*({to}{R}/{fr}{R})",
            bk.money2,
            float(row.cost_uprated),
        )
        for col in ("low", "high"):
            v = getattr(row, col)
            if v == v:
                ws.write_number(r, _col(col), float(v), bk.in_money)
            else:
                ws.write_blank(r, _col(col), None, bk.in_money)
        ws.write_number(r, _col("cashable"), float(row.cashable), bk.in_num)
        bk.string(ws, r, _col("cashable_rationale"), row.cashable_rationale, bk.in_text)
        ws.write_number(r, _col("confidence"), int(row.confidence), bk.in_int)
        gcol = xl_col_to_name(_col("confidence"))
        ws.write_formula(
            r,
            _col("ob_benefit_share"),
            f"=IF({inputs.nm('optimism_bias.apply')},INDEX(ob_benefits,MATCH({gcol}{R},ob_grades,0)),0)",
            bk.pct,
            float(ob[i]),
        )
        bk.string(ws, r, _col("source"), row.source, bk.in_text)
        ws.write_number(r, _col("fam_cost_uprated"), float(row.cost_uprated), bk.v_money2)
    n = len(run.rows)
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
            ws.data_validation(HDR + 1, _col(col), last, _col(col), {**dv, "ignore_blank": True})
    widths = {
        "service": 26,
        "description": 50,
        "agency": 20,
        "agency_detail": 24,
        "source": 60,
        "cashable_rationale": 30,
    }
    for i, name in enumerate(UC_COLS):
        ws.set_column(i, i, widths.get(name, 13))
    ws.freeze_panes(HDR + 1, 1)
    return UnitCostRefs(tuple(uc_rows))
