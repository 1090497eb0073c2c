"""National scale: 58,000 clients, 10,000 iterations, 10-year monthly horizon, 15 services.

58,000 synthetic data clients (fam.inputs.synth adults profile), projected at cohort size 58,000:
the bootstrap resamples all 58,000 each iteration. Each engine run is a fresh process:
prints the engine time (the best of --repeat runs in that process, and the first, which
includes loading the compiled kernels), the peak memory the engine allocates (tracemalloc,
from after the inputs are loaded) and the whole process's peak resident memory (getrusage,
loading included), at 2,000 and 10,000 iterations; and the numpy floor (58,000 x
iterations uniforms, best of --repeat) with the ratio of the best times.

On a shared machine the engine's time varies more than the floor's: the bootstrap reads
client rows at random from a 7 MB table, so it slows when other work fills the shared
cache, while drawing uniforms does not. The best of a few runs is the figure to compare.

    python benchmarks/bench_national.py [--iterations 2000 10000] [--workers 1 2]
                                        [--repeat 3] [--dir DIR]

Targets on a 2-core, 24 GiB machine: engine under 60 s and within 10x the floor, peak
memory under 4 GiB and not growing with iterations.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import engine_in_child, floor_seconds, gib, machine  # noqa: E402
from _inputs import build  # noqa: E402

CLIENTS, SERVICES, YEARS = 58_000, 15, 10


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, nargs="+", default=[2_000, 10_000])
    ap.add_argument("--workers", type=int, nargs="*", default=[1], help="also run on N processes")
    ap.add_argument("--repeat", type=int, default=3, help="engine runs per process; best shown")
    ap.add_argument("--dir", type=Path, help="keep the generated inputs here (reused if there)")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="fam-bench-national-") as tmp:
        folder = args.dir or Path(tmp)
        scenario = folder / "scenario.yaml"
        if not scenario.exists():
            build(folder, clients=CLIENTS, services=SERVICES, horizon_years=YEARS)
        print(
            f"inputs: {CLIENTS:,} synthetic adults as data clients, cohort size {CLIENTS:,}, "
            f"{SERVICES} services, {YEARS}-year monthly horizon"
        )
        for workers in args.workers:
            for n in args.iterations:
                r = engine_in_child(scenario, n, workers, args.repeat)
                floor = min(floor_seconds(CLIENTS, n) for _ in range(args.repeat))
                traced = r["traced_peak_bytes"]
                runs = ", ".join(f"{x:.2f}" for x in r["times"])
                print(
                    f"{n:>6,} iterations, {workers} worker(s): engine {r['engine_s']:.2f} s "
                    f"(best of {runs}); "
                    f"floor {floor:.2f} s; ratio {r['engine_s'] / floor:.1f}x; "
                    + (f"engine peak (traced) {gib(traced)}; " if traced is not None else "")
                    + f"process peak RSS {gib(r['maxrss_bytes'])}; "
                    f"loading {r['load_s']:.1f} s; chunk {r['chunk']}"
                )


if __name__ == "__main__":
    main()
