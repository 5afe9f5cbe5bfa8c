"""The Classify tab: a song (opened or recorded) in, its genre per segment out, live.

The GUI thread only touches widgets. Classification runs on a single-thread
pool (a new song cancels the running one: its ``is_cancelled`` flag makes the
classifier raise ``CancelledError``, which is dropped quietly); decoding for
playback and file writing run on the global pool. Every job carries the
*generation* it was started for, so a late answer about a previous song is
ignored.

Heavy modules (numpy, matplotlib, the classifier) are imported on first use,
after the window is on screen.
"""

from __future__ import annotations

import logging
import os
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSplitter,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from urdu_genre_app.gui import settings as S
from urdu_genre_app.gui.qtcompat import emit
from urdu_genre_app.gui.widgets import BannerWidget, LevelMeterWidget, VerdictWidget, show_message_box
from urdu_genre_app.gui.workers import CancelToken, run_task, serial_pool

if TYPE_CHECKING:
    from urdu_genre_app.core.classifier import Classifier, WindowReport
    from urdu_genre_app.core.results import SongResult
    from urdu_genre_app.gui.audio import InputDevice, Player, Recorder
    from urdu_genre_app.gui.charts import MfccWidget, SegmentChartWidget
    from urdu_genre_app.gui.live import LiveOutcome, LiveSession

log = logging.getLogger(__name__)

#: Cursor refresh period while playing, in milliseconds.
CURSOR_INTERVAL_MS = 30
#: Chart redraws are coalesced to at most one per this many milliseconds.
REDRAW_INTERVAL_MS = 80
#: Longest stretch decoded for playback, in seconds (30 min of 22,050 Hz float32 is 160 MB).
PLAYBACK_MAX_SECONDS = 30 * 60
#: Delay before the previous song's charts are cleared when the new one has no bar yet (ms).
CLEAR_AFTER_MS = 250
#: File-dialog filters for export, and what each writes.
EXPORT_FILTERS = {
    "Results, one row per song (*.csv)": "csv",
    "Results, one row per segment (*.csv)": "csv-windows",
    "Results with every segment (*.json)": "json",
    "MFCC image (*.png)": "png",
}


def segments(count: int) -> str:
    """``"1 segment"``, ``"3 segments"``."""
    return f"{count} segment" if count == 1 else f"{count} segments"


def clock(seconds: float) -> str:
    """``m:ss`` for a time in seconds."""
    minutes, secs = divmod(int(max(0.0, seconds)), 60)
    return f"{minutes}:{secs:02d}"


def _classify_file_job(classifier: Classifier, path: str, token: CancelToken, report) -> SongResult:
    return classifier.classify_file(path, on_window=report, is_cancelled=token)


def _classify_signal_job(classifier: Classifier, signal, source: str, token: CancelToken, report) -> SongResult:
    return classifier.classify_signal(signal, source=source, on_window=report, is_cancelled=token)


def _decode_for_playback(path: str):
    from urdu_genre_app.core.audio_io import load_audio

    return load_audio(path, max_seconds=PLAYBACK_MAX_SECONDS)


def _write_export(path: str, kind: str, payload: Any) -> str:
    import json

    from urdu_genre_app.core.results import results_to_csv
    from urdu_genre_app.gui.files import write_atomic

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
    """Open, drop or record a song; watch its genre per segment; play it with a cursor."""

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
        self.classifier: Classifier | None = None
        self.model_state = "loading"  # "loading", "ready", "none" or "error"
        self.pending_path: str | None = None
        self.generation = 0
        self.token = CancelToken()
        self.source = ""  # file path, or "recording"
        self.windows: list = []
        self.features: list = []
        self.result: SongResult | None = None
        self.analysing = False
        self.live: LiveSession | None = None
        self.live_job_running = False
        self.recording_path: str | None = None
        self.devices: list[InputDevice] = []
        self.devices_error: str | None = None
        self.analysis_pool = serial_pool("analysis")
        self._player: Player | None = None
        self._recorder: Recorder | None = None
        self.segment_chart: SegmentChartWidget | None = None
        self.mfcc_view: MfccWidget | None = None
        self._closing = False
        self._build()
        self._cursor_timer = QTimer(self)
        self._cursor_timer.setInterval(CURSOR_INTERVAL_MS)
        self._cursor_timer.timeout.connect(self._on_cursor_tick)
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(REDRAW_INTERVAL_MS)
        self._redraw_timer.timeout.connect(self._redraw_charts)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        style = self.style()
        self.banner = BannerWidget()
        self.file_label = QLabel("No song open")
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.file_label.font()
        font.setBold(True)
        self.file_label.setFont(font)
        self.file_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.open_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_DialogOpenButton), "Open…")
        self.open_button.setToolTip("Open an audio file (Ctrl+O); you can also drop one on the window")
        self.open_button.clicked.connect(self.choose_file)
        header = QHBoxLayout()
        header.addWidget(self.file_label, 1)
        header.addWidget(self.open_button)

        self.verdict = VerdictWidget()
        self.verdict.show_waiting("Verdict", "Open, drop or record a song")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("Idle")
        self.progress.setMaximumHeight(18)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        for text in ("Loading charts…", "Loading the MFCC view…"):
            placeholder = QLabel(text)
            placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
            placeholder.setMinimumHeight(150)
            placeholder.setStyleSheet("color: #777777; background: white; border: 1px solid #dddddd;")
            self.splitter.addWidget(placeholder)

        # Playback
        self.play_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Play")
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.clicked.connect(self.toggle_playback)
        self.stop_button = QToolButton()
        self.stop_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaStop))
        self.stop_button.setToolTip("Stop")
        self.stop_button.clicked.connect(self.stop_playback)
        self.seek_slider = QSlider(Qt.Orientation.Horizontal)
        self.seek_slider.setRange(0, 0)
        self.seek_slider.setToolTip("Seek (or click the charts)")
        self.seek_slider.sliderMoved.connect(self._on_seek_slider_moved)
        self.time_label = QLabel("0:00 / 0:00")
        self.time_label.setMinimumWidth(self.time_label.fontMetrics().horizontalAdvance("00:00 / 00:00") + 6)
        playback = QGroupBox("Playback")
        row = QHBoxLayout(playback)
        row.addWidget(self.play_button)
        row.addWidget(self.stop_button)
        row.addWidget(self.seek_slider, 1)
        row.addWidget(self.time_label)

        # Recording
        self.device_combo = QComboBox()
        self.device_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.device_combo.setMinimumContentsLength(8)
        self.device_combo.addItem("Looking for input devices…")
        self.device_combo.setToolTip("Input device to record from")
        self.device_combo.setMinimumWidth(110)
        self.device_combo.currentIndexChanged.connect(self._on_device_changed)
        self.refresh_devices_button = QToolButton()
        self.refresh_devices_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload))
        self.refresh_devices_button.setToolTip("Look for input devices again")
        self.refresh_devices_button.clicked.connect(lambda: self.refresh_devices(rescan=True))
        self.record_button = QPushButton("● Record")
        self.record_button.setToolTip("Record from the input device and classify live (Ctrl+R)")
        self.record_button.clicked.connect(self.toggle_recording)
        self.level_meter = LevelMeterWidget()
        self.level_meter.setMinimumWidth(50)
        self.record_time_label = QLabel("0:00")
        self.save_recording_button = QPushButton("Save…")
        self.save_recording_button.setToolTip("Save the last recording as WAV or FLAC")
        self.save_recording_button.setEnabled(False)
        self.save_recording_button.clicked.connect(self.choose_recording_destination)
        recording = QGroupBox("Record")
        row = QHBoxLayout(recording)
        row.addWidget(self.device_combo, 2)
        row.addWidget(self.refresh_devices_button)
        row.addWidget(self.record_button)
        row.addWidget(self.level_meter, 1)
        row.addWidget(self.record_time_label)
        row.addWidget(self.save_recording_button)

        bottom = QHBoxLayout()
        bottom.addWidget(playback, 1)
        bottom.addWidget(recording, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(header)
        layout.addWidget(self.verdict)
        layout.addWidget(self.progress)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(bottom)
        self._update_controls()

    # ------------------------------------------------------------------ charts
    def ensure_charts(self) -> None:
        """Create the matplotlib views (imports matplotlib the first time)."""
        if self.segment_chart is not None:
            return
        from urdu_genre_app.gui.charts import MfccWidget, SegmentChartWidget

        self.segment_chart = SegmentChartWidget()
        self.mfcc_view = MfccWidget()
        for index, chart in enumerate((self.segment_chart, self.mfcc_view)):
            old = self.splitter.widget(index)
            self.splitter.replaceWidget(index, chart)
            old.deleteLater()
            chart.seek_requested.connect(self._on_chart_seek_requested)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        state = self.settings.get(S.SPLITTER_STATE)
        if state:
            from PySide6.QtCore import QByteArray

            self.splitter.restoreState(QByteArray(state))
        if self.windows or self.result is not None:
            self._redraw_charts()

    # ------------------------------------------------------------------ model
    def set_model_loading(self) -> None:
        """Show that a model is being loaded."""
        self.model_state = "loading"
        self.classifier = None
        self._update_controls()

    def set_classifier(self, classifier: Classifier | None, state: str = "ready") -> None:
        """Use ``classifier`` from now on (None: no model, ``state`` says why)."""
        self.classifier = classifier
        self.model_state = state if classifier is None else "ready"
        if classifier is not None and self.result is None and not self.analysing and self.live is None:
            self.verdict.show_waiting("Verdict", "Open, drop or record a song", classifier.labels)
        elif classifier is None and state == "none":
            self.verdict.show_waiting("No model installed", "Load a model to classify (File ▸ Load model…)")
        self._update_controls()
        if classifier is not None and self.pending_path:
            path, self.pending_path = self.pending_path, None
            self.open_file(path)

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
        emit(self.file_opened, path)
        emit(self.folder_used, str(Path(path).parent))
        if self.recorder_is_active():
            self.stop_recording(classify=False)
        if self.classifier is None:
            if self.model_state == "loading":
                self.pending_path = path
                self._begin(path)
                self.verdict.show_waiting("Verdict", "Waiting for the model to load…")
                emit(self.status_message, f"{Path(path).name} will be classified once the model is loaded")
            else:
                self.file_label.setText(Path(path).name)
                self.file_label.setToolTip(path)
                self._show_no_model(Path(path).name)
            return
        self._begin(path, redraw=False)
        self.analysing = True
        generation = self.generation
        run_task(
            _classify_file_job,
            partial(self._on_analysis_done, generation),
            on_progress=partial(self._on_window_scored, generation),
            pool=self.analysis_pool,
            classifier=self.classifier,
            path=path,
            token=self.token,
        )
        # Clearing the charts costs a redraw; if the first bar comes quickly it
        # replaces the old song anyway, so only clear if it is slow to come.
        self._set_cursor(None)
        QTimer.singleShot(CLEAR_AFTER_MS, partial(self._clear_if_still_empty, generation))
        emit(self.status_message, f"Classifying {Path(path).name}…")
        self._update_controls()

    def _begin(self, source: str, redraw: bool = True) -> None:
        """Cancel whatever runs, forget the previous song and show an empty view for ``source``."""
        self.token.cancel()
        self.token = CancelToken()
        self.generation += 1
        self.source = source
        self.windows, self.features, self.result = [], [], None
        self.analysing = False
        self.banner.dismiss()
        if self._player is not None:
            self._player.set_audio(None)
        self.seek_slider.setRange(0, 0)
        self.time_label.setText("0:00 / 0:00")
        self.file_label.setText(Path(source).name if source != "recording" else "Recording")
        self.file_label.setToolTip(source)
        labels = self.classifier.labels if self.classifier is not None else None
        self.verdict.show_waiting("Verdict", "Analysing…", labels)
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setFormat("Decoding…")
        if redraw:
            self._redraw_charts()
        emit(self.result_changed)

    def _clear_if_still_empty(self, generation: int) -> None:
        """Clear the previous song's charts if the new one has no bar yet."""
        if generation == self.generation and not self.windows and not self._closing:
            self._redraw_charts()

    def _show_no_model(self, name: str | None = None) -> None:
        what = f"“{name}” cannot be classified" if name else "nothing can be classified"
        text = f"No model is installed, so {what}. Load a model bundle with File ▸ Load model…"
        if self.model_state == "error":
            text = f"The model could not be loaded, so {what}. Load another with File ▸ Load model…"
        self.banner.show_message("warning", text)
        emit(self.status_message, "No model loaded")

    # ------------------------------------------------------------------ analysis
    def _on_window_scored(self, generation: int, report: WindowReport) -> None:
        """Add one scored window to the charts and the running verdict."""
        if generation != self.generation or self._closing:
            return
        first = not self.windows
        self.windows.append(report.result)
        self.features.append(report.features)
        if report.progress is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 100)
            self.progress.setValue(int(report.progress * 100))
            self.progress.setFormat(f"Analysing… %p%  ({segments(len(self.windows))})")
        from urdu_genre_app.core.results import SongResult

        interim = SongResult(path=self.source, labels=self.classifier.labels if self.classifier else [],
                             windows=list(self.windows), model_name="")
        self.verdict.show_result(interim, heading=f"Analysing… verdict so far ({segments(len(self.windows))})")
        if first:
            self._redraw_charts(mfcc=False)  # the first bar at once; its MFCC image a moment later
            self._redraw_timer.start()
            if self.source != "recording" and (self._player is None or not self._player.has_audio):
                run_task(_decode_for_playback, partial(self._on_playback_audio, generation), path=self.source)
        elif not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def _on_analysis_done(self, generation: int, result: SongResult | None, error: BaseException | None) -> None:
        """Show the final verdict, or say why there is none."""
        if generation != self.generation or self._closing:
            return
        from urdu_genre_app.core.errors import CancelledError, UrduGenreError

        self.analysing = False
        self.progress.setRange(0, 100)
        if isinstance(error, CancelledError):
            return
        if error is not None:
            message = str(error) if isinstance(error, UrduGenreError) else f"unexpected error: {type(error).__name__}: {error}"
            self.progress.setValue(0)
            self.progress.setFormat("Failed")
            self.verdict.show_waiting("Verdict", "Cannot classify this file")
            self.banner.show_message("error", f"Cannot classify {message}")
            emit(self.status_message, f"Cannot classify: {message}")
            emit(self.analysis_failed, message)
            self._update_controls()
            return
        self.result = result
        self.windows = list(result.windows)
        self.progress.setValue(100)
        self.progress.setFormat(f"Done: {segments(len(result.windows))}, {clock(result.duration_seconds)}")
        heading = "Verdict" if self.source != "recording" else f"Verdict for the recording ({clock(result.duration_seconds)})"
        self.verdict.show_result(result, heading=heading)
        self._redraw_timer.stop()
        self._redraw_charts()
        emit(self.status_message, f"{Path(result.path).name}: {result.verdict_text()}")
        emit(self.result_changed)
        emit(self.analysis_finished, result)
        self._update_controls()

    @Slot()
    def _redraw_charts(self, mfcc: bool = True) -> None:
        """Draw the windows known so far (the segment chart, and the MFCC image unless told not to)."""
        if self.segment_chart is None or self.mfcc_view is None:
            return
        labels = self.classifier.labels if self.classifier is not None else self.segment_chart.labels
        duration = self.result.duration_seconds if self.result is not None else 0.0
        if self._player is not None and self._player.has_audio:
            duration = max(duration, self._player.duration)
        self.segment_chart.set_result(labels, self.windows, duration)
        if not mfcc:
            return
        if self.classifier is not None and self.features:
            self.mfcc_view.set_features(self.windows[: len(self.features)], self.features,
                                        self.classifier.bundle.feature_params, duration)
        elif not self.features:
            self.mfcc_view.clear()

    # ------------------------------------------------------------------ playback
    @property
    def player(self) -> Player:
        """The audio player (created on first use)."""
        if self._player is None:
            from urdu_genre_app.gui.audio import Player

            self._player = Player(self)
            self._player.state_changed.connect(self._on_player_state_changed)
            self._player.error.connect(self._on_player_error)
        return self._player

    def _on_playback_audio(self, generation: int, samples, error: BaseException | None) -> None:
        """Load the decoded song into the player."""
        if generation != self.generation or self._closing:
            return
        if error is not None:
            log.warning("cannot decode for playback: %s", error)
            return
        from urdu_genre_app.core.features import SAMPLE_RATE

        self.player.set_audio(samples, SAMPLE_RATE)
        self.seek_slider.setRange(0, int(self.player.duration * 1000))
        self._update_time(0.0)
        self._set_cursor(0.0)
        self._update_controls()
        if self.player.duration >= PLAYBACK_MAX_SECONDS - 1:
            emit(self.status_message, f"Playback covers the first {PLAYBACK_MAX_SECONDS // 60} minutes of this long file")

    def toggle_playback(self) -> None:
        """Play or pause the current song."""
        if self._player is None or not self._player.has_audio:
            emit(self.status_message, "Nothing to play yet")
            return
        self._player.toggle()

    def stop_playback(self) -> None:
        """Stop and rewind."""
        if self._player is not None:
            self._player.stop()
            self._set_cursor(0.0 if self._player.has_audio else None)
            self._update_time(0.0)

    def seek(self, seconds: float) -> None:
        """Jump to ``seconds``."""
        if self._player is None or not self._player.has_audio:
            return
        self._player.seek(seconds)
        position = self._player.position() if self._player.state == "playing" else min(seconds, self._player.duration)
        self._set_cursor(position)
        self._update_time(position)

    def _on_chart_seek_requested(self, seconds: float) -> None:
        """Seek where a chart was clicked."""
        self.seek(seconds)

    def _on_seek_slider_moved(self, value: int) -> None:
        """Seek where the slider was dragged."""
        self.seek(value / 1000.0)

    def _on_player_state_changed(self, state: str) -> None:
        """Follow the player: cursor timer, play/pause button."""
        playing = state == "playing"
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setText("Pause" if playing else "Play")
        if playing:
            self._cursor_timer.start()
        else:
            self._cursor_timer.stop()
            self._on_cursor_tick()

    def _on_player_error(self, message: str) -> None:
        """Say why playback failed."""
        self.banner.show_message("error", message)
        emit(self.status_message, message)

    @Slot()
    def _on_cursor_tick(self) -> None:
        """Move the cursor to what is being heard."""
        if self._player is None:
            return
        position = self._player.position()
        if self._player.ended and self._player.state == "playing" and position >= self._player.duration - 0.05:
            self._player.stop()
            position = 0.0
        self._set_cursor(position if self._player.has_audio else None)
        self._update_time(position)

    def _set_cursor(self, seconds: float | None) -> None:
        for chart in (self.segment_chart, self.mfcc_view):
            if chart is not None:
                chart.set_cursor(seconds)

    def _update_time(self, seconds: float) -> None:
        duration = self._player.duration if self._player is not None else 0.0
        self.time_label.setText(f"{clock(seconds)} / {clock(duration)}")
        if not self.seek_slider.isSliderDown():
            with QSignalBlocker(self.seek_slider):
                self.seek_slider.setValue(int(seconds * 1000))

    @property
    def cursor_seconds(self) -> float | None:
        """Where the charts' cursor is."""
        return self.segment_chart.cursor_seconds if self.segment_chart is not None else None

    # ------------------------------------------------------------------ recording
    @property
    def recorder(self) -> Recorder:
        """The recorder (created on first use)."""
        if self._recorder is None:
            from urdu_genre_app.gui.audio import Recorder

            self._recorder = Recorder(self)
            self._recorder.level.connect(self.level_meter.set_level)
            self._recorder.audio.connect(self._on_recorded_audio)
            self._recorder.failed.connect(self._on_recording_failed)
            self._recorder.finished.connect(self._on_recording_finished)
        return self._recorder

    def recorder_is_active(self) -> bool:
        """True while recording."""
        return self._recorder is not None and self._recorder.is_recording

    def refresh_devices(self, rescan: bool = False) -> None:
        """List input devices (off the GUI thread)."""
        if self.recorder_is_active():
            return
        if rescan and self._player is not None:
            self._player.stop()
        self.refresh_devices_button.setEnabled(False)
        run_task(_list_devices, self._on_devices_listed, rescan=rescan)

    def _on_devices_listed(self, devices, error: BaseException | None) -> None:
        """Fill the device menu, selecting the remembered device."""
        if self._closing:
            return
        self.refresh_devices_button.setEnabled(True)
        self.devices = list(devices or [])
        self.devices_error = str(error) if error is not None else None
        remembered = self.settings.get(S.INPUT_DEVICE)
        with QSignalBlocker(self.device_combo):
            self.device_combo.clear()
            if self.devices:
                for device in self.devices:
                    suffix = " (default)" if device.is_default else ""
                    self.device_combo.addItem(f"{device.name}{suffix}", device.index)
                names = [d.name for d in self.devices]
                self.device_combo.setCurrentIndex(names.index(remembered) if remembered in names else 0)
                self.device_combo.setToolTip("Input device to record from")
            else:
                self.device_combo.addItem("No input device")
                self.device_combo.setToolTip(self.devices_error or "No microphone or line input was found")
        self._update_controls()

    def _on_device_changed(self, index: int) -> None:
        """Remember the chosen input device."""
        if 0 <= index < len(self.devices):
            self.settings.set(S.INPUT_DEVICE, self.devices[index].name)

    def selected_device(self) -> InputDevice | None:
        """The input device chosen in the menu."""
        index = self.device_combo.currentIndex()
        return self.devices[index] if 0 <= index < len(self.devices) else None

    def toggle_recording(self) -> None:
        """Start or stop recording."""
        if self.recorder_is_active():
            self.stop_recording()
        else:
            self.start_recording()

    def start_recording(self) -> None:
        """Record from the chosen device into a new file, classifying as it goes."""
        from urdu_genre_app.gui.audio import AudioDeviceError
        from urdu_genre_app.gui.files import new_recording_path

        if self.classifier is None:
            self._show_no_model()
            return
        device = self.selected_device()
        if device is None:
            reason = f" ({self.devices_error})" if self.devices_error else ""
            message = (f"No input device found{reason}. Connect a microphone or line input, "
                       "then press the refresh button next to the device menu.")
            self.banner.show_message("error", message)
            emit(self.status_message, "No input device")
            return
        self._begin("recording")
        try:
            path = new_recording_path()
            self.recorder.start(device, path)
        except (AudioDeviceError, OSError) as error:
            self.banner.show_message("error", str(error))
            self.verdict.show_waiting("Verdict", "Recording failed")
            emit(self.status_message, str(error))
            return
        from urdu_genre_app.gui.live import FIRST_VERDICT_SECONDS, LiveSession

        self.recording_path = str(path)
        self.live = LiveSession(self.classifier)
        self.live_job_running = False
        self.verdict.show_waiting(
            "Recording…", f"Listening — a first, provisional verdict after {FIRST_VERDICT_SECONDS:g} s",
            self.classifier.labels)
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setFormat("● Recording 0:00")
        self.save_recording_button.setEnabled(False)
        self.record_button.setText("■ Stop recording")
        emit(self.status_message, f"Recording from {device.name} into {path}")
        emit(self.recording_changed, True)
        self._update_controls()

    def stop_recording(self, classify: bool = True) -> None:
        """Stop recording; the whole recording is then classified once more for the final verdict."""
        if not self.recorder_is_active():
            return
        self.recorder.stop()  # drains the last audio into self.live synchronously
        self.level_meter.reset()
        self.record_button.setText("● Record")
        emit(self.recording_changed, False)
        live, self.live = self.live, None
        self.progress.setRange(0, 100)
        if live is None or not classify or self.classifier is None:
            self._update_controls()
            return
        signal = live.signal()
        if live.total < live.min_samples:
            min_seconds = live.min_samples / live.sample_rate
            self.verdict.show_waiting("Verdict", f"Too short to classify (under {min_seconds:g} s)")
            self.progress.setFormat("Recording too short")
            self._update_controls()
            return
        from urdu_genre_app.core.features import SAMPLE_RATE

        self.player.set_audio(signal, SAMPLE_RATE)
        self.seek_slider.setRange(0, int(self.player.duration * 1000))
        self._update_time(0.0)
        self.token.cancel()
        self.token = CancelToken()
        self.generation += 1
        self.windows, self.features, self.result = [], [], None
        self.analysing = True
        generation = self.generation
        self.verdict.show_waiting("Verdict", "Classifying the whole recording…", self.classifier.labels)
        run_task(
            _classify_signal_job,
            partial(self._on_analysis_done, generation),
            on_progress=partial(self._on_window_scored, generation),
            pool=self.analysis_pool,
            classifier=self.classifier,
            signal=signal,
            source="recording",
            token=self.token,
        )
        self._update_controls()

    def _on_recorded_audio(self, samples) -> None:
        """Feed newly recorded audio (at the model's rate) to the live classifier."""
        if self.live is None:
            return
        self.live.append(samples)
        self.record_time_label.setText(clock(self.live.seconds))
        scored = f", {segments(len(self.live.windows))} scored" if self.live.windows else ""
        self.progress.setFormat(f"● Recording {clock(self.live.seconds)}{scored}")
        self._start_live_job()

    def _start_live_job(self) -> None:
        if self.live is None or self.live_job_running or self.classifier is None:
            return
        job = self.live.next_job()
        if job is None:
            return
        from urdu_genre_app.gui.live import run_live_job

        self.live_job_running = True
        run_task(run_live_job, partial(self._on_live_job_done, self.generation, self.live),
                 pool=self.analysis_pool, classifier=self.classifier, job=job)

    def _on_live_job_done(self, generation: int, live: LiveSession, outcome: LiveOutcome | None,
                          error: BaseException | None) -> None:
        """Show the live verdict and segments; start the next job if audio is waiting."""
        if live is self.live or self.live is None:
            self.live_job_running = False
        if generation != self.generation or live is not self.live or self._closing:
            return
        if error is not None:
            log.warning("live classification failed: %s", error)
            self.banner.show_message("warning", f"Live classification failed: {error}")
            return
        live.accept(outcome)
        result = live.song_result()
        if result is not None:
            if live.is_provisional:
                heading = f"PROVISIONAL verdict — {live.seconds:.1f} s heard so far (looped to fill a window)"
            else:
                heading = f"Live verdict — {segments(len(live.windows))}, {clock(live.seconds)} recorded"
            self.verdict.show_result(result, heading=heading)
            self.windows = list(result.windows)
            self.features = live.shown_features()
            self._redraw_charts()
        self._start_live_job()

    def _on_recording_failed(self, message: str) -> None:
        """Say why recording stopped."""
        self.banner.show_message("error", message)
        emit(self.status_message, message)

    def _on_recording_finished(self, path: str) -> None:
        """The recording file is complete."""
        self.recording_path = path
        self.save_recording_button.setEnabled(True)
        emit(self.status_message, f"Recording saved to {path} — use “Save recording…” to keep a copy elsewhere")

    def choose_recording_destination(self) -> None:
        """Ask where to save the recording (WAV or FLAC) and copy it there."""
        if not self.recording_path:
            return
        start = str(Path(self.settings.get(S.LAST_FOLDER) or Path.home()) / Path(self.recording_path).name)
        path, chosen = QFileDialog.getSaveFileName(self, "Save recording", start, "WAV audio (*.wav);;FLAC audio (*.flac)")
        if path:
            if not Path(path).suffix:
                path += ".flac" if "FLAC" in chosen else ".wav"
            self.save_recording(path)

    def save_recording(self, path: str) -> None:
        """Copy the recording to ``path`` (off the GUI thread)."""
        from urdu_genre_app.gui.files import save_recording_as

        emit(self.folder_used, str(Path(path).parent))
        run_task(save_recording_as, partial(self._on_saved, "Recording"), source=self.recording_path, destination=path)

    # ------------------------------------------------------------------ export
    def export(self) -> None:
        """Ask for a file and export the results (CSV/JSON) or the MFCC image (PNG)."""
        if self.result is None:
            emit(self.status_message, "Nothing to export yet")
            return
        stem = Path(self.source).stem if self.source != "recording" else "recording"
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
        if self.result is None:
            return
        if kind == "png":
            self.ensure_charts()
            payload = self.mfcc_view.png_bytes()
        else:
            payload = self.result
        emit(self.folder_used, str(Path(path).parent))
        run_task(_write_export, partial(self._on_saved, "Export"), path=path, kind=kind, payload=payload)

    def _on_saved(self, what: str, path: str | None, error: BaseException | None) -> None:
        """Report a finished (or failed) write."""
        if error is not None:
            message = f"{what} failed: {error}"
            self.banner.show_message("error", message)
            emit(self.status_message, message)
            if not self._closing:
                show_message_box(self, QMessageBox.Icon.Warning, f"{what} failed", str(error))
        else:
            emit(self.status_message, f"{what} written to {path}")

    # ------------------------------------------------------------------ state
    def _update_controls(self) -> None:
        has_audio = self._player is not None and self._player.has_audio
        recording = self.recorder_is_active()
        self.play_button.setEnabled(has_audio and not recording)
        self.stop_button.setEnabled(has_audio and not recording)
        self.seek_slider.setEnabled(has_audio and not recording)
        self.device_combo.setEnabled(bool(self.devices) and not recording)
        self.refresh_devices_button.setEnabled(not recording)
        self.record_button.setEnabled(self.classifier is not None or recording)

    def shutdown(self) -> None:
        """Stop everything before the window closes: cancel analysis, finalise a recording, stop sound."""
        self._closing = True
        self.token.cancel()
        self._cursor_timer.stop()
        self._redraw_timer.stop()
        if self._recorder is not None:
            if self._recorder.is_recording:
                self._recorder.stop()
            self._recorder.wait_for_writer(5000)
        if self._player is not None:
            self._player.stop()
        self.analysis_pool.clear()
        self.analysis_pool.waitForDone(5000)
        self.settings.set(S.SPLITTER_STATE, bytes(self.splitter.saveState().data()))


def _list_devices(rescan: bool):
    from urdu_genre_app.gui.audio import list_input_devices, rescan_devices

    if rescan:
        rescan_devices()
    return list_input_devices()
