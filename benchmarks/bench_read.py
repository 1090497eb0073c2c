"""Reading at scale: fam's cohort reader against pandas' own read_csv on the same files.

The national inputs of bench_national.py (58,000 synthetic adults, 15 services: about 1.2
million service-use rows, 54 MB) are built, or reused from --dir. Prints, best of --repeat:

- pandas: ``pandas.read_csv`` of clients.csv and service_use.csv with its defaults (type
  inference, no checks; ``comment="#"`` for a file that starts with a comment line);
- fam: ``fam.inputs.cohort.load_cohort`` on the same two files: parsed, every check made
  (dates, ids, services, quantities, spell order and overlaps), ready for the model;
- the ratio fam / pandas (target: at most 2);
- with --careful, also the careful line-by-line reader that explains errors (what
  load_cohort did for every file before the fast reader), once.

    python benchmarks/bench_read.py [--repeat 3] [--dir DIR] [--careful]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine  # noqa: E402
from _inputs import UK_COSTS, build  # noqa: E402

CLIENTS, SERVICES, YEARS = 58_000, 15, 10


def best(fn: Callable[[], object], repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), times


def main() -> None:
    import pandas as pd

    from fam.inputs.cohort import _careful_cohort, load_cohort
    from fam.inputs.unit_costs import load_unit_costs

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each reader; best shown")
    ap.add_argument("--dir", type=Path, help="keep the generated inputs here (reused if there)")
    ap.add_argument("--careful", action="store_true", help="also time the careful reader once")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    table = load_unit_costs([UK_COSTS])
    units = dict(zip(table["service"], table["unit"], strict=True))
    with tempfile.TemporaryDirectory(prefix="fam-bench-read-") as tmp:
        folder = args.dir or Path(tmp)
        clients, use = folder / "clients.csv", folder / "service_use.csv"
        if not (clients.exists() and use.exists()):
            build(folder, clients=CLIENTS, services=SERVICES, horizon_years=YEARS)
        rows = sum(1 for _ in use.open(encoding="utf-8")) - 1
        print(
            f"inputs: {clients.name} {clients.stat().st_size / 1e6:.1f} MB, "
            f"{use.name} {rows:,} rows, {use.stat().st_size / 1e6:.1f} MB"
        )

        commented = {p: p.open("rb").read(1) == b"#" for p in (clients, use)}

        def with_pandas() -> None:  # comment="#" only where a file has comment lines
            for path in (clients, use):
                pd.read_csv(path, comment="#" if commented[path] else None)

        t_pd, runs_pd = best(with_pandas, args.repeat)
        t_fam, runs_fam = best(lambda: load_cohort(clients, use, units), args.repeat)
        show = ", ".join
        print(
            f"pandas read_csv (both files): {t_pd:.2f} s (best of {show(f'{x:.2f}' for x in runs_pd)})"
        )
        print(
            f"fam load_cohort (both files, checked): {t_fam:.2f} s (best of {show(f'{x:.2f}' for x in runs_fam)})"
        )
        print(f"ratio fam / pandas: {t_fam / t_pd:.2f} x (target: at most 2 x)")
        if args.careful:
            t_c, _ = best(lambda: _careful_cohort(clients, use, units), 1)
            print(f"careful reader (line by line): {t_c:.2f} s, {t_c / t_pd:.1f} x pandas")


if __name__ == "__main__":
    main()
