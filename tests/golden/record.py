"""Record the golden figures of every shipped example scenario.

tests/golden/<scenario>/ holds the JSON reports (summary.json, and sib.json / update.json where
the scenario writes them) of `fam run scenarios/<scenario>.yaml --iterations 300`, run from the
repository root with the scenario's own seed, exactly as a user would run it.
tests/test_golden.py runs every scenario the same way and requires the same JSON, every
number to the last digit. It guards refactors: a change that is meant to leave the model's
figures alone must leave them identical.

Re-record (from the repository root):

    PYTHONPATH=$PWD python3 tests/golden/record.py

only when a change is meant to move figures (a corrected formula, new unit costs, a different
random stream, a changed example scenario) or when a scenario or report file is added or
removed. Look at the diff of tests/golden/ before committing it: every moved figure must be
explained by the change. Whenever golden figures change, CHANGELOG.md must say why (which
change, which figures move and by how much), in the same commit. Never re-record to make a
refactor pass.

What is normalised (everything else is kept as written):

- summary.json "fam_version" is dropped: it changes with every release, not with the figures.
- summary.json "inputs_sha256" is dropped: it hashes the scenario's validated content (its
  `source` strings included), the unit-cost table (with its citations) and the data files'
  bytes, so re-wording a citation moves it while no figure moves. The golden pins figures;
  tests/test_cli.py and docs/outputs.md cover the hashes themselves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent
ITERATIONS = 300
REPORTS = ("summary.json", "sib.json", "update.json")
DROPPED = {"summary.json": ("fam_version", "inputs_sha256")}


def scenarios() -> list[str]:
    """Stems of the shipped example scenarios."""
    return sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))


def command(stem: str, out: Path) -> list[str]:
    """The CLI run whose reports are recorded (relative scenario path, run from ROOT)."""
    return [
        sys.executable,
        "-m",
        "fam",
        "run",
        f"scenarios/{stem}.yaml",
        "--iterations",
        str(ITERATIONS),
        "--out",
        str(out),
        "--force",
        "-q",
    ]


def environment() -> dict[str, str]:
    """The environment with this checkout's fam first on the import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def normalise(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """`data` without the fields that vary with the checkout rather than the figures."""
    return {k: v for k, v in data.items() if k not in DROPPED.get(name, ())}


def collect(out: Path) -> dict[str, dict[str, Any]]:
    """The normalised JSON reports written to `out`, by file name."""
    found = {}
    for name in REPORTS:
        path = out / name
        if path.exists():
            found[name] = normalise(name, json.loads(path.read_text(encoding="utf-8")))
    return found


def run_all(base: Path, stems: list[str], parallel: int = 2) -> dict[str, dict[str, Any]]:
    """Run every scenario in `stems` into base/<stem>, `parallel` at a time.

    Returns the normalised reports by scenario; raises RuntimeError if a run fails.
    """
    results: dict[str, dict[str, Any]] = {}
    pending = list(stems)
    while pending:
        batch, pending = pending[:parallel], pending[parallel:]
        procs = []
        for stem in batch:
            cmd = command(stem, base / stem)
            procs.append(
                (
                    stem,
                    subprocess.Popen(
                        cmd,
                        cwd=ROOT,
                        env=environment(),
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                    ),
                )
            )
        for stem, proc in procs:
            so, se = proc.communicate(timeout=600)
            if proc.returncode != 0:
                raise RuntimeError(f"fam run scenarios/{stem}.yaml failed:\n{so}\n{se}")
            results[stem] = collect(base / stem)
    return results


def dump(data: dict[str, Any]) -> str:
    """JSON text for a golden file (floats written with repr, so they read back exactly)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        results = run_all(Path(tmp), scenarios())
    for old in GOLDEN.iterdir():
        if old.is_dir() and old.name not in results and old.name != "__pycache__":
            for f in old.glob("*.json"):
                f.unlink()
            old.rmdir()
            print(f"removed {old.relative_to(ROOT)}")
    for stem, reports in results.items():
        folder = GOLDEN / stem
        folder.mkdir(exist_ok=True)
        for f in folder.glob("*.json"):
            if f.name not in reports:
                f.unlink()
        for name, data in reports.items():
            (folder / name).write_text(dump(data), encoding="utf-8")
        print(f"recorded {folder.relative_to(ROOT)}: {', '.join(sorted(reports))}")


if __name__ == "__main__":
    main()
