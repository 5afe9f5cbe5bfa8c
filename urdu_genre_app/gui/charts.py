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
from urdu_genre_app.components.palette import SILENCE_COLOUR, UNKNOWN_COLOUR, genre_colour, unknown_colour

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
        self.canvas.setMinimumHeight(150)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)
        self.canvas.mpl_connect("button_press_event", self._on_click)
        self.canvas.mpl_connect("resize_event", lambda _event: self._place_axes())
        self.cursor_seconds: float | None = None
        self.duration = 0.0
        self._cursor_lines: list = []

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
        self._artists: list = []
        self._legend_labels: tuple[list[str], bool] | None = None
        #: Indices of the scored windows drawn grey because they sound like no genre the model knows.
        self.unknown_indices: list[int] = []
        self.bars_axes, self.strip_axes = self.figure.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [6, 1], "hspace": 0.12}
        )
        axes, strip = self.bars_axes, self.strip_axes
        axes.set_ylim(0, 1)
        axes.set_ylabel("Probability")
        axes.set_yticks([0, 0.5, 1.0])
        axes.tick_params(labelbottom=False)
        axes.set_title("Genre probabilities per segment", loc="left", fontsize=10)
        self._empty_text = axes.text(0.5, 0.5, "Open or drop a song, or record, to see its segments",
                                     transform=axes.transAxes, ha="center", va="center", color="#777777")
        strip.set_ylim(0, 1)
        strip.set_yticks([])
        strip.set_ylabel("Top", rotation=0, ha="right", va="center", fontsize=9)
        strip.set_xlabel("Time (s)")
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
        """Replace the bars with the current windows and draw."""
        axes, strip = self.bars_axes, self.strip_axes
        for artist in self._artists:
            artist.remove()
        self._artists = []
        self.spans = display_spans(self.windows)
        groups: list[list[Rectangle]] = [[] for _ in self.windows]
        starts = np.array([start for start, _end in self.spans], dtype=float)
        widths = np.array([max(end - start, 1e-3) for start, end in self.spans], dtype=float)
        scored = [i for i, w in enumerate(self.windows) if w.probabilities and not w.silent]
        silent = [i for i, w in enumerate(self.windows) if i not in set(scored)]
        # An unknown window keeps its stacked probabilities (still readable) but in
        # greys, like silence: its colours would claim a genre it does not have.
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
            container = axes.bar(starts[silent], np.ones(len(silent)), widths[silent], color=SILENCE_COLOUR,
                                 alpha=0.45, **style)
            self._artists.append(container)
            for i, patch in zip(silent, container.patches):
                groups[i].append(patch)
        if self.windows:
            colours = [SILENCE_COLOUR if i not in set(scored) else UNKNOWN_COLOUR if i in unknown
                       else genre_colour(w.top_index()) for i, w in enumerate(self.windows)]
            self._artists.append(strip.broken_barh(list(zip(starts, widths)), (0, 1), facecolors=colours,
                                                   edgecolor="white", linewidth=0.6))
        self.bar_groups = groups
        self._empty_text.set_visible(not self.windows)
        legend = (list(self.labels), bool(unknown))
        if self.labels and legend != self._legend_labels:
            self._legend_labels = legend
            handles = [Patch(color=genre_colour(k), label=label) for k, label in enumerate(self.labels)]
            handles.append(Patch(color=SILENCE_COLOUR, label="silence"))
            if unknown:
                handles.append(Patch(color=UNKNOWN_COLOUR, label="no known genre"))
            axes.legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=len(handles),
                        frameon=False, fontsize=8, handlelength=1.2, columnspacing=1.0, borderaxespad=0.2)
        end = max(self.duration, self.spans[-1][1] if self.spans else 0.0, 1.0)
        axes.set_xlim(0, end)
        self._update_animated()
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

    MARGINS = (62, 80, 24, 42)
    #: Colour bar width and its gap to the image, in pixels.
    COLORBAR_PIXELS = (14, 10)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pieces: list[tuple[float, np.ndarray]] = []
        self.params = FeatureParams()
        self._images: list = []
        self.axes = self.figure.add_axes((0.1, 0.1, 0.8, 0.8))
        self.colorbar_axes = self.figure.add_axes((0.92, 0.1, 0.02, 0.8))
        self.norm = Normalize(vmin=-1.0, vmax=1.0)
        from matplotlib.cm import ScalarMappable

        self._mappable = ScalarMappable(norm=self.norm, cmap=MFCC_CMAP)
        self.colorbar = self.figure.colorbar(self._mappable, cax=self.colorbar_axes)
        self.colorbar.set_label("MFCC value", fontsize=9)
        axes = self.axes
        axes.set_xlabel("Time (s)")
        axes.set_ylabel("MFCC coefficient")
        axes.set_title("MFCC image (the model's input; colours scaled to coefficients 1 and up)", loc="left", fontsize=10)
        self._empty_text = axes.text(0.5, 0.5, "The MFCC image the model sees appears here",
                                     transform=axes.transAxes, ha="center", va="center", color="#777777")
        self._make_cursor(axes)
        self._place_axes()
        self.redraw()

    def _place_axes(self) -> None:
        left, right, top, bottom = self._fractions()
        width = max(self.figure.bbox.width, 1.0)
        bar, gap = self.COLORBAR_PIXELS
        self.axes.set_position((left, bottom, right - left, top - bottom))
        self.colorbar_axes.set_position((right + gap / width, bottom, bar / width, top - bottom))

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
            return np.zeros((0, self.params.n_features), dtype=np.float32)
        return np.concatenate([frames for _start, frames in self.pieces])

    def redraw(self) -> None:
        """Replace the image pieces and draw."""
        axes = self.axes
        for image in self._images:
            image.remove()
        self._images = []
        frame_seconds = self.params.hop_length / self.params.sample_rate
        n_mfcc = self.params.n_features  # 96 mel bands for a musicnn bundle
        end = self.duration
        if self.pieces:
            values = self.image()
            # Coefficient 0 (overall loudness) spans hundreds of units where the
            # others span tens; scaling to the others keeps their detail visible.
            shown = values[:, 1:] if values.shape[1] > 1 else values
            low, high = (float(v) for v in np.percentile(shown, MFCC_COLOUR_PERCENTILES))
            self.norm.vmin, self.norm.vmax = low, (high if high > low else low + 1.0)
            for start, frames in self.pieces:
                left = start - frame_seconds / 2
                right = left + frames.shape[0] * frame_seconds
                self._images.append(axes.imshow(frames.T, origin="lower", aspect="auto", cmap=MFCC_CMAP,
                                                norm=self.norm, extent=(left, right, -0.5, n_mfcc - 0.5),
                                                interpolation="nearest"))
                end = max(end, right)
            self._mappable.changed()
        self._empty_text.set_visible(not self.pieces)
        self.colorbar_axes.set_visible(bool(self.pieces))
        axes.set_xlim(0, max(end, 1.0))
        axes.set_ylim(-0.5, n_mfcc - 0.5)
        self.canvas.draw()
