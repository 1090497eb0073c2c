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
from fam.writers import write_all
from tests.util import FIXTURES, ROOT

OLD = {"summary.json": '{"old": true}\n', "scenario.pdf": "old pdf", "notes.txt": "mine"}


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
    assert names == sorted(p.name for p in paths.values())  # old extra files are gone
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
