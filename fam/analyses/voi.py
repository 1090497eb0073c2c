"""Value of information and deterministic sensitivity analysis: the numerical core.

Everything here is a pure function of numpy arrays (or of a model callable) and has no
dependence on the rest of ``fam``. The decision throughout is *fund* versus *don't fund*:
the net benefit of not funding is 0, that of funding is the per-iteration
``npv = benefits - costs`` (docs/method.md). All money results come back in the unit ``npv``
is in (per client, per cohort, ...); docs/voi.md explains how to scale them.

Functions
---------
evpi                expected value of perfect information
partial_evpi        expected value of partial perfect information (regression method)
partial_evpi_table  EVPPI for every input and for named groups of inputs
one_way             one-way (tornado) sensitivity analysis
switching_value     the input value at which npv crosses 0
acceptability_curve P(npv > 0) as a function of the programme cost per client
long_format         BCEA / dampack / R ``voi`` friendly export of the iterations
psa_parameters      the matching wide frame of parameters
psa_wide            the long export pivoted to one column per strategy
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.interpolate import BSpline
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from scipy.optimize import brentq

__all__ = [
    "STRATEGIES",
    "acceptability_curve",
    "evpi",
    "long_format",
    "one_way",
    "partial_evpi",
    "partial_evpi_table",
    "psa_parameters",
    "psa_wide",
    "switching_value",
]

FloatArray = npt.NDArray[np.float64]

#: Strategy labels of the export, reference ("do nothing") first.
STRATEGIES: tuple[str, str] = ("dont_fund", "fund")

# Regression settings (see docs/voi.md, "The regression method").
_MAX_GROUPS = 10  # at most this many distinct input values/rows: use group means
_MIN_PER_GROUP = 5  # ... provided every group has at least this many iterations
_ITER_PER_COEF = 10  # iterations required per regression coefficient
_MAX_KNOTS_ONE = 20  # interior knots, single input
_MAX_KNOTS_MANY = 8  # interior knots per input, several inputs
_MIN_KNOTS = 3  # fewer than this: use the linear + quadratic fallback
_LAMBDAS = np.logspace(-8.0, 6.0, 43)  # penalty grid, relative to trace(B'B)/trace(P)


# ---------------------------------------------------------------------------
# validation helpers


def _npv_array(npv: npt.ArrayLike) -> FloatArray:
    arr = np.asarray(npv, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"npv must be a 1-D array of per-iteration values, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError("npv is empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError("npv contains NaN or infinite values")
    return arr


def _input_matrix(
    inputs: npt.ArrayLike | Mapping[str, npt.ArrayLike], n: int
) -> tuple[FloatArray, list[str]]:
    """Return the inputs as an (n, p) float matrix and their names."""
    if isinstance(inputs, Mapping):
        if not inputs:
            raise ValueError("no inputs given")
        names = [str(k) for k in inputs]
        cols = []
        for name, values in inputs.items():
            col = np.asarray(values, dtype=np.float64)
            if col.ndim != 1:
                raise ValueError(f"input {name!r} must be 1-D, got shape {col.shape}")
            cols.append(col)
        lengths = {c.shape[0] for c in cols}
        if lengths != {n}:
            raise ValueError(f"inputs must have {n} values each (one per iteration)")
        mat = np.column_stack(cols)
    else:
        mat = np.asarray(inputs, dtype=np.float64)
        if mat.ndim == 1:
            mat = mat[:, None]
        if mat.ndim != 2:
            raise ValueError(f"inputs must be 1-D or 2-D, got shape {mat.shape}")
        if mat.shape[0] != n:
            raise ValueError(f"inputs have {mat.shape[0]} rows, npv has {n} iterations")
        if mat.shape[1] == 0:
            raise ValueError("no inputs given")
        names = [f"x{j}" for j in range(mat.shape[1])]
    if not np.all(np.isfinite(mat)):
        raise ValueError("inputs contain NaN or infinite values")
    return mat, names


# ---------------------------------------------------------------------------
# EVPI


def _evpi_of(nb: FloatArray) -> float:
    value = float(np.mean(np.maximum(nb, 0.0)) - max(float(np.mean(nb)), 0.0))
    return max(value, 0.0)  # >= 0 by Jensen; guard against rounding


def evpi(npv: np.ndarray) -> float:
    """Expected value of perfect information for the fund / don't fund decision.

    ``EVPI = E[max(npv, 0)] - max(E[npv], 0)``: the expected gain from being able to
    choose after learning the true value of every uncertain input, i.e. the most it is
    worth paying to remove all the uncertainty. Same unit as ``npv``.
    """
    return _evpi_of(_npv_array(npv))


# ---------------------------------------------------------------------------
# regression for E[npv | theta]


def _second_difference_penalty(m: int, drop_first: bool = False) -> FloatArray:
    d = np.diff(np.eye(m), n=2, axis=0)
    if drop_first:
        d = d[:, 1:]
    return d.T @ d


def _bspline_basis(x: FloatArray, n_interior: int) -> FloatArray:
    """Cubic B-spline basis with interior knots at quantiles of ``x`` (boundary at min, max)."""
    lo, hi = float(x.min()), float(x.max())
    probs = np.linspace(0.0, 1.0, n_interior + 2)[1:-1]
    interior = np.unique(np.quantile(x, probs))
    interior = interior[(interior > lo) & (interior < hi)]
    knots = np.concatenate([[lo] * 4, interior, [hi] * 4])
    basis = BSpline.design_matrix(x, knots, 3).toarray()
    return np.asarray(basis, dtype=np.float64)


def _standardise(x: FloatArray) -> FloatArray:
    sd = float(x.std())
    return (x - x.mean()) / sd if sd > 0 else x - x.mean()


def _penalised_fit(design: FloatArray, y: FloatArray, penalty: FloatArray) -> FloatArray:
    """Fitted values of ``y`` on ``design`` with penalty ``lambda * penalty``.

    ``lambda`` minimises the generalised cross-validation score
    ``n * RSS / (n - edf)^2`` over a log grid, ``edf = trace(hat matrix)``.
    """
    n, m = design.shape
    btb = design.T @ design
    bty = design.T @ y
    tr_b = float(np.trace(btb))
    tr_p = float(np.trace(penalty))
    scale = tr_b / tr_p if tr_p > 0 else 1.0
    jitter = 1e-10 * (tr_b / m if tr_b > 0 else 1.0) * np.eye(m)
    lambdas = scale * _LAMBDAS if tr_p > 0 else np.array([0.0])
    best_score = np.inf
    best_beta: FloatArray | None = None
    for lam in lambdas:
        a = btb + lam * penalty + jitter
        try:
            factor = cho_factor(a)
        except LinAlgError:
            continue
        beta = np.asarray(cho_solve(factor, bty), dtype=np.float64)
        edf = float(np.trace(cho_solve(factor, btb)))
        if edf >= n:
            continue
        resid = y - design @ beta
        score = n * float(resid @ resid) / (n - edf) ** 2
        if score < best_score:
            best_score, best_beta = score, beta
    if best_beta is None:  # pragma: no cover - only with a degenerate design
        return np.full(n, float(np.mean(y)))
    return np.asarray(design @ best_beta, dtype=np.float64)


# Groups of more inputs than this are fitted additively (no pairwise products): the number of
# products grows as p^2 and, for large groups such as "all drawn inputs", their cost (and
# their noise) outweighs what interactions add. Documented in docs/voi.md.
_MAX_PAIR_INPUTS = 6


def _poly_fit(y: FloatArray, x: FloatArray) -> FloatArray:
    """Linear + quadratic (+ pairwise products) fallback, ridge chosen by GCV."""
    n, p = x.shape
    z = np.column_stack([_standardise(x[:, j]) for j in range(p)])
    pairs = [(i, j) for i in range(p) for j in range(i + 1, p)] if p <= _MAX_PAIR_INPUTS else []
    # Richest model the number of iterations supports.
    candidates = [
        [z, z**2, *(z[:, [i]] * z[:, [j]] for i, j in pairs)],
        [z, z**2],
        [z],
    ]
    blocks = candidates[-1]
    for cand in candidates:
        n_cols = 1 + sum(b.shape[1] for b in cand)
        if n >= _ITER_PER_COEF * n_cols:
            blocks = cand
            break
    design = np.column_stack([np.ones(n), *blocks])
    penalty = np.eye(design.shape[1])
    penalty[0, 0] = 0.0  # intercept unpenalised
    return _penalised_fit(design, y, penalty)


def _gam_fit(y: FloatArray, x: FloatArray) -> FloatArray | None:
    """Penalised cubic regression splines (P-splines): additive, plus pairwise products.

    Returns None when there are too few iterations for a spline basis.
    """
    n, p = x.shape
    n_pairs = p * (p - 1) // 2 if p <= _MAX_PAIR_INPUTS else 0
    if p == 1:
        n_unique = np.unique(x[:, 0]).size
        k = min(_MAX_KNOTS_ONE, n // _ITER_PER_COEF - 4, n_unique - 2)
    else:
        k = min(_MAX_KNOTS_MANY, (n // _ITER_PER_COEF - n_pairs) // p - 4)
        k = min(k, *(np.unique(x[:, j]).size - 2 for j in range(p)))
    if k < _MIN_KNOTS:
        return None
    blocks: list[FloatArray] = []
    penalties: list[FloatArray] = []
    for j in range(p):
        basis = _bspline_basis(x[:, j], k)
        if j == 0:
            blocks.append(basis)
            penalties.append(_second_difference_penalty(basis.shape[1]))
        else:
            # Every block spans the constant; fix each later block's first coefficient
            # at 0 so the model is identifiable (linear terms remain unpenalised).
            blocks.append(basis[:, 1:])
            penalties.append(_second_difference_penalty(basis.shape[1], drop_first=True))
    if n_pairs:
        z = np.column_stack([_standardise(x[:, j]) for j in range(p)])
        prods = np.column_stack([z[:, i] * z[:, j] for i in range(p) for j in range(i + 1, p)])
        blocks.append(prods)
        penalties.append(np.zeros((n_pairs, n_pairs)))  # products are unpenalised
    design = np.column_stack(blocks)
    m = design.shape[1]
    penalty = np.zeros((m, m))
    start = 0
    for pen in penalties:
        size = pen.shape[0]
        penalty[start : start + size, start : start + size] = pen
        start += size
    return _penalised_fit(design, y, penalty)


def _group_means(y: FloatArray, x: FloatArray) -> FloatArray | None:
    """E[y | x] as the mean within each distinct row of ``x``, if ``x`` is coarsely discrete."""
    _, inverse, counts = np.unique(x, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    if counts.size > _MAX_GROUPS or counts.min() < _MIN_PER_GROUP:
        return None
    sums = np.bincount(inverse, weights=y, minlength=counts.size)
    return np.asarray((sums / counts)[inverse], dtype=np.float64)


def _conditional_mean(y: FloatArray, x: FloatArray, method: str) -> FloatArray:
    """Estimate E[y | x] at each iteration."""
    n = y.size
    x = x[:, np.ptp(x, axis=0) > 0]  # a constant input carries no information
    mean, sd = float(np.mean(y)), float(np.std(y))
    if x.shape[1] == 0 or sd == 0.0:
        return np.full(n, mean)
    ys = (y - mean) / sd
    fitted: FloatArray | None = _group_means(ys, x)
    if fitted is None and method == "gam":
        fitted = _gam_fit(ys, x)
    if fitted is None:
        fitted = _poly_fit(ys, x)
    return mean + sd * fitted


_METHODS = ("gam", "poly")


def partial_evpi(
    npv: np.ndarray,
    inputs: np.ndarray | Mapping[str, np.ndarray],
    *,
    method: str = "gam",
) -> float:
    """Expected value of partial perfect information for one input or a group of inputs.

    Regression method (Strong, Oakley & Brennan 2014): estimate ``g(theta) = E[npv | theta]``
    by regressing the per-iteration ``npv`` on the input(s) ``theta`` of interest, then

        EVPPI = mean(max(g, 0)) - max(mean(g), 0).

    ``inputs`` is one array (one input), an (n, p) matrix, or a mapping name -> array
    (a group; the group's joint EVPPI, not the sum of the parts).

    ``method="gam"`` (default): penalised cubic regression splines, knots at quantiles,
    second-difference penalty chosen by generalised cross-validation; several inputs are
    fitted as additive splines plus all pairwise products. With too few iterations for
    that basis it falls back to ``method="poly"``: linear + quadratic (+ pairwise products)
    terms with a ridge penalty chosen by GCV. Inputs taking at most 10 distinct values
    (jointly), each seen at least 5 times, use the exact group means instead.

    The estimate is clipped to ``[0, evpi(npv)]``: both bounds hold for the true value
    (Jensen's inequality), but a fitted curve that follows part of the Monte Carlo noise
    biases the estimate upward and can push it above EVPI; a negative value can only be
    rounding.
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    y = _npv_array(npv)
    x, _ = _input_matrix(inputs, y.size)
    total = _evpi_of(y)
    if total == 0.0:
        return 0.0
    fitted = _conditional_mean(y, x, method)
    value = _evpi_of(fitted)
    return float(min(max(value, 0.0), total))


def partial_evpi_table(
    npv: np.ndarray,
    inputs: Mapping[str, np.ndarray],
    groups: Mapping[str, Sequence[str]] | None = None,
    *,
    method: str = "gam",
) -> pd.DataFrame:
    """EVPPI of each input, then of each named group of inputs.

    Columns: ``name``, ``kind`` (``"input"`` or ``"group"``), ``evppi``, ``share_of_evpi``
    (``evppi / evpi``; 0 when EVPI is 0, since then no input can change the decision).
    ``attrs["evpi"]`` holds the EVPI. Group EVPPIs are joint values and are not additive.
    """
    y = _npv_array(npv)
    if not isinstance(inputs, Mapping) or not inputs:
        raise ValueError("inputs must be a non-empty mapping of name -> per-iteration values")
    _input_matrix(inputs, y.size)  # validate all up front
    total = _evpi_of(y)
    rows: list[dict[str, object]] = []

    def add(name: str, kind: str, members: Mapping[str, np.ndarray]) -> None:
        value = partial_evpi(y, members, method=method)
        share = value / total if total > 0 else 0.0
        rows.append({"name": name, "kind": kind, "evppi": value, "share_of_evpi": share})

    for name, values in inputs.items():
        add(str(name), "input", {str(name): values})
    for gname, members in (groups or {}).items():
        if isinstance(members, str):
            raise TypeError(f"group {gname!r} must be a sequence of input names, not a string")
        missing = [m for m in members if m not in inputs]
        if missing:
            raise KeyError(f"group {gname!r} names unknown inputs: {missing}")
        if not members:
            raise ValueError(f"group {gname!r} is empty")
        add(str(gname), "group", {m: inputs[m] for m in members})
    table = pd.DataFrame(rows, columns=["name", "kind", "evppi", "share_of_evpi"])
    table.attrs["evpi"] = total
    return table


# ---------------------------------------------------------------------------
# deterministic sensitivity analysis


def one_way(
    f: Callable[[Mapping[str, float]], float],
    central: Mapping[str, float],
    low: Mapping[str, float],
    high: Mapping[str, float],
) -> pd.DataFrame:
    """One-way sensitivity analysis in tornado order.

    Each input named in ``low``/``high`` (they must name the same inputs, all present in
    ``central``) is set to its low and then its high value with every other input central;
    ``f`` maps a full set of inputs to an npv. Columns: ``input, low_value, high_value,
    npv_low, npv_high, swing`` with ``swing = |npv_high - npv_low|``, sorted by swing,
    largest first (ties keep the order of ``low``). ``attrs["npv_central"]`` is
    ``f(central)``.
    """
    if set(low) != set(high):
        raise ValueError(f"low and high must name the same inputs: {sorted(set(low) ^ set(high))}")
    unknown = [k for k in low if k not in central]
    if unknown:
        raise KeyError(f"inputs not in central: {unknown}")
    base = {k: float(v) for k, v in central.items()}
    rows: list[dict[str, object]] = []
    for name in low:
        lo_v, hi_v = float(low[name]), float(high[name])
        npv_lo = float(f({**base, name: lo_v}))
        npv_hi = float(f({**base, name: hi_v}))
        rows.append(
            {
                "input": name,
                "low_value": lo_v,
                "high_value": hi_v,
                "npv_low": npv_lo,
                "npv_high": npv_hi,
                "swing": abs(npv_hi - npv_lo),
            }
        )
    columns = ["input", "low_value", "high_value", "npv_low", "npv_high", "swing"]
    table = pd.DataFrame(rows, columns=columns)
    table = table.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    table.attrs["npv_central"] = float(f(base))
    return table


def switching_value(
    f: Callable[[float], float],
    lo: float,
    hi: float,
    *,
    tol: float = 1e-6,
    n_grid: int = 50,
) -> float | None:
    """The value ``x`` in ``[lo, hi]`` at which ``f(x) = 0`` (e.g. the break-even cost).

    ``f`` is evaluated on ``n_grid`` evenly spaced points; the first sign change (lowest
    ``x``) is refined with Brent's method to ``tol``. A grid point where ``f`` is exactly 0
    is returned as is. Returns None if there is no sign change on the grid: ``f`` has no
    root in the range, or only roots where it touches 0 without crossing, or two crossings
    between neighbouring grid points.
    """
    lo, hi = float(lo), float(hi)
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo > hi:
        raise ValueError(f"need finite lo <= hi, got [{lo}, {hi}]")
    if n_grid < 2:
        raise ValueError("n_grid must be at least 2")
    grid = np.linspace(lo, hi, n_grid)
    values = np.array([float(f(float(x))) for x in grid])
    if not np.all(np.isfinite(values)):
        raise ValueError("f returned NaN or infinite values on the grid")
    for i, v in enumerate(values):
        if v == 0.0:
            return float(grid[i])
        if i + 1 < values.size and np.sign(v) != np.sign(values[i + 1]) and values[i + 1] != 0:
            root = brentq(f, float(grid[i]), float(grid[i + 1]), xtol=tol)
            return float(root)
    return None


def acceptability_curve(
    npv_fn: Callable[[float], np.ndarray], costs: np.ndarray | Sequence[float]
) -> pd.DataFrame:
    """P(npv > 0) at each programme cost per client in ``costs``.

    ``npv_fn(cost)`` returns the per-iteration npv at that cost (use the same draws, i.e.
    common random numbers, for every cost so the curve is smooth and, when npv falls with
    cost iteration by iteration, monotone). Columns: ``cost, prob_npv_positive``.
    """
    cost_arr = np.asarray(costs, dtype=np.float64).reshape(-1)
    probs = [float(np.mean(_npv_array(npv_fn(float(c))) > 0.0)) for c in cost_arr]
    return pd.DataFrame({"cost": cost_arr, "prob_npv_positive": probs})


# ---------------------------------------------------------------------------
# export for BCEA / dampack / R voi


def _iterations(frame: pd.DataFrame, what: str) -> pd.Index:
    if "iteration" in frame.columns:
        it = pd.Index(frame["iteration"])
        if it.has_duplicates:
            raise ValueError(f"{what}: duplicate iteration numbers")
        return it
    return pd.RangeIndex(len(frame))


def psa_parameters(draws: pd.DataFrame) -> pd.DataFrame:
    """The wide parameter frame of the export: ``iteration`` then one column per parameter.

    Rows in iteration order, matching ``psa_wide(long_format(...))``. Drop ``iteration``
    (or pass parameter names explicitly) before handing it to dampack or R ``voi``.
    """
    its = _iterations(draws, "draws")
    params = draws.drop(columns=["iteration"], errors="ignore").copy()
    params.index = its
    params = params.sort_index()
    out = params.reset_index(names="iteration")
    return out


def long_format(draws: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Long probabilistic-sensitivity export: two rows per iteration.

    ``draws``: one row per iteration, one column per drawn parameter (optional
    ``iteration`` column). ``outcomes``: one row per iteration with ``costs`` and
    ``benefits`` (docs/method.md definitions; optional ``iteration`` and ``npv`` columns — if
    ``npv`` is present it must equal ``benefits - costs``).

    Returns columns ``iteration, strategy, cost, effect, net_benefit`` with strategy
    ``"dont_fund"`` (cost = effect = net_benefit = 0) then ``"fund"`` (cost = costs,
    effect = benefits, net_benefit = npv), sorted by iteration. Effects are in £, so the
    net benefit is ``effect * k - cost`` with willingness to pay ``k = 1``. The parameters
    go in the separate wide frame from :func:`psa_parameters`; :func:`psa_wide` pivots
    this frame into the one-column-per-strategy tables dampack and R ``voi`` take.
    """
    for col in ("costs", "benefits"):
        if col not in outcomes.columns:
            raise KeyError(f"outcomes needs a {col!r} column")
    if len(draws) != len(outcomes):
        raise ValueError(f"draws has {len(draws)} rows, outcomes has {len(outcomes)}")
    it_draws = _iterations(draws, "draws")
    it_out = _iterations(outcomes, "outcomes")
    if set(it_draws) != set(it_out):
        raise ValueError("draws and outcomes cover different iterations")
    costs = np.asarray(outcomes["costs"], dtype=np.float64)
    benefits = np.asarray(outcomes["benefits"], dtype=np.float64)
    npv = benefits - costs
    if "npv" in outcomes.columns:
        given = np.asarray(outcomes["npv"], dtype=np.float64)
        if not np.allclose(given, npv, rtol=1e-9, atol=1e-6):
            raise ValueError("outcomes['npv'] is not benefits - costs")
    its = np.asarray(it_out)
    n = its.size
    zeros = np.zeros(n)
    fund = pd.DataFrame(
        {"iteration": its, "strategy": STRATEGIES[1], "cost": costs}
        | {"effect": benefits, "net_benefit": npv}
    )
    dont = pd.DataFrame(
        {"iteration": its, "strategy": STRATEGIES[0], "cost": zeros}
        | {"effect": zeros, "net_benefit": zeros}
    )
    long = pd.concat([dont, fund], ignore_index=True)
    long["_order"] = np.repeat([0, 1], n)
    long = long.sort_values(["iteration", "_order"], kind="stable").drop(columns="_order")
    return long.reset_index(drop=True)


def psa_wide(long: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Pivot :func:`long_format` output to ``{"cost", "effect", "net_benefit"}`` frames.

    Each has one row per iteration (index ``iteration``, sorted) and one column per strategy
    (``dont_fund``, ``fund``) — the shape of dampack's ``cost``/``effectiveness`` arguments,
    R ``voi``'s net-benefit ``outputs`` and its ``list(c=, e=, k=1)`` form, and BCEA's
    ``bcea(e, c, ...)``.
    """
    out: dict[str, pd.DataFrame] = {}
    for value in ("cost", "effect", "net_benefit"):
        wide = long.pivot(index="iteration", columns="strategy", values=value)
        wide = wide.reindex(columns=list(STRATEGIES)).sort_index()
        wide.columns.name = None
        out[value] = wide
    return out
