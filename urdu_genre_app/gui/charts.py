"""Matplotlib views: per-segment genre probabilities with a timeline, and the MFCC image.

Both share one time axis (seconds), one playback cursor drawn by blitting (so
moving it does not redraw the figure), and click-to-seek. Each window is
shown over its *display span*: from its start to the next window's start (the
last one to its end), so overlapping 30 s windows tile the song without gaps,
and the MFCC image is assembled the same way from the very features the model
saw.

This module imports matplotlib; the main window imports it after it is shown.
"""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Sequence

import numpy as np
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from urdu_genre_app.core.features import FeatureParams
from urdu_genre_app.core.results import WindowResult
from urdu_genre_app.gui.palette import SILENCE_COLOUR, genre_colour

log = logging.getLogger(__name__)

#: Colour map of the MFCC image.
MFCC_CMAP = "magma"
#: Percentiles of the shown coefficients that span the colour scale.
MFCC_COLOUR_PERCENTILES = (1.0, 99.0)
_CURSOR_COLOUR = "#111111"


def display_spans(windows: Sequence[WindowResult]) -> list[tuple[float, float]]:
    """``(start, end)`` in seconds over which each window is drawn: up to the next window's start."""
    spans = []
    for i, window in enumerate(windows):
        end = windows[i + 1].start_seconds if i + 1 < len(windows) else window.end_seconds
        spans.append((window.start_seconds, max(end, window.start_seconds)))
    return spans


def span_at(spans: Sequence[tuple[float, float]], seconds: float) -> int | None:
    """Index of the span holding ``seconds``, or None."""
    for i, (start, end) in enumerate(spans):
        if start <= seconds < end or (i == len(spans) - 1 and math.isclose(seconds, end)):
            return i
    return None


def mfcc_pieces(
    windows: Sequence[WindowResult], features: Sequence[np.ndarray], params: FeatureParams
) -> list[tuple[float, np.ndarray]]:
    """The part of each window's MFCC image shown over its display span.

    Returns
    -------
    list of (float, numpy.ndarray)
        Start time in seconds and frames, shape (n_frames, n_mfcc): window
        ``i``'s frames from its start up to the next window's start (frames
        are ``hop_length / sample_rate`` seconds apart).
    """
    frame_seconds = params.hop_length / params.sample_rate
    pieces = []
    for (start, end), image in zip(display_spans(windows), features):
        keep = max(1, min(image.shape[0], math.ceil((end - start) / frame_seconds - 1e-9)))
        pieces.append((start, image[:keep]))
    return pieces


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


class _ChartWidget(QWidget):
    """Common parts: a canvas, a cursor, click-to-seek."""

    seek_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.figure = Figure(figsize=(8, 3), dpi=100, layout="constrained")
        self.canvas = _BlitCanvas(self.figure)
        self.canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.canvas.setMinimumHeight(150)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)
        self.canvas.mpl_connect("button_press_event", self._on_click)
        self.cursor_seconds: float | None = None
        self.duration = 0.0
        self._cursor_lines: list = []

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

    def png_bytes(self, dpi: int = 120) -> bytes:
        """The figure as PNG (without the cursor)."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=dpi)
        return buffer.getvalue()


class SegmentChartWidget(_ChartWidget):
    """Stacked genre probabilities per window over time, with a top-genre timeline under it."""

    bars_drawn = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels: list[str] = []
        self.windows: list[WindowResult] = []
        self.spans: list[tuple[float, float]] = []
        self.bar_groups: list[list[Rectangle]] = []
        self.highlighted: int | None = None
        self.redraw()

    @property
    def bar_count(self) -> int:
        """Number of windows drawn as bars."""
        return len(self.bar_groups)

    def set_result(self, labels: Sequence[str], windows: Sequence[WindowResult], duration: float) -> None:
        """Show these windows (all of them; call again as more arrive)."""
        self.labels = list(labels)
        self.windows = list(windows)
        self.duration = duration
        self.redraw()

    def clear(self) -> None:
        """Show an empty chart."""
        self.set_result(self.labels, [], 0.0)

    def redraw(self) -> None:
        """Rebuild the figure from the current windows."""
        figure = self.figure
        figure.clear()
        self._cursor_lines.clear()
        self.canvas.animated.clear()
        self.bar_groups = []
        bars_axes, strip_axes = figure.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [6, 1]}
        )
        self.spans = display_spans(self.windows)
        for window, (start, end) in zip(self.windows, self.spans):
            width = max(end - start, 1e-3)
            group = []
            if window.silent or not window.probabilities:
                group.append(bars_axes.bar(start, 1.0, width, align="edge", color=SILENCE_COLOUR,
                                           alpha=0.45, edgecolor="white", linewidth=0.6)[0])
                colour = SILENCE_COLOUR
            else:
                bottom = 0.0
                for k, p in enumerate(window.probabilities):
                    group.append(bars_axes.bar(start, p, width, bottom=bottom, align="edge", color=genre_colour(k),
                                               edgecolor="white", linewidth=0.6)[0])
                    bottom += p
                colour = genre_colour(window.top_index() or 0)
            strip_axes.broken_barh([(start, width)], (0, 1), facecolors=colour, edgecolor="white", linewidth=0.6)
            self.bar_groups.append(group)
        end = max(self.duration, self.spans[-1][1] if self.spans else 0.0, 1.0)
        bars_axes.set_xlim(0, end)
        bars_axes.set_ylim(0, 1)
        bars_axes.set_ylabel("Probability")
        bars_axes.set_yticks([0, 0.5, 1.0])
        bars_axes.tick_params(labelbottom=False)
        bars_axes.set_title("Genre probabilities per segment", loc="left", fontsize=10)
        handles = [Patch(color=genre_colour(k), label=label) for k, label in enumerate(self.labels)]
        handles.append(Patch(color=SILENCE_COLOUR, label="silence"))
        bars_axes.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=len(handles),
                         frameon=False, fontsize=8, handlelength=1.2, columnspacing=1.0, borderaxespad=0.2)
        if not self.windows:
            bars_axes.text(0.5, 0.5, "Open or drop a song, or record, to see its segments",
                           transform=bars_axes.transAxes, ha="center", va="center", color="#777777")
        strip_axes.set_ylim(0, 1)
        strip_axes.set_yticks([])
        strip_axes.set_ylabel("Top", rotation=0, ha="right", va="center", fontsize=9)
        strip_axes.set_xlabel("Time (s)")
        self._highlight = Rectangle((0, 0), 0, 1, fill=False, edgecolor=_CURSOR_COLOUR, linewidth=2.0,
                                    animated=True, visible=False)
        bars_axes.add_patch(self._highlight)
        self.canvas.animated.append(self._highlight)
        self._make_cursor(bars_axes)
        self._make_cursor(strip_axes)
        self.set_cursor(self.cursor_seconds)
        self.canvas.draw()
        self.bars_drawn.emit(self.bar_count)

    def _update_animated(self) -> None:
        index = span_at(self.spans, self.cursor_seconds) if self.cursor_seconds is not None else None
        self.highlighted = index
        if index is None:
            self._highlight.set_visible(False)
        else:
            start, end = self.spans[index]
            self._highlight.set_bounds(start, 0.0, end - start, 1.0)
            self._highlight.set_visible(True)


class MfccWidget(_ChartWidget):
    """The MFCC image the model saw: time (s) on x, coefficient on y, with a colour bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pieces: list[tuple[float, np.ndarray]] = []
        self.params = FeatureParams()
        self.redraw()

    def set_features(
        self, windows: Sequence[WindowResult], features: Sequence[np.ndarray], params: FeatureParams, duration: float
    ) -> None:
        """Show the features of these windows (one image per window, in order)."""
        self.params = params
        self.duration = duration
        self.pieces = mfcc_pieces(windows, features, params)
        self.redraw()

    def clear(self) -> None:
        """Show an empty image."""
        self.pieces = []
        self.duration = 0.0
        self.redraw()

    def image(self) -> np.ndarray:
        """The assembled image, shape (n_frames, n_mfcc)."""
        if not self.pieces:
            return np.zeros((0, self.params.n_mfcc), dtype=np.float32)
        return np.concatenate([frames for _start, frames in self.pieces])

    def redraw(self) -> None:
        """Rebuild the figure from the current pieces."""
        figure = self.figure
        figure.clear()
        self._cursor_lines.clear()
        self.canvas.animated.clear()
        axes = figure.subplots()
        frame_seconds = self.params.hop_length / self.params.sample_rate
        n_mfcc = self.params.n_mfcc
        end = self.duration
        if self.pieces:
            values = self.image()
            # Coefficient 0 (overall loudness) spans hundreds of units where the
            # others span tens; scaling to the others keeps their detail visible.
            shown = values[:, 1:] if values.shape[1] > 1 else values
            low, high = np.percentile(shown, MFCC_COLOUR_PERCENTILES)
            norm = Normalize(vmin=float(low), vmax=float(high if high > low else low + 1.0))
            image = None
            for start, frames in self.pieces:
                left = start - frame_seconds / 2
                right = left + frames.shape[0] * frame_seconds
                image = axes.imshow(frames.T, origin="lower", aspect="auto", cmap=MFCC_CMAP, norm=norm,
                                    extent=(left, right, -0.5, n_mfcc - 0.5), interpolation="nearest")
                end = max(end, right)
            colorbar = figure.colorbar(image, ax=axes, pad=0.01, fraction=0.04)
            colorbar.set_label("MFCC value (coefficient 0 clipped)", fontsize=9)
        else:
            axes.text(0.5, 0.5, "The MFCC image the model sees appears here",
                      transform=axes.transAxes, ha="center", va="center", color="#777777")
        axes.set_xlim(0, max(end, 1.0))
        axes.set_ylim(-0.5, n_mfcc - 0.5)
        axes.set_xlabel("Time (s)")
        axes.set_ylabel("MFCC coefficient")
        axes.set_title("MFCC image (the model's input)", loc="left", fontsize=10)
        self._make_cursor(axes)
        self.set_cursor(self.cursor_seconds)
        self.canvas.draw()
