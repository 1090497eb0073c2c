"""Time and peak memory of `fam run` refusing hostile inputs (issue 19), each in a fresh
process as a user meets it: /dev/zero as a cohort file, a YAML alias bomb, a name of one
3,000-character word, a 1 MB description, an absurd cohort size; and, for the layout, a run
whose description holds a 3,000-character word (it runs; the PDF is laid out).

Peak memory is the child's maximum resident set size from os.wait4 (the getrusage figures
of that one child), so the interpreter's own start-up (numpy, pandas, pydantic: about
150 MB) is included.

    python benchmarks/bench_refusals.py          # about a minute
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HAND = ROOT / "tests" / "fixtures" / "hand"


def scenario(folder: Path, name: str, edit: tuple[str, str] = ("", ""), append: str = "") -> Path:
    text = (HAND / "scenario.yaml").read_text(encoding="utf-8")
    for f in ("clients.csv", "service_use.csv", "unit_costs.csv"):
        text = text.replace(f, str(HAND / f))
    if edit[0]:
        assert edit[0] in text, edit
        text = text.replace(edit[0], edit[1], 1)
    p = folder / f"{name}.yaml"
    p.write_text(text + append, encoding="utf-8")
    return p


def alias_bomb(folder: Path) -> Path:
    lines = ["lol0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        lines.append(f"lol{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    p = folder / "alias_bomb.yaml"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def measure(path: Path, out: Path) -> tuple[int, float, float, str]:
    """(exit code, seconds, peak RSS in MB, first stderr line) of `fam run path`."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "fam", "run", str(path), "--out", str(out), "-q", "-n", "50"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    rss_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    lines = [ln for ln in err.splitlines() if not ln.startswith("warning: ")]
    return proc.returncode, took, rss_mb, (lines[0] if lines else "")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="fam-bench-refusals-") as d:
        folder = Path(d)
        word = "W" * 3000
        cases = [
            ("a missing scenario (start-up alone)", folder / "missing.yaml"),
            ("/dev/zero as cohort.clients", scenario(folder, "dev_zero",
                ("clients: " + str(HAND / "clients.csv"), "clients: /dev/zero"))),
            ("YAML alias bomb (10^10 values)", alias_bomb(folder)),
            ("name: one 3,000-character word", scenario(folder, "long_name",
                ("name: Hand-checked fixture", f"name: {word}"))),
            ("description: 1 MB", scenario(folder, "big_description",
                append="description: " + "lorem ipsum " * 87_382 + "\n")),
            ("cohort.size: 10^12 clients", scenario(folder, "big_cohort",
                ("  intake: {months: 1}", "  intake: {months: 1}\n  size: 1000000000000"))),
            ("description with a 3,000-char word (runs)", scenario(folder, "long_word",
                append=f"description: {word}\n")),
        ]  # fmt: skip
        print(f"{'input':44} {'exit':>4} {'seconds':>8} {'peak MB':>8}  error line")
        for label, path in cases:
            code, took, rss, line = measure(path, folder / "out" / path.stem)
            shown = line if len(line) <= 110 else line[:107] + "..."
            print(f"{label:44} {code:>4} {took:8.2f} {rss:8.0f}  {shown}")


if __name__ == "__main__":
    main()
