"""The compiled bootstrap kernels against plain numpy, and the one-uniform draw's statistics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fam import api, engine
from fam.engine.kernels import cell_sums, contract

ESSEX = Path(__file__).resolve().parents[1] / "scenarios" / "essex_sib.yaml"


def _reference_cells(u, completion, slot_cell, client_cell, rows, n_cells):
    """numpy.add.at over pick's choices: adds each cell's clients in slot order."""
    client, comp = engine.pick(u[None, :], len(rows), np.array([completion]))
    cell = slot_cell + client_cell[client[0]] + comp[0]
    out = np.zeros((n_cells, rows.shape[1]))
    np.add.at(out, cell, rows[client[0]])
    return out


@pytest.mark.parametrize("completion", [0.0, 0.37, 1.0])
def test_cell_sums_equal_add_at_exactly(completion):
    rng = np.random.default_rng(7)
    n_clients, n_slots, n_k, n_d, n_col = 41, 500, 6, 3, 5
    rows = rng.gamma(0.5, 2.0, size=(n_clients, n_col))
    rows[:, -1] = 1.0
    slot_cell = np.sort(rng.integers(0, n_k, n_slots)) * (n_d * 2)
    client_cell = rng.integers(0, n_d, n_clients) * 2
    u = rng.random(n_slots)
    n_cells = n_k * n_d * 2
    out = np.full((n_cells, n_col), np.nan)  # overwritten, not added to
    cell_sums(u, completion, slot_cell, client_cell, rows, out)
    want = _reference_cells(u, completion, slot_cell, client_cell, rows, n_cells)
    assert np.array_equal(out, want)
    assert out[:, -1].sum() == n_slots  # every slot lands in exactly one cell
    # the completer cells (odd offsets) hold the slots whose x = u x n has a fractional part
    # below the completion rate, counted here from the uniforms directly
    completers = out.reshape(n_k, n_d, 2, n_col)[:, :, 1, -1].sum()
    x = u * n_clients
    assert completers == np.count_nonzero(x - np.floor(x) < completion)
    if completion == 0.0:
        assert completers == 0
    elif completion == 1.0:
        assert completers == n_slots
    else:
        assert 0 < completers < n_slots


def test_pick_by_hand():
    # n = 4 clients: x = 4u; client floor(x); completer if x - floor(x) < completion
    u = np.array([[0.0, 0.1, 0.3, 0.55, 0.999]])
    client, comp = engine.pick(u, 4, np.array([0.5]))
    assert client.tolist() == [[0, 0, 1, 2, 3]]  # x = 0, 0.4, 1.2, 2.2, 3.996
    assert comp.tolist() == [[True, True, True, True, False]]  # fractions 0, .4, .2, .2, .996


def test_pick_client_and_completion_independent():
    """One uniform does the work of two: clients uniform, completion independent of client."""
    rng = np.random.default_rng(11)
    n, completion, draws = 7, 0.3, 700_000
    client, comp = engine.pick(rng.random((1, draws)), n, np.array([completion]))
    counts = np.bincount(client[0], minlength=n)
    se_share = np.sqrt((1 / n) * (1 - 1 / n) / draws)
    assert np.all(np.abs(counts / draws - 1 / n) < 5 * se_share)
    per_client = np.bincount(client[0], weights=comp[0], minlength=n) / counts
    se_comp = np.sqrt(completion * (1 - completion) / counts)
    assert np.all(np.abs(per_client - completion) < 5 * se_comp)


def test_contract_equals_einsum():
    rng = np.random.default_rng(3)
    n_k, n_d, n_s, n_b = 5, 4, 6, 3
    g = rng.gamma(1.0, 1.0, size=(n_k, n_d, 2, n_s + 1))
    kb = rng.random((n_k, 2 * n_b))
    table = rng.random((2, n_k, n_d, 2 * n_b))
    table_of = np.array([0, 1, -1, 0, -1, 1])
    months, ends = rng.random((n_k, n_d, n_b)), rng.random((n_k, n_d, n_b))
    nce = 0.4
    base, q, counts = np.empty((n_s, 2 * n_b)), np.empty((n_s, 2 * n_b)), np.empty(2 * n_b)
    contract(g, nce, kb, table, table_of, months, ends, np.empty(n_s), base, q, counts)

    want_base = np.einsum("kdcs,kx->sx", g[..., :n_s], kb)
    s1 = nce * g[:, :, 0, :n_s] + g[:, :, 1, :n_s]
    p01 = np.where(table_of[None, None, :, None] >= 0, table[table_of].transpose(1, 2, 0, 3), 0)
    want_q = np.einsum("kds,kdsx->sx", s1, p01)
    cnt = g[..., n_s]
    want_counts = np.concatenate(
        [np.einsum("kd,kdb->b", cnt.sum(axis=2), months), np.einsum("kd,kdb->b", cnt[..., 1], ends)]
    )
    np.testing.assert_allclose(base, want_base, rtol=1e-13)
    np.testing.assert_allclose(q, want_q, rtol=1e-13)
    assert np.all(q[table_of < 0] == 0)
    np.testing.assert_allclose(counts, want_counts, rtol=1e-13)


def test_cell_and_client_paths_draw_the_same_cohort():
    """The cell path (compiled) and the client path (numpy `pick`) see the same resampled
    clients: programme ends per iteration agree, and completers exactly."""
    essex_inputs = api.load_scenario(ESSEX)
    plan = engine.make_plan(essex_inputs)
    p, _ = engine.draw_params(essex_inputs, 9, engine.BLOCK)
    sums = {
        by_client: engine._bootstrap_sums(plan, p, 9, 0, engine.BLOCK, by_client=by_client)
        for by_client in (False, True)
    }
    ends_cell = sums[False].counts[:, 2 * plan.year_exp.c0.shape[1] :].sum(axis=1)
    ends_client = sums[True].counts[:, 2 * plan.year_exp.c0.shape[1] :].sum(axis=1)
    np.testing.assert_allclose(ends_cell, ends_client, rtol=1e-12)
    rs = engine._Resample.of(plan)
    client, comp = engine.pick(rs.uniforms(9, 0), len(plan.dix), p.completion)
    cells = next(iter(rs.each(9, 0, p.completion)))
    assert cells[..., 1, -1].sum() == comp[0].sum()
    assert cells[..., -1].sum() == len(plan.slot_k)


def test_kernels_work_where_no_cache_can_be_written(monkeypatch):
    """A read-only install and home: numba has nowhere to cache, fam compiles in memory."""
    import importlib

    import numba.core.caching

    import fam.engine.kernels

    caching = numba.core.caching
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl  # renamed in numba 0.6x
    monkeypatch.setattr(impl, "_locator_classes", [])
    fresh = importlib.reload(fam.engine.kernels)
    try:
        out = np.empty((2, 2))
        rows = np.array([[1.0, 1.0], [2.0, 1.0]])
        one = np.zeros(1, dtype=np.int64)
        fresh.cell_sums(np.array([0.75]), 0.0, one, np.zeros(2, dtype=np.int64), rows, out)
        assert out.tolist() == [[2.0, 1.0], [0.0, 0.0]]  # u = .75: client 1, not a completer
    finally:
        monkeypatch.undo()
        importlib.reload(fam.engine.kernels)
