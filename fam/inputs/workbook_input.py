"""Read a scenario back from a workbook written by fam (its Inputs and UnitCosts sheets).

`fam run workbook.xlsx` goes through `read_workbook_scenario`, which returns what a YAML file
would have given (the raw scenario mapping, before validation), the unit-cost table as edited
on the UnitCosts sheet and the folder that relative cohort paths resolve from. The workbook
layout (sheet names, column headers, the text form of a distribution) is defined here and
shared with the writer (the fam/writers/workbook package), so that the two cannot drift apart.

Inputs sheet: one row per scenario key path. The "central" cell of a distribution row is its
central value (the mean); if it differs from the value fam wrote ("central as written"), the
distribution is re-centred on the new value (shifted; a beta keeps its standard deviation
where it can, gamma and lognormal their coefficient of variation), so a commissioner can change a central value
without writing a distribution. Any problem is an InputError naming the file, sheet and cell.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from fam.errors import InputError, echo
from fam.inputs.files import check_input_file
from fam.inputs.scenario import load_yaml_text
from fam.inputs.unit_costs import COLUMNS
from fam.model.distributions import Dist, Fixed, parse_dist

INPUTS = "Inputs"
UNIT_COSTS = "UnitCosts"

# Inputs sheet columns (header text -> meaning); the reader finds them by header text.
H_KEY = "key path"
H_LABEL = "what it is"
H_TYPE = "type"
H_VALUE = "central value / setting"
H_DIST = "distribution"
H_PRICE_YEAR = "price year"
H_FACTOR = "uprating factor"
H_UPRATED = "central at price base (£)"
H_SOURCE = "source"
H_WRITTEN = "as written by fam"
H_EDITED = "edited?"
INPUT_HEADERS = (
    H_KEY,
    H_LABEL,
    H_TYPE,
    H_VALUE,
    H_DIST,
    H_PRICE_YEAR,
    H_FACTOR,
    H_UPRATED,
    H_SOURCE,
    H_WRITTEN,
    H_EDITED,
)
FOLDER_LABEL = "scenario folder"  # the row above the header holding the scenario's folder
FOLDER_NAME = "scenario_folder"  # its defined name
FOLDER_WRITTEN_NAME = "scenario_folder_as_written"  # the absolute folder fam wrote it from

# value types on the Inputs sheet
T_TEXT = "text"
T_CHOICE = "choice"
T_FY = "financial year"
T_MONTH = "month"
T_INT = "whole number"
T_NUMBER = "number"
T_LIST = "list"
T_BOOL = "yes/no"
T_DIST = "distribution"
T_MONEY = "money distribution"
TYPES = (T_TEXT, T_CHOICE, T_FY, T_MONTH, T_INT, T_NUMBER, T_LIST, T_BOOL, T_DIST, T_MONEY)

# UnitCosts sheet: the unit-cost table columns (fam.inputs.unit_costs.COLUMNS) are read by header
UC_NUMBER_COLUMNS = ("cost", "cashable", "low", "high")

_TOL = 1e-12


@dataclass(frozen=True)
class Where:
    path: Path
    sheet: str

    def cell(self, ref: str) -> str:
        return f"{self.path}: sheet {self.sheet}, cell {ref}"


def col_letter(col: int) -> str:
    """1-based column number to letters."""
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


# --------------------------------------------------------------------------- distributions


def _num_text(x: float) -> str:
    """A float as YAML text that reads back as exactly the same float."""
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    text = repr(float(x))
    if "e" in text and "." not in text.split("e")[0]:
        mant, exp = text.split("e")
        text = f"{mant}.0e{exp}"
    return text


def _spec_text(spec: dict[str, Any]) -> str:
    parts = []
    for k, v in spec.items():
        if isinstance(v, list):
            parts.append(f"{k}: [" + ", ".join(_num_text(x) for x in v) + "]")
        elif isinstance(v, str):
            parts.append(f"{k}: {v}")
        else:
            parts.append(f"{k}: {_num_text(v)}")
    return "{" + ", ".join(parts) + "}"


def _same(a: Dist, b: Dist) -> bool:
    return a.name == b.name and a.params == b.params


def dist_text(d: Dist) -> str:
    """Readable scenario form of a distribution (without price_year) that parses back exactly.

    'fixed' for a fixed value (the value is the central cell); otherwise a YAML flow mapping
    such as {dist: normal, mean: -0.25, sd: 0.15}, using the mean/sd form where it maps back
    to exactly the same parameters.
    """
    if isinstance(d, Fixed):
        return "fixed"
    exact = {k: v for k, v in d.to_spec().items() if k != "price_year"}
    if d.mean_sd_form:
        for digits in range(3, 16):
            m = float(f"{d.mean:.{digits}g}")
            s = float(f"{d.sd:.{digits}g}")
            cand = {"dist": d.name, "mean": m, "sd": s}
            try:
                if _same(parse_dist(cand), d):
                    return _spec_text(cand)
            except ValueError:
                continue
    text = _spec_text(exact)
    assert _same(parse_dist(yaml.safe_load(text)), d), text
    return text


# --------------------------------------------------------------------------- cells


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _short(v: Any) -> str:
    text = " ".join(str(v).split())
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _number(v: Any, where: str, what: str = "a number") -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        if isinstance(v, str):
            try:
                x = float(v.strip().replace(",", "").replace("£", ""))
            except ValueError:
                raise InputError(f"{where}: expected {what}, got {_short(v)}") from None
            if math.isfinite(x):
                return x
        raise InputError(f"{where}: expected {what}, got {_short(v)}")
    x = float(v)
    if not math.isfinite(x):
        raise InputError(f"{where}: expected {what} (finite), got {_short(v)}")
    return x


def _text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _month_text(v: Any) -> str:
    if isinstance(v, _dt.datetime | _dt.date):
        return f"{v.year:04d}-{v.month:02d}"
    return _text(v)


def _bool(v: Any, where: str) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float) and v in (0, 1):
        return bool(v)
    text = str(v).strip().lower()
    if text in ("true", "yes", "y", "1"):
        return True
    if text in ("false", "no", "n", "0"):
        return False
    raise InputError(f"{where}: expected TRUE or FALSE, got {_short(v)}")


def _list(v: Any, where: str) -> list[Any]:
    if isinstance(v, int | float) and not isinstance(v, bool):
        return [v]
    text = str(v).strip()
    try:
        out = json.loads(text)
    except ValueError:
        try:
            out = load_yaml_text(text)
        except yaml.YAMLError:
            raise InputError(
                f"{where}: expected a list such as [a.csv, b.csv], got {_short(v)}"
            ) from None
    if not isinstance(out, list):
        out = [text] if text and not text.startswith("[") else out
    if not isinstance(out, list):
        raise InputError(f"{where}: expected a list such as [a.csv, b.csv], got {_short(v)}")
    return out


def _split_key(key: str) -> list[str]:
    parts = key.split(".")
    if parts[0] == "sources" and len(parts) > 1:
        return ["sources", ".".join(parts[1:])]
    if parts[0] == "effects" and len(parts) > 3 and parts[1] == "placements":
        return ["effects", "placements", ".".join(parts[2:-1]), parts[-1]]
    if parts[0] == "effects" and len(parts) > 2:
        return ["effects", ".".join(parts[1:-1]), parts[-1]]
    return parts


def _put(data: dict[str, Any], key: str, value: Any) -> None:
    parts = _split_key(key)
    node = data
    for p in parts[:-1]:
        nxt = node.setdefault(p, {})
        if not isinstance(nxt, dict):
            raise ValueError(f"{p} is both a value and a group")
        node = nxt
    node[parts[-1]] = value


def _header(ws: Any, first: str, where: Where, want: tuple[str, ...]) -> tuple[int, dict[str, int]]:
    """Find the header row (the row whose column A is `first`) and map header -> column."""
    for row in ws.iter_rows(min_row=1, max_row=30):
        if row and isinstance(row[0].value, str) and row[0].value.strip().lower() == first:
            cols = {}
            for c in row:
                if isinstance(c.value, str):
                    cols[c.value.strip().lower()] = c.column
            missing = [h for h in want if h not in cols]
            if missing:
                raise InputError(
                    f"{where.cell(f'{col_letter(row[0].column)}{row[0].row}')}: header row is "
                    f"missing column(s) {', '.join(repr(m) for m in missing)}; expected the "
                    "layout fam writes"
                )
            return row[0].row, cols
    raise InputError(
        f"{where.path}: sheet {where.sheet}: no header row starting with {echo(first)} in column A; "
        "expected a workbook written by fam"
    )


# --------------------------------------------------------------------------- Inputs


def _dist_value(
    central: Any, spec_cell: Any, price_year: Any, written: Any, refs: dict[str, str], where: Where
) -> Any:
    at_c, at_d = where.cell(refs["value"]), where.cell(refs["dist"])
    c = None if _is_blank(central) else _number(central, at_c, "a number (the central value)")
    if c is not None and (_is_blank(spec_cell) or str(spec_cell).strip().lower() == "fixed"):
        spec: Any = {"dist": "fixed", "value": c}
    else:
        text = spec_cell if isinstance(spec_cell, str) else _num_text(float(spec_cell))
        try:
            spec = load_yaml_text(text)
        except yaml.YAMLError:
            raise InputError(
                f"{at_d}: expected a distribution such as {{dist: normal, mean: -0.25, sd: 0.15}}"
                f" or 'fixed', got {_short(spec_cell)}"
            ) from None
        if isinstance(spec, int | float) and not isinstance(spec, bool):
            spec = {"dist": "fixed", "value": float(spec)}
        try:
            d = parse_dist(spec)
        except ValueError as e:
            raise InputError(f"{at_d}: {e}") from None
        if c is None:
            edited = False
        elif not _is_blank(written):
            w = _number(written, where.cell(refs["written"]))
            edited = abs(c - w) > _TOL * max(1.0, abs(c))
        else:
            edited = abs(c - d.mean) > 1e-9 * max(1.0, abs(c))
        if edited and c is not None:
            try:
                spec = d.recentred(c)
            except ValueError as e:
                raise InputError(f"{at_c}: {e}") from None
        else:
            spec = {k: v for k, v in spec.items() if k != "price_year"}
    if not _is_blank(price_year):
        spec["price_year"] = _month_text(price_year)
    return spec


def _read_inputs(ws: Any, where: Where) -> dict[str, Any]:
    hrow, cols = _header(ws, H_KEY, where, (H_KEY, H_TYPE, H_VALUE, H_DIST, H_PRICE_YEAR))
    data: dict[str, Any] = {}
    c_key, c_type, c_val = cols[H_KEY], cols[H_TYPE], cols[H_VALUE]
    c_dist, c_py = cols[H_DIST], cols[H_PRICE_YEAR]
    c_wr = cols.get(H_WRITTEN.lower())
    for row in ws.iter_rows(min_row=hrow + 1):
        cells = {c.column: c for c in row if hasattr(c, "column")}
        kc = cells.get(c_key)
        if kc is None or _is_blank(kc.value):
            continue
        key = str(kc.value).strip()
        r = kc.row
        kind = str(cells[c_type].value or "").strip().lower() if c_type in cells else ""
        refs = {
            "value": f"{col_letter(c_val)}{r}",
            "dist": f"{col_letter(c_dist)}{r}",
            "written": f"{col_letter(c_wr)}{r}" if c_wr else "",
            "type": f"{col_letter(c_type)}{r}",
        }
        v = cells[c_val].value if c_val in cells else None
        spec_cell = cells[c_dist].value if c_dist in cells else None
        if kind not in TYPES:
            raise InputError(
                f"{where.cell(refs['type'])} ({key}): expected a type, one of "
                f"{', '.join(TYPES)}, got {_short(kind)}"
            )
        if "<" in key:  # a placeholder row of the template
            if _is_blank(v) and _is_blank(spec_cell):
                continue
            raise InputError(
                f"{where.cell(f'{col_letter(c_key)}{r}')}: replace the placeholder in {echo(key)} "
                "with a service code or pattern"
            )
        at = f"{where.cell(refs['value'])} ({key})"
        if kind in (T_DIST, T_MONEY):
            if _is_blank(v) and _is_blank(spec_cell):
                continue
            written = cells[c_wr].value if c_wr and c_wr in cells else None
            py = cells[c_py].value if c_py in cells else None
            value: Any = _dist_value(v, spec_cell, py, written, refs, where)
        elif _is_blank(v):
            continue
        elif kind == T_NUMBER:
            value = _number(v, at)
        elif kind == T_INT:
            x = _number(v, at, "a whole number")
            if not x.is_integer():
                raise InputError(f"{at}: expected a whole number, got {_short(v)}")
            value = int(x)
        elif kind == T_BOOL:
            value = _bool(v, at)
        elif kind == T_LIST:
            value = _list(v, at)
        elif kind == T_MONTH:
            value = _month_text(v)
        else:
            value = _text(v)
        try:
            _put(data, key, value)
        except ValueError as e:
            raise InputError(
                f"{where.cell(f'{col_letter(c_key)}{r}')}: key {echo(key)}: {e}"
            ) from None
    return data


def _folder_cell(wb: Any, ws: Any) -> tuple[Any, str, Any]:
    """(scenario folder cell's value, its reference, the folder as written by fam)."""
    value, ref, written = None, "B3", None
    dn = wb.defined_names.get(FOLDER_NAME) if hasattr(wb.defined_names, "get") else None
    if dn is not None:
        for title, dest in dn.destinations:
            if title in wb.sheetnames:
                ref = dest.replace("$", "")
                value = wb[title][ref].value
    else:
        for row in ws.iter_rows(min_row=1, max_row=10):
            for c in row:
                if isinstance(c.value, str) and c.value.strip().lower() == FOLDER_LABEL:
                    ref = f"{col_letter(c.column + 1)}{c.row}"
                    value = ws.cell(row=c.row, column=c.column + 1).value
    wn = wb.defined_names.get(FOLDER_WRITTEN_NAME) if hasattr(wb.defined_names, "get") else None
    if wn is not None:
        for title, dest in wn.destinations:
            if title in wb.sheetnames:
                written = wb[title][dest.replace("$", "")].value
    return value, ref, written


PROJECT_MARKERS = ("pyproject.toml", ".git")  # what marks the top folder of a project


def portable_folder(folder: Path, cwd: Path) -> str:
    """The scenario folder as the workbook stores it: relative to the project that holds it
    (the nearest folder above it with a pyproject.toml or .git, e.g. `scenarios`), else
    relative to the current folder if it is inside it, else absolute."""
    folder = folder.resolve()
    for top in [folder, *folder.parents]:
        if any((top / m).exists() for m in PROJECT_MARKERS):
            return folder.relative_to(top).as_posix()
    try:
        return folder.relative_to(cwd.resolve()).as_posix()
    except ValueError:
        return str(folder)


def folder_candidates(value: Any, written: Any, workbook: Path, cwd: Path) -> list[Path]:
    """The folders relative input paths may resolve from, in the order fam tries them.

    The scenario folder cell holds the scenario's folder relative to its project (e.g.
    `scenarios`), so that the workbook works on any copy of the project: tried against this
    workbook's folder, then the current folder and each folder above it. An absolute value
    is tried as it is. Then the folder the workbook was written from (as written by fam, on
    the author's machine), this workbook's own folder and the current folder.
    """
    here = workbook.resolve().parent
    out: list[Path] = []
    if not _is_blank(value):
        folder = Path(str(value).strip()).expanduser()
        if folder.is_absolute():
            out.append(folder)
        else:
            out += [here / folder, cwd / folder] + [p / folder for p in cwd.parents]
    if not _is_blank(written):
        out.append(Path(str(written).strip()))
    out += [here, cwd]
    seen: set[Path] = set()
    uniq = []
    for p in out:
        r = p.resolve()
        if r not in seen:
            seen.add(r)
            uniq.append(r)
    return uniq


def _folder(wb: Any, ws: Any, path: Path, needed: list[tuple[str, str]]) -> Path:
    """The folder relative input paths resolve from: the first candidate (folder_candidates)
    that holds every file in `needed` ((key, relative path) pairs), else an InputError naming
    the folders tried and the cell to edit."""
    value, ref, written = _folder_cell(wb, ws)
    cands = folder_candidates(value, written, path, Path.cwd())
    for folder in cands:
        if folder.is_dir() and all((folder / rel).is_file() for _, rel in needed):
            return folder
    nowhere = [(k, r) for k, r in needed if not any((f / r).is_file() for f in cands)]
    key, rel = (nowhere or [(k, r) for k, r in needed if not (cands[0] / r).is_file()])[0]
    shown = ", ".join(str(f) for f in cands[:5]) + (
        f" and {len(cands) - 5} more" if len(cands) > 5 else ""
    )
    raise InputError(
        f"{path}: sheet {INPUTS}, cell {ref} (scenario folder: {str(value or '').strip()!r}): "
        f"{key} {rel} is not in any folder tried ({shown}); put the folder that holds {rel} "
        f"in cell {ref} of sheet {INPUTS} (absolute, or relative to the folder you run fam "
        "from), or run fam from the folder of your copy of the project"
    )


def _needed(data: dict[str, Any], unit_cost_files: bool) -> list[tuple[str, str]]:
    """(key, relative path) of every input file the scenario names by a relative path."""
    out: list[tuple[str, str]] = []
    cohort = data.get("cohort")
    if isinstance(cohort, dict):
        for k in ("clients", "service_use"):
            v = cohort.get(k)
            if isinstance(v, str) and v.strip() and not Path(v).is_absolute():
                out.append((f"cohort.{k}", v))
    files = data.get("unit_costs")
    if unit_cost_files and isinstance(files, list):
        out += [("unit_costs", str(f)) for f in files if not Path(str(f)).is_absolute()]
    return out


# --------------------------------------------------------------------------- UnitCosts


def _read_unit_costs(ws: Any, where: Where) -> list[dict[str, Any]]:
    from fam.inputs.unit_costs import COLUMNS, OPTIONAL_COLUMNS, _parse_row

    hrow, cols = _header(
        ws, "service", where, tuple(c for c in COLUMNS if c not in OPTIONAL_COLUMNS)
    )
    rows = []
    for row in ws.iter_rows(min_row=hrow + 1):
        cells = {c.column: c for c in row if hasattr(c, "column")}
        if all(_is_blank(cells[cols[c]].value) for c in COLUMNS if c in cols and cols[c] in cells):
            continue
        r = row[0].row
        text: dict[str, str] = {}
        for c in COLUMNS:
            if c not in cols:
                continue
            v = cells[cols[c]].value if cols[c] in cells else None
            ref = f"{col_letter(cols[c])}{r}"
            if _is_blank(v):
                text[c] = ""
            elif c in UC_NUMBER_COLUMNS:
                text[c] = _num_text(_number(v, where.cell(ref) + f" ({c})"))
            elif c == "confidence":
                x = _number(v, where.cell(ref) + " (confidence)", "a whole number 1 to 6")
                text[c] = _num_text(x)
            elif c == "price_year":
                text[c] = _month_text(v)
            else:
                text[c] = _text(v)
        parsed = _parse_row(text, Path(f"{where.path}: sheet {where.sheet}"), r)
        parsed["file"] = f"{where.path}:{where.sheet}"
        rows.append(parsed)
    return rows


def _unit_cost_table(
    sheet_rows: list[dict[str, Any]], data: dict[str, Any], base: Path, path: Path
) -> pd.DataFrame | None:
    """The scenario's unit-cost files with the rows on the UnitCosts sheet laid over them."""
    from fam.inputs.unit_costs import COLUMNS, load_unit_costs

    if not sheet_rows:
        return None
    files = data.get("unit_costs")
    table: pd.DataFrame | None = None
    if isinstance(files, list) and files:
        paths = [base / str(f) if not Path(str(f)).is_absolute() else Path(str(f)) for f in files]
        if all(p.is_file() for p in paths):
            table = load_unit_costs(paths)
    seen: set[tuple[str, str]] = set()
    for r in sheet_rows:
        key = (str(r["service"]), str(r["value_type"]))
        if key in seen:
            raise InputError(
                f"{path}: sheet {UNIT_COSTS}: service/value_type {key[0]}/{key[1]} appears twice; "
                "expected one row each"
            )
        seen.add(key)
    over = pd.DataFrame(sheet_rows, columns=[*COLUMNS, "file"])
    if table is None:
        out = over
    else:
        keys = set(zip(over["service"], over["value_type"], strict=True))
        keep = [
            (s, v) not in keys for s, v in zip(table["service"], table["value_type"], strict=True)
        ]
        out = pd.concat([table[keep], over], ignore_index=True)
        units = out.groupby("service")["unit"].nunique()
        bad = units[units > 1]
        if len(bad):
            raise InputError(
                f"{path}: sheet {UNIT_COSTS}: service {bad.index[0]} has a different unit from "
                "its other rows in the unit-cost files; expected the same unit"
            )
    for c in ("cost", "cashable", "low", "high"):
        out[c] = out[c].astype(float)
    out["confidence"] = out["confidence"].astype(int)
    for c in ("agency_detail", "cashable_rationale"):
        out[c] = out[c].fillna("").astype(str)
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------- as written

WRITTEN = "Written"  # hidden sheet: every input as fam wrote it, to tell an edited workbook
H_WRITTEN_KEY = "input"
H_WRITTEN_VALUE = "value as written"
# a unit-cost row's fields as the Written sheet keeps them (service and value type are its key)
UNIT_COST_FIELDS = tuple(c for c in COLUMNS if c not in ("service", "value_type"))


def _fp_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return format(float(v), ".10g")
    if isinstance(v, dict) and all(isinstance(x, str | int | float | list) for x in v.values()):
        return _spec_text({k: x for k, x in v.items() if not isinstance(x, bool)})
    if isinstance(v, dict | list):
        return json.dumps(v, sort_keys=True, ensure_ascii=False)
    return str(v).strip()


def _flat(d: Any, prefix: str, out: dict[str, str]) -> None:
    if isinstance(d, dict) and "dist" not in d:
        for k, v in d.items():
            _flat(v, f"{prefix}.{k}" if prefix else str(k), out)
    else:
        out[prefix] = _fp_text(d)


def input_fingerprint(scenario_dump: dict[str, Any], cost_rows: pd.DataFrame) -> dict[str, str]:
    """Every input of a run as text, by a readable key: the validated scenario's key paths
    (model_dump(mode="json")) and each used unit cost's fields. The workbook stores this on its
    hidden Written sheet; a run of the workbook compares it with its own to list the edits."""
    out: dict[str, str] = {}
    _flat(scenario_dump, "", out)
    for row in cost_rows.to_dict(orient="records"):
        for c in UNIT_COST_FIELDS:
            if c in row:
                out[f"unit cost {row['service']} ({row['value_type']}): {c}"] = _fp_text(row[c])
    return out


def edits(written: dict[str, str] | None, now: dict[str, str]) -> tuple[str, ...]:
    """What differs between the inputs as written and as run: 'key: old -> new' lines."""
    if written is None:
        return ()

    def show(v: str | None) -> str:
        if v is None:
            return "(none)"
        v = v or "(blank)"
        return v if len(v) <= 80 else v[:77] + "..."

    out = []
    for k in list(written) + [k for k in now if k not in written]:
        a, b = written.get(k), now.get(k)
        if a != b:
            out.append(f"{k}: {show(a)} -> {show(b)}")
    return tuple(out)


def _read_written(wb: Any) -> dict[str, str] | None:
    if WRITTEN not in wb.sheetnames:
        return None  # an older workbook, or a template: nothing to compare with
    out: dict[str, str] = {}
    for key, value, *_ in wb[WRITTEN].iter_rows(min_row=3, max_col=2, values_only=True):
        if isinstance(key, str) and key:
            out[key] = "" if value is None else str(value)
    return out


# --------------------------------------------------------------------------- entry point


@dataclass(frozen=True)
class WorkbookScenario:
    """A workbook read back: the raw scenario mapping, the unit-cost table as edited (or
    None), the folder relative paths resolve from, and the inputs as fam wrote them."""

    data: dict[str, Any]
    table: pd.DataFrame | None
    base: Path
    written: dict[str, str] | None


def read_workbook_scenario(path: Path) -> tuple[dict[str, Any], pd.DataFrame | None, Path]:
    """(raw scenario mapping, unit-cost table as edited or None, base folder) from a workbook."""
    wbs = read_workbook(path)
    return wbs.data, wbs.table, wbs.base


def read_workbook(path: Path) -> WorkbookScenario:
    """Read a workbook written by fam (or a filled-in template) back as a scenario."""
    import openpyxl

    path = check_input_file(path, "an .xlsx workbook written by fam")
    try:
        wb = openpyxl.load_workbook(path, data_only=True)
    except Exception as e:  # noqa: BLE001 - any unreadable file is an input error
        raise InputError(f"{path}: not a readable .xlsx workbook ({type(e).__name__})") from None
    if INPUTS not in wb.sheetnames:
        raise InputError(
            f"{path}: sheet {echo(INPUTS)} is missing; expected a workbook written by fam "
            "(fam run, or fam scenario template)"
        )
    ws = wb[INPUTS]
    data = _read_inputs(ws, Where(path, INPUTS))
    rows = []
    if UNIT_COSTS in wb.sheetnames:
        rows = _read_unit_costs(wb[UNIT_COSTS], Where(path, UNIT_COSTS))
    base = _folder(wb, ws, path, _needed(data, unit_cost_files=not rows))
    table = _unit_cost_table(rows, data, base, path)
    return WorkbookScenario(data, table, base, _read_written(wb))
