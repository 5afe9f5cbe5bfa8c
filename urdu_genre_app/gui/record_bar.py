"""The Record bar: choose an input, record into a growing file, classify live, save the recording.

While recording, each newly recorded stretch goes to a
:class:`~urdu_genre_app.components.live_session.LiveSession`, which says what to score next;
one live job runs at a time on the analysis pool and its verdict is shown
through the :class:`ClassifyState`. When recording stops, the whole
recording is handed to the caller (``classify_recording``) for the final
verdict, as a file would be.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSignalBlocker, QThreadPool, Signal
from PySide6.QtWidgets import QFileDialog, QGroupBox, QHBoxLayout, QLabel, QPushButton, QStyle, QToolButton, QWidget

from urdu_genre_app.components.classify_state import RECORDING, ClassifyState, ModelChanged, RecordingChanged
from urdu_genre_app.gui import settings as S
from urdu_genre_app.components.formatting import clock, segments
from urdu_genre_app.gui.widgets import ElidingComboBox, LevelMeterWidget
from urdu_genre_app.gui.workers import Task, run_task

if TYPE_CHECKING:
    import numpy as np

    from urdu_genre_app.components.live_session import LiveOutcome, LiveSession
    from urdu_genre_app.core.audio_devices import InputDevice
    from urdu_genre_app.gui.audio import Recorder

log = logging.getLogger(__name__)


def _list_devices(rescan: bool) -> list[InputDevice]:
    from urdu_genre_app.core.audio_devices import list_input_devices, rescan_devices

    if rescan:
        rescan_devices()
    return list_input_devices()


class RecordBar(QGroupBox):
    """Input device menu, record button, level meter, recorded time and "Save…".

    Parameters
    ----------
    state : ClassifyState
        What is shown; recording makes the recording its source.
    settings : Settings
        Remembers the chosen input device.
    analysis_pool : QThreadPool
        Where live jobs run (one at a time, as every analysis).
    classify_recording : callable
        ``classify_recording(signal, sample_rate)``: the final verdict of a
        finished recording, shape (n,) float32.
    begin : callable
        ``begin(source)``: forget the song shown and show ``source``.
    write_file : callable
        ``write_file(what, func, **kwargs)``: runs a file write off the GUI
        thread and reports it (shared with export).

    Signals
    -------
    rescanning()
        The sound system is about to be restarted (stop playing first).
    devices_listed()
        The sound system's devices were listed (again): outputs may have changed too.
    folder_used(str)
        A folder the user chose.
    """

    rescanning = Signal()
    devices_listed = Signal()
    folder_used = Signal(str)

    def __init__(self, state: ClassifyState, settings: S.Settings, analysis_pool: QThreadPool,
                 classify_recording: Callable[[Any, int], None], begin: Callable[[str], None],
                 write_file: Callable[..., None], parent: QWidget | None = None) -> None:
        super().__init__("Record", parent)
        self.state = state
        self.settings = settings
        self._analysis_pool = analysis_pool
        self._classify_recording = classify_recording
        self._begin = begin
        self._write_file = write_file
        self.devices: list[InputDevice] = []
        self.devices_error: str | None = None
        self.live: LiveSession | None = None
        self.recording_path: str | None = None
        self._recorder: Recorder | None = None
        self._live_task: Task | None = None
        self._devices_task: Task | None = None
        self._build()
        state.events.connect_handlers(self)
        self._update_controls()

    def _build(self) -> None:
        style = self.style()
        # Device names run long ("HDA Intel PCH: ALC3246 Analog (hw:0,0)"): shown elided, whole in the tooltip.
        self.device_combo = ElidingComboBox("Input device to record from")
        self.device_combo.setMinimumContentsLength(10)
        self.device_combo.addItem("Looking for input devices…")
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
        self.gaps_label = QLabel("")
        self.gaps_label.setStyleSheet("color: #b00020; font-weight: bold;")
        self.gaps_label.hide()
        self.save_recording_button = QPushButton("Save…")
        self.save_recording_button.setToolTip("Save the last recording as WAV or FLAC")
        self.save_recording_button.setEnabled(False)
        self.save_recording_button.clicked.connect(self.choose_recording_destination)
        row = QHBoxLayout(self)
        row.addWidget(self.device_combo, 2)
        row.addWidget(self.refresh_devices_button)
        row.addWidget(self.record_button)
        row.addWidget(self.level_meter, 1)
        row.addWidget(self.record_time_label)
        row.addWidget(self.gaps_label)
        row.addWidget(self.save_recording_button)

    # ------------------------------------------------------------------ devices
    def refresh_devices(self, rescan: bool = False) -> None:
        """List input devices (off the GUI thread)."""
        if self.recorder_is_active():
            return
        if rescan:
            self.rescanning.emit()
        self.refresh_devices_button.setEnabled(False)
        self._devices_task = run_task(_list_devices, self._on_devices_listed, rescan=rescan)

    def _on_devices_listed(self, devices, error: BaseException | None) -> None:
        """Fill the device menu, selecting the remembered device."""
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
                self.device_combo.set_tooltip("Input device to record from")
            else:
                self.device_combo.addItem("No input device")
                self.device_combo.set_tooltip(self.devices_error or "No microphone or line input was found",
                                              with_item=False)
        self._update_controls()
        self.devices_listed.emit()

    def _on_device_changed(self, index: int) -> None:
        """Remember the chosen input device."""
        if 0 <= index < len(self.devices):
            self.settings.set(S.INPUT_DEVICE, self.devices[index].name)

    def selected_device(self) -> InputDevice | None:
        """The input device chosen in the menu."""
        index = self.device_combo.currentIndex()
        return self.devices[index] if 0 <= index < len(self.devices) else None

    # ------------------------------------------------------------------ recording
    @property
    def recorder(self) -> Recorder:
        """The recorder (created on first use)."""
        if self._recorder is None:
            from urdu_genre_app.gui.audio import Recorder

            self._recorder = Recorder(self)
            self._recorder.level.connect(self.level_meter.set_level)
            self._recorder.audio.connect(self._on_recorded_audio)
            self._recorder.failed.connect(lambda message: self.state.notify("error", message))
            self._recorder.finished.connect(self._on_recording_finished)
            self._recorder.gaps_changed.connect(self._on_gaps_changed)
        return self._recorder

    def recorder_is_active(self) -> bool:
        """True while recording."""
        return self._recorder is not None and self._recorder.is_recording

    @property
    def live_job_running(self) -> bool:
        """A live job is being scored."""
        return self._live_task is not None and self._live_task.running

    def toggle_recording(self) -> None:
        """Start or stop recording."""
        if self.recorder_is_active():
            self.stop_recording()
        else:
            self.start_recording()

    def start_recording(self) -> None:
        """Record from the chosen device into a new file, classifying as it goes."""
        from urdu_genre_app.core.audio_devices import AudioDeviceError
        from urdu_genre_app.core.recording import new_recording_path
        from urdu_genre_app.paths import recordings_dir

        classifier = self.state.classifier
        if classifier is None:
            self.state.notify("warning", self.state.no_model_text(), status="No model loaded")
            return
        device = self.selected_device()
        if device is None:
            reason = f" ({self.devices_error})" if self.devices_error else ""
            message = (f"No input device found{reason}. Connect a microphone or line input, "
                       "then press the refresh button next to the device menu.")
            self.state.notify("error", message, status="No input device")
            return
        self._begin(RECORDING)
        try:
            path = new_recording_path(recordings_dir())
            self.recorder.start(device, path, self.state.sample_rate)
        except (AudioDeviceError, OSError) as error:
            self.state.notify("error", str(error))
            self.state.wait("Verdict", "Recording failed")
            return
        from urdu_genre_app.components.live_session import FIRST_VERDICT_SECONDS, LiveSession

        self.recording_path = str(path)
        self.live = LiveSession(classifier)
        self.state.wait("Recording…", f"Listening — a first, provisional verdict after {FIRST_VERDICT_SECONDS:g} s",
                        with_labels=True)
        self.save_recording_button.setEnabled(False)
        self.gaps_label.hide()
        self.state.set_recording(True)
        self.state.notify(None, f"Recording from {device.name} into {path}")

    def stop_recording(self, classify: bool = True) -> None:
        """Stop recording; the whole recording is then classified once more for the final verdict."""
        if not self.recorder_is_active():
            return
        self.recorder.stop()  # drains the last audio into self.live synchronously
        self.level_meter.reset()
        live, self.live = self.live, None
        if self._live_task is not None:
            self._live_task.cancel()  # superseded by the final verdict (or by nothing)
        self.state.set_recording(False, live.seconds if live else 0.0)
        if live is None or not classify or self.state.classifier is None:
            return
        if live.total < live.min_samples:
            min_seconds = live.min_samples / live.sample_rate
            self.state.wait("Verdict", f"Too short to classify (under {min_seconds:g} s)", progress="Recording too short")
            return
        self.state.wait("Verdict", "Classifying the whole recording…", with_labels=True)
        self._classify_recording(live.signal(), live.sample_rate, gaps=list(self.recorder.gaps))

    def _on_recorded_audio(self, samples: np.ndarray) -> None:
        """Feed newly recorded audio (at the model's rate) to the live classifier."""
        if self.live is None:
            return
        self.live.append(samples)
        self.record_time_label.setText(clock(self.live.seconds))
        self.state.set_recording(True, self.live.seconds, len(self.live.windows))
        self._start_live_job()

    def _start_live_job(self) -> None:
        classifier = self.state.classifier
        if self.live is None or self.live_job_running or classifier is None:
            return
        job = self.live.next_job()
        if job is None:
            return
        from urdu_genre_app.components.live_session import run_live_job

        self._live_task = run_task(run_live_job, self._on_live_job_done, pool=self._analysis_pool,
                                   classifier=classifier, job=job)

    def _on_live_job_done(self, outcome: LiveOutcome | None, error: BaseException | None) -> None:
        """Show the live verdict and segments; start the next job if audio is waiting."""
        live = self.live
        if live is None:
            return
        if error is not None:
            log.warning("live classification failed: %s", error)
            self.state.notify("warning", f"Live classification failed: {error}", status="")
            return
        live.accept(outcome)
        result = live.song_result()
        if result is not None:
            if live.is_provisional:
                heading = f"PROVISIONAL verdict — {live.seconds:.1f} s heard so far (looped to fill a window)"
            else:
                heading = f"Live verdict — {segments(len(live.windows))}, {clock(live.seconds)} recorded"
            self.state.show_live(result, live.shown_features(), heading)
        self._start_live_job()

    def _on_gaps_changed(self, gaps: list) -> None:
        """Say that audio was lost: in the bar at once, in the banner the first time."""
        from urdu_genre_app.core.recording import gaps_summary

        summary = gaps_summary(gaps)
        self.gaps_label.setText(f"⚠ {summary}")
        self.gaps_label.setToolTip("The app fell behind the sound card and lost input audio; the lost stretches "
                                   "are silence in the recording.\n" + "\n".join(
                                       f"{clock(g.at_seconds)}: {g.lost_seconds:.2f} s lost" for g in gaps[-10:]))
        self.gaps_label.show()
        if len(gaps) == 1:
            self.state.notify("warning", f"The recording has a gap: the app fell behind the sound card and "
                                         f"{gaps[0].lost_seconds:.2f} s of input was lost at {clock(gaps[0].at_seconds)} "
                                         "(recorded as silence). Close busy programs to avoid more.",
                              status=f"Recording: {summary}")
        else:
            self.state.notify(None, f"Recording: {summary}")

    def _on_recording_finished(self, path: str) -> None:
        """The recording file is complete."""
        from urdu_genre_app.core.recording import gaps_summary

        self.recording_path = path
        self.save_recording_button.setEnabled(True)
        gaps = gaps_summary(self.recorder.gaps)
        lost = f" with {gaps} (silence where audio was lost)" if gaps else ""
        self.state.notify(None, f"Recording saved to {path}{lost} — use “Save recording…” to keep a copy elsewhere")

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
        from urdu_genre_app.core.recording import save_recording_as

        self.folder_used.emit(str(Path(path).parent))
        self._write_file("Recording", save_recording_as, source=self.recording_path, destination=path)

    def stop(self) -> None:
        """Finalise a recording and drop late answers (the window is closing)."""
        if self._recorder is not None and self._recorder.is_recording:
            self._recorder.stop()  # its last audio may start one more live job: cancelled below
        self.live = None
        for task in (self._live_task, self._devices_task):
            if task is not None:
                task.cancel()
        if self._recorder is not None:
            self._recorder.wait_for_writer(5000)

    # ------------------------------------------------------------------ state events
    def _on_model(self, _event: ModelChanged) -> None:
        self._update_controls()

    def _on_recording(self, event: RecordingChanged) -> None:
        if event.changed:
            self.record_button.setText("■ Stop recording" if event.active else "● Record")
            self._update_controls()

    def _update_controls(self) -> None:
        recording = self.recorder_is_active()
        self.device_combo.setEnabled(bool(self.devices) and not recording)
        self.refresh_devices_button.setEnabled(not recording)
        self.record_button.setEnabled(self.state.classifier is not None or recording)
