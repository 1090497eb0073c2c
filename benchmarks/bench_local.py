"""Local scale: 380 clients, 10,000 iterations, 8-year monthly horizon, 12 services.

Prints the engine time (fam.engine.simulate, in a fresh process), the whole `fam run` time
with every writer (workbook, PDF briefing, summary.json, iterations.csv; a subprocess), and
the numpy floor for the same draw count (380 x 10,000 uniforms) with the ratio.

    python benchmarks/bench_local.py [--iterations 10000] [--repeat 3]

Targets on a 2-core machine: engine under 1 s, whole run under 10 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import engine_in_child, env, floor_seconds, machine  # noqa: E402
from _inputs import build  # noqa: E402

CLIENTS, SERVICES, YEARS = 380, 12, 8


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the best is shown")
    args = ap.parse_args()
    n = args.iterations
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="fam-bench-local-") as tmp:
        scenario = build(
            Path(tmp), clients=CLIENTS, services=SERVICES, horizon_years=YEARS, iterations=n
        )
        print(
            f"inputs: {CLIENTS} synthetic adults (data clients = cohort size), {SERVICES} "
            f"services, {YEARS}-year monthly horizon, {n:,} iterations"
        )
        runs = [engine_in_child(scenario, n) for _ in range(args.repeat)]
        engine_s = min(r["engine_s"] for r in runs)
        floor = min(floor_seconds(CLIENTS, n) for _ in range(args.repeat))
        whole = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "fam", "run", str(scenario), "--force", "-q",
                 "--out", str(Path(tmp) / "out")],
                check=True, env=env(), capture_output=True,
            )  # fmt: skip
            whole.append(time.perf_counter() - t)
        print(f"engine: {engine_s:.3f} s (best of {args.repeat}; chunk {runs[0]['chunk']})")
        print(f"floor:  {floor:.4f} s to draw {CLIENTS} x {n:,} uniforms")
        print(f"ratio:  {engine_s / floor:.1f} x the floor")
        print(f"whole `fam run` with all writers: {min(whole):.2f} s (best of {args.repeat})")


if __name__ == "__main__":
    main()
