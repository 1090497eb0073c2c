"""Cohort data: clients.csv and service_use.csv, read strictly and turned into use per month.

Relative month j of a client covers the dates [start_date + j months, start_date + j+1 months)
(month arithmetic as in pandas.DateOffset: a day past the end of a month is clipped to it).
The baseline window is relative months -B..-1. A spell counts the dates start <= d < end,
each in its own relative month, converted to its service's unit.
"""

from __future__ import annotations

import csv
import gc
import io
import re
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
    raw = read_input_bytes(p, "a CSV file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{p}: not UTF-8 text (byte {e.start}); save it as UTF-8 CSV") from None
    # parse the whole text (a quoted field may span lines); number each record by the line
    # it starts on; skip blank records and comment lines ('#' first)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise InputError(
            f"{p}: line {line}: contains NUL bytes (UTF-16 or not text?); save it as UTF-8 CSV"
        )
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


def load_cohort(
    clients_path: str | Path,
    use_path: str | Path,
    units: Mapping[str, str],
    max_quantity: float = 10_000.0,
) -> CohortData:
    """Read and check clients.csv and service_use.csv.

    `units` maps each known service code to its unit; services not in it are errors.
    """
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
    arm = cl["arm"].replace("", "programme")
    bad_arm = ~arm.isin(["programme", "comparison"])
    if bad_arm.any():
        i = bad_arm.idxmax()
        raise InputError(
            f"{cp}: line {cl.at[i, '_line']}: arm {_cell(cl, i, 'arm')}; expected programme or comparison"
        )
    age = cl["age_at_start"]
    age_num = pd.to_numeric(age.where(age != "", None), errors="coerce")
    bad_age = (age != "") & (age_num.isna() | (age_num < 0) | (age_num > 120))
    if bad_age.any():
        i = bad_age.idxmax()
        raise InputError(
            f"{cp}: line {cl.at[i, '_line']}: age_at_start {_cell(cl, i, 'age_at_start')}; expected a number 0-120"
        )
    clients = pd.DataFrame(
        {
            "client_id": cl["client_id"].to_numpy(),
            "start_date": start.to_numpy(),
            "end_date": end.to_numpy(),
            "completed": _bools(cl, "completed", cp, default=True),
            "arm": arm.to_numpy(),
            "cohort": cl["cohort"].to_numpy(),
            "age_at_start": age_num.to_numpy(dtype=float),
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
