"""The feature image the model saw (MFCC or log-mel spectrogram), on the segment chart's time axis.

This module imports matplotlib; the main window imports it after it is shown.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.ticker import MaxNLocator, StrMethodFormatter
from PySide6.QtWidgets import QWidget

from urdu_genre_app.components.chart_spans import colour_limits, feature_panel_text, feature_pieces
from urdu_genre_app.core.features import FeatureParams
from urdu_genre_app.core.results import WindowResult
from urdu_genre_app.gui.charts import NOT_ANALYSED_COLOUR, SILENCE_STYLE, ChartWidget

#: Colour map of the feature image.
MFCC_CMAP = "magma"
#: Percentiles of the shown coefficients (or bands) that span the colour scale.
MFCC_COLOUR_PERCENTILES = (1.0, 99.0)


class MfccWidget(ChartWidget):
    """The feature image the model saw (MFCC or log-mel): time (s) on x, coefficient or band on y, a colour bar.

    Silent windows are hatched rather than drawn (their image is rounding noise),
    and stretches no window was scored on are shaded "not analysed".
    """

    MARGINS = (62, 80, 24, 42)
    #: Colour bar width and its gap to the image, in pixels.
    COLORBAR_PIXELS = (14, 10)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pieces: list[tuple[float, np.ndarray]] = []
        #: Whether each piece is of a silent window (hatched, left out of the colour scale).
        self.silent: list[bool] = []
        self.params = FeatureParams()
        self.text = feature_panel_text(self.params)
        self._images: list = []
        self.axes = self.figure.add_axes((0.1, 0.1, 0.8, 0.8))
        self.colorbar_axes = self.figure.add_axes((0.92, 0.1, 0.02, 0.8))
        self.norm = Normalize(vmin=-1.0, vmax=1.0)
        self._mappable = ScalarMappable(norm=self.norm, cmap=MFCC_CMAP)
        self.colorbar = self.figure.colorbar(self._mappable, cax=self.colorbar_axes)
        # Few, short tick labels: the colour bar's label must fit in the right margin.
        self.colorbar.locator = MaxNLocator(nbins=4)
        self.colorbar.formatter = StrMethodFormatter("{x:.3g}")
        self.colorbar.ax.tick_params(labelsize=8)
        axes = self.axes
        axes.set_xlabel("Time (s)")
        self._empty_text = axes.text(0.5, 0.5, "", transform=axes.transAxes, ha="center", va="center",
                                     color="#777777")
        self._apply_text()
        self._make_cursor(axes)
        self._place_axes()
        self.redraw()

    def _apply_text(self) -> None:
        text = self.text
        self.axes.set_ylabel(text.y_label)
        self.axes.set_title(text.title, loc="left", fontsize=10)
        self.colorbar.set_label(text.colour_label, fontsize=9)
        self._empty_text.set_text(text.empty)

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
        if params != self.params:
            self.params = params
            self.text = feature_panel_text(params)
            self._apply_text()
        self.duration = duration
        self.pieces = feature_pieces(windows, features, params)
        self.silent = [bool(w.silent) for w in windows[: len(self.pieces)]]
        self.redraw()

    def clear(self) -> None:
        """Show an empty image."""
        self.pieces = []
        self.silent = []
        self.duration = 0.0
        self.redraw()

    def image(self) -> np.ndarray:
        """The assembled image, shape (n_frames, n_features)."""
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
        n_rows = self.params.n_features  # 96 mel bands for a musicnn bundle
        end = self.duration
        sounding = [frames for (_start, frames), silent in zip(self.pieces, self.silent) if not silent]
        limits = colour_limits(sounding, self.text.scale_from_row, MFCC_COLOUR_PERCENTILES)
        if limits is not None:
            self.norm.vmin, self.norm.vmax = limits
            self._mappable.changed()
        spans = []
        for (start, frames), silent in zip(self.pieces, self.silent):
            left = start - frame_seconds / 2
            right = left + frames.shape[0] * frame_seconds
            spans.append((start, start + frames.shape[0] * frame_seconds))
            end = max(end, right)
            if silent:  # the image of silence is rounding noise: show that there was nothing to hear
                self._images.append(axes.axvspan(start, right, linewidth=0.6, **SILENCE_STYLE))
                continue
            self._images.append(axes.imshow(frames.T, origin="lower", aspect="auto", cmap=MFCC_CMAP,
                                            norm=self.norm, extent=(left, right, -0.5, n_rows - 0.5),
                                            interpolation="nearest"))
        # Outside the pieces the axes show "not analysed" grey, never a white gap.
        axes.set_facecolor(NOT_ANALYSED_COLOUR if self.pieces else "white")
        self._empty_text.set_visible(not self.pieces)
        self.colorbar_axes.set_visible(limits is not None)
        axes.set_xlim(0, max(end, 1.0))
        axes.set_ylim(-0.5, n_rows - 0.5)
        self.canvas.draw()
