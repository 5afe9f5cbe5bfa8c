"""Matplotlib views: the common chart canvas, and per-segment genre probabilities with a timeline.

Both share one time axis (seconds), one playback cursor drawn by blitting (so
moving it does not redraw the figure), and click-to-seek. Each window is
shown over its *display span* (:mod:`urdu_genre_app.components.chart_spans`:
from its start to its end or the next window's start), and the feature image
(MFCC or log-mel) is assembled the same way from the very features the model
saw; stretches no window heard are shaded "not analysed", silent windows are
hatched in both charts.

The feature image (MFCC or log-mel) is :mod:`urdu_genre_app.gui.feature_chart`. This module imports
matplotlib; the main window imports it after it is shown.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from urdu_genre_app.components.chart_spans import display_spans, span_at, unscored_gaps
from urdu_genre_app.core.results import WindowResult
from urdu_genre_app.components.palette import SILENCE_COLOUR, UNKNOWN_COLOUR, genre_colour, unknown_colour

log = logging.getLogger(__name__)

#: Silence is hatched, so it cannot be taken for the solid greys of a window that is no known genre.
SILENCE_STYLE = {"facecolor": "#f4f4f4", "edgecolor": SILENCE_COLOUR, "hatch": "///"}
#: Stretches no window was scored on (a musicnn bundle scores one 30 s window every 90 s).
NOT_ANALYSED_COLOUR = "#e9e9e9"
_CURSOR_COLOUR = "#111111"
#: Smallest height of a chart's canvas, in pixels.
MIN_CANVAS_HEIGHT = 100


class _BlitCanvas(FigureCanvasQTAgg):
    """A canvas that keeps a background for cheap cursor updates."""

    def __init__(self, figure: Figure) -> None:
        super().__init__(figure)
        self.background = None
        self.animated: list = []
        self.mpl_connect("draw_event", self._on_draw)

    def _on_draw(self, _event) -> None:
        self.background = self.copy_from_bbox(self.figure.bbox)
        for artist in self.animated:
            if artist.get_visible():
                self.figure.draw_artist(artist)

    def blit_animated(self) -> None:
        """Redraw only the animated artists over the saved background."""
        if self.background is None:
            self.draw_idle()
            return
        self.restore_region(self.background)
        for artist in self.animated:
            if artist.get_visible():
                self.figure.draw_artist(artist)
        self.blit(self.figure.bbox)


class ChartWidget(QWidget):
    """Common parts: a canvas, a cursor, click-to-seek, margins fixed in pixels.

    Axes are built once and only their artists change, and margins are set in
    pixels on resize rather than by a layout engine at every draw: a redraw
    costs a plain draw, which matters when bars arrive while a song decodes.
    """

    seek_requested = Signal(float)
    #: Margins around the plotting area in pixels: left, right, top, bottom. The
    #: right one leaves room for the MFCC colour bar, so both time axes line up.
    MARGINS = (62, 80, 30, 42)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.figure = Figure(figsize=(8, 3), dpi=100)
        self.canvas = _BlitCanvas(self.figure)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # Low enough that on a 700-pixel screen (with a banner shown) the layout can honour it: a canvas
        # taller than the room it gets is clipped, cutting off its time axis.
        self.canvas.setMinimumHeight(MIN_CANVAS_HEIGHT)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)
        self.canvas.mpl_connect("button_press_event", self._on_click)
        self.canvas.mpl_connect("resize_event", lambda _event: self._place_axes())
        self.cursor_seconds: float | None = None
        self.duration = 0.0
        self._cursor_lines: list = []
        #: Over a result of the model used before the one being loaded: what the chart says about it.
        self.stale_text: str | None = None
        self._stale_label = self.figure.text(0.5, 0.5, "", ha="center", va="center", fontsize=11, color="#333333",
                                             visible=False, zorder=10,
                                             bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "#999999"})

    def _fractions(self) -> tuple[float, float, float, float]:
        """Margins as figure fractions: left, right edge, top edge, bottom."""
        width, height = max(self.figure.bbox.width, 1.0), max(self.figure.bbox.height, 1.0)
        left, right, top, bottom = self.MARGINS
        return left / width, 1 - right / width, 1 - top / height, bottom / height

    def _place_axes(self) -> None:
        """Position the axes for the current canvas size."""

    def _on_click(self, event) -> None:
        if event.button == 1 and event.inaxes is not None and event.xdata is not None:
            self.seek_requested.emit(float(max(0.0, event.xdata)))

    def _make_cursor(self, axes) -> None:
        line = axes.axvline(0.0, color=_CURSOR_COLOUR, linewidth=1.6, animated=True, visible=False)
        self._cursor_lines.append(line)
        self.canvas.animated.append(line)

    def set_cursor(self, seconds: float | None) -> None:
        """Move the playback cursor (None hides it)."""
        self.cursor_seconds = seconds
        for line in self._cursor_lines:
            if seconds is None:
                line.set_visible(False)
            else:
                line.set_xdata([seconds, seconds])
                line.set_visible(True)
        self._update_animated()
        self.canvas.blit_animated()

    def _update_animated(self) -> None:
        """Hook for subclasses to move extra animated artists."""

    def set_stale(self, text: str | None) -> None:
        """Dim the chart under ``text``: it shows the previous model's result (None: it is current)."""
        self.stale_text = text
        self._stale_label.set_text(text or "")
        self._stale_label.set_visible(text is not None)
        for axes in self.figure.axes:
            for artist in (*axes.patches, *axes.collections, *axes.images):
                if artist.get_animated():
                    continue
                artist.set_alpha(0.3 if text is not None else None)
        self.canvas.draw_idle()

    def png_bytes(self, dpi: int = 120) -> bytes:
        """The figure as PNG (without the cursor)."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=dpi)
        return buffer.getvalue()


class SegmentChartWidget(ChartWidget):
    """Stacked genre probabilities per window over time, with a top-genre timeline under it."""

    bars_drawn = Signal(int)
    #: No room for an axis title under the ticks: the feature image below names the shared time axis,
    #: and on a 700-pixel screen these pixels are the difference between a readable chart and a clipped one.
    MARGINS = (62, 80, 30, 24)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels: list[str] = []
        self.windows: list[WindowResult] = []
        self.spans: list[tuple[float, float]] = []
        #: Stretches of the song no window was scored on, ``(start, end)`` in seconds.
        self.gaps: list[tuple[float, float]] = []
        self.bar_groups: list[list[Rectangle]] = []
        self.highlighted: int | None = None
        self._artists: list = []
        self._legend_key: tuple | None = None
        #: Indices of the scored windows drawn grey because they sound like no genre the model knows.
        self.unknown_indices: list[int] = []
        #: Indices of the silent windows (drawn hatched).
        self.silent_indices: list[int] = []
        self.bars_axes, self.strip_axes = self.figure.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [6, 1], "hspace": 0.12}
        )
        axes, strip = self.bars_axes, self.strip_axes
        axes.set_ylim(0, 1)
        axes.set_ylabel("Probability")
        axes.set_yticks([0, 0.5, 1.0])
        axes.tick_params(labelbottom=False)
        axes.set_title("Genre probabilities per segment", loc="left", fontsize=10)
        self._empty_text = axes.text(0.5, 0.5, "", transform=axes.transAxes, ha="center", va="center",
                                     color="#777777")
        self.set_empty_text(None)
        strip.set_ylim(0, 1)
        strip.set_yticks([])
        # Named at its right end, in the margin the colour bar below keeps: at the left, "Top" sat under the bars'
        # "0.0" and the two overlapped on a short chart (1024x700).
        strip.yaxis.set_label_position("right")
        strip.set_ylabel("Top genre", rotation=0, ha="left", va="center", fontsize=9)
        self._highlight = Rectangle((0, 0), 0, 1, fill=False, edgecolor=_CURSOR_COLOUR, linewidth=2.0,
                                    animated=True, visible=False)
        axes.add_patch(self._highlight)
        self.canvas.animated.append(self._highlight)
        self._make_cursor(axes)
        self._make_cursor(strip)
        self._place_axes()
        self.redraw()

    def _place_axes(self) -> None:
        left, right, top, bottom = self._fractions()
        self.figure.subplots_adjust(left=left, right=right, top=top, bottom=bottom)

    @property
    def bar_count(self) -> int:
        """Number of windows drawn as bars."""
        return len(self.bar_groups)

    @property
    def empty_text(self) -> str:
        """What the empty chart says."""
        return self._empty_text.get_text()

    def set_empty_text(self, text: str | None) -> None:
        """What the chart says while it has no bar (None: the invitation to open a song)."""
        self._empty_text.set_text(text or "Open or drop a song, or record, to see its segments")

    def set_result(self, labels: Sequence[str], windows: Sequence[WindowResult], duration: float, *,
                   now: bool = True) -> None:
        """Show these windows (all of them; call again as more arrive); ``now`` False paints at the next idle."""
        self.labels = list(labels)
        self.windows = list(windows)
        self.duration = duration
        self.redraw(now=now)

    def clear(self, text: str | None = None) -> None:
        """Show an empty chart saying ``text`` (None: the invitation to open a song)."""
        self.set_empty_text(text)
        self.set_result(self.labels, [], 0.0)

    def redraw(self, *, now: bool = True) -> None:
        """Replace the bars with the current windows; draw at once, or at the next idle unless ``now``."""
        axes, strip = self.bars_axes, self.strip_axes
        for artist in self._artists:
            artist.remove()
        self._artists = []
        self.spans = display_spans(self.windows)
        end = max(self.duration, self.spans[-1][1] if self.spans else 0.0, 1.0)
        self.gaps = unscored_gaps(self.spans, self.duration)
        for start, stop in self.gaps:
            for target in (axes, strip):
                self._artists.append(target.axvspan(start, stop, color=NOT_ANALYSED_COLOUR, linewidth=0))
        groups: list[list[Rectangle]] = [[] for _ in self.windows]
        starts = np.array([start for start, _end in self.spans], dtype=float)
        widths = np.array([max(stop - start, 1e-3) for start, stop in self.spans], dtype=float)
        scored = [i for i, w in enumerate(self.windows) if w.probabilities and not w.silent]
        scored_set = set(scored)
        self.silent_indices = [i for i in range(len(self.windows)) if i not in scored_set]
        silent = self.silent_indices
        # An unknown window keeps its stacked probabilities (still readable) but in
        # solid greys: its colours would claim a genre it does not have.
        self.unknown_indices = [i for i in scored if self.windows[i].unknown]
        unknown = set(self.unknown_indices)
        style = {"align": "edge", "edgecolor": "white", "linewidth": 0.6}
        if scored:
            probabilities = np.array([self.windows[i].probabilities for i in scored], dtype=float)
            bottoms = np.zeros(len(scored))
            for k in range(probabilities.shape[1]):
                colours = [unknown_colour(k) if i in unknown else genre_colour(k) for i in scored]
                container = axes.bar(starts[scored], probabilities[:, k], widths[scored], bottom=bottoms,
                                     color=colours, **style)
                bottoms += probabilities[:, k]
                self._artists.append(container)
                for i, patch in zip(scored, container.patches):
                    groups[i].append(patch)
        if silent:
            container = axes.bar(starts[silent], np.ones(len(silent)), widths[silent], align="edge",
                                 linewidth=0.6, **SILENCE_STYLE)
            self._artists.append(container)
            for i, patch in zip(silent, container.patches):
                groups[i].append(patch)
            # The hatching over the strip's silent windows, on top of (and added before) the strip itself.
            self._artists.append(strip.broken_barh([(starts[i], widths[i]) for i in silent], (0, 1), zorder=2,
                                                   linewidth=0.6, **{**SILENCE_STYLE, "facecolor": "none"}))
        if self.windows:  # one strip, a colour per window in order
            colours = [SILENCE_STYLE["facecolor"] if i not in scored_set else UNKNOWN_COLOUR if i in unknown
                       else genre_colour(w.top_index()) for i, w in enumerate(self.windows)]
            self._artists.append(strip.broken_barh(list(zip(starts, widths)), (0, 1), facecolors=colours,
                                                   edgecolor="white", linewidth=0.6))
        self.bar_groups = groups
        self._empty_text.set_visible(not self.windows)
        self._update_legend(bool(silent), bool(unknown), bool(self.gaps))
        axes.set_xlim(0, end)
        self._update_animated()
        if now:
            self.canvas.draw()
        else:
            self.canvas.draw_idle()
        self.bars_drawn.emit(self.bar_count)

    def _update_legend(self, silent: bool, unknown: bool, gaps: bool) -> None:
        """The genres' colours, and silence, no-known-genre and not-analysed when the chart shows them."""
        key = (tuple(self.labels), silent, unknown, gaps)
        if not self.labels or key == self._legend_key:
            return
        self._legend_key = key
        handles = [Patch(color=genre_colour(k), label=label) for k, label in enumerate(self.labels)]
        if silent or not (unknown or gaps):
            handles.append(Patch(label="silence", linewidth=0.6, **SILENCE_STYLE))
        if unknown:
            handles.append(Patch(color=UNKNOWN_COLOUR, label="no known genre"))
        if gaps:
            handles.append(Patch(color=NOT_ANALYSED_COLOUR, label="not analysed"))
        self.bars_axes.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=len(handles),
                              frameon=False, fontsize=8, handlelength=1.2, columnspacing=1.0, borderaxespad=0.2)

    def _update_animated(self) -> None:
        index = span_at(self.spans, self.cursor_seconds) if self.cursor_seconds is not None else None
        self.highlighted = index
        if index is None:
            self._highlight.set_visible(False)
        else:
            start, end = self.spans[index]
            self._highlight.set_bounds(start, 0.0, end - start, 1.0)
            self._highlight.set_visible(True)
