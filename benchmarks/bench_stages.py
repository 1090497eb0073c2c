"""Where a whole `fam run` spends its time, in one process: the engine's Monte Carlo alone
against the whole run (load, central case, Monte Carlo with the SIB pass, update, sensitivity,
and every writer), for an example scenario (default: Essex).

    python benchmarks/bench_stages.py [--scenario scenarios/essex_sib.yaml] [--workers 2]

Prints seconds per stage and the ratio whole run / engine. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import ROOT

from fam import api, engine
from fam.analyses import stage as analyses
from fam.engine.parallel import make_mapper


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "essex_sib.yaml"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=2, help="best of this many (default 2)")
    args = ap.parse_args()
    mi = api.load_scenario(args.scenario)
    mc = mi.scenario.monte_carlo
    best: dict[str, float] = {}

    def keep(name: str, seconds: float) -> None:
        best[name] = min(best.get(name, float("inf")), seconds)

    mapper = make_mapper(workers=args.workers) if args.workers != 1 else None
    try:
        plan = engine.make_plan(mi)
        engine.simulate(plan, mc.seed, 100, mapper=mapper)  # warm: compile and start workers
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            m = api.load_scenario(args.scenario)
            t1 = time.perf_counter()
            engine.simulate(engine.make_plan(m), mc.seed, mc.iterations, mapper=mapper)
            t2 = time.perf_counter()
            res = analyses.run_all(m, mc.seed, mc.iterations, mapper=mapper)
            t3 = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                api.write_reports(res, Path(tmp) / "out")
            t4 = time.perf_counter()
            keep("load", t1 - t0)
            keep("engine (Monte Carlo only)", t2 - t1)
            keep("analysis stage (central, Monte Carlo + SIB, update, sensitivity)", t3 - t2)
            keep("writers", t4 - t3)
            keep("whole run (load + analysis stage + writers)", (t1 - t0) + (t4 - t2))
    finally:
        if mapper is not None:
            mapper.close()
    print(f"{Path(args.scenario).name}: {mc.iterations} iterations, workers {args.workers}")
    for k, v in best.items():
        print(f"  {k:<70} {v:7.2f} s")
    ratio = best["whole run (load + analysis stage + writers)"] / best["engine (Monte Carlo only)"]
    print(f"  whole run / engine: {ratio:.2f}x")


if __name__ == "__main__":
    main()
