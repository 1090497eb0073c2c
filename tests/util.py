"""Helpers shared by tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `fam ARGS` as a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "fam", *args], capture_output=True, text=True, cwd=cwd or ROOT
    )
