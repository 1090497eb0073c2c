"""Cohort data: clients.csv and service_use.csv, read strictly and turned into use per month.

Relative month j of a client covers the dates [start_date + j months, start_date + j+1 months)
(month arithmetic as in pandas.DateOffset: a day past the end of a month is clipped to it).
The baseline window is relative months -B..-1. A spell counts the dates start <= d < end,
each in its own relative month, converted to its service's unit.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import gc
import io
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from fam.errors import InputError, echo
from fam.inputs.files import check_input_file, read_input_bytes
from fam.vocabulary import DAYS_PER_UNIT, EVENT_UNITS

CLIENT_REQUIRED = ("client_id", "start_date")
CLIENT_OPTIONAL = ("end_date", "completed", "arm", "cohort", "age_at_start")
USE_REQUIRED = ("client_id", "service", "start")
USE_OPTIONAL = ("end", "quantity")

TRUE = {"true", "yes", "1", "y", "t"}
DATE_RANGE = ("1900-01-01", "2099-12-31")  # plausible dates; anything else is a typo
FALSE = {"false", "no", "0", "n", "f", ""}


@dataclass(frozen=True)
class CohortData:
    """Clients and their service use, parsed and checked."""

    clients: pd.DataFrame  # client_id, start_date, end_date, completed, arm, cohort, age_at_start
    use: pd.DataFrame  # client (row index into clients), service, start, end, quantity
    clients_path: str
    use_path: str
    # the files' own comment saying the data are synthetic ('' when neither file says so)
    synthetic: str = ""


SYNTHETIC_WORD = "synthetic"  # a '#' comment line containing it marks a file as synthetic


def _synthetic_comment(comments: Sequence[str]) -> str:
    """The first comment line that says the data are synthetic, without its '#', or ''."""
    for c in comments:
        if SYNTHETIC_WORD in c.lower():
            return c.lstrip().lstrip("#").strip()
    return ""


def _xlsx_records(p: Path, sheet: str) -> tuple[list[tuple[int, list[str]]], list[str]]:
    """Rows of one sheet of a workbook as text, numbered by spreadsheet row, and the sheet's
    comment rows (first cell starting '#')."""
    import datetime as _dt

    import openpyxl

    check_input_file(p, "an .xlsx workbook")
    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - any unreadable workbook is an input error
        raise InputError(f"{p}: not a readable .xlsx workbook ({type(e).__name__})") from None
    if sheet not in wb.sheetnames:
        raise InputError(
            f"{p}: no sheet {sheet!r}; a cohort workbook needs sheets 'clients' and "
            f"'service_use' (found: {', '.join(wb.sheetnames)})"
        )

    def text(v: object) -> str:
        if v is None:
            return ""
        if isinstance(v, _dt.datetime):
            return v.date().isoformat()
        if isinstance(v, _dt.date):
            return v.isoformat()
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    out = []
    comments = []
    for i, row in enumerate(wb[sheet].iter_rows(values_only=True), start=1):
        rec = [text(v) for v in row]
        while rec and rec[-1] == "":
            rec.pop()
        if rec and rec[0].lstrip().startswith("#"):
            comments.append(rec[0])
        elif any(f.strip() for f in rec):
            out.append((i, rec))
    wb.close()
    return out, comments


def _csv_records(text: str) -> list[tuple[int, list[str]]] | None:
    """The fast path of `read_table` for text with no quotes and no lone carriage returns,
    where each line is one record and csv.reader would split on commas alone: the same
    records and line numbers, without the reader's per-record cost. None otherwise."""
    if '"' in text:
        return None
    text = text.replace("\r\n", "\n")
    if "\r" in text:
        return None
    return [
        (i, line.split(","))
        for i, line in enumerate(text.split("\n"), start=1)
        if line.replace(",", "").strip() and not line.lstrip().startswith("#")
    ]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a large file makes millions of small lists (one
    per row), none of them in a cycle, and each few hundred set the collector off again,
    which took about as long as the parsing itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_table(
    path: str | Path, required: Sequence[str], optional: Sequence[str], sheet: str = ""
) -> pd.DataFrame:
    """Read a CSV (lines starting with '#' are comments) as strings, with strict columns;
    or, for an .xlsx file, the sheet `sheet` of it.

    Adds `_line`, the line (or spreadsheet row) number of each row, for error messages.
    """
    with _gc_paused():
        return _read_table(path, required, optional, sheet)


def _read_table(
    path: str | Path, required: Sequence[str], optional: Sequence[str], sheet: str = ""
) -> pd.DataFrame:
    p = Path(path)
    if p.suffix.lower() in (".xlsx", ".xlsm") and p.is_file():
        sheet_rows, comments = _xlsx_records(p, sheet)
        if not sheet_rows:
            raise InputError(
                f"{p}: sheet {sheet!r} is empty; expected a header row with {', '.join(required)}"
            )
        frame = _frame(f"{p}: sheet {sheet}", sheet_rows, required, optional, ragged=True)
        frame.attrs["synthetic"] = _synthetic_comment(comments)
        return frame
    text = _csv_text(p)
    # parse the whole text (a quoted field may span lines); number each record by the line
    # it starts on; skip blank records and comment lines ('#' first)
    numbered = _csv_records(text)
    if numbered is None:
        numbered = []
        reader = csv.reader(io.StringIO(text, newline=""))
        line = 1
        try:
            for rec in reader:
                if "".join(rec).strip() and not rec[0].lstrip().startswith("#"):
                    numbered.append((line, rec))
                line = reader.line_num + 1
        except csv.Error as e:
            raise InputError(
                f"{p}: line {line}: not valid CSV ({e}); expected comma-separated text"
            ) from None
    if not numbered:
        raise InputError(
            f"{p}: the file is empty; expected a header row with {', '.join(required)}"
        )
    frame = _frame(str(p), numbered, required, optional)
    frame.attrs["synthetic"] = _synthetic_comment(
        [line for line in text[:4096].splitlines()[:20] if line.lstrip().startswith("#")]
    )
    return frame


def _csv_bytes(p: Path) -> bytes:
    """The bytes of a CSV file, or the one-line error for anything but a regular file within
    the size limit (fam.inputs.files)."""
    return read_input_bytes(p, "a CSV file")


def _csv_text(p: Path) -> str:
    """The text of a CSV file, or the one-line error for a file that is missing, a folder,
    not UTF-8 or holds NUL bytes."""
    raw = _csv_bytes(p)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{p}: not UTF-8 text (byte {e.start}); save it as UTF-8 CSV") from None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputError(
            f"{p}: line {line}: contains NUL bytes (UTF-16 or not text?); save it as UTF-8 CSV"
        )
    return text


def _frame(
    p: str,
    numbered: list[tuple[int, list[str]]],
    required: Sequence[str],
    optional: Sequence[str],
    ragged: bool = False,
) -> pd.DataFrame:
    """Strict header checks, then the rows as a frame of stripped strings with `_line`."""
    rows = [rec for _, rec in numbered]
    header = [h.strip() for h in rows[0]]
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(
            f"{p}: line {numbered[0][0]}: missing column {missing[0]!r}; "
            f"expected columns {', '.join(required)} (optional: {', '.join(optional)})"
        )
    unknown = [c for c in header if c not in required and c not in optional]
    if unknown:
        raise InputError(
            f"{p}: line {numbered[0][0]}: unknown column {unknown[0]!r}; "
            f"expected {', '.join(required)} and optionally {', '.join(optional)}"
        )
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise InputError(f"{p}: line {numbered[0][0]}: column {dup!r} appears twice")
    body = rows[1:]
    if ragged:  # spreadsheet rows: missing trailing cells are blanks
        body = [r + [""] * (len(header) - len(r)) if len(r) < len(header) else r for r in body]
    if any(len(r) != len(header) for r in body):
        for (line, _), r in zip(numbered[1:], body, strict=True):
            if len(r) != len(header):
                raise InputError(f"{p}: line {line}: expected {len(header)} fields, found {len(r)}")
    df = pd.DataFrame(body, columns=header, dtype=object)
    for c in header:
        df[c] = [v.strip() for v in df[c].tolist()]
    for c in optional:
        if c not in df:
            df[c] = ""
    df["_line"] = [ln for ln, _ in numbered[1:]]
    return df


def _cell(df: pd.DataFrame, i: object, col: str) -> str:
    """A cell's value for an error line: capped (fam.errors.echo), and not shown when it may
    be a client identifier: when it equals any client_id of the file, or when the row's own
    client_id looks like a date or number (the columns are then likely shifted)."""
    v = str(df.at[i, col])
    own = str(df.at[i, "client_id"]) if "client_id" in df else ""
    if "client_id" in df and (v in set(df["client_id"]) or re.fullmatch(r"[\d\-/.: ]*", own)):
        return "(a value not shown: it may be a client identifier)"
    return echo(v)


def _parse_dates(df: pd.DataFrame, col: str, path: str, allow_blank: bool) -> pd.Series:
    s = df[col].fillna("")
    blank = s == ""
    if blank.any() and not allow_blank:
        line = df.loc[blank, "_line"].iloc[0]
        raise InputError(
            f"{path}: line {line}: column {col!r} is empty; expected a date YYYY-MM-DD"
        )
    out = pd.to_datetime(s.where(~blank, None), format="%Y-%m-%d", errors="coerce")
    bad = out.isna() & ~blank
    if bad.any():
        i = bad.idxmax()
        raise InputError(
            f"{path}: line {df.at[i, '_line']}: column {col!r}: {_cell(df, i, col)} "
            "is not a date; expected YYYY-MM-DD"
        )
    odd = (out < pd.Timestamp(DATE_RANGE[0])) | (out > pd.Timestamp(DATE_RANGE[1]))
    if odd.any():
        i = odd.idxmax()
        raise InputError(
            f"{path}: line {df.at[i, '_line']}: column {col!r}: {_cell(df, i, col)} is outside "
            f"{DATE_RANGE[0]} to {DATE_RANGE[1]}; check the year"
        )
    return out


def _bools(df: pd.DataFrame, col: str, path: str, default: bool) -> np.ndarray:
    s = df[col].fillna("").str.lower()
    ok = s.isin(TRUE | FALSE)
    if not ok.all():
        i = (~ok).idxmax()
        raise InputError(
            f"{path}: line {df.at[i, '_line']}: column {col!r}: {_cell(df, i, col)}; expected true or false"
        )
    vals = s.isin(TRUE).to_numpy()
    return np.where(s.to_numpy() == "", default, vals)


def _numbers(df: pd.DataFrame, col: str, path: str, default: float) -> np.ndarray:
    s = df[col].fillna("")
    num = pd.to_numeric(s.where(s != "", str(default)), errors="coerce")
    bad = num.isna() | ~np.isfinite(num.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        i = bad.idxmax()
        raise InputError(
            f"{path}: line {df.at[i, '_line']}: column {col!r}: {_cell(df, i, col)} "
            "is not a finite number"
        )
    return num.to_numpy(dtype=float)


def _arms(df: pd.DataFrame, path: str) -> pd.Series:
    arm = df["arm"].replace("", "programme")
    bad_arm = ~arm.isin(["programme", "comparison"])
    if bad_arm.any():
        i = bad_arm.idxmax()
        raise InputError(
            f"{path}: line {df.at[i, '_line']}: arm {_cell(df, i, 'arm')}; expected programme or comparison"
        )
    return arm


def _ages(df: pd.DataFrame, path: str) -> np.ndarray:
    age = df["age_at_start"]
    age_num = pd.to_numeric(age.where(age != "", None), errors="coerce")
    bad_age = (age != "") & (age_num.isna() | (age_num < 0) | (age_num > 120))
    if bad_age.any():
        i = bad_age.idxmax()
        raise InputError(
            f"{path}: line {df.at[i, '_line']}: age_at_start {_cell(df, i, 'age_at_start')}; expected a number 0-120"
        )
    return age_num.to_numpy(dtype=float)


def load_cohort(
    clients_path: str | Path,
    use_path: str | Path,
    units: Mapping[str, str],
    max_quantity: float = 10_000.0,
) -> CohortData:
    """Read and check clients.csv and service_use.csv.

    `units` maps each known service code to its unit; services not in it are errors.

    Two readers give the same result: a fast one (`_fast_cohort`: pandas' C parser and checks
    over arrays) that answers only when it finds nothing wrong and nothing unusual, and the
    careful one (`_careful_cohort`: line by line), which runs otherwise and names the file,
    line and column of the first problem.
    """
    with _gc_paused():
        fast = _fast_cohort(clients_path, use_path, units, max_quantity)
    if fast is not None:
        return fast
    return _careful_cohort(clients_path, use_path, units, max_quantity)


def _careful_cohort(
    clients_path: str | Path,
    use_path: str | Path,
    units: Mapping[str, str],
    max_quantity: float = 10_000.0,
) -> CohortData:
    """load_cohort's careful reader: every check in turn, the first problem as an error."""
    cp, up = str(clients_path), str(use_path)
    cl = read_table(clients_path, CLIENT_REQUIRED, CLIENT_OPTIONAL, sheet="clients")
    if cl.empty:
        raise InputError(f"{cp}: no clients; expected at least one data row")
    blank_id = cl["client_id"] == ""
    if blank_id.any():
        raise InputError(f"{cp}: line {cl.loc[blank_id, '_line'].iloc[0]}: client_id is empty")
    dup = cl["client_id"].duplicated()
    if dup.any():
        i = dup.idxmax()
        first = cl.loc[cl["client_id"] == cl.at[i, "client_id"], "_line"].iloc[0]
        raise InputError(
            f"{cp}: line {cl.at[i, '_line']}: client_id appears more than once (first on line "
            f"{first}); expected each client once"
        )
    start = _parse_dates(cl, "start_date", cp, allow_blank=False)
    end = _parse_dates(cl, "end_date", cp, allow_blank=True)
    before = end.notna() & (end < start)
    if before.any():
        i = before.idxmax()
        raise InputError(f"{cp}: line {cl.at[i, '_line']}: end_date is before start_date")
    arm = _arms(cl, cp)
    ages = _ages(cl, cp)
    clients = pd.DataFrame(
        {
            "client_id": cl["client_id"].to_numpy(),
            "start_date": start.to_numpy(),
            "end_date": end.to_numpy(),
            "completed": _bools(cl, "completed", cp, default=True),
            "arm": arm.to_numpy(),
            "cohort": cl["cohort"].to_numpy(),
            "age_at_start": ages,
        }
    )

    su = read_table(use_path, USE_REQUIRED, USE_OPTIONAL, sheet="service_use")
    index = pd.Series(np.arange(len(clients)), index=clients["client_id"])
    cidx = su["client_id"].map(index)
    if cidx.isna().any():
        i = cidx.isna().idxmax()
        raise InputError(
            f"{up}: line {su.at[i, '_line']}: client_id is not in {Path(cp).name}; expected "
            "every client in service use to be listed there"
        )
    unknown = ~su["service"].isin(list(units))
    if unknown.any():
        i = unknown.idxmax()
        raise InputError(
            f"{up}: line {su.at[i, '_line']}: unknown service {_cell(su, i, 'service')}; "
            "expected a service code from the scenario's unit-cost tables"
        )
    s_start = _parse_dates(su, "start", up, allow_blank=False)
    s_end = _parse_dates(su, "end", up, allow_blank=True)
    qty = _numbers(su, "quantity", up, default=1.0)
    neg = (qty < 0) | (qty > max_quantity)
    if neg.any():
        i = int(np.argmax(neg))
        raise InputError(
            f"{up}: line {su['_line'].iloc[i]}: quantity {qty[i]:g}; expected 0 to {max_quantity:g}"
        )
    is_spell = s_end.notna().to_numpy()
    bad = is_spell & (s_end.to_numpy() <= s_start.to_numpy())
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"{up}: line {su['_line'].iloc[i]}: spell ends on or before it starts")
    unit = su["service"].map(dict(units))
    ev_spell = is_spell & unit.isin(EVENT_UNITS).to_numpy()
    if ev_spell.any():
        i = int(np.argmax(ev_spell))
        raise InputError(
            f"{up}: line {su['_line'].iloc[i]}: service {su['service'].iloc[i]!r} is counted per "
            f"{unit.iloc[i]}, so it needs an event row (no 'end'); spells need a unit of "
            "night, day, week, month or year"
        )
    use = pd.DataFrame(
        {
            "client": cidx.to_numpy(dtype=np.int64),
            "service": su["service"].to_numpy(),
            "start": s_start.to_numpy(),
            "end": s_end.to_numpy(),
            "quantity": qty,
            "line": su["_line"].to_numpy(),
        }
    )
    _check_overlaps(use, up)
    synthetic = str(cl.attrs.get("synthetic") or su.attrs.get("synthetic") or "")
    return CohortData(clients, use, cp, up, synthetic)


def _check_overlaps(use: pd.DataFrame, path: str) -> None:
    spells = use[use["end"].notna()].sort_values(["client", "service", "start"])
    if spells.empty:
        return
    same = (spells["client"].to_numpy()[1:] == spells["client"].to_numpy()[:-1]) & (
        spells["service"].to_numpy()[1:] == spells["service"].to_numpy()[:-1]
    )
    overlap = same & (spells["start"].to_numpy()[1:] < spells["end"].to_numpy()[:-1])
    if overlap.any():
        i = int(np.argmax(overlap))
        a, b = spells["line"].to_numpy()[i], spells["line"].to_numpy()[i + 1]
        raise InputError(
            f"{path}: line {b}: spell overlaps the spell on line {a} for the same client and "
            "service; spells of one service must not overlap"
        )


# --------------------------------------------------------------------------- fast reader
#
# At national scale (a million service-use rows) the careful reader spends seconds turning
# every field into a Python string and checking it. The fast reader parses with pandas' C
# parser into categories (each column: codes into its distinct values), checks the distinct
# values once, and checks the rows over arrays. It never raises for a problem in the data: it
# answers None ("ask the careful reader") for anything wrong or unusual, so the careful
# reader alone words every error. A file that is missing, not a regular file or over the
# size limit (`_csv_bytes`) it reports itself, at the point the careful reader would, in
# the same words.

_SENTINEL = "\x01fam"  # an extra last row: keeps every column's categories as text


def _skippable(line: str) -> bool:
    """A line the careful reader skips: blank (only commas and spaces) or a comment."""
    return not line.replace(",", "").strip() or line.lstrip().startswith("#")


@dataclass(frozen=True)
class _Coded:
    """A CSV as read by the fast path: per column, codes into its distinct stripped values
    (each used by at least one row), and the line number of each row."""

    codes: dict[str, np.ndarray]
    values: dict[str, np.ndarray]  # object arrays of str
    lines: np.ndarray
    synthetic: str = ""  # as _read_table's attrs["synthetic"]

    def __len__(self) -> int:
        return len(self.lines)

    def column(self, col: str) -> np.ndarray:
        return self.values[col][self.codes[col]]

    def distinct(self, col: str) -> pd.DataFrame:
        """A column's distinct values as a frame the careful checks accept."""
        return pd.DataFrame({col: self.values[col].tolist(), "_line": 0})


def _fast_table(
    path: str | Path, required: Sequence[str], optional: Sequence[str], categorical: bool
) -> _Coded | None:
    """Read a CSV the fast way. `categorical`: let the parser collect each column's distinct
    values (quickest when they are few against the rows, as in service use)."""
    p = Path(path)
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return None
    raw = _csv_bytes(p)  # a missing file or a folder: the careful reader's error, here
    if b"\x00" in raw or b"\x01" in raw:
        return None
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n")
        if b"\r" in raw:
            return None
    start = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    end = len(raw)
    while end > start and raw[end - 1] == 10:  # trailing blank lines: skipped by both readers
        end -= 1
    quoted = b'"' in raw and not _literal_quotes(raw, start)
    if quoted and not _plain_quoting(raw, start, end):
        return None  # quoting the csv module and pandas might read differently
    try:
        coded = _fast_parse_from_header(raw, start, end, required, optional, categorical, quoted)
        if coded is _SKIPPED and not quoted:
            # blank, comment or ragged lines: drop the lines the careful reader skips,
            # keeping the others' numbers, and try again
            kept, numbers = _without_skipped(raw[start:end].decode())
            body = kept.encode()
            coded = _fast_parse(body, 0, len(body), numbers, required, optional, categorical)
    except UnicodeDecodeError:
        return None
    if coded is None or coded is _SKIPPED:
        return None
    # the careful reader's synthetic marker: '#' lines among the first 20 lines of the
    # first 4,096 characters (UTF-8: at most 4 bytes each)
    head = raw[start : start + 4 * 4096].decode("utf-8", errors="ignore")[:4096]
    comments = [line for line in head.splitlines()[:20] if line.lstrip().startswith("#")]
    return dataclasses.replace(coded, synthetic=_synthetic_comment(comments))


def _fast_parse_from_header(
    raw: bytes,
    start: int,
    end: int,
    required: Sequence[str],
    optional: Sequence[str],
    categorical: bool,
    quoted: bool,
) -> _Coded | None:
    """_fast_parse after stepping over any lines the careful reader skips above the header
    (a comment block, as synthetic files have); _SKIPPED if more such lines follow."""
    first_line = 1
    pos = start
    while pos < end:
        nl = raw.find(b"\n", pos, end)
        stop = nl if nl >= 0 else end
        if not _skippable(raw[pos:stop].decode()):
            break
        if quoted and b'"' in raw[pos:stop]:
            return None  # a quote in a skipped line: the csv module's reading
        first_line += 1
        pos = stop + 1
    if pos >= end:
        return None
    numbers = None if first_line == 1 else np.arange(first_line, first_line + 1, dtype=np.int64)
    return _fast_parse(raw, pos, end, numbers, required, optional, categorical, quoted)


_SKIPPED = _Coded({}, {}, np.zeros(0, dtype=np.int64))


def _literal_quotes(raw: bytes, start: int) -> bool:
    """True if the csv module reads every '"' in raw[start:] as a plain character (none
    opens a field) and so splits each line on its commas alone, and no line is longer than
    the csv module's field size limit (which it would refuse)."""
    if raw.startswith(b'"', start) or b',"' in raw or b'\n"' in raw:
        return False
    if len(raw) - start < csv.field_size_limit():
        return True
    breaks = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == 10)
    edges = np.concatenate(([start - 1], breaks, [len(raw)]))
    return int(np.diff(edges).max()) <= csv.field_size_limit()


def _plain_quoting(raw: bytes, start: int, end: int) -> bool:
    """True if every '"' in raw[start:end] is where the csv module and pandas both read it
    the same way: a quote opens a field (at its start), closes it (before a comma, a line
    break or the end) or is one of a doubled pair inside a quoted field; and no line is
    longer than the csv module's field size limit. (Commas and line breaks inside quotes
    are caught after parsing, by counting.)"""
    # padded with a line break at each end, so every quote has a byte before and after it
    data = np.frombuffer(b"".join([b"\n", memoryview(raw)[start:end], b"\n"]), dtype=np.uint8)
    q = np.flatnonzero(data == 34)
    if len(q) % 2:
        return False
    before, after = data[q - 1], data[q + 1]
    boundary_after = (after == 44) | (after == 10)
    # an odd number of quotes before it (inside a quoted field): it closes the field, or is
    # the first of a doubled pair
    odd_ok = boundary_after[1::2] | (after[1::2] == 34)
    # an even number before it: it opens a field, or is the second of a doubled pair
    even_ok = (before[0::2] == 44) | (before[0::2] == 10)
    even_ok[1:] |= (q[2::2] == q[1:-1:2] + 1) & ~boundary_after[1:-1:2]
    if not (odd_ok.all() and even_ok.all()):
        return False
    breaks = np.flatnonzero(data == 10)
    edges = np.concatenate(([-1], breaks, [len(data)]))
    return int(np.diff(edges).max()) <= csv.field_size_limit()


def _without_skipped(body: str) -> tuple[str, np.ndarray]:
    """The text without the lines the careful reader skips, and the kept lines' numbers."""
    lines = body.split("\n")
    keep = [i for i, line in enumerate(lines) if not _skippable(line)]
    return "\n".join([lines[i] for i in keep]), np.asarray(keep, dtype=np.int64) + 1


def _fast_parse(
    raw: bytes,
    start: int,
    end: int,
    numbers: np.ndarray | None,
    required: Sequence[str],
    optional: Sequence[str],
    categorical: bool,
    quoted: bool = False,
) -> _Coded | None:
    """Parse raw[start:end], text with no trailing newline (numbers: each line's number in
    the file, or only the header's when the rows follow it line by line; None for 1, 2, ...;
    quoted: fields may be quoted as _plain_quoting allows). None if the careful reader must
    look; _SKIPPED if a row may be a line it skips."""
    if end <= start:
        return None
    nl = raw.find(b"\n", start, end)
    header = raw[start : nl if nl >= 0 else end].decode().split(",")
    if quoted:
        header = [h[1:-1].replace('""', '"') if h[:1] == '"' else h for h in header]
    header = [h.strip() for h in header]
    if (
        any(c not in header for c in required)
        or any(h not in required and h not in optional for h in header)
        or len(set(header)) != len(header)
    ):
        return None
    hashes = raw.find(b"#", start, end) >= 0  # a comment line is possible
    parts: list[bytes | memoryview] = [memoryview(raw)[start:end]]
    if categorical:  # an extra last row keeps every column's categories as text
        parts += [b"\n", b",".join([_SENTINEL.encode()] * len(header))]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a row too long, say: found by the count below
            df = pd.read_csv(
                io.BytesIO(b"".join(parts)),
                header=0,
                names=header,
                dtype="category" if categorical else object,
                na_filter=False,
                quoting=csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE,
                index_col=False,
                skip_blank_lines=False,
                engine="c",
            )
    except ValueError:  # pandas' ParserError; UnicodeDecodeError: not UTF-8
        return _SKIPPED if numbers is None else None
    n = len(df) - categorical  # data rows
    if n <= 0 or (quoted and raw.count(b"\n", start, end) != n):
        return None  # no rows, or a quoted field spanning lines
    commas = raw.count(b",", start, end)  # separators, and commas inside quoted values:
    codes: dict[str, np.ndarray] = {}
    values: dict[str, np.ndarray] = {}
    for col in header:
        if categorical:
            cat = df[col].array
            assert isinstance(cat, pd.Categorical)
            if not pd.api.types.is_string_dtype(cat.categories.dtype):
                return None
            raw_values = np.asarray(cat.categories, dtype=object)
            k = cat.codes[:-1]
            drop = int(np.flatnonzero(raw_values == _SENTINEL)[0])
            raw_values = np.delete(raw_values, drop)
            k = k - 1 if drop == 0 else k - (k > drop)
        else:
            k, raw_values = pd.factorize(df[col].to_numpy(dtype=object))
            raw_values = np.asarray(raw_values, dtype=object)
        if col == header[0] and hashes and any(v.lstrip().startswith("#") for v in raw_values):
            return _SKIPPED  # every distinct value is some row's: a comment line
        if quoted:
            inside = np.array([v.count(",") for v in raw_values], dtype=np.int64)
            if inside.any():
                commas -= int(inside @ np.bincount(k, minlength=len(raw_values)))
        stripped = np.array([v.strip() for v in raw_values], dtype=object)
        if len(set(stripped.tolist())) != len(stripped):
            stripped, inverse = np.unique(stripped, return_inverse=True)
            k = inverse[k]
        codes[col], values[col] = k, stripped
    if commas != (len(header) - 1) * (n + 1):
        return _SKIPPED  # a line with too few fields (or a skippable line)
    if all((values[col] == "").any() for col in header):
        blank = np.ones(n, dtype=bool)
        for col in header:
            blank &= (values[col] == "")[codes[col]]
        if blank.any():
            return _SKIPPED
    for col in optional:
        if col not in codes:
            codes[col] = np.zeros(n, dtype=np.int8)
            values[col] = np.array([""], dtype=object)
    if numbers is None or len(numbers) == 1:  # one line per row after the header
        header_line = 1 if numbers is None else int(numbers[0])
        lines = np.arange(header_line + 1, header_line + 1 + n, dtype=np.int64)
    else:
        lines = numbers[1:]
    return _Coded(codes, values, lines)


def _fast_cohort(
    clients_path: str | Path,
    use_path: str | Path,
    units: Mapping[str, str],
    max_quantity: float,
) -> CohortData | None:
    """load_cohort's fast reader: the careful reader's result, or None to ask it."""
    cp, up = str(clients_path), str(use_path)
    cl = _fast_table(clients_path, CLIENT_REQUIRED, CLIENT_OPTIONAL, categorical=False)
    if cl is None:
        return None
    ids = cl.values["client_id"]
    if len(ids) != len(cl) or (ids == "").any():  # a duplicate or a blank id
        return None
    try:
        start = _parse_dates(cl.distinct("start_date"), "start_date", cp, False).to_numpy()
        end = _parse_dates(cl.distinct("end_date"), "end_date", cp, True).to_numpy()
        arm = _arms(cl.distinct("arm"), cp).to_numpy()
        ages = _ages(cl.distinct("age_at_start"), cp)
        completed = _bools(cl.distinct("completed"), "completed", cp, default=True)
    except InputError:
        return None
    start, end = start[cl.codes["start_date"]], end[cl.codes["end_date"]]
    if (end < start).any():  # NaT compares False
        return None
    clients = pd.DataFrame(
        {
            "client_id": cl.column("client_id"),
            "start_date": start,
            "end_date": end,
            "completed": completed[cl.codes["completed"]],
            "arm": arm[cl.codes["arm"]],
            "cohort": cl.column("cohort"),
            "age_at_start": ages[cl.codes["age_at_start"]],
        }
    )

    su = _fast_table(use_path, USE_REQUIRED, USE_OPTIONAL, categorical=True)
    if su is None:
        return None
    where = pd.Index(clients["client_id"].to_numpy()).get_indexer(su.values["client_id"])
    services = su.values["service"]
    if (where < 0).any() or not all(s in units for s in services):
        return None
    try:
        s_start = _parse_dates(su.distinct("start"), "start", up, False).to_numpy()
        s_end = _parse_dates(su.distinct("end"), "end", up, True).to_numpy()
        qty = _numbers(su.distinct("quantity"), "quantity", up, default=1.0)
    except InputError:
        return None
    if ((qty < 0) | (qty > max_quantity)).any():
        return None
    s_start, s_end = s_start[su.codes["start"]], s_end[su.codes["end"]]
    service = su.codes["service"]
    client = where[su.codes["client_id"]].astype(np.int64)
    if len(clients) * len(services) >= 1 << 45:  # the spells' sort key below would overflow
        return None
    is_spell = ~np.isnat(s_end)
    if (is_spell & (s_end <= s_start)).any():
        return None
    per_event = np.array([units[s] in EVENT_UNITS for s in services], dtype=bool)
    if (is_spell & per_event[service]).any():
        return None
    spells = np.flatnonzero(is_spell)
    if spells.size > 1:  # overlapping spells of one client and service
        pair = client[spells] * len(services) + service[spells]
        a, b = s_start[spells], s_end[spells]
        # one sort key: (client, service) pair, then the start day (1900-2099: 17 bits)
        day = a.astype("datetime64[D]").astype(np.int64) + (1 << 16)
        order = np.argsort((pair << 17) + day, kind="stable")
        pair, a, b = pair[order], a[order], b[order]
        if ((pair[1:] == pair[:-1]) & (a[1:] < b[:-1])).any():
            return None
    use = pd.DataFrame(
        {
            "client": client,
            "service": services[service],
            "start": s_start,
            "end": s_end,
            "quantity": qty[su.codes["quantity"]],
            "line": su.lines,
        }
    )
    return CohortData(clients, use, cp, up, cl.synthetic or su.synthetic)


def _anniversary(start: np.ndarray, j: np.ndarray) -> np.ndarray:
    """start + j months, day clipped to the month's end (as pandas.DateOffset(months=j))."""
    months = start.astype("datetime64[M]")
    day = (start - months.astype("datetime64[D]")).astype(np.int64)  # 0-based day of month
    target = months + j.astype("timedelta64[M]")
    last = (target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype(
        "datetime64[D]"
    )
    return target.astype("datetime64[D]") + np.minimum(day, last.astype(np.int64) - 1).astype(
        "timedelta64[D]"
    )


def _month_of(start: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Relative month j of date d for a client starting on `start` (vectorised)."""
    j = (d.astype("datetime64[M]") - start.astype("datetime64[M]")).astype(np.int64)
    return np.where(d < _anniversary(start, j), j - 1, j)


def monthly_use(
    cohort: CohortData,
    services: Sequence[str],
    units: Mapping[str, str],
    first: int,
    last: int,
    clients: np.ndarray | None = None,
) -> np.ndarray:
    """Use per client, service and relative month j in [first, last), in each service's unit.

    Returns an array (clients, services, last - first). Use outside the range is ignored.
    """
    sel = np.arange(len(cohort.clients)) if clients is None else np.asarray(clients)
    pos = np.full(len(cohort.clients), -1, dtype=np.int64)
    pos[sel] = np.arange(len(sel))
    out = np.zeros((len(sel), len(services), last - first))
    sidx = {s: i for i, s in enumerate(services)}
    use = cohort.use[cohort.use["service"].isin(list(sidx)) & (pos[cohort.use["client"]] >= 0)]
    if use.empty:
        return out
    starts = cohort.clients["start_date"].to_numpy().astype("datetime64[D]")
    c = use["client"].to_numpy()
    s = use["service"].map(sidx).to_numpy()
    cstart = starts[c]
    d0 = use["start"].to_numpy().astype("datetime64[D]")
    qty = use["quantity"].to_numpy()
    is_spell = use["end"].notna().to_numpy()

    ev = ~is_spell
    j = _month_of(cstart[ev], d0[ev]) - first
    keep = (j >= 0) & (j < last - first)
    np.add.at(out, (pos[c[ev]][keep], s[ev][keep], j[keep]), qty[ev][keep])

    if is_spell.any():
        c_s, s_s, q_s, st = c[is_spell], s[is_spell], qty[is_spell], cstart[is_spell]
        a = d0[is_spell]
        b = use["end"].to_numpy()[is_spell].astype("datetime64[D]")
        # clip spells to the range's dates
        lo = _anniversary(st, np.full(len(st), first))
        hi = _anniversary(st, np.full(len(st), last))
        a = np.maximum(a, lo)
        b = np.minimum(b, hi)
        ok = b > a
        c_s, s_s, q_s, st, a, b = c_s[ok], s_s[ok], q_s[ok], st[ok], a[ok], b[ok]
        ja = _month_of(st, a)
        jb = _month_of(st, b - np.timedelta64(1, "D"))
        n = jb - ja + 1
        rep = np.repeat(np.arange(len(ja)), n)
        jj = ja[rep] + (np.arange(rep.size) - np.repeat(np.cumsum(n) - n, n))
        seg_lo = np.maximum(a[rep], _anniversary(st[rep], jj))
        seg_hi = np.minimum(b[rep], _anniversary(st[rep], jj + 1))
        days = (seg_hi - seg_lo).astype(np.int64).astype(float)
        unit_days = np.array([DAYS_PER_UNIT.get(units[sv], 1.0) for sv in services])
        amount = days / unit_days[s_s[rep]] * q_s[rep]
        np.add.at(out, (pos[c_s[rep]], s_s[rep], jj - first), amount)
    return out


def baseline_rates(
    cohort: CohortData,
    services: Sequence[str],
    units: Mapping[str, str],
    baseline_months: int,
    clients: np.ndarray | None = None,
) -> np.ndarray:
    """Baseline rate per month for each client and service: use in the window / its length."""
    window = monthly_use(cohort, services, units, -baseline_months, 0, clients)
    return window.sum(axis=2) / baseline_months


def history_exposure(
    cohort: CohortData, baseline_months: int, history_from: np.datetime64, clients: np.ndarray
) -> np.ndarray:
    """Months of the baseline window each client was observed for (data start history_from).

    A client whose window starts on or after history_from has the full window; otherwise the
    observed part, in months of 365/12 days.
    """
    start = cohort.clients["start_date"].to_numpy().astype("datetime64[D]")[clients]
    window_start = _anniversary(start, np.full(len(start), -baseline_months))
    short_days = (start - np.maximum(window_start, history_from)).astype(np.int64)
    part = np.clip(short_days * 12.0 / 365.0, 0.0, float(baseline_months))
    return np.where(window_start >= history_from, float(baseline_months), part)


def comparison_trend(
    cohort: CohortData,
    services: Sequence[str],
    units: Mapping[str, str],
    weights: np.ndarray,
    baseline_months: int,
    ramp_months: int,
    horizon_months: int,
    observed_to: np.datetime64,
    clients: np.ndarray,
    replicates: int,
    seed: int,
) -> tuple[float, np.ndarray, dict[str, float]]:
    """The comparison group's observed change against its own baseline, and its bootstrap.

    For comparison client c, with baseline £-weighted rate B_c per month and observed
    follow-up from relative month `ramp_months` to the data cut-off (F_c months in all):
        trend = 1 - sum_c use_c / sum_c (B_c x (F_c - ramp_months))
    where use is £-weighted by `weights` (one per service), so the trend is the share of
    baseline cost that fell away once the ramp is complete. Clients are resampled with
    replacement for the bootstrap replicates.
    """
    start = cohort.clients["start_date"].to_numpy().astype("datetime64[D]")[clients]
    # whole months observed: relative months ending on or before observed_to (inclusive)
    day_after = np.full(len(start), observed_to + np.timedelta64(1, "D"))
    f_c = np.minimum(_month_of(start, day_after), horizon_months)
    f_c = np.maximum(f_c, 0)
    last = int(f_c.max()) if len(f_c) else 0
    months = max(last - ramp_months, 0)
    if months <= 0:
        raise InputError(
            f"{cohort.clients_path}: the comparison arm has no follow-up after the "
            f"{ramp_months}-month ramp before the data cut-off {observed_to}; "
            "counterfactual.method 'comparison' needs it"
        )
    base = baseline_rates(cohort, services, units, baseline_months, clients) @ weights
    use = monthly_use(cohort, services, units, ramp_months, last, clients)
    per_month = np.einsum("csm,s->cm", use, weights)
    observed = np.arange(ramp_months, last)[None, :] < f_c[:, None]
    obs = (per_month * observed).sum(axis=1)
    expo = base * np.maximum(f_c - ramp_months, 0)
    if expo.sum() <= 0:
        raise InputError(
            f"{cohort.clients_path}: the comparison arm has no baseline use to compare against"
        )
    point = 1.0 - obs.sum() / expo.sum()
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7,)))
    reps = np.empty(replicates)
    n = len(clients)
    for r in range(replicates):
        idx = rng.integers(0, n, n)
        e = expo[idx].sum()
        reps[r] = 1.0 - obs[idx].sum() / e if e > 0 else point
    info = {
        "clients": float(n),
        "clients_followed_up": float((f_c > ramp_months).sum()),
        "trend": float(point),
        "mean_follow_up_months": float(f_c.mean()) if n else 0.0,
    }
    return float(point), np.clip(reps, -1.0, 1.0), info


def rows_outside_windows(
    cohort: CohortData, baseline_months: int, horizon_months: int
) -> np.ndarray:
    """Service-use rows that no part of the model can use (a boolean per row).

    A row is usable if any of its dates falls in its client's span
    [start_date - baseline_months months, start_date + horizon_months months): the baseline
    window and the longest follow-up the appraisal can look at. Rows wholly before or after
    that span are ignored; fam counts them and warns (they are not an error, as extracts
    often hold older history), see docs/errors_and_privacy.md.
    """
    use = cohort.use
    if use.empty:
        return np.zeros(0, dtype=bool)
    starts = cohort.clients["start_date"].to_numpy().astype("datetime64[D]")
    st = starts[use["client"].to_numpy()]
    lo = _anniversary(st, np.full(len(st), -baseline_months))
    hi = _anniversary(st, np.full(len(st), horizon_months))
    first = use["start"].to_numpy().astype("datetime64[D]")
    end = use["end"].to_numpy().astype("datetime64[D]")
    # the last date a row covers: its start for an event, the day before its end for a spell
    last = np.where(np.isnat(end), first, end - np.timedelta64(1, "D"))
    return (last < lo) | (first >= hi)


def observed_follow_up(
    cohort: CohortData,
    services: Sequence[str],
    units: Mapping[str, str],
    clients: np.ndarray,
    observed_to: date | None,
    horizon_months: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Whole months observed after each client's start, up to the data cut-off, and the use
    in them: (months [client], use [client, service])."""
    n = len(clients)
    if observed_to is None or n == 0:
        return np.zeros(n, dtype=np.int64), np.zeros((n, len(services)))
    start = cohort.clients["start_date"].to_numpy().astype("datetime64[D]")[clients]
    day_after = np.full(n, np.datetime64(observed_to, "D") + np.timedelta64(1, "D"))
    f_c = np.clip(_month_of(start, day_after), 0, horizon_months).astype(np.int64)
    last = int(f_c.max())
    if last <= 0:
        return f_c, np.zeros((n, len(services)))
    use = np.zeros((n, len(services)))
    step = max(1, 2_000_000 // max(1, len(services) * last))
    for a in range(0, n, step):
        part = monthly_use(cohort, services, units, 0, last, clients[a : a + step])
        mask = np.arange(last)[None, None, :] < f_c[a : a + step, None, None]
        use[a : a + step] = (part * mask).sum(axis=2)
    return f_c, use
