"""House style for the PDF briefings: number formats, palette, and a flowing A4 page layout.

Everything is laid out in inches from the top-left of an A4 portrait page. Text is wrapped
with textwrap to a width estimated from the font size (DejaVu Sans averages about 0.53 em per
character; the estimate below is deliberately wider so that nothing runs off the page), and
tables are split across pages rather than shrunk.
"""

from __future__ import annotations

import logging
import math
import textwrap
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.textpath import TextToPath  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

_TEXT_TO_PATH = TextToPath()

PAGE_W, PAGE_H = 8.27, 11.69  # A4 portrait, inches
MARGIN_L, MARGIN_R = 0.8, 0.8
MARGIN_T, MARGIN_B = 0.7, 0.85  # the footer sits inside the bottom margin
TEXT_W = PAGE_W - MARGIN_L - MARGIN_R
LINE = 1.32  # line height as a multiple of the font size

# Okabe-Ito: distinguishable with the common colour-vision deficiencies; every use is
# paired with a hatch or line style so that the charts also read in greyscale.
BLUE = "#0072B2"
SKY = "#56B4E9"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
GREEN = "#009E73"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
GREY = "#7f7f7f"
LIGHT = "#eef2f6"  # table stripes and the headline box
INK = "#1a1a1a"
MUTED = "#4d4d4d"
SERIES = [BLUE, VERMILLION, GREEN, ORANGE, PURPLE, SKY, "#000000"]
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (8, 2))]
HATCHES = ["", "//", "..", "xx", "\\\\", "oo", "++"]

RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "text.color": INK,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "hatch.linewidth": 0.6,
    "pdf.fonttype": 3,  # Type 3 subsets: searchable text, half the time of Type 42
    # every text is literal: a scenario name such as "$5m \\alpha" is printed as written,
    # never typeset as mathematics (a backslash command in it crashed the writer)
    "text.parse_math": False,
}

# the most characters of one text block a briefing lays out (a page holds about 4,500 at
# 10 pt); a longer text is cut with a note, and is whole in the workbook
MAX_BLOCK_CHARS = 3000
CUT_NOTE = " … (cut here: the full text is in the workbook)"


@contextmanager
def house_style() -> Iterator[None]:
    """matplotlib settings for the briefings, applied only while a briefing is drawn.

    matplotlib's warnings (a glyph missing from the font, for a character in a user's text)
    and log messages are kept off stderr: a successful run prints only its results.
    """
    rc: Any = RC
    log = logging.getLogger("matplotlib")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), plt.rc_context(rc):
            warnings.simplefilter("ignore")
            yield
    finally:
        log.setLevel(level)


# ---------------------------------------------------------------------------- formatting


def _finite(x: Any) -> bool:
    return x is not None and isinstance(x, int | float) and math.isfinite(float(x))


def money(x: float | None, signed: bool = False) -> str:
    """£ with three significant figures: £1.26m, -£350k, £950, +£2.10m when signed."""
    if not _finite(x):
        return "n/a"
    assert x is not None
    v = float(x)
    a = abs(v)
    if a >= 999_500_000:
        body = f"{_sig3(a / 1e9)}bn"
    elif a >= 999_500:
        body = f"{_sig3(a / 1e6)}m"
    elif a >= 999.5:
        body = f"{_sig3(a / 1e3)}k"
    else:
        body = f"{a:,.0f}"
    if body in ("0", "0k", "0m"):
        return "£0"
    sign = "-" if v < 0 and body != "0" else ("+" if signed and v > 0 else "")
    return f"{sign}£{body}"


def _sig3(v: float) -> str:
    if v >= 99.95:
        return f"{v:.0f}"
    if v >= 9.995:
        return f"{v:.1f}"
    return f"{v:.2f}"


def money_exact(x: float | None) -> str:
    """£ to the nearest pound, e.g. -£1,262,754 (for unit costs and tables)."""
    if not _finite(x):
        return "n/a"
    assert x is not None
    v = float(x)
    s = f"£{abs(v):,.2f}" if abs(v) < 100 else f"£{abs(v):,.0f}"
    return f"-{s}" if v < 0 and s not in ("£0", "£0.00") else s


def money_axis(x: float, _pos: Any = None) -> str:
    """Short £ for axis ticks: £2m, -£1.5m, £500k, £0."""
    a = abs(x)
    if a < 1e-9:
        return "£0"
    sign = "-" if x < 0 else ""
    if a >= 1e9:
        return f"{sign}£{a / 1e9:.3g}bn"
    if a >= 1e6:
        return f"{sign}£{a / 1e6:.3g}m"
    if a >= 1e3:
        return f"{sign}£{a / 1e3:.3g}k"
    return f"{sign}£{a:.3g}"


MONEY_AXIS = FuncFormatter(money_axis)


def per_pound(x: float | None) -> str:
    """£ back for every £1: £0.77."""
    if not _finite(x):
        return "n/a"
    assert x is not None
    v = float(x)
    return f"-£{abs(v):.2f}" if v < 0 and f"{abs(v):.2f}" != "0.00" else f"£{abs(v):.2f}"


def pct(p: float | None, signed: bool = False) -> str:
    """A share as a whole percentage; 'under 1%' / 'over 99%' rather than a misleading 0%/100%."""
    if not _finite(p):
        return "n/a"
    assert p is not None
    v = float(p)
    if signed:
        s = f"{v:+.0%}"
        return "0%" if s in ("+0%", "-0%") else s
    if 0 < v < 0.005:
        return "under 1%"
    if 0.995 <= v < 1:
        return "over 99%"
    return f"{v:.0%}"


def number(x: float | None) -> str:
    if not _finite(x):
        return "n/a"
    assert x is not None
    v = float(x)
    if v == int(v) and abs(v) < 1e9:
        return f"{int(v):,}"
    return f"{v:.3g}"


def wrap(text: str, width: int) -> list[str]:
    """Wrap each paragraph of `text` to `width` characters; never returns an empty list."""
    out: list[str] = []
    for para in _capped(str(text), 500).split("\n"):
        lines = textwrap.wrap(para, max(width, 4), break_long_words=True, break_on_hyphens=True)
        out.extend(lines or [""])
    return out or [""]


@lru_cache(maxsize=20000)
def _width_pt(s: str, bold: bool) -> float:
    """Width of `s` in points at font size 10 (DejaVu Sans, as drawn)."""
    prop = FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal", size=10)
    w, _h, _d = _TEXT_TO_PATH.get_text_width_height_descent(s, prop, ismath=False)
    return float(w)


def _capped(text: str, limit: int = MAX_BLOCK_CHARS) -> str:
    """`text` cut after `limit` characters, with a note saying so."""
    return text if len(text) <= limit else text[:limit] + CUT_NOTE


def _split_word(word: str, limit: float, bold: bool) -> list[str]:
    """`word` cut into pieces that each fit in `limit` points (at least one character each).

    Each piece is found from the sum of its characters' own widths (each character measured
    once), then checked by measuring the piece: linear in the word's length, where trying
    every shorter prefix of the rest in turn took minutes for a 3,000-character word.
    """
    pieces: list[str] = []
    start = 0
    while start < len(word):
        used = 0.0
        k = start
        while k < len(word):
            used += _width_pt(word[k], bold)
            if used > limit:
                break
            k += 1
        k = max(k, start + 1)
        while k > start + 1 and _width_pt(word[start:k], bold) > limit:  # kerning: a step
            k -= 1
        pieces.append(word[start:k])
        start = k
    return pieces


def fit(text: str, width_in: float, size: float, bold: bool = False) -> list[str]:
    """Wrap `text` greedily by measured word widths so that each line fits width_in inches.

    Paragraph breaks ('\n') are kept; a word longer than a line is split by characters.
    A text longer than MAX_BLOCK_CHARS is cut with a note (it is whole in the workbook).
    """
    limit = width_in * 72 * 0.97 * 10.0 / size  # in points at size 10, with a small margin
    space = _width_pt(" ", bold)
    out: list[str] = []
    for para in _capped(str(text)).split("\n"):
        words = para.split(" ")
        line: list[str] = []
        used = 0.0
        for word in words:
            if word == "":
                continue
            w = _width_pt(word, bold)
            if w > limit and len(word) > 1:  # break a very long word
                *whole, word = _split_word(word, limit, bold)
                if line:
                    out.append(" ".join(line))
                    line, used = [], 0.0
                out.extend(whole)
                w = _width_pt(word, bold)
            extra = w if not line else space + w
            if line and used + extra > limit:
                out.append(" ".join(line))
                line, used = [word], w
            else:
                line.append(word)
                used += extra
        out.append(" ".join(line))
    return out or [""]


def chars_for(width_in: float, size: float, bold: bool = False) -> int:
    """How many characters fit in width_in inches at font size `size` (conservatively)."""
    em = 0.6 if bold else 0.54
    return max(4, int(width_in * 72 / (size * em)))


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary and add an ellipsis when longer than `limit` characters."""
    s = " ".join(str(text).split())
    if len(s) <= limit:
        return s
    cut = s[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:(")
    return cut + "…"


# ---------------------------------------------------------------------------- layout


@dataclass
class Column:
    header: str
    width: float  # share of the text width
    align: str = "left"


@dataclass
class Page:
    fig: Figure
    y: float = MARGIN_T  # cursor, inches from the top

    @property
    def room(self) -> float:
        return PAGE_H - MARGIN_B - self.y


@dataclass
class Doc:
    """A sequence of A4 pages written top to bottom, with a running footer."""

    footer: str
    pages: list[Page] = field(default_factory=list)
    n_figures: int = 0
    n_tables: int = 0

    # -- pages
    def new_page(self) -> Page:
        fig = plt.figure(figsize=(PAGE_W, PAGE_H))
        self.pages.append(Page(fig))
        return self.pages[-1]

    @property
    def page(self) -> Page:
        return self.pages[-1] if self.pages else self.new_page()

    def need(self, height: float) -> Page:
        """The current page if `height` inches fit, else a new page."""
        p = self.page
        if p.room < height and p.y > MARGIN_T + 1e-9:
            p = self.new_page()
        return p

    def gap(self, inches: float) -> None:
        self.page.y += inches

    # -- text
    def text(
        self,
        s: str,
        size: float = 10,
        bold: bool = False,
        color: str = INK,
        indent: float = 0.0,
        width: float | None = None,
        after: float = 0.08,
        keep: float = 0.0,
    ) -> None:
        """A wrapped paragraph; moves to a new page (line by line) when it does not fit.

        `keep`: inches that must fit below the first line too (keeps a heading with what
        follows it).
        """
        w = (width if width is not None else TEXT_W) - indent
        lines = fit(s, w, size, bold)
        lh = size * LINE / 72
        self.need(lh + keep)
        while lines:
            p = self.page
            n_fit = max(1, int((p.room + 1e-9) // lh))
            chunk, lines = lines[:n_fit], lines[n_fit:]
            p.fig.text(
                (MARGIN_L + indent) / PAGE_W,
                1 - p.y / PAGE_H,
                "\n".join(chunk),
                fontsize=size,
                weight="bold" if bold else "normal",
                color=color,
                va="top",
                ha="left",
                linespacing=LINE,
            )
            p.y += lh * len(chunk)
            if lines:
                self.new_page()
        self.page.y += after

    def heading(self, s: str, size: float = 12.5, keep: float = 0.6) -> None:
        self.gap(0.06)
        self.text(s, size=size, bold=True, after=0.06, keep=keep)

    def bullets(self, items: Sequence[str], size: float = 9.5, after: float = 0.05) -> None:
        for item in items:
            lines = fit(item, TEXT_W - 0.22, size)
            lh = size * LINE / 72
            self.need(lh * min(len(lines), 2))
            p = self.page
            p.fig.text(
                MARGIN_L / PAGE_W, 1 - p.y / PAGE_H, "•", fontsize=size, va="top", color=MUTED
            )
            self.text(item, size=size, indent=0.22, after=after)

    # -- figures
    def figure(
        self,
        title: str,
        caption: str,
        height: float,
        left: float = 1.0,
        right: float = 0.15,
        bottom: float = 0.55,
    ) -> Axes:
        """'Figure N. title', a caption, then axes `height` inches tall (labels included).

        `left`/`right`/`bottom`: inches kept free for tick and axis labels.
        """
        self.n_figures += 1
        cap_lines = fit(caption, TEXT_W, 8.8) if caption else []
        head_h = 12 * LINE / 72 + len(cap_lines) * 8.8 * LINE / 72 + 0.12
        p = self.need(head_h + height + 0.1)
        self.text(f"Figure {self.n_figures}. {title}", size=11, bold=True, after=0.03)
        if caption:
            self.text(caption, size=8.8, color=MUTED, after=0.1)
        p = self.page
        top = p.y + 0.05
        ax = p.fig.add_axes(
            (
                (MARGIN_L + left) / PAGE_W,
                1 - (top + height - bottom) / PAGE_H,
                (TEXT_W - left - right) / PAGE_W,
                (height - bottom - 0.05) / PAGE_H,
            )
        )
        p.y = top + height + 0.25
        return ax

    # -- tables
    def table(
        self,
        title: str,
        columns: Sequence[Column],
        rows: Sequence[Sequence[str]],
        size: float = 8.5,
        note: str = "",
        bold_first: bool = False,
    ) -> None:
        """'Table N. title' and rows with wrapped cells, continued on new pages as needed."""
        self.n_tables += 1
        number = self.n_tables
        pad_x, pad_y = 0.05, 0.045
        lh = size * LINE / 72
        widths = [c.width * TEXT_W for c in columns]
        head_cells = [
            fit(c.header, w - 2 * pad_x, size, bold=True)
            for c, w in zip(columns, widths, strict=True)
        ]
        head_h = max(len(c) for c in head_cells) * lh + 2 * pad_y
        body = [
            [
                fit(cell, w - 2 * pad_x, size, bold=bold_first and j == 0)
                for j, (cell, w) in enumerate(zip(r, widths, strict=True))
            ]
            for r in rows
        ]
        heights = [max(len(c) for c in cells) * lh + 2 * pad_y for cells in body]
        title_h = 11 * LINE / 72 + 0.08

        def start(cont: bool) -> Page:
            first_row = heights[0] if heights else 0.0
            self.need(title_h + head_h + first_row)
            label = f"Table {number}. {title}" + (" (continued)" if cont else "")
            self.text(label, size=10.5, bold=True, after=0.06)
            p = self.page
            self._row(p, head_cells, widths, columns, head_h, size, pad_x, pad_y, header=True)
            return p

        note_h = len(fit(note, TEXT_W, 8)) * 8 * LINE / 72 + 0.2 if note else 0.0
        p = start(False)
        for i, (cells, h) in enumerate(zip(body, heights, strict=True)):
            last = i == len(body) - 1
            if p.room < h or (last and i > 0 and p.room < h + note_h + 0.08):
                self.new_page()
                p = start(True)
            self._row(
                p,
                cells,
                widths,
                columns,
                h,
                size,
                pad_x,
                pad_y,
                stripe=i % 2 == 1,
                bold_first=bold_first,
            )
        p.y += 0.08
        if note:
            self.text(note, size=8, color=MUTED, after=0.1)
        self.page.y += 0.1

    def _row(
        self,
        p: Page,
        cells: Sequence[Sequence[str]],
        widths: Sequence[float],
        columns: Sequence[Column],
        h: float,
        size: float,
        pad_x: float,
        pad_y: float,
        header: bool = False,
        stripe: bool = False,
        bold_first: bool = False,
    ) -> None:
        fig = p.fig
        y0 = 1 - (p.y + h) / PAGE_H
        if header or stripe:
            fig.patches.append(
                Rectangle(
                    (MARGIN_L / PAGE_W, y0),
                    TEXT_W / PAGE_W,
                    h / PAGE_H,
                    transform=fig.transFigure,
                    facecolor="#dde5ee" if header else LIGHT,
                    edgecolor="none",
                    zorder=0,
                )
            )
        x = MARGIN_L
        for j, (lines, w, col) in enumerate(zip(cells, widths, columns, strict=True)):
            right = col.align == "right"
            fig.text(
                (x + (w - pad_x if right else pad_x)) / PAGE_W,
                1 - (p.y + pad_y) / PAGE_H,
                "\n".join(lines),
                fontsize=size,
                weight="bold" if header or (bold_first and j == 0) else "normal",
                va="top",
                ha="right" if right else "left",
                linespacing=LINE,
                multialignment="right" if right else "left",
            )
            x += w
        if header:
            fig.lines.append(
                Line2D(
                    [MARGIN_L / PAGE_W, (MARGIN_L + TEXT_W) / PAGE_W],
                    [y0, y0],
                    transform=fig.transFigure,
                    color=MUTED,
                    lw=0.8,
                )
            )
        p.y += h

    # -- output
    def finish(self, save: Callable[[Figure], None]) -> int:
        """Add footers ('page i of n') and hand each page to `save`; return the page count."""
        n = len(self.pages)
        for i, p in enumerate(self.pages, start=1):
            fig = p.fig
            y = (MARGIN_B - 0.45) / PAGE_H
            fig.lines.append(
                Line2D(
                    [MARGIN_L / PAGE_W, (MARGIN_L + TEXT_W) / PAGE_W],
                    [y + 0.2 / PAGE_H] * 2,
                    transform=fig.transFigure,
                    color="#bbbbbb",
                    lw=0.6,
                )
            )
            foot = shorten(self.footer, chars_for(TEXT_W - 1.3, 8))
            fig.text(MARGIN_L / PAGE_W, y, foot, fontsize=8, color=MUTED, va="bottom")
            fig.text(
                (MARGIN_L + TEXT_W) / PAGE_W,
                y,
                f"Page {i} of {n}",
                fontsize=8,
                color=MUTED,
                va="bottom",
                ha="right",
            )
            save(fig)
            plt.close(fig)
        self.pages = []
        return n


def style_axes(ax: Axes) -> None:
    ax.grid(axis="both", color="#e3e3e3", lw=0.6)
    ax.set_axisbelow(True)
