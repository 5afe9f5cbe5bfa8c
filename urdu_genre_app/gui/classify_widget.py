"""The Classify tab: a song (opened or recorded) in, its genre per segment out, live.

The tab is a :class:`~urdu_genre_app.components.classify_state.ClassifyState`
(what is shown, Qt-free) and a few views that subscribe to it: the verdict
(:mod:`~urdu_genre_app.gui.verdict_view`), the charts
(:mod:`~urdu_genre_app.gui.chart_view`), the playback bar
(:mod:`~urdu_genre_app.gui.playback_bar`) and the record bar
(:mod:`~urdu_genre_app.gui.record_bar`). This widget lays them out and runs
the work: opening a file, the one analysis launch (for a file and for a
finished recording), decoding for playback, export.

The GUI thread only touches widgets. Classification runs on a single-thread
pool; starting a new analysis cancels the task of the previous one, which
stops it (the classifier raises ``CancelledError``) and drops whatever it
still reports. Decoding for playback and file writing run on the global pool.
Heavy modules (numpy, matplotlib, the classifier) are imported on first use,
after the window is on screen.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton, QSizePolicy, QStyle, QVBoxLayout, QWidget

from urdu_genre_app.components.classify_state import (
    RECORDING,
    ClassifyState,
    ModelChanged,
    Notice,
    RecordingChanged,
    SourceChanged,
)
from urdu_genre_app.gui import settings as S
from urdu_genre_app.gui.chart_view import ChartsView
from urdu_genre_app.gui.playback_bar import PlaybackBar
from urdu_genre_app.gui.record_bar import RecordBar
from urdu_genre_app.gui.recovery_bar import RecoveryBar
from urdu_genre_app.gui.verdict_view import VerdictView
from urdu_genre_app.gui.widgets import BannerWidget, show_message_box
from urdu_genre_app.gui.workers import CancelToken, Task, run_task, serial_pool

if TYPE_CHECKING:
    from urdu_genre_app.core.classifier import Classifier, WindowReport
    from urdu_genre_app.core.results import SongResult

log = logging.getLogger(__name__)

#: Alignment of header text: left in absolute terms, so an Urdu (right-to-left) name stays at the left.
LEFT_ALIGNED = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignAbsolute | Qt.AlignmentFlag.AlignVCenter

#: Longest stretch decoded for playback, in seconds (30 min of 22,050 Hz float32 is 160 MB).
PLAYBACK_MAX_SECONDS = 30 * 60
#: File-dialog filters for export, and what each writes.
EXPORT_FILTERS = {
    "Results, one row per song (*.csv)": "csv",
    "Results, one row per segment (*.csv)": "csv-windows",
    "Results with every segment (*.json)": "json",
    "MFCC image (*.png)": "png",
}


def _classify_file_job(classifier: Classifier, path: str, token: CancelToken, report) -> SongResult:
    from urdu_genre_app.core.recording import journal_for, with_gaps

    result = classifier.classify_file(path, on_window=report, is_cancelled=token)
    journal = journal_for(path)  # a recording made (or recovered) here: its gaps travel with its result
    return with_gaps(result, journal.gaps) if journal is not None else result


def _classify_signal_job(classifier: Classifier, signal, source: str, token: CancelToken, report,
                         gaps=()) -> SongResult:
    from urdu_genre_app.core.recording import with_gaps

    result = classifier.classify_signal(signal, source=source, on_window=report, is_cancelled=token)
    return with_gaps(result, list(gaps))


def _decode_for_playback(path: str, sample_rate: int):
    from urdu_genre_app.core.audio_io import load_audio

    return load_audio(path, sample_rate=sample_rate, max_seconds=PLAYBACK_MAX_SECONDS)


def _write_export(path: str, kind: str, payload: Any) -> str:
    import json

    from urdu_genre_app.core.results import results_to_csv
    from urdu_genre_app.core.atomic import write_atomic

    if kind == "csv":
        data = results_to_csv([payload])
    elif kind == "csv-windows":
        data = results_to_csv([payload], include_windows=True)
    elif kind == "json":
        data = json.dumps(payload.to_dict(), indent=2, ensure_ascii=False) + "\n"
    else:
        data = payload
    return str(write_atomic(path, data))


class ClassifyWidget(QWidget):
    """Open, drop or record a song; watch its genre per segment; play it with a cursor.

    Attributes
    ----------
    state : ClassifyState
        The active model and everything shown; the one place they are held.
    """

    file_opened = Signal(str)
    status_message = Signal(str)
    result_changed = Signal()
    recording_changed = Signal(bool)
    analysis_finished = Signal(object)  # SongResult
    analysis_failed = Signal(str)
    folder_used = Signal(str)

    def __init__(self, settings: S.Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.state = ClassifyState()
        self.analysis_pool = serial_pool("analysis")
        self._analysis: Task | None = None
        self._decoding: Task | None = None
        #: The model the song shown was (or is being) analysed with.
        self._analysed_with: Classifier | None = None
        self._closing = False
        self._build()
        self.state.events.connect_handlers(self)

    def _build(self) -> None:
        self.banner = BannerWidget()
        self.recovery_bar = RecoveryBar(self.open_file, self._write_in_background)  # a recording never closed
        self.file_label = QLabel("No song open")
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.file_label.font()
        font.setBold(True)
        self.file_label.setFont(font)
        self.file_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        # Left whatever the script: Qt would put a right-to-left (Urdu) name at the right edge.
        self.file_label.setAlignment(LEFT_ALIGNED)
        self.open_button = QPushButton(self.style().standardIcon(QStyle.StandardPixmap.SP_DialogOpenButton), "Open…")
        self.open_button.setToolTip("Open an audio file (Ctrl+O); you can also drop one on the window")
        self.open_button.clicked.connect(self.choose_file)
        header = QHBoxLayout()
        header.addWidget(self.file_label, 1)
        header.addWidget(self.open_button)

        self.verdict_view = VerdictView(self.state)
        self.charts = ChartsView(self.state, self.settings)
        self.playback = PlaybackBar(self.state)
        self.charts.seek_requested.connect(self.playback.seek)
        self.record_bar = RecordBar(self.state, self.settings, self.analysis_pool, self._classify_recording,
                                    self._begin, self._write_in_background)
        self.record_bar.rescanning.connect(self.playback.stop)
        self.record_bar.devices_listed.connect(self.playback.refresh_output)
        self.record_bar.folder_used.connect(self.folder_used)
        bottom = QHBoxLayout()
        bottom.addWidget(self.playback, 2)  # the seek slider shrinks well; the record row has more to show
        bottom.addWidget(self.record_bar, 3)

        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.recovery_bar)
        layout.addLayout(header)
        layout.addWidget(self.verdict_view)
        layout.addWidget(self.charts, 1)
        layout.addLayout(bottom)

    # ------------------------------------------------------------------ files
    def choose_file(self) -> None:
        """Ask for an audio file and open it."""
        from urdu_genre_app.core.audio_io import AUDIO_EXTENSIONS

        patterns = " ".join(f"*{ext}" for ext in AUDIO_EXTENSIONS)
        path, _ = QFileDialog.getOpenFileName(
            self, "Open a song", self.settings.get(S.LAST_FOLDER), f"Audio files ({patterns});;All files (*)"
        )
        if path:
            self.open_file(path)

    def open_file(self, path: str) -> None:
        """Classify ``path``, showing each segment as it is scored."""
        path = os.fspath(path)
        name = Path(path).name
        self.file_opened.emit(path)
        self.folder_used.emit(str(Path(path).parent))
        self.record_bar.stop_recording(classify=False)
        state = self.state
        if state.classifier is None:
            if state.model_state == "loading":
                self._begin(path)
                state.pending_path = path
                state.wait("Verdict", "Waiting for the model to load…")
                state.notify(None, f"{name} will be classified once the model is loaded")
            else:
                self.file_label.setText(name)
                self.file_label.setToolTip(path)
                state.notify("warning", state.no_model_text(name), status="No model loaded")
            return
        self._begin(path, analysis_starts=True)
        self._analyse(_classify_file_job, path=path)
        state.notify(None, f"Classifying {name}…")

    def stop_analysis(self) -> None:
        """Cancel the running analysis and playback decoding; what they still report is dropped."""
        for task in (self._analysis, self._decoding):
            if task is not None:
                task.cancel()

    def _begin(self, source: str, analysis_starts: bool = False) -> None:
        """Stop what runs for the previous song, forget it and show an empty view for ``source``."""
        self.stop_analysis()
        self.banner.dismiss()
        self.state.begin(source, analysis_starts=analysis_starts)
        self.result_changed.emit()

    def _analyse(self, job: Callable[..., SongResult], **kwargs: Any) -> None:
        """Classify the current source with ``job`` (the one launch, for files and recordings);
        the analysis it supersedes, if any, is cancelled."""
        if self._analysis is not None:
            self._analysis.cancel()
        self._analysed_with = self.state.classifier
        self._analysis = run_task(job, self._on_analysis_done, on_progress=self._on_window_scored,
                                  pool=self.analysis_pool, cancellable=True, classifier=self.state.classifier,
                                  **kwargs)

    def _classify_recording(self, signal, sample_rate: int, gaps=()) -> None:
        """The final verdict of a finished recording: classified whole, as a file is (its ``gaps`` noted)."""
        self.state.set_audio(signal, sample_rate)
        self.state.restart_analysis()
        self._analyse(_classify_signal_job, signal=signal, source=RECORDING, gaps=list(gaps))

    # ------------------------------------------------------------------ analysis
    def _on_window_scored(self, report: WindowReport) -> None:
        """Add one scored window to the state; decode for playback once the first has come."""
        state = self.state
        state.add_window(report)
        if len(state.windows) == 1 and state.source != RECORDING and not state.audio_seconds:
            self._decoding = run_task(_decode_for_playback, self._on_playback_audio, path=state.source,
                                      sample_rate=state.sample_rate)

    def _on_analysis_done(self, result: SongResult | None, error: BaseException | None) -> None:
        """Show the final verdict, or say why there is none."""
        from urdu_genre_app.core.errors import CancelledError, UrduGenreError

        if isinstance(error, CancelledError):
            self.state.analysing = False
            return
        if error is not None:
            message = str(error) if isinstance(error, UrduGenreError) else f"unexpected error: {type(error).__name__}: {error}"
            self.state.fail(message)
            self.state.notify("error", f"Cannot classify {message}", status=f"Cannot classify: {message}")
            self.analysis_failed.emit(message)
            return
        self.state.finish(result)
        self.state.notify(None, f"{Path(result.path).name}: {result.verdict_text()}")
        self.result_changed.emit()
        self.analysis_finished.emit(result)

    def _on_playback_audio(self, samples, error: BaseException | None) -> None:
        """Load the decoded song into the player."""
        if error is not None:
            log.warning("cannot decode for playback: %s", error)
            return
        self.state.set_audio(samples, self.state.sample_rate)
        if self.state.audio_seconds >= PLAYBACK_MAX_SECONDS - 1:
            self.state.notify(None, f"Playback covers the first {PLAYBACK_MAX_SECONDS // 60} minutes of this long file")

    # ------------------------------------------------------------------ export
    def export(self) -> None:
        """Ask for a file and export the results (CSV/JSON) or the MFCC image (PNG)."""
        if self.state.result is None:
            self.status_message.emit("Nothing to export yet")
            return
        stem = Path(self.state.source).stem if self.state.source != RECORDING else "recording"
        start = str(Path(self.settings.get(S.LAST_FOLDER) or Path.home()) / f"{stem}-genre.csv")
        path, chosen = QFileDialog.getSaveFileName(self, "Export", start, ";;".join(EXPORT_FILTERS))
        if path:
            kind = EXPORT_FILTERS.get(chosen, "csv")
            suffix = {"csv": ".csv", "csv-windows": ".csv", "json": ".json", "png": ".png"}[kind]
            if Path(path).suffix.lower() != suffix:
                path = str(Path(path).with_suffix(suffix))
            self.export_to(path, kind)

    def export_to(self, path: str, kind: str) -> None:
        """Write the results as ``kind`` ("csv", "csv-windows", "json" or "png") to ``path``, atomically."""
        if self.state.result is None:
            return
        if kind == "png":
            self.charts.ensure_charts()
            payload = self.charts.mfcc_view.png_bytes()
        else:
            payload = self.state.result
        self.folder_used.emit(str(Path(path).parent))
        self._write_in_background("Export", _write_export, path=path, kind=kind, payload=payload)

    def _write_in_background(self, what: str, func: Callable[..., Any], **kwargs: Any) -> None:
        """Run a file write off the GUI thread; say when it is written, or why not."""
        run_task(func, partial(self._on_saved, what), **kwargs)

    def _on_saved(self, what: str, path: str | None, error: BaseException | None) -> None:
        """Report a finished (or failed) write."""
        if error is not None:
            message = f"{what} failed: {error}"
            self.state.notify("error", message)
            if not self._closing:
                show_message_box(self, QMessageBox.Icon.Warning, f"{what} failed", str(error))
        else:
            self.state.notify(None, f"{what} written to {path}")

    # ------------------------------------------------------------------ state events
    def _on_model(self, event: ModelChanged) -> None:
        """Classify the file that waited for this model, or analyse the song shown again with a new one."""
        state = self.state
        if event.classifier is None:
            return
        if state.pending_path:
            self.open_file(state.pending_path)
        elif event.classifier is not self._analysed_with and (state.result is not None or state.analysing):
            self.reanalyse()

    def reanalyse(self) -> None:
        """Classify the song shown again, with the active model (a finished recording: its file)."""
        state = self.state
        if state.recording or state.classifier is None:
            return
        path = self.record_bar.recording_path if state.source == RECORDING else state.source
        if not path or not Path(path).exists():
            state.notify("warning", f"{state.source_name} cannot be analysed again with the new model: "
                         "its file is gone. Open it again.")
            return
        name = Path(path).name
        self._begin(path, analysis_starts=True)
        self._analyse(_classify_file_job, path=path)
        state.notify(None, f"Analysing {name} again with {state.classifier.bundle.display_name}…")

    def _on_source(self, event: SourceChanged) -> None:
        self.file_label.setText(self.state.source_name)
        self.file_label.setToolTip(event.source)

    def _on_notice(self, notice: Notice) -> None:
        if notice.level is not None:
            self.banner.show_message(notice.level, notice.text)
        status = notice.text if notice.status is None else notice.status
        if status:
            self.status_message.emit(status)

    def _on_recording(self, event: RecordingChanged) -> None:
        if event.changed:
            self.recording_changed.emit(event.active)

    def shutdown(self) -> None:
        """Stop everything before the window closes: cancel analysis, finalise a recording, stop sound."""
        self._closing = True
        self.stop_analysis()
        self.charts.stop()
        self.playback.stop()
        self.record_bar.stop()
        self.analysis_pool.clear()
        self.analysis_pool.waitForDone(5000)
