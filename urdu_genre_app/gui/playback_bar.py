"""The Playback bar: play, pause, stop and seek the current song; it moves the :class:`ClassifyState`'s cursor.

The :class:`~urdu_genre_app.gui.audio.Player` is created on first use (it
imports sounddevice, which may be missing). Audio comes from the state's
``audio`` event; while playing, a timer reads what is being heard and sets
the state's position, which the charts follow. Whether there is a sound
output at all is checked off the GUI thread whenever the devices are listed
(:meth:`PlaybackBar.refresh_output`): without one, Play is disabled and its
tooltip says why, rather than failing with PortAudio's "Error querying device -1".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Slot
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QSlider, QStyle, QToolButton, QWidget

from urdu_genre_app.components.classify_state import AudioChanged, ClassifyState, PositionChanged, RecordingChanged
from urdu_genre_app.components.formatting import clock
from urdu_genre_app.gui.workers import run_task

if TYPE_CHECKING:
    from urdu_genre_app.gui.player import Player

#: Cursor refresh period while playing, in milliseconds.
CURSOR_INTERVAL_MS = 30
#: The Play button's tooltip when playback is possible.
PLAY_TIP = "Play / pause (Space)"


def output_problem() -> str | None:
    """Why nothing can be played here (no PortAudio, no output device, no default one), or None.

    Runs in a worker: listing devices may take a moment.
    """
    from urdu_genre_app.gui.audio import AudioDeviceError, sounddevice_module

    try:
        sd = sounddevice_module()
        devices = sd.query_devices()
        default_output = sd.default.device[1]
    except AudioDeviceError as error:
        return f"Playback unavailable: {error}"
    except Exception as error:  # PortAudioError and friends
        return f"Playback unavailable: the sound system could not list its devices ({error})"
    if not any(int(device["max_output_channels"]) > 0 for device in devices):
        return "Playback unavailable: no sound output device (speakers or headphones) was found"
    if default_output is None or int(default_output) < 0:
        return "Playback unavailable: the sound system has no default output device; choose one in its settings"
    return None


class PlaybackBar(QGroupBox):
    """Play / pause, stop, a seek slider and the time, for the audio the state holds."""

    def __init__(self, state: ClassifyState, parent: QWidget | None = None) -> None:
        super().__init__("Playback", parent)
        self.state = state
        self._player: Player | None = None
        style = self.style()
        self.play_button = QPushButton(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Play")
        self.play_button.setToolTip(PLAY_TIP)
        #: Why nothing can be played (None: playback is possible, or not checked yet).
        self.output_problem: str | None = None
        self.play_button.clicked.connect(self.toggle_playback)
        self.stop_button = QToolButton()
        self.stop_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaStop))
        self.stop_button.setToolTip("Stop")
        self.stop_button.clicked.connect(self.stop_playback)
        self.seek_slider = QSlider(Qt.Orientation.Horizontal)
        self.seek_slider.setRange(0, 0)
        self.seek_slider.setToolTip("Seek (or click the charts)")
        self.seek_slider.sliderMoved.connect(lambda value: self.seek(value / 1000.0))
        self.time_label = QLabel("0:00 / 0:00")
        self.time_label.setMinimumWidth(self.time_label.fontMetrics().horizontalAdvance("00:00 / 00:00") + 6)
        row = QHBoxLayout(self)
        row.addWidget(self.play_button)
        row.addWidget(self.stop_button)
        row.addWidget(self.seek_slider, 1)
        row.addWidget(self.time_label)
        self._cursor_timer = QTimer(self)
        self._cursor_timer.setInterval(CURSOR_INTERVAL_MS)
        self._cursor_timer.timeout.connect(self._on_cursor_tick)
        state.events.connect_handlers(self)
        self._update_controls()

    @property
    def player(self) -> Player:
        """The audio player (created on first use)."""
        if self._player is None:
            from urdu_genre_app.gui.player import Player

            self._player = Player(self)
            self._player.state_changed.connect(self._on_player_state_changed)
            self._player.error.connect(self._on_player_error)
        return self._player

    @property
    def has_audio(self) -> bool:
        """True when a song is loaded to play."""
        return self._player is not None and self._player.has_audio

    def refresh_output(self) -> None:
        """Check (off the GUI thread) whether there is a sound output to play to."""
        run_task(output_problem, self._on_output_checked)

    def _on_output_checked(self, problem: str | None, error: BaseException | None) -> None:
        self.output_problem = problem if error is None else f"Playback unavailable: {error}"
        self._update_controls()

    def _on_player_error(self, message: str) -> None:
        """Playing failed: say why in words (a missing output, when that is the cause, not PortAudio's)."""
        # Listing devices is cheap once PortAudio is up (it enumerates them at start-up), and the
        # user pressed Play just now: the answer must come with the failure, not after it.
        self._on_output_checked(output_problem(), None)
        self.state.notify("error", self.output_problem or message)

    def toggle_playback(self) -> None:
        """Play or pause the current song."""
        if self.output_problem is not None:
            self.state.notify("warning", self.output_problem)
            return
        if not self.has_audio:
            self.state.notify(None, "Nothing to play yet")
            return
        self._player.toggle()

    def stop_playback(self) -> None:
        """Stop and rewind."""
        if self._player is not None:
            self._player.stop()
            self.state.set_position(0.0 if self._player.has_audio else None)

    def seek(self, seconds: float) -> None:
        """Jump to ``seconds``."""
        if not self.has_audio:
            return
        player = self._player
        player.seek(seconds)
        self.state.set_position(player.position() if player.state == "playing" else min(seconds, player.duration))

    def stop(self) -> None:
        """Silence (the window is closing)."""
        self._cursor_timer.stop()
        if self._player is not None:
            self._player.stop()

    # ------------------------------------------------------------------ state events
    def _on_audio(self, event: AudioChanged) -> None:
        if event.samples is None and self._player is None:
            pass  # nothing loaded, nothing to unload: the player need not exist yet
        else:
            self.player.set_audio(event.samples, event.sample_rate)
        self.seek_slider.setRange(0, int(self.state.audio_seconds * 1000))
        self._update_controls()

    def _on_position(self, event: PositionChanged) -> None:
        seconds = event.seconds or 0.0
        self.time_label.setText(f"{clock(seconds)} / {clock(self.state.audio_seconds)}")
        if not self.seek_slider.isSliderDown():
            with QSignalBlocker(self.seek_slider):
                self.seek_slider.setValue(int(seconds * 1000))

    def _on_recording(self, _event: RecordingChanged) -> None:
        self._update_controls()

    # ------------------------------------------------------------------ the player
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

    @Slot()
    def _on_cursor_tick(self) -> None:
        """Move the cursor to what is being heard."""
        player = self._player
        if player is None:
            return
        position = player.position()
        if player.ended and player.state == "playing" and position >= player.duration - 0.05:
            player.stop()
            position = 0.0
        self.state.set_position(position if player.has_audio else None)

    def _update_controls(self) -> None:
        enabled = self.has_audio and not self.state.recording and self.output_problem is None
        for control in (self.play_button, self.stop_button, self.seek_slider):
            control.setEnabled(enabled)
        self.play_button.setToolTip(self.output_problem or PLAY_TIP)
