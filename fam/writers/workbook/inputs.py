"""The Inputs sheet: every scenario input, one row per key path (rows from schema_rows)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fam.inputs.workbook_input import (
    FOLDER_LABEL,
    FOLDER_NAME,
    FOLDER_WRITTEN_NAME,
    INPUT_HEADERS,
    INPUTS,
    T_BOOL,
    T_CHOICE,
    T_DIST,
    T_FY,
    T_INT,
    T_MONEY,
    T_MONTH,
    T_NUMBER,
    T_TEXT,
    portable_folder,
)
from fam.writers.workbook.layout import HDR, unique_name, val
from fam.writers.workbook.schema_rows import InRow, get, input_rows, shown

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

    from fam.writers.workbook.book import Book
    from fam.writers.workbook.layout import Run


@dataclass(frozen=True)
class InputNames:
    """The defined name of each input's value cell, by key path."""

    names: Mapping[str, str]

    def nm(self, key: str) -> str:
        return self.names[key]


def write_inputs(bk: Book, ws: Worksheet, run: Run) -> InputNames:
    """The Inputs sheet of a run: the scenario as validated, uprating factors as fam found them."""
    dump = shown(run.sc.model_dump(mode="json"))
    rows = input_rows(dump)
    factors = {}
    base = run.sc.price_base_year
    for row in rows:
        if row.kind == T_MONEY:
            parent = row.key.rsplit(".", 1)[0]
            py = row.price_year or get(dump, f"{parent}.price_year") or base
            try:
                factors[row.key] = run.mi.deflators.factor(str(py), base)
            except Exception:  # noqa: BLE001 - the formula will show the problem
                factors[row.key] = float("nan")
    here = Path(run.mi.scenario_path).resolve().parent
    folder = portable_folder(here, Path.cwd())
    by_key = write_rows(bk, ws, rows, folder, True, factors, folder_written=str(here))
    return InputNames({k: r.name for k, r in by_key.items()})


def write_rows(
    bk: Book,
    ws: Worksheet,
    rows: list[InRow],
    folder: str | None,
    written: bool,
    factors: Mapping[str, float] | None = None,
    price_base_year_name: str = "in_price_base_year",
    folder_written: str | None = None,
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
        2,
        3,
        "relative paths below (cohort, unit-cost files) resolve from this folder: absolute, or "
        "relative to the project (tried from this workbook's folder, then from the folder you "
        "run fam from and each folder above it); blank: this workbook's folder",
        bk.note,
    )
    if folder_written is not None:  # where it was on the author's machine: the last resort
        bk.string(ws, 2, 9, folder_written, bk.v_text)
        bk.define(FOLDER_WRITTEN_NAME, INPUTS, 2, 9)
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
        row.name = unique_name(row.key, bk.names)
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
                else bk.in_pct
                if row.percent
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
            ws.write_formula(r, 6, factor, bk.num6, val(fac))
            up = None if row.value is None else float(row.value) * fac
            ws.write_formula(r, 7, f"=D{r + 1}*G{r + 1}", bk.money2, val(up))
            bk.define(row.name + "_gbp", INPUTS, r, 7)
        src = by_key.get(row.source_key or "")
        if src is not None:
            ws.write_formula(r, 8, f'=D{src.row + 1}&""', bk.text, str(src.value or ""))
        if written:
            if row.kind == T_BOOL and v is not None:
                ws.write_boolean(r, 9, bool(v), bk.v_text)
            elif isinstance(v, int | float) and not isinstance(v, bool):
                ws.write_number(r, 9, float(v), bk.v_pct_in if row.percent else bk.v_num)
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
