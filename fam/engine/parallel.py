"""Run the Monte Carlo's chunks in parallel: local processes, or a Dask distributed cluster.

    >>> from fam import api
    >>> from fam.engine.parallel import make_mapper
    >>> with make_mapper(workers=4) as mapper:                 # local processes
    ...     res = api.run("scenarios/essex_sib.yaml", mapper=mapper)
    >>> with make_mapper(scheduler="tcp://host:8786") as mapper:   # a running Dask cluster
    ...     res = api.run("scenarios/essex_sib.yaml", mapper=mapper)

A mapper is what `fam.engine.simulate(..., mapper=...)` calls as `mapper(fn, args)`: it returns
`fn(*a)` for each tuple `a` in `args`, in order, yielding each as soon as it and every earlier
one are done (so a progress bar advances as chunks arrive). The random numbers of each block
of iterations are fixed by the seed and the block's number (see fam.engine), so results are
bit-identical whatever the chunk size, the number of workers or the order chunks finish in.

The first element of every `args` tuple is the same big `Plan` (inputs, exposures, baseline
rates): it is sent to each worker once (a process initialiser; a Dask scatter with broadcast),
never once per chunk.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from types import TracebackType
from typing import Any, TypeVar

from fam.errors import InputError

R = TypeVar("R")
CONNECT_TIMEOUT = 20  # seconds to wait for a Dask scheduler

__all__ = ["DaskMapper", "Mapper", "ProcessMapper", "make_mapper"]


def _split(args: Sequence[tuple[Any, ...]]) -> tuple[Any, list[tuple[Any, ...]]]:
    """(shared first element, or None; the rest of each tuple, or whole tuples if not shared)."""
    if args and all(len(a) > 0 and a[0] is args[0][0] for a in args):
        return args[0][0], [tuple(a[1:]) for a in args]
    return None, [tuple(a) for a in args]


def _with_shared(fn: Callable[..., R], shared: Any, rest: tuple[Any, ...]) -> R:
    return fn(*rest) if shared is None else fn(shared, *rest)


class Mapper:
    """Base class: a callable mapper that is also a context manager (`close` frees workers)."""

    def __call__(self, fn: Callable[..., R], args: Sequence[tuple[Any, ...]]) -> Iterator[R]:
        raise NotImplementedError

    def close(self) -> None:
        """Release workers or connections (the mapper can't be used afterwards)."""

    def __enter__(self) -> Mapper:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --- local processes ------------------------------------------------------------------------

_SHARED: Any = None  # a worker process's copy of the shared first argument


def _init_worker(shared: Any) -> None:
    global _SHARED
    _SHARED = shared


def _call_in_worker(fn: Callable[..., R], has_shared: bool, rest: tuple[Any, ...]) -> R:
    return fn(_SHARED, *rest) if has_shared else fn(*rest)


class ProcessMapper(Mapper):
    """Chunks on `workers` local processes (concurrent.futures); the plan is sent once each.

    A pool lives for one call (one Monte Carlo run), so the plan it was given can't go stale.
    """

    def __init__(self, workers: int, start_method: str | None = None) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self.start_method = start_method

    def __call__(self, fn: Callable[..., R], args: Sequence[tuple[Any, ...]]) -> Iterator[R]:
        shared, rest = _split(args)
        if not rest:
            return
        pool = ProcessPoolExecutor(
            max_workers=min(self.workers, len(rest)),
            mp_context=multiprocessing.get_context(self.start_method),
            initializer=_init_worker,
            initargs=(shared,),
        )
        futures: list[Future[R]] = []
        try:
            futures = [pool.submit(_call_in_worker, fn, shared is not None, r) for r in rest]
            for f in futures:
                yield f.result()
        finally:
            for f in futures:
                f.cancel()
            pool.shutdown(wait=True, cancel_futures=True)


# --- Dask -----------------------------------------------------------------------------------


class DaskMapper(Mapper):
    """Chunks as tasks on a Dask distributed cluster (`distributed.Client(address)`).

    Every worker needs the same fam, numpy and scipy as the machine that submits; the plan is
    scattered to all workers once per run and released afterwards.
    """

    def __init__(self, scheduler: Any) -> None:
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - depends on the environment
            raise InputError(
                "--scheduler needs Dask: pip install 'dask[distributed]' (or fam[dask])"
            ) from None
        self._own = not isinstance(scheduler, Client)
        if self._own:
            try:
                self.client = Client(scheduler, set_as_default=False, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as e:
                raise InputError(
                    f"--scheduler {scheduler}: cannot reach a Dask scheduler there "
                    f"({type(e).__name__}: {' '.join(str(e).split())[:160]})"
                ) from None
        else:
            self.client = scheduler

    def __call__(self, fn: Callable[..., R], args: Sequence[tuple[Any, ...]]) -> Iterator[R]:
        from distributed import as_completed

        shared, rest = _split(args)
        if not rest:
            return
        client = self.client
        handle = None if shared is None else client.scatter(shared, broadcast=True, hash=False)
        futures = [client.submit(_with_shared, fn, handle, r, pure=False) for r in rest]
        position = {f.key: i for i, f in enumerate(futures)}
        arrived: dict[int, R] = {}
        nxt = 0
        try:
            for f in as_completed(futures, loop=client.loop):
                arrived[position[f.key]] = f.result()
                f.release()
                while nxt in arrived:
                    yield arrived.pop(nxt)
                    nxt += 1
        finally:
            client.cancel([f for f in futures if not f.done()])
            if handle is not None:
                handle.release()

    def close(self) -> None:
        if self._own:
            self.client.close()


def make_mapper(workers: int | None = None, scheduler: Any = None) -> Mapper | None:
    """The mapper for `fam run --workers N` / `--scheduler ADDRESS`; None means run serially.

    `workers`: local processes (0 means one per CPU; 1 or None: serial, no mapper).
    `scheduler`: a Dask scheduler address such as ``tcp://10.0.0.5:8786`` (or a
    `distributed.Client`); the cluster's workers run the chunks.
    """
    if scheduler is not None and workers not in (None, 1):
        raise InputError("give --workers (local processes) or --scheduler (Dask), not both")
    if scheduler is not None:
        return DaskMapper(scheduler)
    if workers is None or workers == 1:
        return None
    if workers < 0:
        raise InputError(f"--workers must be 0 (one per CPU) or more, got {workers}")
    return ProcessMapper(workers or os.cpu_count() or 1)
