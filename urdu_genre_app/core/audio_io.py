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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from urdu_genre_app.core.errors import AudioDecodeError, UrduGenreError
from urdu_genre_app.core.features import SAMPLE_RATE
from urdu_genre_app.core.readahead import read_ahead

log = logging.getLogger(__name__)

#: Extensions offered in file dialogs and picked up when a folder is scanned.
AUDIO_EXTENSIONS = (
    ".wav", ".flac", ".ogg", ".oga", ".opus", ".webm", ".mp3", ".m4a", ".aac",
    ".mp4", ".m4v", ".mkv", ".mov", ".wma", ".aif", ".aiff", ".ape", ".wv",
)

#: Seconds of output audio per yielded block: small enough to keep memory flat,
#: large enough that per-block overhead does not show.
BLOCK_SECONDS = 10.0

#: Seconds of source audio taken out of FFmpeg's FIFO at a time (as stored:
#: any rate, any channel count) to be mixed to mono and resampled.
SOURCE_CHUNK_SECONDS = 1.0

#: Blocks a background decoder may run ahead of its consumer.
READ_AHEAD_BLOCKS = 2

#: FFmpeg's packed (interleaved) float32 sample format: what chunks are converted to.
PACKED_FLOAT = "flt"


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
    decode_in_background: bool = False,
    read_ahead_blocks: int = READ_AHEAD_BLOCKS,
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
    decode_in_background : bool
        Decode in a background thread, up to :data:`READ_AHEAD_BLOCKS` blocks
        ahead of the caller, so that on two cores decoding overlaps with what
        the caller does with the blocks. (Resampling stays in that thread too:
        done in the caller's, its many short calls kept the decoder waiting
        for the GIL, measured 25 % slower.)
    read_ahead_blocks : int
        With ``decode_in_background``: blocks it may run ahead (a consumer
        that scores several windows a call needs them all decoded meanwhile).

    Yields
    ------
    numpy.ndarray, shape (n,), float32
        Consecutive blocks of the mono signal. Together they are the whole song.

    Raises
    ------
    AudioDecodeError
        The file is missing, empty, not audio, has no audio track, no audio
        could be decoded from it, or the decoder failed in any other way. A file that breaks off after some audio was
        decoded (truncated download) is not an error: what decoded is yielded
        and a warning is added to ``info``.
    """
    path = Path(path)
    info = info if info is not None else DecodeInfo(path=str(path))
    info.path = str(path)

    def decode() -> Iterator[np.ndarray]:
        chunks = _iter_source_chunks(path, info)
        try:
            yield from _mono_blocks(chunks, sample_rate=sample_rate, block_seconds=block_seconds, info=info)
        except UrduGenreError:
            raise
        except Exception as error:  # whatever PyAV, FFmpeg or soxr raise: a message naming the file
            raise AudioDecodeError(path, f"could not be decoded ({type(error).__name__}: {error})") from error
        finally:
            chunks.close()

    blocks = read_ahead(decode, depth=max(1, read_ahead_blocks), name="decoder") if decode_in_background else decode()
    try:
        yield from blocks
    finally:
        blocks.close()
    if info.decoded_samples == 0:
        raise AudioDecodeError(path, "no audio could be decoded from it (the audio track is empty)")


def _iter_source_chunks(path: Path, info: DecodeInfo) -> Iterator[tuple[np.ndarray, int]]:
    """Decode ``path`` as it is stored: planar float32 chunks at the file's own rate.

    Yields
    ------
    (numpy.ndarray of shape (channels, n), int)
        About :data:`SOURCE_CHUNK_SECONDS` of audio and its sample rate in Hz.
    """
    import av  # deferred: keeps `import urdu_genre_app.core` light

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
        # out a second at a time; per-frame NumPy work held the GIL for longer
        # than the decoding itself. A frame with another format, layout or
        # rate (a stream that changes mid-way) makes the FIFO refuse it, and a
        # new FIFO (and converter) is started.
        #
        # Chunks are converted to *packed* float32 (one buffer, channels
        # interleaved) before NumPy sees them: PyAV miscounts the planes of a
        # planar frame with 8 channels or more (it reads past FFmpeg's eight
        # data pointers), and to_ndarray on one killed the process (SIGSEGV on
        # 7.1 AAC and 8-channel FLAC). A packed frame has one plane at any
        # channel count.
        to_float = av.AudioResampler(format=PACKED_FLOAT)
        fifo = None
        chunk_samples = 0

        def frames() -> Iterator:
            try:
                for packet in container.demux(stream):
                    yield from packet.decode()
            except av.error.FFmpegError as error:
                if fifo is None:  # nothing decoded at all: not audio after all
                    raise AudioDecodeError(path, _describe_ffmpeg_error(error)) from error
                message = f"decoding stopped early ({error}); the file may be truncated"
                log.warning("%s: %s", path, message)
                info.warnings.append(message)

        def take_all() -> tuple[np.ndarray, int]:
            chunk = fifo.read(fifo.samples)
            channels = chunk.layout.nb_channels
            converted = [chunk] if chunk.format.name == PACKED_FLOAT else to_float.resample(chunk)
            interleaved = np.concatenate([c.to_ndarray().reshape(-1) for c in converted])
            return interleaved.reshape(-1, channels).T, chunk.sample_rate

        for frame in frames():
            frame.pts = None  # the FIFO checks timestamps for gaps; decoders' are not always continuous
            try:
                fifo.write(frame)
            except (AttributeError, ValueError):  # no FIFO yet, or the stream changed format
                if fifo is not None and fifo.samples:
                    yield take_all()
                fifo = av.AudioFifo()
                fifo.write(frame)
                to_float = av.AudioResampler(format=PACKED_FLOAT)
                chunk_samples = max(1, int(frame.sample_rate * SOURCE_CHUNK_SECONDS))
            if fifo.samples >= chunk_samples:
                yield take_all()
        if fifo is not None and fifo.samples:
            yield take_all()


def _mono_blocks(
    chunks: Iterable[tuple[np.ndarray, int]], *, sample_rate: int, block_seconds: float, info: DecodeInfo
) -> Iterator[np.ndarray]:
    """Mix planar chunks to mono (as ``librosa.to_mono``), resample, and regroup into blocks."""
    target_block = max(1, int(block_seconds * sample_rate))
    pending: list[np.ndarray] = []
    pending_samples = 0
    resampler = None
    resampler_rate = 0

    def resampler_tail() -> np.ndarray:
        return resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True)

    for planar, rate in chunks:
        if planar.shape[0] == 1:
            mono = planar[0]
        else:
            # One add per channel: np.add.reduce over the channel axis of this
            # interleaved view took 18x longer (0.55 ms against 0.03 ms a second
            # of stereo; 0.3 s of each five-minute song).
            mono = planar[0].astype(np.float32, copy=True)
            for channel in planar[1:]:
                np.add(mono, channel, out=mono)
            np.divide(mono, np.float32(planar.shape[0]), out=mono)
        if rate != resampler_rate:  # the first chunk, or a stream that changed rate mid-way
            if resampler is not None:
                pending.append(resampler_tail())
            resampler = stream_resampler(rate, sample_rate)
            resampler_rate = rate
            info.source_rate = info.source_rate or rate
        out = resampler.resample_chunk(np.ascontiguousarray(mono, dtype=np.float32))
        if out.size:
            pending.append(out)
            pending_samples += out.size
        if pending_samples >= target_block:
            block = np.concatenate(pending)
            pending, pending_samples = [], 0
            info.decoded_samples += block.size
            yield _sanitise(block)
    if resampler is not None:
        pending.append(resampler_tail())
    if pending:
        block = np.concatenate(pending)
        if block.size:
            info.decoded_samples += block.size
            yield _sanitise(block)


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


def stream_resampler(source_rate: int, sample_rate: int = SAMPLE_RATE) -> soxr.ResampleStream:  # noqa: F821
    """The streaming rate converter every decoded or recorded block goes through (soxr, librosa's ``soxr_hq``).

    Returns an object whose ``resample_chunk(block, last=False)`` takes mono
    float32 blocks at ``source_rate`` Hz, shape (n,), and returns what is
    ready at ``sample_rate`` Hz (``last=True`` flushes the tail).
    """
    import soxr

    return soxr.ResampleStream(source_rate, sample_rate, 1, dtype="float32", quality="HQ")
