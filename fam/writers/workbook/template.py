"""A blank, validated input workbook (`fam scenario template`): Inputs and UnitCosts sheets."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fam.inputs.workbook_input import INPUTS, UNIT_COSTS
from fam.vocabulary import UNITS, VALUE_TYPES
from fam.writers.workbook.book import Book
from fam.writers.workbook.inputs import write_rows
from fam.writers.workbook.layout import HDR
from fam.writers.workbook.parameters import write_parameters
from fam.writers.workbook.schema_rows import input_rows, template_dump

if TYPE_CHECKING:
    from fam.inputs.unit_costs import Deflators


def write_template(
    path: Path, deflators: Deflators, optimism_bias: Mapping[int, Mapping[str, float]]
) -> None:
    """A blank, validated input workbook: the Inputs and UnitCosts sheets of a new scenario."""
    bk = Book(Path(path))
    ws_in = bk.wb.add_worksheet(INPUTS)
    ws_uc = bk.wb.add_worksheet(UNIT_COSTS)
    ws_p = bk.wb.add_worksheet("Parameters")
    write_parameters(bk, ws_p, deflators, optimism_bias)
    rows = input_rows(template_dump())
    write_rows(bk, ws_in, rows, None, False)
    from fam.inputs.unit_costs import COLUMNS

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
    bk.close()
