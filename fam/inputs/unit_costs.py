"""Unit costs: load and validate fam unit-cost tables, uprate them, import the GMCA database.

Pure functions except for reading the files they are given. Every input problem is raised as
an InputError with one line naming the file, the row (spreadsheet numbering: header is row 1)
and the column, and what was expected.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from fam.errors import InputError, echo
from fam.inputs.files import check_input_file, read_input_bytes
from fam.inputs.scenario import MAX_NUMBER
from fam.vocabulary import FISCAL_VALUE_TYPES, UNITS, VALUE_TYPES, is_financial_year

UNIT_COST_DIR = Path(__file__).parents[2] / "unit_costs"
DEFAULT_DEFLATORS = UNIT_COST_DIR / "gdp_deflators.csv"
DEFAULT_UNIT_COSTS = UNIT_COST_DIR / "uk.csv"

COLUMNS = [
    "service",
    "description",
    "unit",
    "cost",
    "price_year",
    "agency",
    "agency_detail",
    "value_type",
    "cashable",
    "cashable_rationale",
    "confidence",
    "low",
    "high",
    "source",
]
OPTIONAL_COLUMNS = frozenset({"agency_detail", "cashable_rationale", "low", "high"})
REQUIRED_COLUMNS = [c for c in COLUMNS if c not in OPTIONAL_COLUMNS]
SERVICE_RE = re.compile(r"[a-z][a-z0-9_]*")


# --------------------------------------------------------------------------- financial years


def check_year(text: str) -> str:
    """Return text if it is a UK financial year `YYYY-YY` with consecutive years, else raise."""
    if not is_financial_year(text):
        raise ValueError(f"a financial year like 2024-25, got {echo(text)}")
    return text


def _short(value: object, limit: int = 60) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------- deflators


@dataclass(frozen=True)
class Deflators:
    """GDP deflator index by financial year, with the release it comes from."""

    release: str
    index: dict[str, float]
    forecast_years: frozenset[str]

    def _covered(self) -> str:
        years = sorted(self.index)
        return f"{years[0]} to {years[-1]}" if years else "no years"

    def factor(self, from_year: str, to_year: str) -> float:
        """Multiply a cost in from_year prices by this to express it in to_year prices."""
        for year in (from_year, to_year):
            if year not in self.index:
                raise InputError(
                    f"price year {echo(year)} is not covered by the GDP deflators "
                    f"({self.release}): covered range {self._covered()}"
                )
        return self.index[to_year] / self.index[from_year]


def load_deflators(path: str | Path | None = None) -> Deflators:
    """Read a deflator CSV (`financial_year,index,pct_change,status`).

    The release is named in a leading comment line `# release: ...`, or in a sidecar YAML file
    with the same stem holding `release: ...`. Forecast years must have an index (chained from
    the published % changes); they are reported in `forecast_years`.
    """
    p = Path(path) if path is not None else DEFAULT_DEFLATORS
    text = _read_text(p)
    meta: dict[str, str] = {}
    body: list[str] = []
    for line in text.splitlines():
        if line.startswith("#"):
            key, _, text_value = line[1:].partition(":")
            meta.setdefault(key.strip().lower(), text_value.strip())
        else:
            body.append(line)
    release = meta.get("release", "")
    sidecar = p.with_suffix(".yaml")
    if not release and sidecar.exists():
        import yaml

        data = yaml.safe_load(_read_text(sidecar)) or {}
        release = str(data.get("release", "")) if isinstance(data, dict) else ""
    if not release:
        raise InputError(
            f"{p}: the deflator release is not named; expected a line '# release: ...' "
            f"or a sidecar {sidecar.name} with 'release: ...'"
        )
    reader = csv.reader(io.StringIO("\n".join(body)))
    header = next(reader, None)
    want = ["financial_year", "index", "pct_change", "status"]
    if header is None or [h.strip() for h in header] != want:
        raise InputError(f"{p}: header row: expected columns {','.join(want)}, got {header}")
    index: dict[str, float] = {}
    forecast: set[str] = set()
    for n, rec in enumerate(reader, start=2):
        if not any(f.strip() for f in rec):
            continue
        if len(rec) != 4:
            raise InputError(f"{p}, data row {n - 1}: expected 4 fields, found {len(rec)}")
        year, idx, _pct, status = (f.strip() for f in rec)
        where = f"{p}, data row {n - 1}"
        try:
            check_year(year)
        except ValueError as e:
            raise InputError(f"{where}, column 'financial_year': expected {e}") from None
        if status not in ("outturn", "forecast"):
            raise InputError(
                f"{where}, column 'status': expected outturn or forecast, got {echo(status)}"
            )
        try:
            value = float(idx)
        except ValueError:
            raise InputError(
                f"{where}, column 'index': expected a number (chain forecast years), got {echo(idx)}"
            ) from None
        if not math.isfinite(value) or value <= 0:
            raise InputError(
                f"{where}, column 'index': expected a positive number, got {echo(idx)}"
            )
        if year in index:
            raise InputError(f"{where}, column 'financial_year': year {year} appears twice")
        index[year] = value
        if status == "forecast":
            forecast.add(year)
    if not index:
        raise InputError(f"{p}: no data rows; expected one row per financial year")
    return Deflators(release=release, index=index, forecast_years=frozenset(forecast))


# --------------------------------------------------------------------------- unit-cost tables


def _read_text(path: Path) -> str:
    raw = read_input_bytes(path, "a CSV file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(
            f"{path}: not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start}); "
            "save the file as UTF-8 CSV"
        ) from None


def _number(text: str, where: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{where}: expected {what}, got {echo(text)}") from None
    if not math.isfinite(value):
        raise InputError(f"{where}: expected {what} (finite), got {echo(text)}")
    if abs(value) > MAX_NUMBER:
        raise InputError(
            f"{where}: expected {what}; {value:.4g} is beyond the limit of ±{MAX_NUMBER:.0e}"
        )
    return value


def _parse_row(row: dict[str, str], file: Path, n: int) -> dict[str, object]:
    def at(col: str) -> str:
        return f"{file}, row {n}, column '{col}'"

    out: dict[str, object] = {}
    for col in ("service", "description", "agency", "source"):
        if not row[col]:
            raise InputError(f"{at(col)}: expected a non-empty value")
    if not SERVICE_RE.fullmatch(row["service"]):
        raise InputError(
            f"{at('service')}: expected a snake_case code (a-z, 0-9, _), got {echo(row['service'])}"
        )
    if row["unit"] not in UNITS:
        raise InputError(
            f"{at('unit')}: expected one of {', '.join(UNITS)}, got {echo(row['unit'])}"
        )
    if row["value_type"] not in VALUE_TYPES:
        raise InputError(
            f"{at('value_type')}: expected one of {', '.join(VALUE_TYPES)}, "
            f"got {echo(row['value_type'])}"
        )
    try:
        check_year(row["price_year"])
    except ValueError as e:
        raise InputError(f"{at('price_year')}: expected {e}") from None
    cost = _number(row["cost"], at("cost"), "a cost in £ (a number >= 0)")
    if cost < 0:
        raise InputError(f"{at('cost')}: expected a cost >= 0, got {echo(row['cost'])}")
    cashable = _number(row["cashable"], at("cashable"), "a share between 0 and 1")
    if not 0 <= cashable <= 1:
        raise InputError(f"{at('cashable')}: expected a share between 0 and 1, got {cashable:g}")
    if row["value_type"] not in FISCAL_VALUE_TYPES and cashable != 0:
        raise InputError(
            f"{at('cashable')}: expected 0 for a {row['value_type']} value "
            f"(only fiscal savings and transfers can be cashable), got {cashable:g}"
        )
    if not re.fullmatch(r"[1-6]", row["confidence"]):
        raise InputError(
            f"{at('confidence')}: expected an integer grade 1 (audited, local, recent) to "
            f"6 (expert guess), got {echo(row['confidence'])}"
        )
    bounds: dict[str, float] = {}
    for col in ("low", "high"):
        text = row.get(col, "")
        if text:
            value = _number(text, at(col), "a cost in £ (a number >= 0) or blank")
            if value < 0:
                raise InputError(f"{at(col)}: expected a cost >= 0, got {echo(text)}")
            bounds[col] = value
    if "low" in bounds and bounds["low"] > cost:
        raise InputError(f"{at('low')}: expected low <= cost ({cost:g}), got {bounds['low']:g}")
    if "high" in bounds and bounds["high"] < cost:
        raise InputError(f"{at('high')}: expected high >= cost ({cost:g}), got {bounds['high']:g}")
    for col in ("service", "description", "unit", "price_year", "agency", "value_type"):
        out[col] = row[col]
    out["agency_detail"] = row.get("agency_detail", "")
    out["cashable_rationale"] = row.get("cashable_rationale", "")
    out["source"] = row["source"]
    out["cost"] = cost
    out["cashable"] = cashable
    out["confidence"] = int(row["confidence"])
    out["low"] = bounds.get("low", math.nan)
    out["high"] = bounds.get("high", math.nan)
    return out


def _load_one(path: Path) -> list[dict[str, object]]:
    text = _read_text(path)
    if not text.strip():
        raise InputError(
            f"{path}: empty file; expected a header row with columns {','.join(COLUMNS)}"
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader)]
    for i, name in enumerate(header, start=1):
        if name not in COLUMNS:
            raise InputError(
                f"{path}, row 1, column {i} {echo(name)}: unknown column; allowed: {','.join(COLUMNS)}"
            )
        if header.count(name) > 1:
            raise InputError(f"{path}, row 1, column {i} {echo(name)}: column appears twice")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise InputError(
            f"{path}, row 1: missing required column(s) {','.join(missing)}; "
            f"required: {','.join(REQUIRED_COLUMNS)}"
        )
    rows: list[dict[str, object]] = []
    for n, rec in enumerate(reader, start=2):
        if not any(f.strip() for f in rec):
            continue
        if len(rec) != len(header):
            raise InputError(
                f"{path}, row {n}: expected {len(header)} fields as in the header, found {len(rec)}"
            )
        row = {h: f.strip() for h, f in zip(header, rec, strict=True)}
        parsed = _parse_row(row, path, n)
        parsed["file"] = str(path)
        parsed["row"] = n
        rows.append(parsed)
    if not rows:
        raise InputError(f"{path}: no data rows; expected one row per service and value type")
    return rows


def load_unit_costs(
    paths: Sequence[str | Path], deflators: Deflators | None = None
) -> pd.DataFrame:
    """Load and strictly validate one or more unit-cost CSV files.

    Returns one row per (service, value_type) with the CSV columns plus `file`; optional
    columns that are absent or blank come back as '' (text) or NaN (low, high). With
    `deflators`, every price_year must be covered by them (checked here to name the row).
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if not paths:
        raise InputError("no unit-cost files given; expected at least one CSV")
    rows: list[dict[str, object]] = []
    seen: dict[tuple[object, object], str] = {}
    units: dict[str, tuple[str, str]] = {}
    for p in paths:
        for r in _load_one(Path(p)):
            key = (r["service"], r["value_type"])
            here = f"{r['file']}, row {r['row']}"
            if key in seen:
                raise InputError(
                    f"{here}, column 'service': duplicated service/value_type "
                    f"{key[0]}/{key[1]}, first given at {seen[key]}; expected one row each"
                )
            seen[key] = here
            if deflators is not None and r["price_year"] not in deflators.index:
                raise InputError(
                    f"{here}, column 'price_year': price year {echo(r['price_year'])} is not covered "
                    f"by the GDP deflators ({deflators.release}): covered range "
                    f"{deflators._covered()}"
                )
            first_unit = units.setdefault(str(r["service"]), (str(r["unit"]), here))
            if first_unit[0] != r["unit"]:
                raise InputError(
                    f"{here}, column 'unit': service {r['service']} has unit {echo(first_unit[0])} "
                    f"at {first_unit[1]}; expected the same unit for all its value types, "
                    f"got {echo(r['unit'])}"
                )
            rows.append(r)
    table = pd.DataFrame(rows, columns=[*COLUMNS, "file", "row"]).drop(columns="row")
    table["cost"] = table["cost"].astype(float)
    table["cashable"] = table["cashable"].astype(float)
    table["low"] = table["low"].astype(float)
    table["high"] = table["high"].astype(float)
    table["confidence"] = table["confidence"].astype(int)
    return table.reset_index(drop=True)


def uprate_costs(table: pd.DataFrame, to_year: str, deflators: Deflators) -> pd.DataFrame:
    """Return a copy of table with costs expressed in to_year prices (GDP deflator ratio)."""
    try:
        check_year(to_year)
    except ValueError as e:
        raise InputError(f"price base year: expected {e}") from None
    out = table.copy()
    factors = {y: deflators.factor(y, to_year) for y in out["price_year"].unique()}
    out["deflator_from"] = out["price_year"].map(deflators.index).astype(float)
    out["deflator_to"] = deflators.index[to_year]
    out["factor"] = out["price_year"].map(factors).astype(float)
    for col in ("cost", "low", "high"):
        out[f"{col}_uprated"] = out[col] * out["factor"]
    return out


# --------------------------------------------------------------------------- GMCA import

GMCA_SHEETS = (
    "Crime",
    "Education & Skills",
    "Employment & Economy",
    "Fire",
    "Health",
    "Housing",
    "Social Services",
)
GMCA_NAME = "GMCA Unit Cost Database v1.4 (New Economy for GMCA, March 2015, CC BY 4.0)"
# 0-based column positions in the theme sheets (header rows 1-2, data from row 3)
_C_CODE, _C_DESC, _C_UNIT, _C_L1, _C_L2, _C_SOURCE, _C_RAG = 2, 3, 4, 5, 6, 16, 17
_VALUE_COLS = {"fiscal": (7, 8), "economic": (10, 11), "social": (13, 14)}
RAG_CONFIDENCE = {"G": 3, "A": 4, "R": 5}
OLD_BEFORE = "2010-11"  # price years before this get one grade worse
_UNIT_MAP = {
    "per week": "week",
    "per client per week": "week",
    "per year": "year",
    "per person per year": "year",
    "per claimant per year": "year",
    "per child per year": "year",
    "per fte": "year",
    "per month": "month",
    "per hour": "hour",
    "per day": "day",
    "per bed day": "day",
    "per session": "session",
}


def gmca_unit(text: str) -> str:
    """Map a GMCA unit (free text) to a fam unit; anything not a time unit is an event."""
    return _UNIT_MAP.get(" ".join(text.lower().split()), "event")


def gmca_confidence(rag: str | None, price_year: str) -> int:
    """RAG rating to confidence grade: G 3, A 4, R 5, none 6; one worse if before 2010-11."""
    grade = RAG_CONFIDENCE.get((rag or "").strip().upper(), 6)
    if price_year < OLD_BEFORE:
        grade += 1
    return min(grade, 6)


def gmca_service_code(code: str) -> str:
    return "gmca_" + re.sub(r"[^a-z0-9]+", "_", code.lower()).strip("_")


@dataclass
class ImportReport:
    """What import_gmca did: rows imported per sheet and rows skipped by reason."""

    source: str
    imported: dict[str, int] = field(default_factory=dict)  # output rows per sheet
    codes: dict[str, int] = field(default_factory=dict)  # cost codes with a figure, per sheet
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count
    skipped_rows: list[str] = field(default_factory=list)  # "Sheet!row: reason"

    def skip(self, sheet: str, row: int, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        self.skipped_rows.append(f"{sheet}!{row}: {reason}")

    @property
    def total(self) -> int:
        return sum(self.imported.values())

    def text(self) -> str:
        lines = [f"Imported {self.total} unit-cost rows from {self.source}"]
        for sheet, n in self.imported.items():
            lines.append(f"  {sheet}: {n} rows ({self.codes.get(sheet, 0)} cost codes)")
        if self.skipped:
            lines.append("Skipped:")
            lines += [f"  {reason}: {n}" for reason, n in sorted(self.skipped.items())]
            lines += [f"    {r}" for r in self.skipped_rows[:20]]
        else:
            lines.append("Skipped: none")
        return "\n".join(lines)


def _cell_text(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def import_gmca(xlsx_path: str | Path) -> tuple[pd.DataFrame, ImportReport]:
    """Read the GMCA Unit Cost Database v1.4 theme sheets into fam's unit-cost format.

    One output row per cost code and value type with a figure. Cost codes become service
    codes like `gmca_cr3_0`. Formula cells are read as the values cached in the workbook.
    """
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    p = check_input_file(xlsx_path, "an .xlsx workbook")
    try:
        wb = openpyxl.load_workbook(p, data_only=True, read_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as e:
        raise InputError(f"{p}: not a readable .xlsx workbook ({_short(e)})") from None
    report = ImportReport(source=f"{p.name} ({GMCA_NAME})")
    rows: list[dict[str, object]] = []
    seen: dict[str, str] = {}
    try:
        missing = [s for s in GMCA_SHEETS if s not in wb.sheetnames]
        if missing:
            raise InputError(
                f"{p}: not the GMCA Unit Cost Database v1.4 layout: missing sheet(s) "
                f"{', '.join(missing)}"
            )
        for sheet in GMCA_SHEETS:
            ws = wb[sheet]
            header = [_cell_text(v) for v in next(ws.iter_rows(max_row=1, values_only=True))]
            if len(header) <= _C_RAG or (header[_C_CODE], header[_C_RAG]) != (
                "Cost code",
                "RAG assessment",
            ):
                raise InputError(
                    f"{p}, sheet {echo(sheet)}, row 1: expected 'Cost code' in column C and "
                    "'RAG assessment' in column R (GMCA v1.4 layout)"
                )
            report.imported[sheet] = 0
            report.codes[sheet] = 0
            for n, cells in enumerate(ws.iter_rows(min_row=3, values_only=True), start=3):
                values = list(cells) + [None] * (19 - len(cells))
                code = _cell_text(values[_C_CODE])
                figures = {
                    vt: (values[c], values[y])
                    for vt, (c, y) in _VALUE_COLS.items()
                    if values[c] not in (None, "")
                }
                if not code:
                    if figures:
                        report.skip(sheet, n, "cost given but no cost code")
                    continue
                if not figures:
                    report.skip(sheet, n, "cost code without any cost")
                    continue
                service = gmca_service_code(code)
                if service in seen:
                    report.skip(sheet, n, f"cost code repeats {seen[service]}")
                    continue
                seen[service] = f"{sheet}!{n}"
                made = 0
                for vt, (cost, year) in figures.items():
                    made += _gmca_row(rows, report, sheet, n, code, service, values, vt, cost, year)
                report.imported[sheet] += made
                report.codes[sheet] += made > 0
    finally:
        wb.close()
    table = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("cost", "cashable", "low", "high"):
        table[col] = table[col].astype(float)
    table["confidence"] = table["confidence"].astype(int)
    return table, report


def _gmca_row(
    rows: list[dict[str, object]],
    report: ImportReport,
    sheet: str,
    n: int,
    code: str,
    service: str,
    values: list[object],
    value_type: str,
    cost: object,
    year: object,
) -> int:
    if isinstance(cost, bool) or not isinstance(cost, (int, float)) or not math.isfinite(cost):
        report.skip(sheet, n, f"{value_type} cost not a number")
        return 0
    if cost < 0:
        report.skip(sheet, n, f"{value_type} cost negative")
        return 0
    price_year = _cell_text(year).replace("/", "-")
    try:
        check_year(price_year)
    except ValueError:
        report.skip(sheet, n, f"{value_type} cost without a valid price year")
        return 0
    unit_text = _cell_text(values[_C_UNIT])
    rag = _cell_text(values[_C_RAG]).upper()
    fiscal = value_type == "fiscal"
    l1, l2 = _cell_text(values[_C_L1]), _cell_text(values[_C_L2])
    if l2 == "-":
        l2 = ""
    rows.append(
        {
            "service": service,
            "description": f"{_cell_text(values[_C_DESC])} (GMCA unit: {unit_text or 'none'})",
            "unit": gmca_unit(unit_text),
            "cost": float(cost),
            "price_year": price_year,
            "agency": (l1 or "Not stated") if fiscal else value_type.capitalize(),
            "agency_detail": l2 if fiscal else f"{value_type} value (GMCA fiscal agency: {l1})",
            "value_type": value_type,
            "cashable": 0.0,
            "cashable_rationale": (
                "GMCA gives no cashability; 0 until assessed locally"
                if fiscal
                else "not a fiscal value"
            ),
            "confidence": gmca_confidence(rag, price_year),
            "low": math.nan,
            "high": math.nan,
            "source": (
                f"{GMCA_NAME}, sheet {sheet}, code {code}, RAG {rag or 'none'}; "
                f"original source: {_cell_text(values[_C_SOURCE]) or 'not stated'}"
            ),
        }
    )
    return 1


def write_unit_costs(table: pd.DataFrame, path: str | Path) -> None:
    """Write a unit-cost table as fam-format CSV (UTF-8, columns in the standard order)."""

    def fmt(value: object) -> str:
        if isinstance(value, float):
            if math.isnan(value):
                return ""
            return str(int(value)) if value.is_integer() else repr(value)
        return str(value)

    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for rec in table[COLUMNS].itertuples(index=False):
            w.writerow([fmt(v) for v in rec])
