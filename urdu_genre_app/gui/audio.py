"""Recording through sounddevice (PortAudio), Friture style (playback is :mod:`urdu_genre_app.gui.player`).

* ``sounddevice`` is imported lazily (:mod:`urdu_genre_app.core.audio_devices`):
  a missing PortAudio costs the app its audio features, not its start.
* The PortAudio callback does the least possible: it copies the input
  into a :class:`RingBuffer`. A GUI timer drains the ring buffer, hands the
  audio to a single-thread writer (the recording grows on disk as it
  arrives, its header updated at every flush) and emits it, resampled to the
  model's rate by core's stream resampler, for live classification.
* It has no rate of its own: the caller passes the one the active model
  analyses at (``ClassifyState.sample_rate``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from urdu_genre_app.core.audio_devices import AudioDeviceError, InputDevice, sounddevice_module
from urdu_genre_app.core.recording import COMPLETE, Gap, RecordingJournal, gaps_summary
from urdu_genre_app.core.ring_buffer import RingBuffer
from urdu_genre_app.gui.workers import run_task, serial_pool

log = logging.getLogger(__name__)

#: Capacity of the recording ring buffer, in seconds: the GUI may stall this long without a gap.
RING_SECONDS = 10.0
#: How often the GUI timer drains the ring buffer, in milliseconds.
DRAIN_INTERVAL_MS = 20
#: The flush interval, in seconds: audio gathered before one write + flush (header updated) to disk.
#: A recording whose app is killed holds everything but at most this much of its end.
WRITE_EVERY_SECONDS = 0.25
#: libsndfile command that rewrites a WAV header for the samples written so far.
_SFC_UPDATE_HEADER_NOW = 0x1060


class Recorder(QObject):
    """Records an input device into a WAV file that grows as audio arrives.

    Signals
    -------
    level(float)
        Peak level of the latest audio, in dBFS.
    audio(numpy.ndarray)
        New audio, mono float32 at the rate given to :meth:`start`, for live classification.
    failed(str)
        Recording stopped or could not start; the message says why.
    finished(str)
        The recording file is complete and closed (its path).
    gaps_changed(list)
        Audio was lost (the ring buffer overran): every :class:`Gap` so far. The
        lost stretch is recorded as silence of its length, so times stay true.
    """

    level = Signal(float)
    audio = Signal(object)
    failed = Signal(str)
    finished = Signal(str)
    gaps_changed = Signal(list)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ring: RingBuffer | None = None
        self._stream: Any = None
        self._resampler: Any = None
        self._pending: list[np.ndarray] = []
        self._pending_samples = 0
        self._file: Any = None
        self.path: Path | None = None
        self.sample_rate = 0
        self.frames_written = 0
        self.recorded_samples = 0
        self.gaps: list[Gap] = []
        self.input_overflows = 0
        self.journal: RecordingJournal | None = None
        self.writer_pool = serial_pool("recording-writer")
        self._timer = QTimer(self)
        self._timer.setInterval(DRAIN_INTERVAL_MS)
        self._timer.timeout.connect(self._drain)

    @property
    def is_recording(self) -> bool:
        """True while the input stream runs."""
        return self._stream is not None

    @property
    def seconds(self) -> float:
        """Seconds recorded so far."""
        return self.recorded_samples / self.sample_rate if self.sample_rate else 0.0

    def start(self, device: InputDevice, path: Path, sample_rate: int) -> None:
        """Open ``device`` and record into ``path`` (WAV, 16-bit, at the device's rate).

        The audio emitted on :attr:`audio` is resampled to ``sample_rate`` Hz.

        Raises
        ------
        AudioDeviceError
            The device cannot be opened (busy, gone, permission refused).
        """
        if self.is_recording:
            return
        sd = sounddevice_module()
        rate = int(round(device.default_rate)) or sample_rate
        self._ring = RingBuffer(RING_SECONDS, rate)
        try:
            stream = sd.InputStream(
                device=device.index, samplerate=rate, channels=1, dtype="float32", callback=self._callback
            )
        except Exception as error:
            text = str(error)
            hint = " (permission denied: allow this app to use the microphone)" if "ermission" in text else ""
            raise AudioDeviceError(f"Cannot record from “{device.name}”: {text}{hint}") from error
        self.sample_rate = rate
        self.path = Path(path)
        self.frames_written = 0
        self.recorded_samples = 0
        self.gaps = []
        self.input_overflows = 0
        self.journal = RecordingJournal.begin(self.path, sample_rate=rate, device=device.name,
                                              flush_seconds=WRITE_EVERY_SECONDS)
        self._pending, self._pending_samples = [], 0
        if rate != sample_rate:
            from urdu_genre_app.core.audio_io import stream_resampler

            self._resampler = stream_resampler(rate, sample_rate)
        else:
            self._resampler = None
        run_task(self._open_file, self._on_writer_done, pool=self.writer_pool, path=self.path, rate=rate)
        try:
            stream.start()
        except Exception as error:
            stream.close()
            run_task(self._close_file, None, pool=self.writer_pool)
            raise AudioDeviceError(f"Cannot record from “{device.name}”: {error}") from error
        self._stream = stream
        self._timer.start()

    def stop(self) -> None:
        """Stop recording; the file is finalised on the writer thread, then ``finished`` is emitted."""
        if self._stream is None:
            return
        stream, self._stream = self._stream, None
        self._timer.stop()
        try:
            stream.stop()
            stream.close()
        except Exception:
            log.debug("closing the input stream failed", exc_info=True)
        self._drain(final=True)
        self._resampler = None
        if self.gaps:
            log.warning("recording %s finished with %s", self.path, gaps_summary(self.gaps))
        if self.input_overflows:
            log.warning("recording %s: the sound system reported %d input overflow(s) (audio it dropped "
                        "before the app saw it; their length is unknown)", self.path, self.input_overflows)
        run_task(self._close_file, self._on_closed, pool=self.writer_pool)

    def wait_for_writer(self, msecs: int = 5000) -> bool:
        """Block until every queued write (and the close) is done."""
        return self.writer_pool.waitForDone(msecs)

    # -- audio thread -----------------------------------------------------
    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status is not None and getattr(status, "input_overflow", False):
            self.input_overflows += 1  # dropped by the driver before this callback: its length is unknown
        self._ring.write(indata[:, 0])

    # -- GUI thread ---------------------------------------------------------
    @Slot()
    def _drain(self, final: bool = False) -> None:
        """Move buffered audio to the writer, the level meter and the live classifier."""
        if self._ring is None:
            return
        lost, samples = self._ring.read_with_gap()
        if lost:
            samples = self._fill_gap(lost, samples)
        if samples.size:
            self.recorded_samples += samples.size
            self._pending.append(samples)
            self._pending_samples += samples.size
            peak = float(np.max(np.abs(samples)))
            self.level.emit(20.0 * np.log10(max(peak, 1e-6)))
        if self._pending and (final or self._pending_samples >= WRITE_EVERY_SECONDS * self.sample_rate):
            block = np.concatenate(self._pending)
            self._pending, self._pending_samples = [], 0
            run_task(self._write_block, self._on_writer_done, pool=self.writer_pool, block=block)
        if samples.size or final:
            if self._resampler is not None:
                resampled = self._resampler.resample_chunk(samples, last=final)
            else:
                resampled = samples
            if resampled.size:
                self.audio.emit(resampled)

    def _fill_gap(self, lost: int, samples: np.ndarray) -> np.ndarray:
        """Note a gap of ``lost`` samples before ``samples`` and return them with silence in its place."""
        gap = Gap(self.recorded_samples / self.sample_rate, lost / self.sample_rate)
        self.gaps.append(gap)
        log.warning("recording %s: %.3f s of input lost at %.2f s (the app fell behind the sound card; "
                    "recorded as silence); %s so far", self.path, gap.lost_seconds, gap.at_seconds,
                    gaps_summary(self.gaps))
        run_task(self._save_journal, None, pool=self.writer_pool, gaps=list(self.gaps))
        self.gaps_changed.emit(list(self.gaps))
        return np.concatenate((np.zeros(lost, dtype=np.float32), samples))

    # -- writer thread (one at a time, in order) ----------------------------
    def _open_file(self, path: Path, rate: int) -> None:
        import soundfile

        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = soundfile.SoundFile(path, "w", samplerate=rate, channels=1, format="WAV", subtype="PCM_16")
        self._save_journal()

    def _save_journal(self, gaps: list[Gap] | None = None, state: str | None = None) -> None:
        """Rewrite the sidecar; a failure is logged, never stops the recording."""
        journal = self.journal
        if journal is None:
            return
        if gaps is not None:
            journal.gaps = gaps
        if state is not None:
            journal.state = state
        try:
            journal.save()
        except OSError as error:
            log.warning("cannot write the recording journal %s: %s", journal.path, error)

    def _write_block(self, block: np.ndarray) -> None:
        if self._file is None:
            return
        self._file.write(block)
        self.frames_written += block.size
        self._file.flush()
        _update_wav_header(self._file)

    def _close_file(self) -> str | None:
        handle, self._file = self._file, None
        if handle is not None:
            handle.close()
            self._save_journal(state=COMPLETE)
        return str(self.path) if self.path else None

    def _on_writer_done(self, _result: Any, error: BaseException | None) -> None:
        """Stop recording if the disk refused a write."""
        if error is not None:
            log.error("writing the recording failed: %s", error)
            self.failed.emit(f"Cannot write the recording to {self.path}: {error}")
            if self.is_recording:
                self.stop()

    def _on_closed(self, path: str | None, error: BaseException | None) -> None:
        """Announce the finished file."""
        if error is not None:
            self._on_writer_done(None, error)
        elif path:
            self.finished.emit(path)


def _update_wav_header(handle: Any) -> None:
    """Make the WAV header describe every sample written so far (valid if the app dies now)."""
    try:
        import soundfile

        soundfile._snd.sf_command(handle._file, _SFC_UPDATE_HEADER_NOW, soundfile._ffi.NULL, 0)
    except Exception:  # a soundfile build without these internals: the header is fixed at close
        log.debug("cannot update the WAV header in place", exc_info=True)
