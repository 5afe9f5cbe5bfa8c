"""Decode any audio file to mono float32 at 22,050 Hz, streamed in blocks.

PyAV (FFmpeg's decoders) reads what people really have: WAV, FLAC, OGG/Vorbis,
Opus/WebM, MP3, M4A/AAC and the audio track of a video. Channels are averaged
(as ``librosa.to_mono``) and the rate converted with soxr's streaming
resampler (librosa's default ``soxr_hq``), one block at a time, so a 3-hour
file never sits in memory at its source rate.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from urdu_genre_app.core.errors import AudioDecodeError
from urdu_genre_app.core.features import SAMPLE_RATE

log = logging.getLogger(__name__)

#: Extensions offered in file dialogs and picked up when a folder is scanned.
AUDIO_EXTENSIONS = (
    ".wav", ".flac", ".ogg", ".oga", ".opus", ".webm", ".mp3", ".m4a", ".aac",
    ".mp4", ".m4v", ".mkv", ".mov", ".wma", ".aif", ".aiff", ".ape", ".wv",
)

#: Seconds of output audio per yielded block: small enough to keep memory flat,
#: large enough that per-block overhead does not show.
BLOCK_SECONDS = 10.0


@dataclass
class DecodeInfo:
    """What the decoder learnt about a file while streaming it.

    Attributes
    ----------
    path : str
        The file.
    source_rate : int
        Its sample rate in Hz.
    channels : int
        Its channel count.
    codec : str
        FFmpeg's codec name.
    expected_seconds : float or None
        Duration the container declares (may be missing or wrong).
    decoded_samples : int
        Output samples (at the target rate) produced so far.
    warnings : list of str
        Problems that did not stop decoding, e.g. a truncated tail.
    """

    path: str
    source_rate: int = 0
    channels: int = 0
    codec: str = ""
    expected_seconds: float | None = None
    decoded_samples: int = 0
    warnings: list[str] = field(default_factory=list)


def is_audio_path(path: str | os.PathLike) -> bool:
    """True when the file name has an extension this app decodes."""
    return Path(path).suffix.lower() in AUDIO_EXTENSIONS


def _check_readable_file(path: Path) -> None:
    if not path.exists():
        raise AudioDecodeError(path, "no such file")
    if path.is_dir():
        raise AudioDecodeError(path, "is a folder, not an audio file")
    if not path.is_file():
        raise AudioDecodeError(path, "is not a regular file")
    if path.stat().st_size == 0:
        raise AudioDecodeError(path, "the file is empty (0 bytes)")
    if not os.access(path, os.R_OK):
        raise AudioDecodeError(path, "permission denied: the file cannot be read")


def _describe_ffmpeg_error(error: Exception) -> str:
    text = str(error)
    if "Invalid data found" in text:
        return "not a recognised audio or video file (is it really audio, or damaged?)"
    if "Permission denied" in text:
        return "permission denied: the file cannot be read"
    return f"could not be decoded ({text})"


def iter_audio_blocks(
    path: str | os.PathLike,
    *,
    sample_rate: int = SAMPLE_RATE,
    block_seconds: float = BLOCK_SECONDS,
    info: DecodeInfo | None = None,
) -> Iterator[np.ndarray]:
    """Stream a file as mono float32 blocks at ``sample_rate``.

    Parameters
    ----------
    path : str or os.PathLike
        Any file FFmpeg can read that has an audio track.
    sample_rate : int
        Output rate in Hz.
    block_seconds : float
        Approximate length of each yielded block, in seconds.
    info : DecodeInfo, optional
        Filled in as decoding goes (rate, channels, warnings, sample count).

    Yields
    ------
    numpy.ndarray, shape (n,), float32
        Consecutive blocks of the mono signal. Together they are the whole song.

    Raises
    ------
    AudioDecodeError
        The file is missing, empty, not audio, has no audio track, or no audio
        could be decoded from it. A file that breaks off after some audio was
        decoded (truncated download) is not an error: what decoded is yielded
        and a warning is added to ``info``.
    """
    import av  # deferred: keeps `import urdu_genre_app.core` light
    import soxr

    path = Path(path)
    info = info if info is not None else DecodeInfo(path=str(path))
    info.path = str(path)
    _check_readable_file(path)
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as error:
        raise AudioDecodeError(path, _describe_ffmpeg_error(error)) from error
    with container:
        if not container.streams.audio:
            kind = "a video with no sound" if container.streams.video else "a file with no audio track"
            raise AudioDecodeError(path, f"has no audio to classify: it is {kind}")
        stream = container.streams.audio[0]
        stream.thread_type = "AUTO"
        info.codec = stream.codec_context.name if stream.codec_context else ""
        info.source_rate = int(stream.rate or 0)
        info.channels = int(stream.channels or 0)
        if container.duration:
            info.expected_seconds = container.duration / 1_000_000
        # Decoded frames are small (1152 samples for MP3: ~11,500 frames in five
        # minutes), so they are queued in FFmpeg's own FIFO, in C, and taken
        # out a quarter of a second at a time; per-frame NumPy work held the
        # GIL for longer than the decoding itself. A frame with another format,
        # layout or rate (a stream that changes mid-way) makes the FIFO refuse
        # it, and a new FIFO is started.
        to_float = av.AudioResampler(format="fltp")
        resampler = None
        target_block = max(1, int(block_seconds * sample_rate))
        pending: list[np.ndarray] = []
        pending_samples = 0
        fifo = None

        def frames() -> Iterator:
            try:
                for packet in container.demux(stream):
                    yield from packet.decode()
            except av.error.FFmpegError as error:
                if info.decoded_samples == 0 and resampler is None and fifo is None:
                    raise AudioDecodeError(path, _describe_ffmpeg_error(error)) from error
                message = f"decoding stopped early ({error}); the file may be truncated"
                log.warning("%s: %s", path, message)
                info.warnings.append(message)

        def resample(chunk) -> np.ndarray:
            """Mono float32 at ``sample_rate`` from one frame out of the FIFO."""
            nonlocal resampler
            converted = [chunk] if chunk.format.name == "fltp" else to_float.resample(chunk)
            planar = np.concatenate([c.to_ndarray() for c in converted], axis=1)
            mono = planar.mean(axis=0, dtype=np.float32) if planar.shape[0] > 1 else planar[0]
            if resampler is None:
                info.source_rate = info.source_rate or chunk.sample_rate
                resampler = soxr.ResampleStream(chunk.sample_rate, sample_rate, 1, dtype="float32", quality="HQ")
            return resampler.resample_chunk(np.ascontiguousarray(mono, dtype=np.float32))

        def drain(everything: bool) -> None:
            nonlocal pending_samples
            if fifo is None or fifo.samples == 0:
                return
            block = resample(fifo.read(fifo.samples))
            if block.size:
                pending.append(block)
                pending_samples += block.size

        quarter_second = 0
        for frame in frames():
            frame.pts = None  # the FIFO checks timestamps for gaps; decoders' are not always continuous
            try:
                fifo.write(frame)
            except (AttributeError, ValueError):  # no FIFO yet, or the stream changed format
                drain(everything=True)
                fifo = av.AudioFifo()
                fifo.write(frame)
                quarter_second = frame.sample_rate // 4
            if fifo.samples >= quarter_second:
                drain(everything=True)
            if pending_samples >= target_block:
                out = np.concatenate(pending)
                pending, pending_samples = [], 0
                info.decoded_samples += out.size
                yield _sanitise(out)
        drain(everything=True)
        if resampler is not None:
            tail = resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
            if tail.size:
                pending.append(tail)
        if pending:
            out = np.concatenate(pending)
            info.decoded_samples += out.size
            yield _sanitise(out)
    if info.decoded_samples == 0:
        raise AudioDecodeError(path, "no audio could be decoded from it (the audio track is empty)")


def _sanitise(block: np.ndarray) -> np.ndarray:
    """Replace NaN/inf that a broken stream can produce, which would poison a window."""
    if not np.isfinite(block).all():
        block = np.nan_to_num(block, nan=0.0, posinf=1.0, neginf=-1.0)
    return block


def load_audio(
    path: str | os.PathLike,
    *,
    sample_rate: int = SAMPLE_RATE,
    max_seconds: float | None = None,
    info: DecodeInfo | None = None,
) -> np.ndarray:
    """Decode a whole file (or its first ``max_seconds``) into one array.

    Parameters
    ----------
    path : str or os.PathLike
        The audio file.
    sample_rate : int
        Output rate in Hz.
    max_seconds : float, optional
        Stop after this much audio; bounds memory for very long files.
    info : DecodeInfo, optional
        Filled in while decoding.

    Returns
    -------
    numpy.ndarray, shape (n_samples,), float32
        The mono signal.
    """
    limit = None if max_seconds is None else int(max_seconds * sample_rate)
    blocks: list[np.ndarray] = []
    total = 0
    stream = iter_audio_blocks(path, sample_rate=sample_rate, info=info)
    try:
        for block in stream:
            blocks.append(block)
            total += block.size
            if limit is not None and total >= limit:
                break
    finally:
        stream.close()
    signal = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)
    return signal[:limit] if limit is not None else signal
