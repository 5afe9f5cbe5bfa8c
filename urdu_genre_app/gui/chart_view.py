"""The segment chart above the MFCC image, in a splitter, redrawn from the :class:`ClassifyState`'s events.

matplotlib is imported the first time :meth:`ChartsView.ensure_charts` runs
(after the window is on screen); until then placeholders hold the places.
During an analysis the segment chart takes every window as it is scored (its
bars always match the verdict's count; the canvas paints at the next idle),
while the costlier feature image is redrawn at most once per
:data:`REDRAW_INTERVAL_MS`. A new song clears both at once; while another
model loads, the charts shown are marked as the previous model's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel, QSplitter, QWidget

from urdu_genre_app.components.classify_state import (
    RECORDING,
    AnalysisFailed,
    AnalysisFinished,
    ClassifyState,
    LiveUpdated,
    ModelChanged,
    PositionChanged,
    SourceChanged,
    WindowScored,
)
from urdu_genre_app.gui import settings as S

if TYPE_CHECKING:
    from urdu_genre_app.gui.charts import SegmentChartWidget
    from urdu_genre_app.gui.feature_chart import MfccWidget

#: Feature-image redraws are coalesced to at most one per this many milliseconds.
REDRAW_INTERVAL_MS = 80
#: What the charts say over a result of the model used before the one being loaded.
STALE_TEXT = "From the previous model: analysed again once the new one is ready"


class ChartsView(QSplitter):
    """The per-segment genre chart and the MFCC image, sharing one time axis and the playback cursor.

    Signals
    -------
    seek_requested(float)
        A chart was clicked at this many seconds.
    """

    seek_requested = Signal(float)

    def __init__(self, state: ClassifyState, settings: S.Settings, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.state = state
        self.settings = settings
        self.segment_chart: SegmentChartWidget | None = None
        self.mfcc_view: MfccWidget | None = None
        self.setChildrenCollapsible(False)
        for text in ("Loading charts…", "Loading the MFCC view…"):
            placeholder = QLabel(text)
            placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
            placeholder.setMinimumHeight(100)  # as the charts' canvases
            placeholder.setStyleSheet("color: #777777; background: white; border: 1px solid #dddddd;")
            self.addWidget(placeholder)
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(REDRAW_INTERVAL_MS)
        self._redraw_timer.timeout.connect(self.redraw)
        #: The charts show the previous model's result while another model loads.
        self.stale = False
        state.events.connect_handlers(self)

    def ensure_charts(self) -> None:
        """Create the matplotlib views (imports matplotlib the first time)."""
        if self.segment_chart is not None:
            return
        from urdu_genre_app.gui.charts import SegmentChartWidget
        from urdu_genre_app.gui.feature_chart import MfccWidget

        self.segment_chart = SegmentChartWidget()
        self.mfcc_view = MfccWidget()
        for index, chart in enumerate((self.segment_chart, self.mfcc_view)):
            old = self.widget(index)
            self.replaceWidget(index, chart)
            old.deleteLater()
            chart.seek_requested.connect(self.seek_requested)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 2)
        saved = self.settings.get(S.SPLITTER_STATE)
        if saved:
            from PySide6.QtCore import QByteArray

            self.restoreState(QByteArray(saved))
        if self.state.has_result:
            self.redraw()

    @property
    def cursor_seconds(self) -> float | None:
        """Where the charts' cursor is."""
        return self.segment_chart.cursor_seconds if self.segment_chart is not None else None

    def _duration(self) -> float:
        state = self.state
        duration = state.result.duration_seconds if state.result is not None else 0.0
        return max(duration, state.audio_seconds)

    def _draw_segments(self, now: bool = True) -> None:
        """Give the segment chart every window known so far (painted at once, or at the next idle)."""
        if self.segment_chart is not None:
            labels = self.state.labels or self.segment_chart.labels
            self.segment_chart.set_result(labels, self.state.windows, self._duration(), now=now)

    @Slot()
    def redraw(self) -> None:
        """Draw the windows known so far: the segment chart and the feature image."""
        if self.segment_chart is None or self.mfcc_view is None:
            return
        state = self.state
        self._draw_segments()
        model = state.last_classifier
        if model is not None and state.features:
            self.mfcc_view.set_features(state.windows[: len(state.features)], state.features,
                                        model.bundle.feature_params, self._duration())
        elif not state.features:
            self.mfcc_view.clear()

    def stop(self) -> None:
        """Stop pending redraws and remember the splitter's position (the window is closing)."""
        self._redraw_timer.stop()
        self.settings.set(S.SPLITTER_STATE, bytes(self.saveState().data()))

    def _set_stale(self, stale: bool) -> None:
        """Mark (or unmark) the charts as the previous model's."""
        if stale == self.stale:
            return
        self.stale = stale
        for chart in (self.segment_chart, self.mfcc_view):
            if chart is not None:
                chart.set_stale(STALE_TEXT if stale else None)

    # ------------------------------------------------------------------ state events
    def _on_model(self, event: ModelChanged) -> None:
        self._set_stale(event.classifier is None and self.state.has_result)

    def _on_source(self, event: SourceChanged) -> None:
        self._redraw_timer.stop()
        self._set_stale(False)
        if self.segment_chart is None or self.mfcc_view is None:
            return
        if event.analysis_starts:  # the previous song goes at once, not when the first bar comes
            # Not the file's name: matplotlib neither shapes nor has glyphs for Urdu script.
            what = "the recording" if event.source == RECORDING else "the song"
            self.segment_chart.clear(f"Decoding and analysing {what}…")
            self.mfcc_view.clear()
        else:
            self.segment_chart.set_empty_text(None)
            self.redraw()

    def _on_scored(self, event: WindowScored) -> None:
        # Every bar as its window comes (the verdict counts the same windows); the first one painted at once.
        self._draw_segments(now=event.first)
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def _on_live(self, _event: LiveUpdated) -> None:
        self.redraw()

    def _on_finished(self, _event: AnalysisFinished) -> None:
        self._redraw_timer.stop()
        if self.segment_chart is not None:
            self.segment_chart.set_empty_text(None)
        self.redraw()

    def _on_failed(self, _event: AnalysisFailed) -> None:
        self._redraw_timer.stop()
        if self.segment_chart is not None:
            self.segment_chart.clear("Nothing to show: this file cannot be classified (see the message above)")

    def _on_position(self, event: PositionChanged) -> None:
        for chart in (self.segment_chart, self.mfcc_view):
            if chart is not None:
                chart.set_cursor(event.seconds)
