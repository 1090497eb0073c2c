"""The Children in Need census (XML, DfE's published schema) read strictly.

Per child (LAchildID): date of birth, and per CINdetails block its referral date and closure
date, its CIN plan spells and its child protection plan spells. Documents with a DOCTYPE or
entity declarations are refused before parsing (no entity expansion). See docs/import.md.
"""

from __future__ import annotations

import datetime as _dt
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fam.errors import InputError
from fam.inputs.files import read_input_bytes
from fam.inputs.ssda903 import Spell, parse_date

# services the census gives (unit_costs/uk.csv)
REFERRAL_SERVICE = "child_in_need"  # one event per CIN episode (case from referral to closure)
CPP_SERVICE = "child_protection_plan_month"  # a spell per child protection plan


@dataclass
class CinChild:
    child: str
    dob: _dt.date | None
    referrals: list[tuple[_dt.date, _dt.date | None]] = field(default_factory=list)
    cin_plans: list[tuple[_dt.date, _dt.date | None]] = field(default_factory=list)
    cpps: list[tuple[_dt.date, _dt.date | None]] = field(default_factory=list)
    cpp_where: list[str] = field(default_factory=list)  # file: Child i: CINdetails j: ...


@dataclass
class Census:
    path: str
    year: str
    children: dict[str, CinChild]


def _text(el: ET.Element, tag: str) -> str:
    found = el.find(tag)
    return "" if found is None or found.text is None else found.text.strip()


def read_census(path: str | Path) -> Census:
    """One census file: children by LAchildID with their episodes and plans."""
    p = Path(path)
    raw = read_input_bytes(p, "a CIN census XML file")
    head = raw[:4096].upper()
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in head:
        raise InputError(
            f"{p}: has a DOCTYPE or entity declarations, which fam refuses to expand; expected "
            "a plain CIN census XML file"
        )
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise InputError(f"{p}: not well-formed XML ({exc}); expected a CIN census file") from None
    for el in root.iter():  # a namespaced file reads as a plain one
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            el.tag = el.tag.split("}", 1)[1]
    if root.tag != "Message" or root.find("Children") is None:
        raise InputError(
            f"{p}: root element {root.tag!r}; expected a CIN census <Message> with <Children>"
        )
    year = _text(root, "Header/CollectionDetails/Year")
    ref = _text(root, "Header/CollectionDetails/ReferenceDate")
    children: dict[str, CinChild] = {}
    for i, child in enumerate(root.iterfind("Children/Child"), start=1):
        where = f"{p}: Child {i}"
        cid = _text(child, "ChildIdentifiers/LAchildID")
        if not cid:
            raise InputError(f"{where}: ChildIdentifiers/LAchildID is empty or missing")
        if cid in children:
            raise InputError(
                f"{where}: the same LAchildID as an earlier Child; expected each child once"
            )
        dob_text = _text(child, "ChildIdentifiers/PersonBirthDate")
        dob = parse_date(dob_text, where, "PersonBirthDate", "%Y-%m-%d") if dob_text else None
        rec = CinChild(cid, dob)
        for j, det in enumerate(child.iterfind("CINdetails"), start=1):
            w = f"{where}: CINdetails {j}"
            ref_text = _text(det, "CINreferralDate")
            if not ref_text:
                raise InputError(f"{w}: CINreferralDate is missing; expected a date YYYY-MM-DD")
            start = parse_date(ref_text, w, "CINreferralDate", "%Y-%m-%d")
            close_text = _text(det, "CINclosureDate")
            close = parse_date(close_text, w, "CINclosureDate", "%Y-%m-%d") if close_text else None
            if close is not None and close < start:
                raise InputError(f"{w}: CINclosureDate is before CINreferralDate")
            rec.referrals.append((start, close))
            for tag, a, b, out in (
                ("CINPlanDates", "CINPlanStartDate", "CINPlanEndDate", rec.cin_plans),
                ("ChildProtectionPlans", "CPPstartDate", "CPPendDate", rec.cpps),
            ):
                for k, plan in enumerate(det.iterfind(tag), start=1):
                    wp = f"{w}: {tag} {k}"
                    s_text = _text(plan, a)
                    if not s_text:
                        raise InputError(f"{wp}: {a} is missing; expected a date YYYY-MM-DD")
                    s = parse_date(s_text, wp, a, "%Y-%m-%d")
                    e_text = _text(plan, b)
                    e = parse_date(e_text, wp, b, "%Y-%m-%d") if e_text else None
                    if e is not None and e < s:
                        raise InputError(f"{wp}: {b} is before {a}")
                    out.append((s, e))
                    if tag == "ChildProtectionPlans":
                        rec.cpp_where.append(wp)
        children[cid] = rec
    if year.isdigit():
        y = int(year) - 1  # the census of year Y covers April Y-1 to March Y
        label = f"{y}-{(y + 1) % 100:02d}"
    elif ref:
        d = parse_date(ref, f"{p}: Header", "ReferenceDate", "%Y-%m-%d")
        y = d.year - 1 if d.month <= 3 else d.year
        label = f"{y}-{(y + 1) % 100:02d}"
    else:
        label = ""
    return Census(str(p), label, children)


@dataclass
class CinImport:
    events: list[tuple[str, str, _dt.date]]
    spells: list[Spell]
    counts: dict[str, int]
    findings: list[str]


def _merge(
    items: list[tuple[_dt.date, _dt.date | None]],
) -> dict[_dt.date, _dt.date | None]:
    out: dict[_dt.date, _dt.date | None] = {}
    for s, e in items:
        out[s] = e  # later censuses come later: their end date wins
    return out


def cin_services(
    censuses: Sequence[Census], children: set[str], to: _dt.date
) -> tuple[CinImport, dict[str, _dt.date]]:
    """Referrals (events) and child protection plans (spells) of the listed children.

    A CIN episode or plan repeated across several years' censuses is counted once (by child
    and start date; the latest census's end date wins). Open plans end at `to`; plans that
    overlap an earlier plan of the same child cut it short (reported). Also returns the date
    of birth of every child in the censuses.
    """
    ordered = sorted(censuses, key=lambda c: c.year)
    refs: dict[str, list[tuple[_dt.date, _dt.date | None]]] = {}
    plans: dict[str, list[tuple[_dt.date, _dt.date | None]]] = {}
    where: dict[tuple[str, _dt.date], str] = {}
    cinp: dict[str, list[tuple[_dt.date, _dt.date | None]]] = {}
    dob: dict[str, _dt.date] = {}
    for c in ordered:
        for cid, ch in c.children.items():
            if ch.dob is not None:
                dob[cid] = ch.dob
            refs.setdefault(cid, []).extend(ch.referrals)
            plans.setdefault(cid, []).extend(ch.cpps)
            for (a, _), w in zip(ch.cpps, ch.cpp_where, strict=True):
                where[(cid, a)] = w
            cinp.setdefault(cid, []).extend(ch.cin_plans)
    counts = {
        "cin_episodes": 0,
        "cin_after_to": 0,
        "cin_plan_days": 0,
        "cp_plans": 0,
        "cp_after_to": 0,
        "cp_overlaps": 0,
    }
    findings: list[str] = []
    events: list[tuple[str, str, _dt.date]] = []
    spells: list[Spell] = []
    for cid in sorted(children & set(refs)):
        for s in sorted(_merge(refs[cid])):
            if s >= to:
                counts["cin_after_to"] += 1
                continue
            counts["cin_episodes"] += 1
            events.append((cid, REFERRAL_SERVICE, s))
        for s, e in _merge(cinp[cid]).items():
            if s < to:
                counts["cin_plan_days"] += ((min(e, to) if e else to) - s).days
        merged = sorted(_merge(plans[cid]).items())
        kept: list[Spell] = []
        for s, e in merged:
            if s >= to:
                counts["cp_after_to"] += 1
                continue
            end = to if e is None or e > to else e
            if end <= s:
                continue
            if kept and s < kept[-1].end:
                counts["cp_overlaps"] += 1
                findings.append(
                    f"{where[(cid, s)]}: the plan begins before the child's previous plan "
                    f"({where[(cid, kept[-1].start)]}) ends; that one is cut short"
                )
                kept[-1].end = s
                if kept[-1].end <= kept[-1].start:
                    kept.pop()
            kept.append(Spell(cid, CPP_SERVICE, s, end))
        counts["cp_plans"] += len(kept)
        spells.extend(kept)
    return CinImport(events, spells, counts, findings), dob
