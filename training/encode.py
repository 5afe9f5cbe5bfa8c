"""Encode mono float audio with FFmpeg's encoders (PyAV): MP3, AAC and the like.

One encoder for the synthetic corpus writer and the MP3 round trip of the
training augmentation.
"""

from __future__ import annotations

import os
from typing import BinaryIO

import numpy as np

#: Samples handed to the encoder per call (the encoder frames them itself).
ENCODE_BLOCK = 1 << 16


def encode_mono(
    target: str | os.PathLike | BinaryIO,
    audio: np.ndarray,
    *,
    sample_rate: int,
    container_format: str,
    codec: str,
    bit_rate: int = 128_000,
) -> None:
    """Encode a mono signal into a file.

    Parameters
    ----------
    target : path-like or binary file
        Where the encoded file goes (a seekable file object works too).
    audio : numpy.ndarray, shape (n,)
        Samples; clipped to [-1, 1].
    sample_rate : int
        Hz.
    container_format : str
        FFmpeg muxer name, e.g. ``"mp3"`` or ``"ipod"`` (M4A).
    codec : str
        FFmpeg encoder name, e.g. ``"libmp3lame"`` or ``"aac"``.
    bit_rate : int
        Bits per second.
    """
    import av

    audio = np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0)
    target = os.fspath(target) if isinstance(target, (str, os.PathLike)) else target
    with av.open(target, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=sample_rate, layout="mono")
        stream.bit_rate = int(bit_rate)
        for start in range(0, audio.size, ENCODE_BLOCK):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(audio[None, start : start + ENCODE_BLOCK]), format="flt", layout="mono"
            )
            frame.sample_rate = sample_rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
