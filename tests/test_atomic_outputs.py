"""Reports are written to a temporary folder and moved into place only when complete.

A run that fails (or is interrupted) midway leaves no partial report and no temporary folder,
and an existing report is untouched; an existing report is replaced only with --force. An
internal error exits 1 with one line and the path of a log holding the traceback.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import fam.writers.briefing
import fam.writers.workbook
from fam import api
from fam.cli import cli
from fam.errors import InputError
from fam.writers import MARKER, write_all
from tests.util import FIXTURES, ROOT

# a previous report fam wrote: it holds the marker (--force replaces only such folders)
OLD = {
    "summary.json": '{"old": true}\n',
    "scenario.pdf": "old pdf",
    "notes.txt": "mine",
    MARKER: '{"written_by": "fam", "kind": "run"}\n',
}


@pytest.fixture(scope="module")
def results() -> api.Results:
    return api.run(FIXTURES / "hand" / "scenario.yaml", iterations=20)


def previous_report(dest: Path) -> None:
    dest.mkdir(parents=True)
    for name, text in OLD.items():
        (dest / name).write_text(text)


def assert_intact(dest: Path) -> None:
    assert sorted(p.name for p in dest.iterdir()) == sorted(OLD)
    for name, text in OLD.items():
        assert (dest / name).read_text() == text


def leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


def half_written_then_fail(exc: BaseException) -> Any:
    def boom(results: Any, path: Path, *args: Any, **kwargs: Any) -> None:
        Path(path).write_bytes(b"%PDF-1.4 half a briefing")
        raise exc

    return boom


def stub_writer(results: Any, path: Path, *args: Any, **kwargs: Any) -> None:
    Path(path).write_text("new")


@pytest.mark.parametrize("exc", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_failure_midway_keeps_previous_report(
    results: api.Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    dest = tmp_path / "report"
    previous_report(dest)
    monkeypatch.setattr(fam.writers.briefing, "write_briefing", half_written_then_fail(exc))
    with pytest.raises(type(exc)):
        write_all(results, dest, force=True)
    assert_intact(dest)
    assert leftovers(tmp_path) == []


def test_failure_midway_creates_nothing(
    results: api.Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "new" / "report"
    monkeypatch.setattr(
        fam.writers.briefing, "write_briefing", half_written_then_fail(RuntimeError("x"))
    )
    with pytest.raises(RuntimeError):
        write_all(results, dest)
    assert not dest.exists()
    assert leftovers(dest.parent) == []


def test_existing_report_needs_force(
    results: api.Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "report"
    previous_report(dest)
    with pytest.raises(InputError, match="--force"):
        write_all(results, dest)
    assert_intact(dest)
    # an empty folder is not a report: no --force needed
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setattr(fam.writers.briefing, "write_briefing", stub_writer)
    monkeypatch.setattr(fam.writers.workbook, "write_workbook", stub_writer)
    paths = write_all(results, empty)
    assert all(p.exists() for p in paths.values())


def test_force_replaces_the_whole_report(
    results: api.Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "report"
    previous_report(dest)
    monkeypatch.setattr(fam.writers.briefing, "write_briefing", stub_writer)
    monkeypatch.setattr(fam.writers.workbook, "write_workbook", stub_writer)
    paths = write_all(results, dest, force=True)
    names = sorted(p.name for p in dest.iterdir())
    assert names == sorted([*(p.name for p in paths.values()), MARKER])  # old extra files gone
    assert (dest / "summary.json").read_text() != OLD["summary.json"]
    assert leftovers(tmp_path) == []


def test_output_path_that_is_a_file(results: api.Results, tmp_path: Path) -> None:
    f = tmp_path / "report"
    f.write_text("not a folder")
    with pytest.raises(InputError, match="not a folder"):
        write_all(results, f, force=True)
    assert f.read_text() == "not a folder"


def not_warnings(stderr: str) -> list[str]:
    """stderr lines other than warnings (the hand fixture has a row outside every window)."""
    return [ln for ln in stderr.splitlines() if not ln.startswith("warning: ")]


def log_path(stderr: str) -> Path:
    m = re.search(r"\(traceback in (.+\.log)\)$", stderr.strip())
    assert m, stderr
    return Path(m.group(1))


def test_cli_internal_error_is_one_line_with_a_private_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "report"
    previous_report(dest)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "logs"))
    (tmp_path / "logs").mkdir()
    monkeypatch.setattr(
        fam.writers.briefing,
        "write_briefing",
        half_written_then_fail(RuntimeError("disk on fire\nsecond line")),
    )
    args = ["run", str(FIXTURES / "hand" / "scenario.yaml"), "--out", str(dest), "-q"]
    r = CliRunner().invoke(cli, [*args, "-n", "20", "--force"])
    assert r.exit_code == 1
    lines = not_warnings(r.stderr)
    assert len(lines) == 1 and lines[0].startswith("internal error: RuntimeError: disk on fire")
    assert "Traceback" not in r.stderr
    log = log_path(lines[0])
    assert log.parent == tmp_path / "logs"
    text = log.read_text()
    assert "Traceback" in text and "disk on fire" in text
    if os.name == "posix":
        assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert_intact(dest)
    assert leftovers(tmp_path) == []


def test_cli_interrupt_exits_130_and_keeps_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "report"
    previous_report(dest)
    monkeypatch.setattr(
        fam.writers.briefing, "write_briefing", half_written_then_fail(KeyboardInterrupt())
    )
    args = ["run", str(FIXTURES / "hand" / "scenario.yaml"), "--out", str(dest), "-q"]
    r = CliRunner().invoke(cli, [*args, "-n", "20", "--force"])
    assert r.exit_code == 130
    assert not_warnings(r.stderr) == ["interrupted"]
    assert_intact(dest)
    assert leftovers(tmp_path) == []


def test_internal_error_in_a_real_process(tmp_path: Path) -> None:
    """As a user meets it: a separate process whose briefing writer fails."""
    hand = tmp_path / "hand"
    shutil.copytree(FIXTURES / "hand", hand)
    dest = tmp_path / "report"
    code = (
        "import sys, fam.writers.briefing as b\n"
        "def boom(*a, **k):\n"
        "    raise ZeroDivisionError('injected by the test')\n"
        "b.write_briefing = boom\n"
        "from fam.cli import main\n"
        "sys.argv = ['fam'] + sys.argv[1:]\n"
        "main()\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-c", code, "run", str(hand / "scenario.yaml"), "--out", str(dest),
         "-q", "-n", "20"],
        capture_output=True, text=True, cwd=ROOT, env=env,
    )  # fmt: skip
    assert r.returncode == 1, r.stderr
    err = not_warnings(r.stderr)
    assert len(err) == 1 and err[0].startswith("internal error: ZeroDivisionError"), r.stderr
    assert "Traceback" not in r.stderr
    log = log_path(err[0])
    assert log.parent == tmp_path and "Traceback" in log.read_text()
    assert not dest.exists() and leftovers(tmp_path) == []


# ------------------------------------------------------------------ issue 19: marker, locks


def test_force_refuses_a_folder_fam_did_not_write(tmp_path: Path) -> None:
    """outputs.dir pointed at the folder of input data: --force must not empty it."""
    data = tmp_path / "data"
    shutil.copytree(FIXTURES / "hand", data)
    sc = data / "scenario.yaml"
    sc.write_text(sc.read_text() + "outputs: {dir: " + str(data) + "}\n")
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    r = CliRunner().invoke(cli, ["run", str(sc), "-q", "-n", "20", "--force"])
    assert r.exit_code == 2, r.output
    (line,) = not_warnings(r.stderr)
    assert line.startswith("error: ") and "fam did not write" in line and MARKER in line
    assert {p.name: p.read_bytes() for p in data.iterdir()} == before
    assert leftovers(tmp_path) == []


def test_force_keeps_a_sensitivity_result(
    results: api.Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "report"
    previous_report(dest)
    sens = dest / "sensitivity"
    sens.mkdir()
    (sens / MARKER).write_text('{"kind": "sensitivity"}')
    (sens / "tornado.csv").write_text("kept")
    monkeypatch.setattr(fam.writers.briefing, "write_briefing", stub_writer)
    monkeypatch.setattr(fam.writers.workbook, "write_workbook", stub_writer)
    write_all(results, dest, force=True)
    assert (dest / "sensitivity" / "tornado.csv").read_text() == "kept"
    assert not (dest / "notes.txt").exists()


def test_a_failed_swap_puts_the_report_and_its_sensitivity_result_back(
    results: api.Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "report"
    previous_report(dest)
    (dest / "sensitivity").mkdir()
    (dest / "sensitivity" / MARKER).write_text('{"kind": "sensitivity"}')
    monkeypatch.setattr(fam.writers.briefing, "write_briefing", stub_writer)
    monkeypatch.setattr(fam.writers.workbook, "write_workbook", stub_writer)
    rename = Path.rename

    def failing(self: Path, target: Any) -> Any:
        if self.name.startswith(".report.tmp-"):
            raise OSError(5, "Input/output error")
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", failing)
    with pytest.raises(OSError):
        write_all(results, dest, force=True)
    assert (dest / "sensitivity" / MARKER).exists()
    (dest / "sensitivity" / MARKER).unlink()
    (dest / "sensitivity").rmdir()
    assert_intact(dest)
    assert leftovers(tmp_path) == []


def test_a_sensitivity_result_alone_does_not_block_a_run(
    results: api.Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "report"
    (dest / "sensitivity").mkdir(parents=True)
    (dest / "sensitivity" / MARKER).write_text('{"kind": "sensitivity"}')
    monkeypatch.setattr(fam.writers.briefing, "write_briefing", stub_writer)
    monkeypatch.setattr(fam.writers.workbook, "write_workbook", stub_writer)
    write_all(results, dest)  # no --force needed
    assert (dest / "summary.json").exists() and (dest / "sensitivity" / MARKER).exists()


def test_a_live_lock_refuses_and_a_stale_one_is_taken_over(
    results: api.Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    monkeypatch.setattr(fam.writers.briefing, "write_briefing", stub_writer)
    monkeypatch.setattr(fam.writers.workbook, "write_workbook", stub_writer)
    dest = tmp_path / "report"
    lock = tmp_path / ".report.lock"
    lock.write_text(f"{os.getpid()} {socket.gethostname()}\n")
    with open(lock) as held:
        if os.name == "posix":  # a live run holds the lock (an flock, as fam takes it)
            import fcntl

            fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with pytest.raises(InputError, match=f"another fam run \\(process {os.getpid()}"):
            write_all(results, dest)
    assert not dest.exists() and lock.exists()
    # a killed run: its lock (a pid that no longer runs), its temporary folder and a
    # previous report it had moved aside
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    lock.write_text(f"{dead} {socket.gethostname()}\n")
    (tmp_path / ".report.tmp-deadbeef").mkdir()
    (tmp_path / ".report.tmp-deadbeef" / "summary.json").write_text("half")
    write_all(results, dest)
    assert (dest / "summary.json").read_text() != "half"
    assert leftovers(tmp_path) == [] and not lock.exists()


def test_a_report_moved_aside_by_a_killed_run_is_put_back(
    results: api.Results, tmp_path: Path
) -> None:
    old = tmp_path / ".report.old-12345678"
    previous_report(old)
    with pytest.raises(InputError, match="already there"):
        write_all(results, tmp_path / "report")  # put back, so it is there and needs --force
    assert_intact(tmp_path / "report")
    assert leftovers(tmp_path) == []


RACE = r"""
import sys, time
import fam.writers.briefing as b, fam.writers.workbook as w
def slow(results, path, *a, **k):
    time.sleep(1.5)
    open(path, "w").write(sys.argv[2])
b.write_briefing = slow
w.write_workbook = slow
from fam import api
from fam.errors import InputError
res = api.run(sys.argv[3], iterations=20)
time.sleep(max(0.0, float(sys.argv[4]) - time.time()))  # start writing together
try:
    api.write_reports(res, sys.argv[1])
except InputError as e:
    print("error: " + str(e))
    sys.exit(2)
"""


def test_two_runs_into_one_new_folder_exactly_one_wins(tmp_path: Path) -> None:
    import time

    dest = tmp_path / "report"
    go = str(time.time() + 8)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                RACE,
                str(dest),
                name,
                str(FIXTURES / "hand" / "scenario.yaml"),
                go,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for name in ("first", "second")
    ]
    outs = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    codes = sorted(o[0] for o in outs)
    assert codes == [0, 2], outs
    loser = next(o for o in outs if o[0] == 2)
    assert "another fam run" in loser[1] or "a report is already there" in loser[1], loser
    assert (dest / "summary.json").exists() and leftovers(tmp_path) == []
    assert not (tmp_path / ".report.lock").exists()


@pytest.mark.skipif(os.name != "posix", reason="permissions are POSIX")
def test_report_folder_permissions_follow_the_umask(
    results: api.Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fam.writers.briefing, "write_briefing", stub_writer)
    monkeypatch.setattr(fam.writers.workbook, "write_workbook", stub_writer)
    old = os.umask(0o022)
    try:
        write_all(results, tmp_path / "report")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "report").stat().st_mode) == 0o755


def _disk_full(results: Any, path: Path, *args: Any, **kwargs: Any) -> None:
    """As a workbook writer meets a full disk: the write fails, and closing the zip stream
    then raises zlib's error, which hid the first."""
    import zlib

    try:
        with open("/dev/full", "wb") as f:
            f.write(b"x" * 100_000)
    except OSError:
        raise zlib.error("Error -2 while flushing: inconsistent stream state") from None


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_disk_full_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "report"
    monkeypatch.setattr(fam.writers.workbook, "write_workbook", _disk_full)
    args = ["run", str(FIXTURES / "hand" / "scenario.yaml"), "--out", str(dest), "-q", "-n", "20"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2, r.output
    (line,) = not_warnings(r.stderr)
    assert line.startswith("error: ") and "no space left on device" in line, line
    assert not dest.exists() and leftovers(tmp_path) == []
