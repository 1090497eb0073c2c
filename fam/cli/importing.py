"""``fam import``: a council's statutory returns (SSDA903, CIN census) become a cohort.

Writes DIR/clients.csv and DIR/service_use.csv in fam's cohort formats, with CHILD ids
replaced by salted-HMAC pseudonyms, and prints a short import report. See docs/import.md.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from fam.errors import InputError
from fam.inputs import cin as cin_mod
from fam.inputs import ssda903 as s903
from fam.inputs.cohort import SYNTHETIC_WORD
from fam.inputs.files import read_input_bytes
from fam.writers.privacy import new_salt, pseudonymise, read_salt

MAX_FINDINGS_SHOWN = 10


def _salt(path: Path, out: Path) -> tuple[bytes, bool]:
    """The salt in `path`, or a new one written there (mode 0600) if the file is absent."""
    if path.resolve().parent == out.resolve() or out.resolve() in path.resolve().parents:
        raise InputError(f"{path}: the salt file must not be inside the output folder {out}")
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as e:
            raise InputError(f"{path}: cannot create the salt file ({e.strerror})") from None
        salt = new_salt()
        with os.fdopen(fd, "wb") as f:
            f.write(salt)
        return salt, True
    return read_salt(path), False


def _says_synthetic(path: Path) -> bool:
    """Whether a return's leading comment (a '#' line, or an XML comment) says its data are
    synthetic, as `fam synth ssda903` writes."""
    head = read_input_bytes(path, "a return file")[:2048].decode("utf-8", "replace")
    for line in head.splitlines()[:5]:
        text = line.strip()
        if text.startswith(("#", "<!--")) and SYNTHETIC_WORD in text.lower():
            return True
    return False


def _to_date(text: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--to: {text!r} is not a date; expected YYYY-MM-DD") from None


def _check_out(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise InputError(f"--out: {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise InputError(f"--out: {out} is not empty; use --force to write into it")


def run_import(
    *,
    episodes: Sequence[Path],
    headers: Sequence[Path],
    census: Sequence[Path],
    referrals: Path,
    to_text: str,
    out: Path,
    salt_file: Path,
    force: bool,
) -> list[str]:
    """Read, check and convert; write the cohort files; return the report's lines."""
    to = _to_date(to_text)
    _check_out(out, force)
    refs = s903.read_referrals(referrals)
    returns = [s903.read_episodes(p) for p in episodes]
    dob = s903.read_header(headers) if headers else {}
    censuses = [cin_mod.read_census(p) for p in census]
    children = {r.child for r in refs}
    cin_imp, cin_dob = cin_mod.cin_services(censuses, children, to)
    in_903 = {e.child for r in returns for e in r.episodes}
    for r in refs:
        if r.child not in dob and r.child not in cin_dob:
            where = "the SSDA903 header" if headers else ""
            if census:
                where = f"{where} or the CIN census" if where else "the CIN census"
            raise InputError(
                f"{referrals}: line {r.line}: CHILD is not in {where} (no date of birth); "
                "expected every referred child in the returns"
            )
        if r.start >= to:
            raise InputError(f"{referrals}: line {r.line}: start_date is on or after --to {to}")
        born = dob.get(r.child) or cin_dob[r.child]
        if born > r.start:
            raise InputError(
                f"{referrals}: line {r.line}: start_date is before the child's date of birth"
            )
    for ret in returns:
        for e in ret.episodes:
            if e.child in children and e.child not in dob:
                raise InputError(
                    f"{e.file}: line {e.line}: CHILD of a referred child is not in the "
                    "SSDA903 header; expected every child with episodes in the header"
                )
    pl = s903.placement_spells(returns, children, to) if returns else None
    if pl is not None:
        for ret in returns:
            for e in ret.episodes:
                dob_e = dob.get(e.child)
                if e.child not in children or dob_e is None:
                    continue
                if e.start < dob_e:
                    pl.findings.append(
                        f"{e.file}: line {e.line}: DECOM is before the child's DOB (DfE rule 302)"
                    )
                elif s903.age_years(dob_e, e.start) >= 18:
                    pl.findings.append(f"{e.file}: line {e.line}: the child is 18 or over at DECOM")
    births = {**cin_dob, **dob}
    findings = (pl.findings if pl else []) + cin_imp.findings
    for r in refs:
        if r.child in dob and r.child in cin_dob and dob[r.child] != cin_dob[r.child]:
            findings.append(
                f"{referrals}: line {r.line}: DOB differs between the 903 header and the CIN census"
            )
    ids = sorted(children)
    salt, created = _salt(salt_file, out)
    pseud = dict(zip(ids, pseudonymise(ids, salt), strict=True))
    spells = (pl.spells if pl else []) + cin_imp.spells
    clients, use = s903.frames(refs, births, pseud, spells, cin_imp.events)
    out.mkdir(parents=True, exist_ok=True)
    note = "# imported by fam import from statutory returns; client_id is a salted pseudonym\n"
    if any(_says_synthetic(f) for f in (*episodes, *headers, *census, referrals)):
        # carried on, so every output built from this cohort says it is synthetic
        note += "# SYNTHETIC DATA: imported from synthetic returns, not real children\n"
    for name, frame in (("clients.csv", clients), ("service_use.csv", use)):
        tmp = out / f".{name}.tmp"
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(note)
            frame.to_csv(f, index=False, lineterminator="\n")
        tmp.replace(out / name)

    arms = {a: sum(r.arm == a for r in refs) for a in ("programme", "comparison")}
    lines = [
        f"children referred: {len(refs)} ({arms['programme']} programme, "
        f"{arms['comparison']} comparison); looked after in the returns: "
        f"{len(children & in_903)}",
    ]
    if pl is not None:
        c = pl.counts
        lines.append(
            f"SSDA903 returns: {', '.join(pl.years)}; episodes read: {c['episodes']} "
            f"({c['repeated_across_returns']} repeated across returns counted once); "
            f"used: {c['episodes_used']}; spells: {c['spells']}"
        )
        lines.append(
            f"left out: {c['short_breaks']} short breaks (LS V3/V4), {c['not_in_referrals']} "
            f"of children not referred, {c['after_to']} starting on or after {to}, "
            f"{c['zero_length']} of no length; {c['open_at_to']} open episodes end at {to}, "
            f"{c['cut_at_to']} cut there; {c['overlaps']} overlaps cut short"
        )
        for arm in ("comparison", "programme"):
            if arms[arm]:
                share, care, total, lo, hi = s903.care_share(refs, pl.spells, to, arm)
                lines.append(
                    f"{arm} arm: {share:.1%} of child-days in care in the 30 months after "
                    f"referral (90% interval {lo:.1%} to {hi:.1%}, resampling children; "
                    f"{care} of {total} days observed before {to})"
                )
        days = s903.days_by_service(pl.spells)
        lines.append(
            "days by category: "
            + (", ".join(f"{k} {v}" for k, v in days.items()) if days else "none")
        )
    if census:
        c = cin_imp.counts
        lines.append(
            f"CIN census: {len(censuses)} file(s); CIN episodes: {c['cin_episodes']} "
            f"({c['cin_after_to']} after --to left out); child protection plans: "
            f"{c['cp_plans']} ({c['cp_overlaps']} overlaps cut short); CIN plan days "
            f"{c['cin_plan_days']} (counted only: their cost is in the CIN episode)"
        )
    if findings:
        lines.append(f"validation findings (reported, not refused): {len(findings)}")
        lines += ["  " + f for f in findings[:MAX_FINDINGS_SHOWN]]
        if len(findings) > MAX_FINDINGS_SHOWN:
            lines.append(
                f"  ... and {len(findings) - MAX_FINDINGS_SHOWN} more (all in import_report.txt)"
            )
    last = (to - _dt.timedelta(days=1)).isoformat()
    lines.append(f"data end: set cohort.observed_to: {last} in the scenario")
    if created:
        lines.append(
            f"salt: a new salt was written to {salt_file}; keep it private and apart from the reports"
        )
    with open(out / "import_report.txt", "w", encoding="utf-8") as f:
        f.write("\n".join(lines[:-1] if created else lines) + "\n")
        if len(findings) > MAX_FINDINGS_SHOWN:
            f.write("all findings:\n" + "\n".join("  " + x for x in findings) + "\n")
    return lines


_COMMON = [
    click.option("--referrals", type=click.Path(dir_okay=False, path_type=Path), required=True,
                 help="CSV: CHILD, start_date (YYYY-MM-DD), arm (programme or comparison); "
                 "optional completed, end_date, cohort."),
    click.option("--to", "to_text", required=True, metavar="YYYY-MM-DD",
                 help="The end of the data (exclusive): open episodes and plans end here."),
    click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
                 help="Folder for clients.csv, service_use.csv and import_report.txt."),
    click.option("--salt-file", type=click.Path(dir_okay=False, path_type=Path), required=True,
                 help="Private file whose bytes salt the pseudonyms (created if absent). Keep it "
                 "out of the reports; the same salt gives the same pseudonyms."),
    click.option("--force", is_flag=True, help="Write into a non-empty output folder."),
]  # fmt: skip


def _common(f: Any) -> Any:
    for opt in reversed(_COMMON):
        f = opt(f)
    return f


@click.group(name="import")
def import_() -> None:
    """Turn a council's statutory returns into a cohort (clients.csv, service_use.csv)."""


@import_.command(name="ssda903")
@click.option(
    "--episodes",
    type=click.Path(dir_okay=False, path_type=Path),
    multiple=True,
    required=True,
    help="An SSDA903 episodes CSV (one per collection year; repeat).",
)
@click.option(
    "--header",
    "headers",
    type=click.Path(dir_okay=False, path_type=Path),
    multiple=True,
    required=True,
    help="An SSDA903 header CSV (repeatable).",
)
@click.option(
    "--cin",
    "census",
    type=click.Path(dir_okay=False, path_type=Path),
    multiple=True,
    help="Also a Children in Need census XML (repeatable): referrals and plans.",
)
@_common
def ssda903(
    episodes: tuple[Path, ...],
    headers: tuple[Path, ...],
    census: tuple[Path, ...],
    referrals: Path,
    to_text: str,
    out: Path,
    salt_file: Path,
    force: bool,
) -> None:
    """Placement spells from SSDA903 episodes, priced by placement type and provider."""
    for line in run_import(episodes=episodes, headers=headers, census=census, referrals=referrals,
                           to_text=to_text, out=out, salt_file=salt_file, force=force):  # fmt: skip
        click.echo(line)


@import_.command(name="cin")
@click.option(
    "--census",
    type=click.Path(dir_okay=False, path_type=Path),
    multiple=True,
    required=True,
    help="A Children in Need census XML (one per year; repeat).",
)
@_common
def cin(
    census: tuple[Path, ...],
    referrals: Path,
    to_text: str,
    out: Path,
    salt_file: Path,
    force: bool,
) -> None:
    """Child-in-need episodes and child protection plans from the CIN census."""
    for line in run_import(episodes=(), headers=(), census=census, referrals=referrals,
                           to_text=to_text, out=out, salt_file=salt_file, force=force):  # fmt: skip
        click.echo(line)
