"""The verdict and the progress bar of the Classify tab, drawn from the :class:`ClassifyState`'s events."""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar, QVBoxLayout, QWidget

from urdu_genre_app.components.classify_state import (
    RECORDING,
    AnalysisFailed,
    AnalysisFinished,
    ClassifyState,
    LiveUpdated,
    ModelChanged,
    RecordingChanged,
    SourceChanged,
    Waiting,
    WindowScored,
)
from urdu_genre_app.components.formatting import clock, segments
from urdu_genre_app.gui.widgets import VerdictWidget

#: The verdict's heading over a result of the model used before the one being loaded.
STALE_HEADING = "Verdict by the previous model (the song is analysed again once the new model is ready)"


class VerdictView(QWidget):
    """The genre so far (or why there is none) and how far the analysis or recording has come."""

    def __init__(self, state: ClassifyState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.verdict = VerdictWidget()
        self.verdict.show_waiting("Verdict", "Open, drop or record a song")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("Idle")
        self.progress.setMaximumHeight(18)
        self._heading_before_stale: str | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)  # laid out as if it were the parent's own rows
        layout.addWidget(self.verdict)
        layout.addWidget(self.progress)
        state.events.connect_handlers(self)

    def _set_progress(self, value: int, text: str | None = None) -> None:
        self.progress.setRange(0, 100)
        self.progress.setValue(value)
        if text is not None:
            self.progress.setFormat(text)

    @property
    def stale(self) -> bool:
        """The verdict shown is the previous model's (another one is loading)."""
        return self._heading_before_stale is not None

    def _on_model(self, event: ModelChanged) -> None:
        if event.state == "loading" and self.state.has_result and not self.stale:
            self._heading_before_stale = self.verdict.heading.text()
            self.verdict.heading.setText(STALE_HEADING)
            self.verdict.setEnabled(False)  # greyed: not a verdict of the model named in the header
        elif event.classifier is not None and self.stale:
            self.verdict.heading.setText(self._heading_before_stale)
            self._unmark_stale()

    def _unmark_stale(self) -> None:
        self._heading_before_stale = None
        self.verdict.setEnabled(True)

    def _on_waiting(self, event: Waiting) -> None:
        self._unmark_stale()
        self.verdict.show_waiting(event.heading, event.text, event.labels)
        if event.progress is not None:
            self.progress.setFormat(event.progress)

    def _on_source(self, _event: SourceChanged) -> None:
        self._unmark_stale()
        self._set_progress(0, "Decoding…")

    def _on_scored(self, event: WindowScored) -> None:
        count = segments(len(event.interim.windows))
        if event.progress is None:
            self.progress.setRange(0, 0)
        else:
            self._set_progress(int(event.progress * 100), f"Analysing… %p%  ({count})")
        self.verdict.show_result(event.interim, heading=f"Analysing… verdict so far ({count})")

    def _on_live(self, event: LiveUpdated) -> None:
        self.verdict.show_result(event.result, heading=event.heading)

    def _on_finished(self, event: AnalysisFinished) -> None:
        result = event.result
        duration = clock(result.duration_seconds)
        self._set_progress(100, f"Done: {segments(len(result.windows))}, {duration}")
        lost = f" — {len(result.gaps)} gap{'s' if len(result.gaps) != 1 else ''}, {result.lost_seconds:.1f} s lost" if result.gaps else ""
        heading = "Verdict" if self.state.source != RECORDING else f"Verdict for the recording ({duration}){lost}"
        self.verdict.show_result(result, heading=heading)

    def _on_failed(self, _event: AnalysisFailed) -> None:
        self._set_progress(0, "Failed")
        self.verdict.show_waiting("Verdict", "Cannot classify this file")

    def _on_recording(self, event: RecordingChanged) -> None:
        if not event.active:
            self.progress.setRange(0, 100)
            return
        scored = f", {segments(event.scored)} scored" if event.scored else ""
        if event.changed:
            self._set_progress(0)
        self.progress.setFormat(f"● Recording {clock(event.seconds)}{scored}")
