"""The segment chart above the MFCC image, in a splitter, redrawn from the :class:`ClassifyState`'s events.

matplotlib is imported the first time :meth:`ChartsView.ensure_charts` runs
(after the window is on screen); until then placeholders hold the places.
Redraws during an analysis are coalesced, at most one per
:data:`REDRAW_INTERVAL_MS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel, QSplitter, QWidget

from urdu_genre_app.components.classify_state import (
    AnalysisFinished,
    ClassifyState,
    LiveUpdated,
    PositionChanged,
    SourceChanged,
    WindowScored,
)
from urdu_genre_app.gui import settings as S

if TYPE_CHECKING:
    from urdu_genre_app.gui.charts import MfccWidget, SegmentChartWidget

#: Chart redraws are coalesced to at most one per this many milliseconds.
REDRAW_INTERVAL_MS = 80
#: Delay before the previous song's charts are cleared when the new one has no bar yet (ms).
CLEAR_AFTER_MS = 250


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
            placeholder.setMinimumHeight(150)
            placeholder.setStyleSheet("color: #777777; background: white; border: 1px solid #dddddd;")
            self.addWidget(placeholder)
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(REDRAW_INTERVAL_MS)
        self._redraw_timer.timeout.connect(self.redraw)
        # Clearing the charts costs a redraw; if the first bar comes quickly it
        # replaces the old song anyway, so only clear if it is slow to come.
        self._clear_timer = QTimer(self)
        self._clear_timer.setSingleShot(True)
        self._clear_timer.setInterval(CLEAR_AFTER_MS)
        self._clear_timer.timeout.connect(self._clear_if_still_empty)
        state.events.connect_handlers(self)

    def ensure_charts(self) -> None:
        """Create the matplotlib views (imports matplotlib the first time)."""
        if self.segment_chart is not None:
            return
        from urdu_genre_app.gui.charts import MfccWidget, SegmentChartWidget

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
        if self.state.windows or self.state.result is not None:
            self.redraw()

    @property
    def cursor_seconds(self) -> float | None:
        """Where the charts' cursor is."""
        return self.segment_chart.cursor_seconds if self.segment_chart is not None else None

    @Slot()
    def redraw(self, mfcc: bool = True) -> None:
        """Draw the windows known so far (the segment chart, and the MFCC image unless told not to)."""
        if self.segment_chart is None or self.mfcc_view is None:
            return
        state = self.state
        labels = state.labels or self.segment_chart.labels
        duration = state.result.duration_seconds if state.result is not None else 0.0
        duration = max(duration, state.audio_seconds)
        self.segment_chart.set_result(labels, state.windows, duration)
        if not mfcc:
            return
        if state.classifier is not None and state.features:
            self.mfcc_view.set_features(state.windows[: len(state.features)], state.features,
                                        state.classifier.bundle.feature_params, duration)
        elif not state.features:
            self.mfcc_view.clear()

    def stop(self) -> None:
        """Stop pending redraws and remember the splitter's position (the window is closing)."""
        self._redraw_timer.stop()
        self._clear_timer.stop()
        self.settings.set(S.SPLITTER_STATE, bytes(self.saveState().data()))

    # ------------------------------------------------------------------ state events
    def _on_source(self, event: SourceChanged) -> None:
        self._redraw_timer.stop()
        if event.analysis_starts:
            self._clear_timer.start()
        else:
            self._clear_timer.stop()
            self.redraw()

    def _clear_if_still_empty(self) -> None:
        """Clear the previous song's charts if the new one has no bar yet."""
        if not self.state.windows:
            self.redraw()

    def _on_scored(self, event: WindowScored) -> None:
        if event.first:
            self.redraw(mfcc=False)  # the first bar at once; its MFCC image a moment later
            self._redraw_timer.start()
        elif not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def _on_live(self, _event: LiveUpdated) -> None:
        self.redraw()

    def _on_finished(self, _event: AnalysisFinished) -> None:
        self._redraw_timer.stop()
        self.redraw()

    def _on_position(self, event: PositionChanged) -> None:
        for chart in (self.segment_chart, self.mfcc_view):
            if chart is not None:
                chart.set_cursor(event.seconds)
