"""SSDA903 returns (children looked after) read strictly and turned into placement spells.

An episode of care [DECOM, DEC) is priced by its placement (PLACE, PLACE_PROVIDER) with the
code list of its return's collection year (fam/parameters/ssda903_codes.yaml). Episodes of
one child that follow each other in the same service make one spell. See docs/import.md.

Pure functions over tables: the command (fam/cli/importing.py) reads and writes the files.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from fam.errors import InputError
from fam.inputs.cohort import read_table

EPISODE_REQUIRED = ("CHILD", "DECOM", "LS", "PLACE", "PLACE_PROVIDER", "DEC")
EPISODE_OPTIONAL = ("RNE", "CIN", "REC", "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN")
HEADER_REQUIRED = ("CHILD", "DOB")
HEADER_OPTIONAL = ("SEX", "ETHNIC", "UPN", "MOTHER", "MC_DOB")
REFERRAL_REQUIRED = ("CHILD", "start_date", "arm")
REFERRAL_OPTIONAL = ("completed", "end_date", "cohort")
DATE_RANGE = (_dt.date(1900, 1, 1), _dt.date(2099, 12, 31))
OTHER = "care_week_other"


@lru_cache(maxsize=1)
def codes() -> dict[str, Any]:
    """The code lists by year (fam/parameters/ssda903_codes.yaml)."""
    text = resources.files("fam").joinpath("parameters/ssda903_codes.yaml").read_text("utf-8")
    out: dict[str, Any] = yaml.safe_load(text)
    return out


def collection_year(d: _dt.date) -> str:
    """The collection year (1 April to 31 March) holding date d, e.g. '2024-25'."""
    y = d.year if d.month >= 4 else d.year - 1
    return f"{y}-{(y + 1) % 100:02d}"


def _year_start(year: str) -> int:
    return int(year[:4])


def valid_in(code: Mapping[str, Any], year: str) -> bool:
    """Whether a placement code's entry is valid in collection year `year`."""
    y = _year_start(year)
    lo = code.get("from")
    hi = code.get("until")
    return (lo is None or y >= _year_start(str(lo))) and (hi is None or y <= _year_start(str(hi)))


def parse_date(text: str, where: str, col: str, fmt: str = "%d/%m/%Y") -> _dt.date:
    """A date in `fmt` (dd/mm/yyyy for the returns), within 1900-2099, else an InputError."""
    shown = "dd/mm/yyyy" if fmt == "%d/%m/%Y" else "YYYY-MM-DD"
    try:
        d = _dt.datetime.strptime(text, fmt).date()
    except ValueError:
        raise InputError(
            f"{where}: column {col!r}: {text!r} is not a date; expected {shown}"
        ) from None
    if not DATE_RANGE[0] <= d <= DATE_RANGE[1]:
        raise InputError(
            f"{where}: column {col!r}: {text!r} is outside 1900 to 2099; check the year"
        )
    return d


@dataclass
class Episode:
    child: str
    start: _dt.date
    end: _dt.date | None  # DEC; None while open
    ls: str
    place: str
    provider: str
    file: str
    line: int
    year: str


@dataclass
class Return:
    """One year's episodes file."""

    path: str
    year: str
    episodes: list[Episode]
    findings: list[str] = field(default_factory=list)


def read_episodes(path: str | Path) -> Return:
    """Read one year's episodes file: strict columns, dates and codes for its year."""
    p = str(path)
    df = read_table(path, EPISODE_REQUIRED, EPISODE_OPTIONAL)
    if df.empty:
        raise InputError(f"{p}: no episodes; expected at least one data row")
    table = codes()
    rows: list[tuple[int, str, _dt.date, _dt.date | None, dict[str, str]]] = []
    for rec in df.to_dict("records"):
        line = int(rec["_line"])
        where = f"{p}: line {line}"
        child = rec["CHILD"]
        if not child:
            raise InputError(f"{where}: CHILD is empty")
        if not rec["DECOM"]:
            raise InputError(f"{where}: DECOM is empty; expected a date dd/mm/yyyy")
        start = parse_date(rec["DECOM"], where, "DECOM")
        end = parse_date(rec["DEC"], where, "DEC") if rec["DEC"] else None
        if end is not None and end < start:
            raise InputError(f"{where}: DEC {rec['DEC']} is before DECOM {rec['DECOM']}")
        rows.append((line, child, start, end, rec))
    latest = max(max(s, e or s) for _, _, s, e, _ in rows)
    year = collection_year(latest)
    ret = Return(p, year, [])
    seen: dict[tuple[str, _dt.date], int] = {}
    last_start: dict[str, tuple[_dt.date, int]] = {}
    for line, child, start, end, rec in rows:
        where = f"{p}: line {line}"
        place, provider, ls = rec["PLACE"], rec["PLACE_PROVIDER"], rec["LS"]
        entry = table["place"].get(place)
        if entry is None or not valid_in(entry, year):
            when = ""
            if entry is not None:
                when = f" (valid from {entry['from']})" if "from" in entry else ""
                when = when or f" (valid until {entry['until']})"
            valid = sorted(c for c, e in table["place"].items() if valid_in(e, year))
            raise InputError(
                f"{where}: PLACE {place!r} is not a placement code in a {year} return{when}; "
                f"expected one of {', '.join(valid)}"
            )
        if provider and provider not in table["providers"]:
            raise InputError(
                f"{where}: PLACE_PROVIDER {provider!r} is not a provider code; expected blank "
                f"or one of {', '.join(table['providers'])}"
            )
        if ls not in table["legal_status"]:
            raise InputError(
                f"{where}: LS {ls!r} is not a legal status code; expected one of "
                + ", ".join(table["legal_status"])
            )
        key = (child, start)
        if key in seen:
            raise InputError(
                f"{where}: duplicate episode: the same CHILD and DECOM as line {seen[key]}; "
                "expected each episode once in a return"
            )
        seen[key] = line
        if place in table["no_provider"] and provider:
            ret.findings.append(
                f"{where}: PLACE_PROVIDER given for a {place} placement (DfE asks for none)"
            )
        elif place not in table["no_provider"] and not provider:
            ret.findings.append(f"{where}: PLACE_PROVIDER blank for a {place} placement")
        rne, cin = rec.get("RNE", ""), rec.get("CIN", "")
        if rne and rne not in table["reason_new_episode"]:
            ret.findings.append(f"{where}: RNE {rne!r} is not a valid reason for a new episode")
        if cin and cin not in table["category_of_need"]:
            ret.findings.append(f"{where}: CIN {cin!r} is not a valid category of need")
        prev = last_start.get(child)
        if prev is not None and start < prev[0]:
            ret.findings.append(
                f"{where}: episode out of order: it starts before the child's episode on line "
                f"{prev[1]}"
            )
        if prev is None or start >= prev[0]:
            last_start[child] = (start, line)
        ret.episodes.append(Episode(child, start, end, ls, place, provider, p, line, year))
    return ret


def read_header(paths: Sequence[str | Path]) -> dict[str, _dt.date]:
    """Date of birth by CHILD from one or more header files (a conflict is an error)."""
    dob: dict[str, tuple[_dt.date, str]] = {}
    for path in paths:
        df = read_table(path, HEADER_REQUIRED, HEADER_OPTIONAL)
        for rec in df.to_dict("records"):
            where = f"{path}: line {rec['_line']}"
            if not rec["CHILD"]:
                raise InputError(f"{where}: CHILD is empty")
            if not rec["DOB"]:
                raise InputError(f"{where}: DOB is empty; expected a date dd/mm/yyyy")
            d = parse_date(rec["DOB"], where, "DOB")
            old = dob.get(rec["CHILD"])
            if old is not None and old[0] != d:
                raise InputError(f"{where}: DOB differs from the same CHILD's DOB at {old[1]}")
            dob[rec["CHILD"]] = (d, where)
    return {k: v[0] for k, v in dob.items()}


@dataclass(frozen=True)
class Referral:
    child: str
    start: _dt.date
    end: _dt.date | None
    arm: str
    completed: str
    cohort: str
    line: int


def read_referrals(path: str | Path) -> list[Referral]:
    """Who is in the cohort and from when: CHILD, start_date, arm (+ completed, end_date, cohort)."""
    df = read_table(path, REFERRAL_REQUIRED, REFERRAL_OPTIONAL)
    if df.empty:
        raise InputError(f"{path}: no referrals; expected at least one data row")
    out: list[Referral] = []
    seen: dict[str, int] = {}
    for rec in df.to_dict("records"):
        line = int(rec["_line"])
        where = f"{path}: line {line}"
        child = rec["CHILD"]
        if not child:
            raise InputError(f"{where}: CHILD is empty")
        if child in seen:
            raise InputError(f"{where}: CHILD appears more than once (first on line {seen[child]})")
        seen[child] = line
        if not rec["start_date"]:
            raise InputError(f"{where}: start_date is empty; expected a date YYYY-MM-DD")
        start = parse_date(rec["start_date"], where, "start_date", "%Y-%m-%d")
        end = (
            parse_date(rec["end_date"], where, "end_date", "%Y-%m-%d") if rec["end_date"] else None
        )
        if end is not None and end < start:
            raise InputError(f"{where}: end_date is before start_date")
        if rec["arm"] not in ("programme", "comparison"):
            raise InputError(f"{where}: arm {rec['arm']!r}; expected programme or comparison")
        out.append(Referral(child, start, end, rec["arm"], rec["completed"], rec["cohort"], line))
    return out


def service_of(place: str, provider: str) -> str:
    """The fam service of a placement (or 'previous' for a temporary placement)."""
    s = codes()["place"][place]["service"]
    if isinstance(s, dict):
        return str(s.get(provider, s["default"]))
    return str(s)


@dataclass
class Spell:
    child: str
    service: str
    start: _dt.date
    end: _dt.date


@dataclass
class PlacementImport:
    spells: list[Spell]
    counts: dict[str, int]
    findings: list[str]
    years: list[str]


def merge_returns(returns: Sequence[Return]) -> tuple[list[Episode], int]:
    """Episodes of all returns, each (CHILD, DECOM) once: the latest return's version wins
    (an episode open at one year's end comes back closed the next). Returns the episodes and
    how many repeats were dropped."""
    years: dict[str, str] = {}
    for r in returns:
        if r.year in years:
            raise InputError(
                f"{r.path}: a second {r.year} return (the first is {years[r.year]}); expected "
                "one episodes file per collection year"
            )
        years[r.year] = r.path
    latest: dict[tuple[str, _dt.date], Episode] = {}
    repeats = 0
    for r in sorted(returns, key=lambda r: r.year):
        for e in r.episodes:
            key = (e.child, e.start)
            if key in latest:
                repeats += 1
            latest[key] = e
    return list(latest.values()), repeats


def placement_spells(
    returns: Sequence[Return], children: set[str], to: _dt.date
) -> PlacementImport:
    """Spells [DECOM, DEC) of the listed children, priced by placement, ending by `to`.

    Left out and counted: short breaks (LS V3, V4), episodes starting on or after `to`, and
    episodes of no length. Open episodes end at `to`; later ones are cut there. An episode
    starting before the previous one ends cuts the previous one short (reported by line).
    """
    table = codes()
    episodes, repeats = merge_returns(returns)
    findings = [f for r in returns for f in r.findings]
    counts = {
        "episodes": sum(len(r.episodes) for r in returns),
        "repeated_across_returns": repeats,
        "not_in_referrals": 0,
        "short_breaks": 0,
        "after_to": 0,
        "zero_length": 0,
        "open_at_to": 0,
        "cut_at_to": 0,
        "overlaps": 0,
        "episodes_used": 0,
    }
    by_child: dict[str, list[Episode]] = {}
    for e in episodes:
        if e.child not in children:
            counts["not_in_referrals"] += 1
            continue
        if e.ls in table["short_breaks"]:
            counts["short_breaks"] += 1
            continue
        if e.start >= to:
            counts["after_to"] += 1
            continue
        if e.end is not None and e.end == e.start:
            counts["zero_length"] += 1
            continue
        by_child.setdefault(e.child, []).append(e)
    last_year = max(r.year for r in returns)
    for eps in by_child.values():
        for e in eps:
            if e.end is None and e.year < last_year:
                counts["open_missing_later"] = counts.get("open_missing_later", 0) + 1
                findings.append(
                    f"{e.file}: line {e.line}: episode open at the end of {e.year} is missing "
                    f"from the later return(s); taken as open"
                )
    spells: list[Spell] = []
    for child in sorted(by_child):
        eps = sorted(by_child[child], key=lambda e: e.start)
        ends: list[_dt.date] = []
        for e in eps:
            end = e.end
            if end is None or end > to:
                counts["open_at_to" if end is None else "cut_at_to"] += 1
                end = to
            ends.append(end)
        for i in range(1, len(eps)):
            if eps[i].start < ends[i - 1]:
                counts["overlaps"] += 1
                a, b = eps[i - 1], eps[i]
                findings.append(
                    f"{b.file}: line {b.line}: episode starts before the episode on "
                    f"{a.file if a.file != b.file else 'line'}"
                    f"{' line' if a.file != b.file else ''} {a.line} ends; that one is cut short"
                )
                ends[i - 1] = b.start
        prev_service: str | None = None
        prev_end: _dt.date | None = None
        for e, end in zip(eps, ends, strict=True):
            if end <= e.start:  # cut to nothing by an overlap
                continue
            counts["episodes_used"] += 1
            svc = service_of(e.place, e.provider)
            if svc == "previous":
                svc = prev_service if prev_service and prev_end == e.start else OTHER
            last = spells[-1] if spells and spells[-1].child == child else None
            if last is not None and last.service == svc and last.end == e.start:
                last.end = end
            else:
                spells.append(Spell(child, svc, e.start, end))
            prev_service, prev_end = svc, end
    counts["spells"] = len(spells)
    return PlacementImport(spells, counts, findings, sorted({r.year for r in returns}))


def age_years(dob: _dt.date, on: _dt.date) -> float:
    """Age in years on a date: days since birth / 365.25, to two decimals."""
    return round((on - dob).days / 365.25, 2)


def days_by_service(spells: Sequence[Spell]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in spells:
        out[s.service] = out.get(s.service, 0) + (s.end - s.start).days
    return dict(sorted(out.items()))


def frames(
    referrals: Sequence[Referral],
    dob: Mapping[str, _dt.date],
    pseudonym: Mapping[str, str],
    spells: Sequence[Spell],
    events: Sequence[tuple[str, str, _dt.date]] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """clients.csv and service_use.csv as frames, with pseudonyms for CHILD ids."""
    clients = pd.DataFrame(
        {
            "client_id": [pseudonym[r.child] for r in referrals],
            "start_date": [r.start.isoformat() for r in referrals],
            "end_date": [r.end.isoformat() if r.end else "" for r in referrals],
            "completed": [r.completed for r in referrals],
            "arm": [r.arm for r in referrals],
            "cohort": [r.cohort for r in referrals],
            "age_at_start": [f"{age_years(dob[r.child], r.start):g}" for r in referrals],
        }
    ).sort_values("client_id", kind="stable")
    rows = [
        (pseudonym[s.child], s.service, s.start.isoformat(), s.end.isoformat(), "1") for s in spells
    ]
    rows += [(pseudonym[c], svc, d.isoformat(), "", "1") for c, svc, d in events]
    use = pd.DataFrame(rows, columns=["client_id", "service", "start", "end", "quantity"])
    use = use.sort_values(["client_id", "start", "service"], kind="stable")
    return clients.reset_index(drop=True), use.reset_index(drop=True)


def _plus_months(d: _dt.date, months: int) -> _dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    last = (_dt.date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1) - _dt.timedelta(days=1)).day
    return _dt.date(y, m + 1, min(d.day, last))


def care_share(
    referrals: Sequence[Referral],
    spells: Sequence[Spell],
    to: _dt.date,
    arm: str,
    months: int = 30,
    replicates: int = 2000,
) -> tuple[float, int, int, float, float]:
    """Share of child-days in care (any placement spell) in the `months` after referral, for
    the children of one arm: days in care / days observed, each child observed from its
    start_date to start_date + months or `to`, whichever is first (the Essex SIB's "care
    proportion": total care days / total child days). Returns (share, care days, child days,
    5th and 95th percentiles of the share over `replicates` resamplings of the children with
    replacement, seed 0).
    """
    import numpy as np

    window = {
        r.child: (r.start, min(_plus_months(r.start, months), to))
        for r in referrals
        if r.arm == arm
    }
    kids = sorted(window)
    pos = {c: i for i, c in enumerate(kids)}
    total = np.array([max(0, (window[c][1] - window[c][0]).days) for c in kids], dtype=float)
    care = np.zeros(len(kids))
    for s in spells:
        w = window.get(s.child)
        if w is not None:
            care[pos[s.child]] += max(0, (min(s.end, w[1]) - max(s.start, w[0])).days)
    if not len(kids) or total.sum() <= 0:
        return float("nan"), 0, 0, float("nan"), float("nan")
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(kids), size=(replicates, len(kids)))
    den = total[idx].sum(axis=1)
    reps = np.where(den > 0, care[idx].sum(axis=1) / np.where(den > 0, den, 1.0), 0.0)
    lo, hi = np.percentile(reps, [5, 95])
    return float(care.sum() / total.sum()), int(care.sum()), int(total.sum()), float(lo), float(hi)
