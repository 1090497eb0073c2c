"""The bad-input corpus (tests/bad_inputs): every malformed input fails cleanly.

Each case is a folder holding a scenario (and any bad CSVs; valid files are shared from
tests/fixtures/hand) and `expect.yaml`:

    what: one line saying what is wrong
    exit: 2
    stderr_contains: [the file name, the row/line or key path, what was expected]
    scenario: scenario.yaml      # optional: the file given to `fam run`
    requires: fam.inputs.workbook_input # optional: skip the case if this module is missing
    ignore_case: false           # optional: compare stderr_contains case-insensitively

`fam run CASE/<scenario> --out TMP -q` must exit 2 with exactly one line on stderr starting
with `error: `, holding every expected substring and no traceback, and must not create the
output folder (nor leave a temporary one). To keep the suite fast, the corpus runs in a few
driver subprocesses (ten cases each, in parallel) that call the CLI in-process; a handful of cases
also run as separate `python -m fam` subprocesses, exactly as a user would.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.util import FIXTURES, ROOT, run_cli

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "expect.yaml").is_file())
BATCH = 10

# Runs in a fresh interpreter: calls the CLI in-process once per case, records exit code,
# stdout and stderr, and prints them as JSON.
DRIVER = r"""
import contextlib, io, json, sys
from fam.cli import cli
out = []
for args in json.load(sys.stdin):
    err, std = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
        try:
            cli.main(args=args, prog_name="fam", standalone_mode=True)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException as e:
            code = -1
            err.write(f"DRIVER CAUGHT {type(e).__name__}: {e}")
    out.append({"code": code, "stdout": std.getvalue(), "stderr": err.getvalue()})
print(json.dumps(out))
"""


def expectation(case: str) -> dict[str, Any]:
    exp = yaml.safe_load((CORPUS / case / "expect.yaml").read_text(encoding="utf-8"))
    assert isinstance(exp, dict) and exp.get("stderr_contains"), f"{case}: bad expect.yaml"
    return exp


def cli_args(case: str, out: Path) -> list[str]:
    scenario = CORPUS / case / expectation(case).get("scenario", "scenario.yaml")
    return ["run", str(scenario), "--out", str(out), "-q"]


def skip_reason(case: str) -> str | None:
    req = expectation(case).get("requires")
    if req and importlib.util.find_spec(req) is None:
        return f"{req} is not available yet"
    return None


def check(case: str, code: int, stdout: str, stderr: str, out: Path) -> None:
    exp = expectation(case)
    where = f"{case} ({exp['what']}): stderr was {stderr!r}"
    assert code == exp.get("exit", 2), where
    assert "Traceback" not in stderr and "Traceback" not in stdout, where
    lines = stderr.splitlines()
    assert len(lines) == 1, where
    assert lines[0].startswith("error: "), where
    hay = stderr.lower() if exp.get("ignore_case") else stderr
    for want in exp["stderr_contains"]:
        needle = str(want).lower() if exp.get("ignore_case") else str(want)
        assert needle in hay, f"missing {want!r} in {where}"
    assert not out.exists(), f"{case}: the output folder was created"
    assert not [p.name for p in out.parent.iterdir() if ".tmp-" in p.name], (
        f"{case}: a temporary output folder was left behind"
    )


@pytest.fixture(scope="session")
def corpus_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Run every runnable case, BATCH per driver subprocess."""
    base = tmp_path_factory.mktemp("bad_inputs")
    runnable = [c for c in CASES if skip_reason(c) is None]
    results: dict[str, dict[str, Any]] = {}
    outs = {}
    for c in runnable:
        (base / c).mkdir()
        outs[c] = base / c / "out"

    def run_batch(batch: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", DRIVER],
            input=json.dumps([cli_args(c, outs[c]) for c in batch]),
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
        )

    batches = [runnable[i : i + BATCH] for i in range(0, len(runnable), BATCH)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        procs = list(pool.map(run_batch, batches))
    for batch, proc in zip(batches, procs, strict=True):
        assert proc.returncode == 0, proc.stderr
        for c, r in zip(batch, json.loads(proc.stdout), strict=True):
            results[c] = {**r, "out": outs[c]}
    return results


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    for c in CASES:
        exp = expectation(c)
        assert exp.get("exit", 2) == 2 and exp.get("what"), c


@pytest.mark.parametrize("case", CASES)
def test_bad_input(case: str, corpus_results: dict[str, dict[str, Any]]) -> None:
    reason = skip_reason(case)
    if reason:
        pytest.skip(reason)
    r = corpus_results[case]
    check(case, r["code"], r["stdout"], r["stderr"], r["out"])


# a few cases as real, separate `python -m fam` processes
@pytest.mark.parametrize(
    "case",
    [
        "yaml_syntax_unclosed_bracket",
        "clients_duplicate_id",
        "use_overlapping_spells",
        "unit_costs_not_utf8",
        "scenario_missing",
    ],
)
def test_bad_input_real_subprocess(case: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run_cli(*cli_args(case, out))
    check(case, r.returncode, r.stdout, r.stderr, out)


def test_rows_outside_every_window_are_a_counted_warning(tmp_path: Path) -> None:
    """Not an error: rows before the baseline window or after the horizon are counted."""
    from fam.inputs.loading import load

    hand = tmp_path / "hand"
    shutil.copytree(FIXTURES / "hand", hand)
    use = hand / "service_use.csv"
    # the fixture's line 14 (2018) is before the window; add one after the 2-year horizon
    use.write_text(use.read_text() + "C,ae_attendance,2022-01-01,,3\n")
    mi = load(hand / "scenario.yaml")
    assert mi.data_notes["rows_outside_windows"] == 2
    assert mi.data_notes["first_row_outside_windows"] == 14
    r = run_cli("run", str(hand / "scenario.yaml"), "--out", str(tmp_path / "out"), "-q")
    assert r.returncode == 0, r.stderr
    (line,) = r.stderr.splitlines()
    assert line.startswith("warning: service_use.csv: 2 row(s) (first on line 14)")
