"""Writers: the only stage that writes files.

Every report is written into a temporary folder beside the destination and moved into place
only when all of them are complete, so a failure never leaves a half-written report and an
existing report is replaced only with `force`.

A report folder holds a marker file (MARKER) saying that fam wrote it; `force` replaces only
a folder that holds one, so that an output folder pointed at a folder of input data (or any
other folder) is refused, never emptied. While a report is written, a lock on a file beside
the destination (`.<name>.lock`) makes a second run into the same folder stop with a message
instead of racing the first; temporary folders left by a run that was
killed are removed by the next run into that folder. When `fam run --force` replaces a
report, a `fam sensitivity` result inside it (its `sensitivity/` folder) is kept: it is moved
into the new report unchanged (docs/outputs.md).
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fam.errors import InputError, OutputError
from fam.version import __version__

if TYPE_CHECKING:
    from fam.analyses.results import Results

MARKER = ".fam-report"  # in every folder fam writes; --force replaces only such folders
KEPT = ("sensitivity",)  # sub-folders fam wrote that survive a --force replacement


def default_out_dir(results: Results) -> Path:
    d = results.inputs.scenario.outputs.dir
    return Path(d) if d else Path("reports") / results.stem


def marker_kind(folder: Path) -> str | None:
    """The kind of report fam wrote in `folder` ('run', 'comparison', 'sensitivity'), or None
    if the folder holds no marker (fam did not write it)."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    kind = data.get("kind") if isinstance(data, dict) else None
    return kind if isinstance(kind, str) else "unknown"


def check_destination(dest: Path, *, force: bool = False) -> None:
    """Refuse a destination that is a file, or already holds files, unless `force` and fam
    wrote it (it holds MARKER)."""
    if dest.exists() and not dest.is_dir():
        raise InputError(f"{dest}: exists and is not a folder; choose another output folder")
    # a fam sensitivity result alone (reports/<scenario>/sensitivity before any run) is not
    # a report in the way of a run
    if dest.exists() and any(p.name not in KEPT or not marker_kind(p) for p in dest.iterdir()):
        if not force:
            raise InputError(
                f"{dest}: a report is already there; use --force to replace it or --out for "
                "another folder"
            )
        if marker_kind(dest) is None:
            raise InputError(
                f"{dest}: this folder holds files that fam did not write (it has no {MARKER} "
                "marker), so --force will not replace it; use --out for a new folder"
            )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _lock_owner(lock: Path) -> tuple[int, str]:
    """(pid, host) written in a lock file; (-1, '') while it is empty or unreadable."""
    try:
        pid_text, _, host = lock.read_text(encoding="utf-8").strip().partition(" ")
        return int(pid_text), host
    except (OSError, ValueError):
        return -1, ""


def _busy(dest: Path, lock: Path) -> OutputError:
    pid, host = _lock_owner(lock)
    who = f"process {pid} on {host or 'this machine'}" if pid > 0 else "another process"
    return OutputError(
        f"{dest}: another fam run ({who}) is writing to this folder; wait for it to finish "
        "or use --out for another folder"
    )


@contextmanager
def _locked(dest: Path) -> Iterator[None]:
    """Hold `.<dest name>.lock` beside dest: exactly one run at a time writes a destination.

    On POSIX the lock is an flock on that file, which the system releases when its process
    ends however it ends, so a killed run never leaves a lock that blocks the next one. The
    file is removed on release; a run that opened it just before checks, once it holds the
    lock, that the path still names the file it locked (else it starts again). Elsewhere
    the file is created atomically (O_EXCL) and a lock of a process that no longer runs is
    taken over.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        with _locked_exclusive(dest):
            yield
        return
    lock = dest.with_name(f".{dest.name}.lock")
    for _ in range(50):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
        except OSError as e:
            raise OutputError(f"{dest.parent}: cannot write here ({e.strerror or e})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise _busy(dest, lock) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the holder removed the file as we opened it: start again
    else:
        raise _busy(dest, lock)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        yield
    finally:
        lock.unlink(missing_ok=True)
        os.close(fd)


@contextmanager
def _locked_exclusive(dest: Path) -> Iterator[None]:
    """Hold `.<dest name>.lock` beside dest, created atomically (O_EXCL): exactly one run at a
    time writes a destination. A lock whose process has died on this machine (or that stayed
    empty for a minute: a run killed as it took it) is taken over."""
    lock = dest.with_name(f".{dest.name}.lock")
    host_here = socket.gethostname()
    for _ in range(20):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            pass
        except OSError as e:
            raise OutputError(f"{dest.parent}: cannot write here ({e.strerror or e})") from None
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(f"{os.getpid()} {host_here}\n")
            break
        pid, host = _lock_owner(lock)
        if pid > 0 and (host != host_here or _pid_alive(pid)):
            raise OutputError(
                f"{dest}: another fam run (process {pid} on {host or 'this machine'}) is "
                "writing to this folder; wait for it to finish or use --out for another "
                f"folder (if no run is going on, delete {lock.name})"
            )
        if pid == -1:  # being written this instant, or left empty by a killed run
            try:
                age = time.time() - lock.stat().st_mtime
            except OSError:
                continue
            if age < 60:
                time.sleep(0.1)
                continue
        lock.unlink(missing_ok=True)  # left by a run that was killed
    else:
        raise OutputError(
            f"{dest}: another fam run is taking the lock {lock.name}; wait for it to finish "
            "or use --out for another folder"
        )
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def _clean_leftovers(dest: Path) -> None:
    """Temporary folders of killed runs into dest (the lock is held: no live run owns them).
    A previous report moved aside by a run killed mid-swap is put back."""
    olds = sorted(dest.parent.glob(f".{dest.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds and not dest.exists():
        olds.pop().rename(dest)
    for p in [*dest.parent.glob(f".{dest.name}.tmp-*"), *olds]:
        shutil.rmtree(p, ignore_errors=True)


def _no_space(exc: BaseException) -> OSError | None:
    """The OSError saying the disk is full (or another write failure) behind `exc`, also when
    it is hidden behind a later error (zlib's 'buffer error' when a workbook's zip stream
    is closed after a failed write)."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
            return e
        e = e.__cause__ or e.__context__
    return None


def _mkdir_shared(parent: Path, prefix: str) -> Path:
    """A new folder with the permissions the umask gives (mkdtemp's are 0700, which hides a
    report from colleagues on a shared server)."""
    for _ in range(100):
        p = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            p.mkdir(mode=0o777)
            return p
        except FileExistsError:
            continue
    raise FileExistsError(f"{parent}: cannot make a temporary folder {prefix}*")


def _swap(tmp: Path, dest: Path) -> Path | None:
    """Move tmp into place as dest; return the previous dest, moved aside (None if none).
    A fam sub-folder kept across replacements (KEPT) moves from the old into the new; if the
    swap fails, everything is put back as it was."""
    old = None
    moved: list[str] = []
    try:
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old-{tmp.name[-8:]}")
            dest.rename(old)
            for name in KEPT:
                sub = old / name
                if not (tmp / name).exists() and sub.is_dir() and marker_kind(sub):
                    sub.rename(tmp / name)
                    moved.append(name)
        tmp.rename(dest)
    except BaseException:
        if old is not None:
            for name in moved:
                (tmp / name).rename(old / name)
            if not dest.exists():
                old.rename(dest)
        raise
    return old


@contextmanager
def staged(dest: Path, *, force: bool = False, kind: str = "run") -> Iterator[Path]:
    """A temporary folder beside `dest` to write into; moved into place only if the block
    completes (replacing what was there, with `force`), removed if it fails or is
    interrupted. The destination is checked again under its lock."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(
            f"{dest.parent}: cannot make the output folder ({e.strerror or e})"
        ) from None
    with _locked(dest):
        _clean_leftovers(dest)
        check_destination(dest, force=force)
        try:
            tmp = _mkdir_shared(dest.parent, f".{dest.name}.tmp-")
        except OSError as e:
            raise OutputError(f"{dest.parent}: cannot write here ({e.strerror or e})") from None
        try:
            yield tmp
            (tmp / MARKER).write_text(
                json.dumps({"written_by": f"fam {__version__}", "kind": kind}) + "\n",
                encoding="utf-8",
            )
            old = _swap(tmp, dest)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            full = _no_space(exc)
            if full is not None:
                raise OutputError(
                    f"{dest}: {(full.strerror or 'no space left on device').lower()} while writing the "
                    "report; nothing was written (free some space or use --out elsewhere)"
                ) from exc
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
    with staged(dest, force=force) as tmp:
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
