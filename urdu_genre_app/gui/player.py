"""Playback through sounddevice (PortAudio), Friture style.

The output callback does the least possible: it copies from the decoded song
at a position guarded by a lock. ``sounddevice`` is imported lazily
(:mod:`urdu_genre_app.core.audio_devices`), so a missing PortAudio costs the
app its playback, not its start.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from urdu_genre_app.core.audio_devices import sounddevice_module
from urdu_genre_app.core.errors import UrduGenreError

log = logging.getLogger(__name__)


class Player(QObject):
    """Plays a decoded song; its position is shared with the output callback under a lock."""

    state_changed = Signal(str)  # "playing", "paused" or "stopped"
    error = Signal(str)

    PLAYING, PAUSED, STOPPED = "playing", "paused", "stopped"

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = threading.Lock()
        self._audio = np.zeros(0, dtype=np.float32)
        self._rate = 1  # of the loaded audio; set with it
        self._position = 0  # next sample the callback will send
        self._ended = False
        self._stream: Any = None
        self._latency = 0.0
        self.state = self.STOPPED

    # -- what is loaded -------------------------------------------------
    def set_audio(self, samples: np.ndarray | None, sample_rate: int) -> None:
        """Load a mono signal at ``sample_rate`` Hz (or nothing) to play; stops what was playing."""
        self.stop()
        with self._lock:
            self._audio = np.zeros(0, dtype=np.float32) if samples is None else np.asarray(samples, dtype=np.float32)
            self._rate = max(1, int(sample_rate))  # no audio may come with no rate
            self._position = 0

    @property
    def has_audio(self) -> bool:
        """True when a song is loaded."""
        return self._audio.size > 0

    @property
    def duration(self) -> float:
        """Length of the loaded audio in seconds."""
        return self._audio.size / self._rate

    @property
    def ended(self) -> bool:
        """True once the callback ran past the end of the audio."""
        return self._ended

    def position(self) -> float:
        """Seconds of audio heard so far (what was sent minus the output latency)."""
        with self._lock:
            sent = self._position / self._rate
        if self.state == self.PLAYING:
            sent -= self._latency
        return min(max(0.0, sent), self.duration)

    # -- control ----------------------------------------------------------
    def play(self) -> None:
        """Start or resume playback."""
        if not self.has_audio or self.state == self.PLAYING:
            return
        if self._ended or self._position >= self._audio.size:
            self.seek(0.0)
        try:
            if self._stream is None:
                self._stream = self._open_stream()
            self._stream.start()
        except UrduGenreError as failure:
            self._close_stream()
            self.error.emit(str(failure))
            return
        except Exception as failure:  # PortAudioError: device busy, refused, gone
            self._close_stream()
            log.warning("cannot start playback", exc_info=True)
            self.error.emit(f"Cannot play: the audio output refused to start ({failure})")
            return
        self._set_state(self.PLAYING)

    def pause(self) -> None:
        """Pause, keeping the position of what was heard."""
        if self.state != self.PLAYING:
            return
        heard = self.position()
        self._close_stream()
        with self._lock:
            self._position = int(heard * self._rate)
        self._set_state(self.PAUSED)

    def toggle(self) -> None:
        """Play if paused or stopped, pause if playing."""
        self.pause() if self.state == self.PLAYING else self.play()

    def stop(self) -> None:
        """Stop and go back to the start."""
        self._close_stream()
        with self._lock:
            self._position = 0
        self._ended = False
        if self.state != self.STOPPED:
            self._set_state(self.STOPPED)

    def seek(self, seconds: float) -> None:
        """Jump to ``seconds`` (clamped to the audio)."""
        with self._lock:
            self._position = int(min(max(0.0, seconds), self.duration) * self._rate)
            if self.state == self.PLAYING:
                # The callback sends from here; what is heard lags by the latency.
                self._position = min(self._audio.size, self._position + int(self._latency * self._rate))
        self._ended = False

    # -- PortAudio --------------------------------------------------------
    def _open_stream(self) -> Any:
        sd = sounddevice_module()
        try:
            stream = sd.OutputStream(samplerate=self._rate, channels=1, dtype="float32", callback=self._callback)
        except Exception as error:
            raise AudioDeviceError(f"Cannot play: no usable audio output ({error})") from error
        self._latency = float(getattr(stream, "latency", 0.0) or 0.0)
        return stream

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        with self._lock:
            start = self._position
            chunk = self._audio[start : start + frames]
            self._position = start + chunk.size
        outdata[: chunk.size, 0] = chunk
        if chunk.size < frames:
            outdata[chunk.size :] = 0
            self._ended = True

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except Exception:  # a device that vanished; nothing left to release
                log.debug("closing the output stream failed", exc_info=True)

    def _set_state(self, state: str) -> None:
        self.state = state
        self.state_changed.emit(state)
