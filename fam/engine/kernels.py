"""The bootstrap's inner loop, compiled: resampled clients summed into cells.

One uniform u per bootstrap slot picks both the data client and whether the slot completes
the programme: x = u x n, client = floor(x), completer if x - client < completion. Given the
client, the fractional part x - client is uniform on [0, 1) (to 2^-53 x n), independent of
which client was picked, so one draw does the work of two.

`fam.engine.pick` is the same arithmetic in numpy (the small-cohort path uses it);
`cell_sums` fuses it with the sum, so no slot-sized index array is written to memory. The
fused loop adds each cell's clients in slot order, exactly as `numpy.add.at` over `pick`'s
choices would (tests/test_kernels.py).

numba compiles both functions on first use and caches them on disk (beside this file, or in
the user's cache folder; in memory only if neither can be written). Results do not depend on
the CPU's vector width: every sum runs in the same order (no fast-math). The module is
imported only by cohorts large enough to take the cell path, so small runs do not pay for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit


def _compiled(fn: Callable[..., Any]) -> Any:
    try:
        return njit(cache=True, nogil=True)(fn)
    except RuntimeError:  # no writable cache location: compile in memory, every run
        return njit(nogil=True)(fn)


@_compiled
def cell_sums(
    u: np.ndarray,
    completion: float,
    slot_cell: np.ndarray,
    client_cell: np.ndarray,
    rows: np.ndarray,
    out: np.ndarray,
) -> None:
    """out[cell, :] = sum of rows[client] over the slots in each cell, for one iteration.

    u [slot]: the iteration's uniforms; slot_cell [slot]: the slot's first cell (its intake
    month); client_cell [client]: the offset of the client's cell from there (its duration),
    + 1 for a completer; rows [client, column]; out [cell, column], overwritten.
    """
    n = rows.shape[0]
    n_col = rows.shape[1]
    out[:] = 0.0
    for j in range(u.shape[0]):
        x = u[j] * n
        a = int(x)
        if a >= n:
            a = n - 1
        cell = slot_cell[j] + client_cell[a]
        if x - a < completion:
            cell += 1
        for c in range(n_col):
            out[cell, c] += rows[a, c]


@_compiled
def contract(
    g: np.ndarray,
    nce: float,
    kb: np.ndarray,
    table: np.ndarray,
    table_of: np.ndarray,
    months: np.ndarray,
    ends: np.ndarray,
    sk: np.ndarray,
    base: np.ndarray,
    q: np.ndarray,
    counts: np.ndarray,
) -> None:
    """One iteration's cell sums contracted with the exposures (what `flows` multiplies).

    g [k, d, 2, s + 1]: cell sums of baseline use (non-completers, completers), last
    column the number of clients; nce: the non-completers' share of the effect.
    kb [k, c]: baseline exposure; table [t, k, d, c]: effect profiles, table_of [s] the
    profile of service s (-1: no effect, q stays 0); months, ends [k, d, b]: programme
    months and programme ends per client. sk [s] is workspace. Writes
    base [s, c] = sum over k of (sum over d and completion of g) x kb,
    q [s, c] = sum over k, d of (nce x g non-completers + g completers) x table,
    counts [2b] = programme months of every client | programme ends of completers.
    """
    n_k, n_d = g.shape[0], g.shape[1]
    n_s = g.shape[3] - 1
    n_c, n_b = kb.shape[1], months.shape[2]
    base[:] = 0.0
    q[:] = 0.0
    counts[:] = 0.0
    for k in range(n_k):
        sk[:] = 0.0
        for d in range(n_d):
            for s in range(n_s):
                g0 = g[k, d, 0, s]
                g1 = g[k, d, 1, s]
                sk[s] += g0 + g1
                t = table_of[s]
                if t >= 0:
                    v = g0 * nce + g1
                    for c in range(n_c):
                        q[s, c] += v * table[t, k, d, c]
            c0 = g[k, d, 0, n_s]
            c1 = g[k, d, 1, n_s]
            for b in range(n_b):
                counts[b] += (c0 + c1) * months[k, d, b]
                counts[n_b + b] += c1 * ends[k, d, b]
        for s in range(n_s):
            for c in range(n_c):
                base[s, c] += sk[s] * kb[k, c]
