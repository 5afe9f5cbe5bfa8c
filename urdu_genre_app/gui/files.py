"""Writing files safely: whole or not at all (temporary file in the same folder, then ``os.replace``)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from urdu_genre_app.core.atomic import atomic_write
from urdu_genre_app.paths import recordings_dir


def write_atomic(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` so that a crash leaves either the old file or the new one.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; its folder must exist.
    data : bytes or str
        Content; text is written as UTF-8.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_write(path) as stream:
        stream.write(payload)
    return path


def save_recording_as(source: str | os.PathLike, destination: str | os.PathLike) -> Path:
    """Copy a finished WAV recording to ``destination`` (WAV, or FLAC by suffix), atomically."""
    import soundfile

    destination = Path(destination)
    audio_format = "FLAC" if destination.suffix.lower() == ".flac" else "WAV"
    data, rate = soundfile.read(source, dtype="int16", always_2d=True)
    with atomic_write(destination) as stream:
        soundfile.write(stream, data, rate, format=audio_format, subtype="PCM_16")
    return destination


def unused_path(path: Path) -> Path:
    """``path`` if nothing is there, else ``name-2.ext``, ``name-3.ext``, ...: the first free one."""
    candidate, number = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
        number += 1
    return candidate


def new_recording_path(folder: Path | None = None) -> Path:
    """A fresh, time-stamped WAV path in the recordings folder."""
    folder = folder or recordings_dir()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return unused_path(folder / f"recording-{stamp}.wav")
