"""Same seed, same numbers: whatever the chunk size, serial, local processes or Dask.

Every number of summary.json and iterations.csv is compared for exact equality (the frames
themselves, and the files as the writers write them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fam import api, engine
from fam.engine.parallel import DaskMapper, ProcessMapper, make_mapper
from fam.errors import InputError
from fam.writers.tables import write_iterations, write_summary
from tests.util import FIXTURES, ROOT

HAND = FIXTURES / "hand" / "scenario.yaml"
ESSEX = ROOT / "scenarios" / "essex_sib.yaml"
NOISY = {"monte_carlo.bootstrap": True, "monte_carlo.poisson": True}


def _same(a: api.Results, b: api.Results, tmp_path) -> None:
    assert a.summary() == b.summary()
    fa, fb = a.iterations_frame(), b.iterations_frame()
    pd.testing.assert_frame_equal(fa, fb, check_exact=True)
    assert np.array_equal(fa.to_numpy(), fb.to_numpy(), equal_nan=True)
    for name, d in (("a", a), ("b", b)):
        write_summary(d, tmp_path / f"{name}.json")
        write_iterations(d, tmp_path / f"{name}.csv")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


@pytest.fixture(scope="module")
def hand_inputs():
    return api.load_scenario(HAND, **NOISY)


def _chunked(inputs, iterations: int, chunk_size: int | None = None, **kw):
    """The run and the chunk sizes it ran in (as reported to `progress`)."""
    sizes: list[int] = []
    res = api.run(inputs, iterations=iterations, chunk_size=chunk_size, progress=sizes.append, **kw)
    assert sum(sizes) == iterations
    return res, sizes


@pytest.fixture(scope="module")
def hand_serial(hand_inputs):
    res, sizes = _chunked(hand_inputs, 400)
    assert sizes == [400]  # the default chunk holds the whole run
    return res


@pytest.fixture(scope="module")
def essex_inputs():
    return api.load_scenario(ESSEX)


@pytest.fixture(scope="module")
def essex_serial(essex_inputs):
    res, sizes = _chunked(essex_inputs, 300)
    assert sizes == [300]  # the default chunk holds the whole run
    return res


@pytest.fixture(scope="module")
def dask_address():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def test_noise_is_on(hand_serial):
    assert np.ptp(hand_serial.npv) > 0  # the bootstrap and Poisson noise really vary


# chunk sizes are rounded up to whole blocks of 50 iterations (70 runs as 100), so each of
# these chunks 400 iterations differently from the whole run, and from one another
HAND_CHUNKINGS = {
    50: [50] * 8,
    70: [100] * 4,
    150: [150, 150, 100],
    350: [350, 50],
}


@pytest.mark.parametrize("chunk", sorted(HAND_CHUNKINGS))
def test_chunk_size_does_not_change_results(hand_inputs, hand_serial, chunk, tmp_path):
    res, sizes = _chunked(hand_inputs, 400, chunk)
    assert sizes == HAND_CHUNKINGS[chunk] != [400]
    _same(hand_serial, res, tmp_path)


def test_chunkings_compared_differ():
    assert len({tuple(v) for v in HAND_CHUNKINGS.values()} | {(400,)}) == len(HAND_CHUNKINGS) + 1


def test_essex_chunk_sizes(essex_inputs, essex_serial, tmp_path):
    assert not engine._by_client(engine.make_plan(essex_inputs))  # the compiled cell path
    for chunk, want in ((50, [50] * 6), (150, [150, 150])):
        res, sizes = _chunked(essex_inputs, 300, chunk)
        assert sizes == want  # differs from the whole run, [300]
        _same(essex_serial, res, tmp_path)


def test_client_path_chunk_sizes(tmp_path):
    """The small-cohort path (per-client products, `engine._ByClient`) is chunk-invariant too."""
    inputs = api.load_scenario(ROOT / "scenarios" / "link_worker.yaml")
    assert engine._by_client(engine.make_plan(inputs))
    serial, sizes = _chunked(inputs, 230)
    assert sizes == [230]
    for chunk, want in ((50, [50, 50, 50, 50, 30]), (150, [150, 80])):
        res, sizes = _chunked(inputs, 230, chunk)
        assert sizes == want  # differs from the whole run, [230]
        _same(serial, res, tmp_path)


def test_process_pool(hand_inputs, hand_serial, tmp_path):
    with make_mapper(workers=2) as mapper:
        assert isinstance(mapper, ProcessMapper)
        seen: list[int] = []
        res = api.run(
            hand_inputs, iterations=400, chunk_size=50, mapper=mapper, progress=seen.append
        )
    assert sum(seen) == 400
    _same(hand_serial, res, tmp_path)


def test_dask_cluster(hand_inputs, hand_serial, essex_inputs, essex_serial, dask_address, tmp_path):
    with make_mapper(scheduler=dask_address) as mapper:
        assert isinstance(mapper, DaskMapper)
        seen: list[int] = []
        res = api.run(
            hand_inputs, iterations=400, chunk_size=50, mapper=mapper, progress=seen.append
        )
        assert sum(seen) == 400
        _same(hand_serial, res, tmp_path)
        _same(essex_serial, api.run(essex_inputs, iterations=300, mapper=mapper), tmp_path)
        _same(
            essex_serial,
            api.run(essex_inputs, iterations=300, chunk_size=100, mapper=mapper),
            tmp_path,
        )


def test_bootstrap_sums_match_cells(essex_inputs):
    """The fast path (sums straight from resampled clients) equals cells through `flows`."""
    plan = engine.make_plan(essex_inputs)
    p, _ = engine.draw_params(essex_inputs, 5, 120)
    ones = np.ones(essex_inputs.n_years)
    for by_client in (False, True):
        sums = engine._bootstrap_sums(plan, p, 5, 0, 120, by_client=by_client)
        ex = engine._sums_exposure(sums.base.shape[2] // 2, sums.base.shape[1])
        fast = engine.reduce_flows(plan, engine.flows(plan, ex, ones, p, *sums.cells()))
        cells = engine._bootstrap_cells(plan, p, 5, 0, 120)
        slow = engine.reduce_flows(plan, engine.flows(plan, plan.year_exp, ones, p, *cells))
        for k, v in slow.items():
            np.testing.assert_allclose(fast[k], v, rtol=1e-12, atol=1e-6)


def test_make_mapper_choices():
    assert make_mapper() is None
    assert make_mapper(workers=1) is None
    with pytest.raises(InputError, match="not both"):
        make_mapper(workers=2, scheduler="tcp://127.0.0.1:1")
    with pytest.raises(InputError, match="--workers"):
        make_mapper(workers=-1)


def test_unreachable_scheduler_is_one_line(monkeypatch):
    pytest.importorskip("distributed")
    import fam.engine.parallel

    monkeypatch.setattr(fam.engine.parallel, "CONNECT_TIMEOUT", 1)
    with pytest.raises(InputError, match="cannot reach a Dask scheduler"):
        make_mapper(scheduler="tcp://127.0.0.1:9")
