"""The charts of the PDF briefings, each drawn into axes the page layout provides.

Every chart pairs colour with a hatch or line style (readable in greyscale and with the
common colour-vision deficiencies), labels its axes with units and formats £ consistently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter
from matplotlib.transforms import offset_copy

from fam.writers.briefing_style import (
    BLUE,
    GREY,
    HATCHES,
    INK,
    LINESTYLES,
    MONEY_AXIS,
    MUTED,
    SERIES,
    SKY,
    VERMILLION,
    money,
    pct,
    per_pound,
    style_axes,
    wrap,
)


def _pad_limits(lo: float, hi: float, share: float = 0.05) -> tuple[float, float]:
    span = hi - lo
    if span <= 0:
        span = max(abs(lo), abs(hi), 1.0)
    return lo - share * span, hi + share * span


def fan_chart(
    ax: Axes,
    cum: np.ndarray,
    central_cum: np.ndarray,
    xlabel: str,
    ylabel: str,
    payback: float | None,
) -> None:
    """Cumulative discounted net position by year: median, 50% and 90% bands, central case.

    cum: [iteration, year] cumulative values with year 0 = the start (all zero).
    """
    years = np.arange(cum.shape[1])
    p5, p25, p50, p75, p95 = np.percentile(cum, [5, 25, 50, 75, 95], axis=0)
    ax.fill_between(
        years,
        p5,
        p95,
        facecolor="#cfe4f3",
        edgecolor=SKY,
        hatch="...",
        lw=0.0,
        label="90% of simulations",
    )
    ax.fill_between(years, p25, p75, facecolor=SKY, edgecolor="none", label="50% of simulations")
    ax.plot(years, p50, color=INK, lw=2.0, label="Median simulation")
    ax.plot(
        years,
        central_cum,
        color=VERMILLION,
        lw=1.6,
        ls="--",
        marker="o",
        ms=3.5,
        label="Central case",
    )
    ax.axhline(0, color=INK, lw=0.9, ls=":", label="Break-even (£0)")
    if payback is not None:
        y = int(payback)
        ax.annotate(
            f"central case pays back\nby the end of year {y}",
            xy=(y, central_cum[y]),
            xytext=(-14, -34) if y > 0.6 * years[-1] else (10, -30),
            textcoords="offset points",
            ha="right" if y > 0.6 * years[-1] else "left",
            fontsize=8,
            bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none"},
            color=VERMILLION,
            arrowprops={"arrowstyle": "->", "color": VERMILLION, "lw": 0.8},
        )
    ax.set_xlim(0, years[-1])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=12))
    ax.yaxis.set_major_formatter(MONEY_AXIS)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    style_axes(ax)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=4, frameon=False, fontsize=8)


def bcr_histogram(ax: Axes, bcr: np.ndarray, central: float | None, prob: float | None) -> None:
    """Distribution of £ back per £1 with the break-even line at £1."""
    x = np.asarray(bcr, dtype=float)
    x = x[np.isfinite(x)]
    lo, hi = (float(v) for v in np.percentile(x, [0.5, 99.5]))
    same = hi - lo < 1e-9 * max(1.0, abs(hi))
    if same:
        lo, hi = lo - 0.25, hi + 0.25
    lo, hi = min(lo, 1.0), max(hi, 1.0)
    if central is not None and np.isfinite(central):
        lo, hi = min(lo, central), max(hi, central)
    lo, hi = _pad_limits(lo, hi, 0.03)
    bins = np.linspace(lo, hi, 41)
    # keep the break-even line on a bin edge so that no bar straddles it
    step = bins[1] - bins[0]
    bins = bins - ((bins[0] - 1.0) % step) if not same else bins
    bins = np.append(bins, bins[-1] + step)
    counts, edges = np.histogram(np.clip(x, bins[0], bins[-1]), bins=bins)
    share = counts / x.size
    left = edges[:-1]
    width = np.diff(edges)
    below = left + width / 2 < 1.0
    ax.bar(
        left[below],
        share[below],
        width[below],
        align="edge",
        color="#b9b9b9",
        edgecolor="white",
        lw=0.4,
        label="Less than £1 back per £1",
    )
    ax.bar(
        left[~below],
        share[~below],
        width[~below],
        align="edge",
        color=BLUE,
        hatch="///",
        edgecolor="white",
        lw=0.4,
        label="£1 or more back per £1",
    )
    ax.axvline(1.0, color=INK, lw=1.2, ls="--", label="Break-even (£1 back per £1)")
    if central is not None and np.isfinite(central):
        ax.axvline(
            central,
            color=VERMILLION,
            lw=1.4,
            ls="-.",
            label=f"Central estimate ({per_pound(central)})",
        )
    ax.set_xlim(bins[0], bins[-1])
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: per_pound(v)))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("£ back for every £1 invested (present values)")
    ax.set_ylabel("Share of simulations")
    style_axes(ax)
    ax.grid(axis="x", visible=False)
    ax.set_ylim(0, max(float(share.max()), 1e-9) * 1.32)
    ax.legend(loc="upper right", frameon=True, framealpha=0.9, edgecolor="#cccccc")
    if prob is not None:
        ax.text(
            0.02,
            0.96,
            f"{pct(prob)} of simulations\nbreak even or better",
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=9,
            color=INK,
            bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "#cccccc"},
        )


def ledger_chart(
    ax: Axes,
    agencies: Sequence[str],
    put_in: Sequence[float],
    back: Sequence[float],
    cashable: Sequence[float],
    net: Sequence[float],
    xlabel: str,
) -> None:
    """Who invests and who saves (the agency ledger, central case): for each agency what it
    puts in (programme costs and outcome payments, left), what comes back (savings and
    payments received, right, the cashable savings hatched) and its net position (a
    diamond, labelled)."""
    n = len(agencies)
    y = np.arange(n)[::-1]
    out = -np.asarray(put_in, dtype=float)
    got = np.asarray(back, dtype=float)
    cash = np.asarray(cashable, dtype=float)
    nets = np.asarray(net, dtype=float)
    ax.barh(y, out, height=0.62, color=VERMILLION, hatch="xx", edgecolor="white", lw=0.0,
            label="Puts in: programme costs and outcome payments")  # fmt: skip
    ax.barh(y, out, height=0.62, facecolor="none", edgecolor=INK, lw=0.5)
    ax.barh(y, got, height=0.62, color=SKY, edgecolor=INK, lw=0.5,
            label="Gets back: savings and payments received")  # fmt: skip
    ax.barh(y, cash, height=0.62, color=BLUE, hatch="//", edgecolor="white", lw=0.0,
            label="of which cashable savings")  # fmt: skip
    ax.scatter(nets, y, marker="D", s=34, color=INK, zorder=3, label="Net position")
    vals = np.concatenate([out, got, nets, [0.0]])
    span = max(float(np.max(np.abs(vals))), 1.0)
    for yi, v, hi in zip(y, nets, got, strict=True):
        right = max(hi, v) + 0.05 * span
        ax.text(right, float(yi), f"net {money(v, signed=True)}", ha="left", va="center",
                fontsize=8, color=INK)  # fmt: skip
    lo, hi = float(min(vals.min(), 0.0)), float(max(vals.max(), 0.0))
    ax.set_xlim(lo - 0.05 * span, hi + 0.45 * span)
    ax.axvline(0, color=INK, lw=0.8)
    ax.set_yticks(y, ["\n".join(wrap(a, 22)) for a in agencies])
    ax.xaxis.set_major_formatter(MONEY_AXIS)
    ax.set_xlabel(xlabel)
    style_axes(ax)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.24), ncol=2, frameon=False, fontsize=8)


def tornado_chart(
    ax: Axes,
    frame: pd.DataFrame,
    central: float,
    label_of: Callable[[str, str], str],
    value_of: Callable[[str, float], str],
    xlabel: str,
) -> None:
    """The inputs that move NPV most: NPV with each input at its 10th and 90th percentile."""
    rows = list(frame.itertuples(index=False))[::-1]
    y = np.arange(len(rows))
    lows = np.array([float(r.npv_low) for r in rows])
    highs = np.array([float(r.npv_high) for r in rows])
    ax.barh(
        y,
        lows - central,
        left=central,
        height=0.6,
        color="#bdbdbd",
        hatch="\\\\",
        edgecolor=INK,
        lw=0.4,
        label="Input at its 10th percentile",
    )
    ax.barh(
        y,
        highs - central,
        left=central,
        height=0.6,
        color=BLUE,
        edgecolor=INK,
        lw=0.4,
        label="Input at its 90th percentile",
    )
    span = max(float(np.max(np.abs(np.r_[lows, highs] - central))), 1.0)
    for yi, r, lo_v, hi_v in zip(y, rows, lows, highs, strict=True):
        for v, raw in ((lo_v, r.low_value), (hi_v, r.high_value)):
            right = v >= central
            ax.annotate(
                value_of(str(r.input), float(raw)),
                xy=(v, yi),
                xytext=(4 if right else -4, 0),
                textcoords="offset points",
                ha="left" if right else "right",
                va="center",
                fontsize=7.5,
                color=MUTED,
            )
    ax.axvline(central, color=INK, lw=1.0, label=f"Central NPV ({money(central)})")
    xmin = min(float(lows.min()), float(highs.min()), central) - 0.3 * span
    xmax = max(float(lows.max()), float(highs.max()), central) + 0.3 * span
    if xmin < 0 < xmax:
        ax.axvline(0, color=INK, lw=0.9, ls=":", label="Break-even (NPV £0)")
    ax.set_xlim(xmin, xmax)
    labels = ["\n".join(wrap(label_of(str(r.input), str(r.label)), 32)) for r in rows]
    ax.set_yticks(y, labels, fontsize=7.8)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.xaxis.set_major_formatter(MONEY_AXIS)
    ax.set_xlabel(xlabel)
    style_axes(ax)
    ax.grid(axis="y", visible=False)
    # below the axis label at a fixed distance (a fraction of the axes would overprint the
    # label when the chart is short, e.g. with one uncertain input)
    below = offset_copy(ax.transAxes, fig=cast(Figure, ax.figure), y=-0.46, units="inches")
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        bbox_transform=below,
        ncol=2,
        frameon=False,
        fontsize=8,
    )


# ---------------------------------------------------------------------------- comparison


def npv_overlay(ax: Axes, names: Sequence[str], npvs: Sequence[np.ndarray], xlabel: str) -> None:
    """Overlaid NPV distributions as step outlines (one colour and line style per option)."""
    allv = np.concatenate([np.asarray(v, dtype=float) for v in npvs])
    allv = allv[np.isfinite(allv)]
    lo, hi = (float(v) for v in np.percentile(allv, [0.5, 99.5]))
    lo, hi = _pad_limits(min(lo, 0.0), max(hi, 0.0), 0.03)
    bins = np.linspace(lo, hi, 46)
    top = 0.0
    for i, (name, v) in enumerate(zip(names, npvs, strict=True)):
        v = np.asarray(v, dtype=float)
        v = v[np.isfinite(v)]
        counts, edges = np.histogram(np.clip(v, lo, hi), bins=bins)
        share = counts / max(v.size, 1)
        top = max(top, float(share.max()))
        ax.stairs(
            share,
            edges,
            color=SERIES[i % len(SERIES)],
            ls=LINESTYLES[i % len(LINESTYLES)],
            lw=1.8,
            label="\n".join(wrap(name, 40)),
        )
    ax.axvline(0, color=INK, lw=0.9, ls=":", label="Break-even (NPV £0)")
    ax.set_xlim(lo, hi)
    ax.set_ylim(0, top * 1.3 if top > 0 else 1)
    ax.xaxis.set_major_formatter(MONEY_AXIS)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Share of simulations")
    style_axes(ax)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, frameon=False, fontsize=8)


def difference_chart(
    ax: Axes,
    names: Sequence[str],
    central: Sequence[float],
    p5: Sequence[float],
    p95: Sequence[float],
    better: Sequence[float],
    xlabel: str,
) -> None:
    """Difference in NPV from the first option: central point and 90% interval per option."""
    y = np.arange(len(names))[::-1]
    for i, yi in enumerate(y):
        colour = SERIES[(i + 1) % len(SERIES)]
        ax.plot(
            [p5[i], p95[i]],
            [yi, yi],
            color=colour,
            lw=3.0,
            solid_capstyle="butt",
            ls=LINESTYLES[(i + 1) % len(LINESTYLES)],
        )
        ax.plot([central[i]], [yi], marker="D", color=INK, ms=6, ls="none")
        ax.annotate(
            f"{money(central[i], signed=True)}; better in {pct(better[i])} of simulations",
            xy=(central[i], yi),
            xytext=(0, 9),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
            color=INK,
        )
    vals = np.r_[np.asarray(p5, float), np.asarray(p95, float), np.asarray(central, float), 0.0]
    lo, hi = _pad_limits(float(vals.min()), float(vals.max()), 0.25)
    ax.set_xlim(lo, hi)
    ax.axvline(0, color=INK, lw=0.9, ls=":")
    ax.set_yticks(y, ["\n".join(wrap(n, 24)) for n in names])
    ax.set_ylim(-0.6, len(names) - 0.2)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: money(v, signed=True)))
    ax.set_xlabel(xlabel)
    style_axes(ax)
    ax.grid(axis="y", visible=False)
    # the legend draws each interval as it is drawn (colour and line style), above the plot
    # so that it cannot overprint the axis label
    ax.legend(
        handles=[
            Line2D(
                [],
                [],
                color=SERIES[(i + 1) % len(SERIES)],
                lw=3.0,
                solid_capstyle="butt",
                ls=LINESTYLES[(i + 1) % len(LINESTYLES)],
                label="90% interval of the difference"
                + (f": {names[i]}" if len(names) > 1 else ""),
            )
            for i in range(len(names))
        ]
        + [Line2D([], [], color=INK, marker="D", ms=6, ls="none", label="Central case difference")],
        loc="lower center",
        bbox_to_anchor=(0.5, 1.02),
        ncol=2,
        frameon=False,
        fontsize=8,
    )


def best_chart(
    ax: Axes, names: Sequence[str], shares: Sequence[float], neutral_last: bool = False
) -> None:
    """Share of simulations in which each option has the highest NPV; with `neutral_last`
    the last bar (doing nothing) is grey and plain, not an option's colour."""
    y = np.arange(len(names))[::-1]
    for i, (yi, s) in enumerate(zip(y, shares, strict=True)):
        plain = neutral_last and i == len(names) - 1
        ax.barh(
            [yi],
            [s],
            height=0.6,
            color=GREY if plain else SERIES[i % len(SERIES)],
            hatch="" if plain else HATCHES[i % len(HATCHES)],
            edgecolor=INK,
            lw=0.5,
        )
        ax.text(s + 0.015, yi, pct(s), va="center", ha="left", fontsize=8.5)
    ax.set_xlim(0, 1.12)
    ax.set_yticks(y, ["\n".join(wrap(n, 24)) for n in names])
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("Share of simulations in which the option has the highest NPV")
    style_axes(ax)
    ax.grid(axis="y", visible=False)


# ---------------------------------------------------------------------------- sensitivity


def break_even_chart(
    ax: Axes,
    costs: np.ndarray,
    probs: np.ndarray,
    scenario_cost: float,
    scenario_prob: float,
    half: float | None,
    xlabel: str,
) -> None:
    """P(NPV > 0) against the programme cost per client, the scenario's cost marked; `half`
    is the cost at which the chance is 50% (marked when inside the range)."""
    c = np.asarray(costs, dtype=float)
    p = np.asarray(probs, dtype=float)
    ax.plot(c, p, color=BLUE, lw=2.2, label="Chance of breaking even (NPV above £0)")
    ax.axhline(0.5, color=INK, lw=1.0, ls="--", label="50%: as likely as not")
    ax.axvline(
        scenario_cost,
        color=VERMILLION,
        lw=1.3,
        ls="-.",
        label=f"This scenario's cost ({money(scenario_cost)} per client)",
    )
    ax.plot(
        [scenario_cost], [scenario_prob], marker="D", ms=7, color=VERMILLION, mec=INK, ls="none"
    )
    left = scenario_cost > c[0] + 0.75 * (c[-1] - c[0])  # no room on the right
    high = scenario_prob > 0.7  # no room above
    ax.annotate(
        f"{pct(scenario_prob)} chance at\n{money(scenario_cost)} per client",
        xy=(scenario_cost, scenario_prob),
        xytext=(-10 if left else 10, -22 if high else 22),
        textcoords="offset points",
        ha="right" if left else "left",
        va="top" if high else "bottom",
        fontsize=8,
        color=VERMILLION,
        bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none"},
    )
    if (
        half is not None
        and c[0] <= half <= c[-1]
        and abs(half - scenario_cost) > 0.04 * (c[-1] - c[0])
    ):
        ax.plot([half], [0.5], marker="o", ms=6, mfc="white", mec=INK, ls="none")
        left_of = half < scenario_cost
        ax.annotate(
            f"50% at {money(half)}",
            xy=(half, 0.5),
            xytext=(-8, -14) if left_of else (8, 6),
            textcoords="offset points",
            ha="right" if left_of else "left",
            va="top" if left_of else "bottom",
            fontsize=8,
            color=INK,
        )
    ax.set_xlim(float(c[0]), float(c[-1]))
    ax.set_ylim(0, 1.04)
    ax.xaxis.set_major_formatter(MONEY_AXIS)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Chance of breaking even")
    style_axes(ax)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False, fontsize=8)
