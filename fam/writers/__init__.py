"""Writers: the only stage that writes files.

Every report is written into a temporary folder beside the destination and moved into place
only when all of them are complete, so a failure never leaves a half-written report and an
existing report is replaced only with `force`.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fam.errors import InputError

if TYPE_CHECKING:
    from fam.analyses.results import Results


def synthetic_notice(marker: str) -> str:
    """What page 1 of the briefing and the workbook's cover say when the cohort files mark
    themselves as synthetic (`marker`, their own comment line; the method notes quote it)."""
    return (
        "Synthetic data: the clients are invented, not real people. The figures show how the "
        "method works; they are not evidence about any real service."
    )


def updated_notice(results: Results) -> str:
    """The workbook's line for a forecast updated with observed follow-up: the updated
    headline (summary.json `headline`) beside the scenario as written (`prior`)."""

    def gbp(x: float | None) -> str:
        return "n/a" if x is None else f"-£{-x:,.0f}" if x < 0 else f"£{x:,.0f}"

    def ratio(x: float | None) -> str:
        return "n/a" if x is None else f"£{x:.2f}"

    h, p = results.headline(), results.prior_headline()
    return (
        "Headline, updated with the programme's own follow-up (update.json): mean NPV "
        f"{gbp(h['npv'])} (90% interval {gbp(h['npv_p5'])} to {gbp(h['npv_p95'])}), "
        f"{ratio(h['bcr'])} back per £1, chance of breaking even {h['prob_npv_positive']:.0%}. "
        f"Before the data (the scenario as written: the live figures on this sheet): NPV "
        f"{gbp(p['npv'])}, {ratio(p['bcr'])} back per £1, chance of breaking even "
        f"{p['prob_npv_positive']:.0%}."
    )


def default_out_dir(results: Results) -> Path:
    d = results.inputs.scenario.outputs.dir
    return Path(d) if d else Path("reports") / results.stem


def check_destination(dest: Path, *, force: bool = False) -> None:
    """Refuse a destination that is a file, or already holds files, unless `force`."""
    if dest.exists() and not dest.is_dir():
        raise InputError(f"{dest}: exists and is not a folder; choose another output folder")
    if dest.exists() and any(dest.iterdir()) and not force:
        raise InputError(
            f"{dest}: a report is already there; use --force to replace it or --out for another folder"
        )


@contextmanager
def staged(dest: Path) -> Iterator[Path]:
    """A temporary folder beside `dest` to write into; moved into place only if the block
    completes (replacing what was there), removed if it fails or is interrupted."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.tmp-", dir=dest.parent))
    try:
        yield tmp
        old = None
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old-{tmp.name[-8:]}")
            dest.rename(old)
        tmp.rename(dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_all(
    results: Results,
    out_dir: str | Path | None = None,
    *,
    force: bool = False,
    client_detail_salt: bytes | None = None,
) -> dict[str, Path]:
    from fam.writers.briefing import write_briefing
    from fam.writers.tables import write_iterations, write_sib, write_summary, write_update
    from fam.writers.workbook import write_workbook

    dest = Path(out_dir) if out_dir is not None else default_out_dir(results)
    check_destination(dest, force=force)
    src = results.inputs.scenario_path.resolve()
    if src.is_relative_to(dest.resolve()):
        raise InputError(
            f"{dest}: the scenario being run ({src.name}) is inside this output folder and "
            "would be replaced; copy it elsewhere or use --out for another folder"
        )
    stem = results.stem
    with staged(dest) as tmp:
        write_summary(results, tmp / "summary.json")
        write_iterations(results, tmp / "iterations.csv")
        if results.update is not None:
            write_update(results, tmp / "update.json")
        if results.sib is not None:
            write_sib(results, tmp / "sib.json")
        detail = None
        if client_detail_salt is not None:
            from fam.writers.privacy import client_detail_frame

            detail = client_detail_frame(results.inputs, client_detail_salt)
        write_workbook(results, tmp / f"{stem}.xlsx", detail)
        write_briefing(results, tmp / f"{stem}.pdf")
    names = ["xlsx", "pdf", "summary", "iterations"]
    files = [f"{stem}.xlsx", f"{stem}.pdf", "summary.json", "iterations.csv"]
    if results.update is not None:
        names.append("update")
        files.append("update.json")
    if results.sib is not None:
        names.append("sib")
        files.append("sib.json")
    return {n: dest / f for n, f in zip(names, files, strict=True)}
