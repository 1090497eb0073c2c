"""SYNTHETIC SSDA903 and CIN census returns for an edge-of-care cohort: NOT real children.

Children aged 11-16 are referred to an edge-of-care service (the programme arm) or, in the
years before it existed, to the council's usual service (the comparison arm). Each child's
placements follow a continuous-time chain: from home into kinship, in-house or agency
fostering, a children's home, supported accommodation (16 and over), a secure children's
home or a young offender institution; moves between placements; a return home (sometimes
through a spell placed with parents); care ends at 18. The programme lowers the monthly
chance of entering care after referral by `effect` (e.g. -0.3). Episodes are split by
legal-status changes and temporary moves, a few children have short breaks, and the files
are written one collection year at a time, as councils submit them (open episodes carried
into the next year's return). See docs/import.md.
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from fam.inputs.ssda903 import collection_year

DAYS_PER_MONTH = 365.25 / 12
# monthly probabilities (assumptions chosen to look like an edge-of-care cohort, not data)
ENTRY_BEFORE = 0.004  # per month in the two years before referral
ENTRY_AFTER = 0.035  # per month after referral, comparison arm
EXIT = 0.025  # per month, care -> home
MOVE = 0.02  # per month, between placements
REREFERRAL = 0.02  # per month, a new child-in-need referral after the last one closed
# where children go on entering care or moving: (state, weight)
DESTINATIONS = (
    ("kinship", 0.15),
    ("foster_la", 0.30),
    ("foster_ifa", 0.25),
    ("residential", 0.06),
    ("residential_private", 0.14),
    ("supported", 0.06),  # 16 and over, else agency fostering
    ("secure", 0.02),
    ("yoi", 0.02),  # 15 and over, else a private children's home
)
# (PLACE, PLACE_PROVIDER) choices per state
CODES = {
    "kinship": (("U3", "PR1"), ("U1", "PR1")),
    "foster_la": (("U6", "PR1"), ("U4", "PR1"), ("U6", "PR2")),
    "foster_ifa": (("U6", "PR4"), ("U4", "PR5")),
    "residential": (("K2", "PR1"),),
    "residential_private": (("K2", "PR4"), ("K2", "PR5")),
    "supported": (("H5", "PR4"),),  # K3 from 2024-25
    "secure": (("K1", "PR2"),),
    "yoi": (("R5", "PR3"),),
    "pwp": (("P1", "PR0"),),
}


@dataclass
class SynthEpisode:
    child: str
    start: _dt.date
    end: _dt.date | None
    ls: str
    place: str
    provider: str
    rne: str


@dataclass
class SynthChild:
    child: str
    dob: _dt.date
    sex: str
    referral: _dt.date
    arm: str
    episodes: list[SynthEpisode]
    cin: list[tuple[_dt.date, _dt.date | None]]
    cpp: list[tuple[_dt.date, _dt.date | None]]


def _add_months(d: _dt.date, months: int) -> _dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    return _dt.date(d.year + y, m + 1, 1)


def _wait(rng: np.random.Generator, p_month: float) -> float:
    """Days until an event of monthly probability p (exponential)."""
    rate = -math.log(1.0 - p_month) / DAYS_PER_MONTH
    return float(rng.exponential(1.0 / rate))


def _birthday(dob: _dt.date, age: int) -> _dt.date:
    try:
        return dob.replace(year=dob.year + age)
    except ValueError:  # 29 February
        return _dt.date(dob.year + age, 3, 1)


def _destination(rng: np.random.Generator, age: float, exclude: str | None) -> str:
    names = [n for n, _ in DESTINATIONS if n != exclude]
    w = np.array([w for n, w in DESTINATIONS if n != exclude])
    s = names[int(rng.choice(len(names), p=w / w.sum()))]
    if s == "supported" and age < 16:
        return "foster_ifa"
    if s == "yoi" and age < 15:
        return "residential_private"
    return s


def _child(
    rng: np.random.Generator, cid: str, referral: _dt.date, arm: str, effect: float, to: _dt.date
) -> SynthChild:
    age0 = float(rng.uniform(11.0, 17.0))
    dob = referral - _dt.timedelta(days=int(age0 * 365.25))
    eighteen = _birthday(dob, 18)
    end = min(to, eighteen)
    t = referral - _dt.timedelta(days=730)
    state = "home"
    spells: list[tuple[str, _dt.date, _dt.date]] = []
    while t < end:
        age = (t - dob).days / 365.25
        if state == "home":
            after = t >= referral
            p = ENTRY_AFTER * (1 + effect if arm == "programme" else 1.0) if after else ENTRY_BEFORE
            nxt = t + _dt.timedelta(days=max(1, int(_wait(rng, p))))
            if not after and nxt > referral:  # the hazard changes at referral
                t = referral
                continue
            if nxt >= end:
                break
            t, state = nxt, _destination(rng, (nxt - dob).days / 365.25, None)
            continue
        # in care: leave, move, or (rarely) placed with parents before going home
        w_exit, w_move = _wait(rng, EXIT), _wait(rng, MOVE)
        stay = max(7, int(min(w_exit, w_move)))
        if state in ("secure", "yoi"):
            stay = max(14, int(stay / 4))  # short stays
        stop = min(end, t + _dt.timedelta(days=stay))
        spells.append((state, t, stop))
        t = stop
        if t >= end:
            break
        if state == "pwp" or w_exit < w_move:
            state = "pwp" if state != "pwp" and rng.random() < 0.3 else "home"
        else:
            state = _destination(rng, age, state)
    episodes = _episodes(rng, cid, spells, to)
    # short breaks for a few children (disabled children's respite): left out by the import
    if rng.random() < 0.06:
        for _ in range(int(rng.integers(1, 4))):
            s = referral - _dt.timedelta(days=int(rng.integers(30, 700)))
            if not any(e.start <= s < (e.end or to) for e in episodes):
                episodes.append(
                    SynthEpisode(cid, s, s + _dt.timedelta(days=2), "V3", "U6", "PR1", "S")
                )
    episodes.sort(key=lambda e: e.start)
    # CIN census: an episode from just before referral; some earlier ones; plans for some
    cin: list[tuple[_dt.date, _dt.date | None]] = []
    cpp: list[tuple[_dt.date, _dt.date | None]] = []
    if rng.random() < 0.3:
        s = referral - _dt.timedelta(days=int(rng.integers(300, 700)))
        cin.append((s, s + _dt.timedelta(days=int(rng.integers(60, 250)))))
    s = referral - _dt.timedelta(days=int(rng.integers(1, 20)))
    close = s + _dt.timedelta(days=int(rng.integers(180, 720)))
    cin.append((s, close if close < to else None))
    if rng.random() < 0.35:
        a = s + _dt.timedelta(days=int(rng.integers(10, 60)))
        b = min(close, a + _dt.timedelta(days=int(rng.integers(90, 400))))
        if a < min(to, close):
            cpp.append((a, b if b < to else None))
    # re-referrals after the first episode closes (2% a month), a quarter with a plan
    t = close
    while True:
        t = t + _dt.timedelta(days=max(1, int(_wait(rng, REREFERRAL))))
        if t >= min(to, eighteen):
            break
        close = t + _dt.timedelta(days=int(rng.integers(60, 300)))
        cin.append((t, close if close < to else None))
        if rng.random() < 0.25:
            a = t + _dt.timedelta(days=int(rng.integers(10, 40)))
            b = min(close, a + _dt.timedelta(days=int(rng.integers(90, 300))))
            if a < min(to, close):
                cpp.append((a, b if b < to else None))
        t = close
    sex = "1" if rng.random() < 0.55 else "2"
    return SynthChild(cid, dob, sex, referral, arm, episodes, cin, cpp)


def _episodes(
    rng: np.random.Generator, cid: str, spells: list[tuple[str, _dt.date, _dt.date]], to: _dt.date
) -> list[SynthEpisode]:
    out: list[SynthEpisode] = []
    prev_end: _dt.date | None = None
    for state, a, b in spells:
        place, prov = CODES[state][int(rng.integers(len(CODES[state])))]
        if state == "supported" and a >= _dt.date(2024, 4, 1):
            place = "K3"
        ls = "J1" if state in ("secure", "yoi") else ("V2" if rng.random() < 0.35 else "C2")
        rne = "P" if prev_end == a else "S"
        cuts = [a]
        length = (b - a).days
        if length > 120 and rng.random() < 0.25:  # a legal-status change mid-placement
            cuts.append(a + _dt.timedelta(days=int(rng.integers(30, length - 30))))
        temp: tuple[_dt.date, _dt.date] | None = None
        if length > 60 and state.startswith("foster") and rng.random() < 0.1:
            ts = a + _dt.timedelta(days=int(rng.integers(20, length - 20)))
            temp = (ts, ts + _dt.timedelta(days=5))
        bounds = sorted(set(cuts))
        for i, s in enumerate(bounds):
            e = bounds[i + 1] if i + 1 < len(bounds) else b
            pieces = [(s, e, place, prov)]
            if temp and s <= temp[0] and temp[1] < e:
                pieces = [
                    (s, temp[0], place, prov),
                    (temp[0], temp[1], "T4", ""),
                    (temp[1], e, place, prov),
                ]
            for ps, pe, pl, pv in pieces:
                out.append(SynthEpisode(cid, ps, None if pe >= to else pe, ls, pl, pv, rne))
                rne = "T" if pl == "T4" else ("L" if i + 1 < len(bounds) else "P")
        prev_end = b
    return out


def synthesise_returns(
    n: int,
    comparison: int,
    seed: int,
    start: _dt.date,
    intake_months: int,
    to: _dt.date,
    effect: float = -0.3,
) -> list[SynthChild]:
    """Programme referrals over `intake_months` from `start`; comparison referrals over the
    same number of months before it. Everything is drawn from `seed`."""
    rng = np.random.default_rng(seed)
    children: list[SynthChild] = []
    for k, arm in enumerate(["comparison"] * comparison + ["programme"] * n, start=1):
        base = _add_months(start, -intake_months) if arm == "comparison" else start
        span = (_add_months(base, intake_months) - base).days
        ref = base + _dt.timedelta(days=int(rng.integers(span)))
        children.append(_child(rng, f"SYN{k:05d}", ref, arm, effect, to))
    return children


def _fmt(d: _dt.date | None) -> str:
    return "" if d is None else d.strftime("%d/%m/%Y")


BANNER = "SYNTHETIC DATA generated by fam synth ssda903: not real children"


def write_returns(children: list[SynthChild], out: Path, to: _dt.date, command: str) -> list[Path]:
    """One episodes CSV per collection year, one header CSV, one CIN census XML per year,
    referrals.csv and README.md. Returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    eps = [e for c in children for e in c.episodes]
    first = min([e.start for e in eps] + [c.referral for c in children])
    y0, y1 = int(collection_year(first)[:4]), int(collection_year(to - _dt.timedelta(days=1))[:4])
    cols = ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
            "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"]  # fmt: skip
    for y in range(y0, y1 + 1):
        ys, ye = _dt.date(y, 4, 1), _dt.date(y + 1, 3, 31)
        label = f"{y}-{(y + 1) % 100:02d}"
        rows = []
        for c in children:
            for e in c.episodes:
                if e.start <= ye and (e.end is None or e.end >= ys):
                    dec = e.end if e.end is not None and e.end <= ye else None
                    rec = {
                        "CHILD": c.child, "DECOM": _fmt(e.start), "RNE": e.rne, "LS": e.ls,
                        "CIN": "N1", "PLACE": e.place, "PLACE_PROVIDER": e.provider,
                        "DEC": _fmt(dec), "REC": "X1" if dec else "", "REASON_PLACE_CHANGE": "",
                        "HOME_POST": "", "PL_POST": "", "URN": "",
                    }  # fmt: skip
                    rows.append(",".join(rec[k] for k in cols))
        if not rows:
            continue
        p = out / f"episodes_{label}.csv"
        p.write_text(
            f"# {BANNER} ({label} return)\n" + ",".join(cols) + "\n" + "\n".join(rows) + "\n"
        )
        paths.append(p)
    looked_after = {e.child for e in eps}
    p = out / "header.csv"
    lines = [f"# {BANNER}", "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB"]
    for c in children:
        if c.child in looked_after:
            lines.append(f"{c.child},{c.sex},{_fmt(c.dob)},NOBT,X{c.child[3:]}0000000,,")
    p.write_text("\n".join(lines) + "\n")
    paths.append(p)
    for y in range(y0, y1 + 1):
        ys, ye = _dt.date(y, 4, 1), _dt.date(y + 1, 3, 31)
        kids = []
        for c in children:
            dets = []
            for a, b in c.cin:
                if a <= ye and (b is None or b >= ys):
                    plans = "".join(
                        f"<ChildProtectionPlans><CPPstartDate>{pa}</CPPstartDate>"
                        + (f"<CPPendDate>{pb}</CPPendDate>" if pb and pb <= ye else "")
                        + "</ChildProtectionPlans>"
                        for pa, pb in c.cpp
                        if a <= pa
                        and (b is None or pa <= b)
                        and pa <= ye
                        and (pb is None or pb >= ys)
                    )
                    close = f"<CINclosureDate>{b}</CINclosureDate>" if b and b <= ye else ""
                    dets.append(
                        f"<CINdetails><CINreferralDate>{a}</CINreferralDate>"
                        f"<ReferralSource>1A</ReferralSource><PrimaryNeedCode>N1</PrimaryNeedCode>"
                        f"{close}{plans}</CINdetails>"
                    )
            if dets:
                kids.append(
                    f"<Child><ChildIdentifiers><LAchildID>{escape(c.child)}</LAchildID>"
                    f"<PersonBirthDate>{c.dob}</PersonBirthDate></ChildIdentifiers>"
                    + "".join(dets)
                    + "</Child>"
                )
        if not kids:
            continue
        p = out / f"cin_{y + 1}.xml"
        p.write_text(
            f'<?xml version="1.0" encoding="utf-8"?>\n<!-- {BANNER} -->\n<Message><Header>'
            f"<CollectionDetails><Collection>CIN</Collection><Year>{y + 1}</Year>"
            f"<ReferenceDate>{ye}</ReferenceDate></CollectionDetails></Header>\n<Children>\n"
            + "\n".join(kids)
            + "\n</Children></Message>\n"
        )
        paths.append(p)
    p = out / "referrals.csv"
    lines = [f"# {BANNER}", "CHILD,start_date,arm,completed,cohort"]
    for c in children:
        q = f"{c.referral.year}Q{(c.referral.month - 1) // 3 + 1}"
        lines.append(f"{c.child},{c.referral},{c.arm},{'true' if c.arm == 'programme' else ''},{q}")
    p.write_text("\n".join(lines) + "\n")
    paths.append(p)
    arms = {a: sum(c.arm == a for c in children) for a in ("programme", "comparison")}
    p = out / "README.md"
    p.write_text(
        "# SYNTHETIC DATA: not real children\n\n"
        "SSDA903 episodes and header files, Children in Need census XML files and a referrals\n"
        "list, invented by `fam synth ssda903` (fam/inputs/synth_returns.py; see docs/import.md)\n"
        "for testing and demonstrating `fam import`. Every child, date and placement is drawn at\n"
        "random from an assumed model of an edge-of-care cohort; they are evidence about nothing.\n\n"
        f"- command: `{command}`\n"
        f"- children referred: {len(children)} ({arms['programme']} programme, "
        f"{arms['comparison']} comparison); looked after at some time: {len(looked_after)}\n"
        f"- episodes: {len(eps)}; data end (exclusive): {to}\n"
    )
    paths.append(p)
    return paths
