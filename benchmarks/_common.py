"""Shared by the benchmark scripts: the numpy floor, an engine run in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing fam
    sys.path.insert(0, str(ROOT))


def env() -> dict[str, str]:
    """Environment for child processes: this checkout's fam importable."""
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), e.get("PYTHONPATH", "")]))
    return e


def floor_seconds(clients: int, iterations: int, block: int = 50) -> float:
    """Seconds numpy takes to draw clients x iterations uniforms (in blocks, as the engine)."""
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    for a in range(0, iterations, block):
        rng.random((min(block, iterations - a), clients))
    return time.perf_counter() - t


_CHILD = r"""
import json, resource, sys, time, tracemalloc
from fam import api, engine
from fam.engine.parallel import make_mapper
path, n, workers, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t = time.perf_counter()
mi = api.load_scenario(path)
plan = engine.make_plan(mi)
load = time.perf_counter() - t
mapper = make_mapper(workers=workers)
times = []
for _ in range(repeat):  # timed without tracemalloc, whose bookkeeping slows allocation
    t = time.perf_counter()
    d = engine.simulate(plan, mi.scenario.monte_carlo.seed, n, mapper=mapper)
    times.append(time.perf_counter() - t)
peak = None
if workers == 1:  # peak memory from a second, traced run (the parent only)
    tracemalloc.start()
    engine.simulate(plan, mi.scenario.monte_carlo.seed, n)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
print(json.dumps({"load_s": load, "engine_s": min(times), "times": times,
                  "traced_peak_bytes": peak,
                  "maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "chunk": engine.default_chunk(plan), "npv_mean": float(d.npv.mean())}))
"""


def engine_in_child(
    scenario: Path, iterations: int, workers: int = 1, repeat: int = 1
) -> dict[str, Any]:
    """Load, plan and simulate (`repeat` times) in a fresh interpreter: the best time and the
    first (which includes loading the compiled kernels), peak memory (traced and RSS)."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(scenario), str(iterations), str(workers), str(repeat)],
        capture_output=True,
        text=True,
        env=env(),
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{os.cpu_count()} CPUs, numpy {np.__version__}, Python {sys.version.split()[0]}, "
        f"load average {load:.2f} at start"
    )


def gib(x: float) -> str:
    return f"{x / 2**30:.2f} GiB"
