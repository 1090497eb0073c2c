"""Hostile inputs that the bad-input corpus cannot hold as files (issue 19): devices, FIFOs,
sockets, symbolic-link loops and oversized files are refused before they are read; user
text in the PDF is literal and laid out in linear time; a long description survives the
workbook round trip.

Each refusal is checked as the corpus checks it: exit 2, one `error: ` line naming the file
and what was expected, no output folder.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.util import FIXTURES, ROOT, run_cli

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX special files")


def hand_copy(tmp_path: Path) -> Path:
    work = tmp_path / "hand"
    shutil.copytree(FIXTURES / "hand", work)
    return work


def point(scenario: Path, key: str, target: str) -> None:
    """Make the scenario's cohort/unit-cost key name `target`."""
    text = scenario.read_text()
    old = {
        "clients": "clients: clients.csv",
        "service_use": "service_use: service_use.csv",
        "unit_costs": "unit_costs: [unit_costs.csv]",
    }[key]
    new = f"unit_costs: [{target}]" if key == "unit_costs" else f"{key}: {target}"
    assert old in text
    scenario.write_text(text.replace(old, new))


def refused(r: subprocess.CompletedProcess[str], out: Path, *needles: str) -> None:
    lines = r.stderr.splitlines()
    assert r.returncode == 2, r.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert "Traceback" not in r.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    assert not out.exists()


def run(scenario: Path, out: Path, env: dict[str, str] | None = None, timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "fam", "run", str(scenario), "--out", str(out), "-q", "-n", "20"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=timeout,  # a FIFO used to block forever
    )


@posix_only
@pytest.mark.parametrize("key", ["clients", "service_use", "unit_costs"])
def test_dev_zero_is_refused_before_reading(tmp_path: Path, key: str) -> None:
    work = hand_copy(tmp_path)
    point(work / "scenario.yaml", key, "/dev/zero")
    r = run(work / "scenario.yaml", tmp_path / "out", timeout=30)
    refused(r, tmp_path / "out", "/dev/zero", "is a device, not a regular file")


@posix_only
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    work = hand_copy(tmp_path)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    point(work / "scenario.yaml", "clients", str(fifo))
    r = run(work / "scenario.yaml", tmp_path / "out", timeout=30)
    refused(r, tmp_path / "out", "pipe.csv", "a FIFO (named pipe), not a regular file")
    # and as the scenario itself
    r = run(fifo, tmp_path / "out", timeout=30)
    refused(r, tmp_path / "out", "pipe.csv", "expected a scenario file")


@posix_only
def test_socket_is_refused(tmp_path: Path) -> None:
    work = hand_copy(tmp_path)
    path = tmp_path / "s.csv"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
        point(work / "scenario.yaml", "service_use", str(path))
        r = run(work / "scenario.yaml", tmp_path / "out")
    finally:
        sock.close()
    refused(r, tmp_path / "out", "s.csv", "is a socket, not a regular file")


@posix_only
def test_symlink_loop_is_refused(tmp_path: Path) -> None:
    work = hand_copy(tmp_path)
    (tmp_path / "a.csv").symlink_to(tmp_path / "b.csv")
    (tmp_path / "b.csv").symlink_to(tmp_path / "a.csv")
    point(work / "scenario.yaml", "unit_costs", str(tmp_path / "a.csv"))
    r = run(work / "scenario.yaml", tmp_path / "out")
    refused(r, tmp_path / "out", "unit_costs", "a loop of symbolic links")
    r = run(tmp_path / "a.csv", tmp_path / "out")  # as the scenario
    refused(r, tmp_path / "out", "a.csv", "a loop of symbolic links")


def test_folder_as_scenario_is_refused(tmp_path: Path) -> None:
    r = run(tmp_path, tmp_path / "out")
    refused(r, tmp_path / "out", "is a folder; expected a scenario file")


def test_size_limit_is_named_and_can_be_raised(tmp_path: Path) -> None:
    work = hand_copy(tmp_path)
    big = work / "service_use.csv"
    big.write_text(big.read_text() + "# padding\n" * 20_000)  # about 200 KB
    r = run(work / "scenario.yaml", tmp_path / "out", env={"FAM_MAX_INPUT_MB": "0.1"})
    refused(r, tmp_path / "out", "service_use.csv", "limit of 0.1 MB", "FAM_MAX_INPUT_MB")
    r = run(work / "scenario.yaml", tmp_path / "out", env={"FAM_MAX_INPUT_MB": "1"})
    assert r.returncode == 0, r.stderr
    r = run(work / "scenario.yaml", tmp_path / "out2", env={"FAM_MAX_INPUT_MB": "lots"})
    refused(r, tmp_path / "out2", "FAM_MAX_INPUT_MB", "megabytes")


def test_salt_file_that_is_a_device_is_refused(tmp_path: Path) -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("needs /dev/zero")
    out = tmp_path / "out"
    r = run_cli(
        "run", str(FIXTURES / "hand" / "scenario.yaml"), "--out", str(out), "-q",
        "--client-detail", "--salt-file", "/dev/zero",
    )  # fmt: skip
    refused(r, out, "/dev/zero", "not a regular file")


# ------------------------------------------------------------------------- the PDF


def test_user_text_is_literal_and_quiet(tmp_path: Path) -> None:
    """$...$ and backslash commands are printed as written (no mathtext, no crash), and a
    character missing from the font gives no matplotlib warning on stderr."""
    work = hand_copy(tmp_path)
    sc = work / "scenario.yaml"
    name = r"Cost $\frac{a}{b}$ \alpha $5m 😀 名 \undefined{"  # 名: not in DejaVu Sans
    sc.write_text(sc.read_text().replace("name: Hand-checked fixture", f"name: '{name}'"))
    out = tmp_path / "out"
    r = run(sc, out)
    assert r.returncode == 0, r.stderr
    assert [ln for ln in r.stderr.splitlines() if not ln.startswith("warning: service_use")] == []
    text = subprocess.run(
        ["pdftotext", str(out / "scenario.pdf"), "-"], capture_output=True, text=True
    ).stdout if shutil.which("pdftotext") else None  # fmt: skip
    if text is not None:
        assert r"$\frac{a}{b}$ \alpha $5m" in text


def test_long_unbroken_words_wrap_in_linear_time() -> None:
    from fam.writers.briefing_style import CUT_NOTE, _width_pt, fit

    t0 = time.perf_counter()
    lines = fit("W" * 3000, 6.6, 19, bold=True)  # the title's size
    took = time.perf_counter() - t0
    assert took < 5, took  # 253 s before (each prefix re-measured one character shorter)
    assert "".join(lines) == "W" * 3000
    assert all(_width_pt(s, True) * 19 / 10 <= 6.6 * 72 for s in lines)
    t0 = time.perf_counter()
    lines = fit("word " * 200_000, 6.6, 10)  # 1 MB: cut to what a page can show
    assert time.perf_counter() - t0 < 5
    assert lines[-1].endswith(CUT_NOTE.strip()) and len(lines) < 60


# --------------------------------------------------------- the workbook round trip


def test_description_at_the_cell_limit_keeps_inputs_sha256(tmp_path: Path) -> None:
    """A description of 32,767 characters (Excel's cell limit; longer ones are refused)
    is stored whole, so running the workbook gives the same inputs_sha256."""
    work = hand_copy(tmp_path)
    sc = work / "scenario.yaml"
    desc = ("A long description. " * 2000)[:32_767].rstrip() + "z"
    sc.write_text(sc.read_text() + f"description: '{desc}'\n")
    r = run(sc, tmp_path / "a")
    assert r.returncode == 0, r.stderr
    book = tmp_path / "book.xlsx"
    shutil.copy(tmp_path / "a" / "scenario.xlsx", book)
    r = run(book, tmp_path / "b")
    assert r.returncode == 0, r.stderr
    a = json.loads((tmp_path / "a" / "summary.json").read_text())["inputs_sha256"]
    b = json.loads((tmp_path / "b" / "summary.json").read_text())["inputs_sha256"]
    assert a["scenario"] == b["scenario"]
