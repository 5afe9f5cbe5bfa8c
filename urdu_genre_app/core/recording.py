"""A recording's journal on disk: its gaps, whether it was closed, and the repair of one that was not (Qt-free).

Every recording ``recording-….wav`` has a sidecar ``recording-….wav.json``
(:func:`journal_path`), written when recording starts, rewritten at every
gap and when the file is closed:

* ``state`` is ``"recording"`` until the recorder closes the file cleanly,
  then ``"complete"``. A sidecar still saying ``"recording"`` whose process
  (``pid``) is gone belongs to a recording the app never closed (killed,
  crashed, power cut): :func:`find_unfinished` lists those, and the app
  offers to recover them. ``"recovered"`` marks one the user took back.
* ``gaps``: where audio was lost because the app could not keep up with the
  sound card (the input ring buffer overran). The lost stretch is replaced
  by silence of the same length, as Audacity's "detect dropouts" does, so
  the recording's timeline stays true; each gap is ``[at_seconds,
  lost_seconds]`` on that timeline.

A WAV file whose writer was killed holds every sample written up to the last
flush, but its header may count fewer (or, after a torn header write, more)
than the data holds: :func:`repair_wav_header` makes the header match the
data.
"""

from __future__ import annotations

import json
import logging
import os
import struct
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from urdu_genre_app.core.atomic import atomic_write, unused_path

log = logging.getLogger(__name__)

#: Suffix of the sidecar added to the recording's file name.
JOURNAL_SUFFIX = ".json"
#: Journal states.
RECORDING, COMPLETE, RECOVERED = "recording", "complete", "recovered"


@dataclass(frozen=True)
class Gap:
    """Audio lost while recording, replaced by silence.

    Attributes
    ----------
    at_seconds : float
        Where the silence starts in the recording.
    lost_seconds : float
        Its length.
    """

    at_seconds: float
    lost_seconds: float


def gaps_summary(gaps: list[Gap]) -> str:
    """``"2 gaps, 0.4 s lost"`` (empty when there are none)."""
    if not gaps:
        return ""
    lost = sum(gap.lost_seconds for gap in gaps)
    return f"{len(gaps)} gap{'s' if len(gaps) != 1 else ''}, {lost:.1f} s lost"


def gaps_warning(gaps: list[Gap]) -> str:
    """The warning a result of a recording with gaps carries (empty when there are none)."""
    if not gaps:
        return ""
    where = ", ".join(f"{gap.lost_seconds:.2f} s at {gap.at_seconds:.1f} s" for gap in gaps[:5])
    more = f" and {len(gaps) - 5} more" if len(gaps) > 5 else ""
    return (f"the recording has {gaps_summary(gaps)} (the app could not keep up with the sound card; "
            f"the lost audio is silence in the file: {where}{more})")


@dataclass
class RecordingJournal:
    """What the sidecar of one recording says.

    Attributes
    ----------
    audio_path : pathlib.Path
        The recording (WAV).
    state : str
        ``"recording"``, ``"complete"`` or ``"recovered"``.
    sample_rate : int
        Rate of the file in Hz.
    device : str
        The input it was recorded from.
    started : str
        ISO 8601 time (UTC) recording started.
    pid : int
        The process that records it.
    flush_seconds : float
        At most this much audio is held in memory before it is on disk.
    gaps : list of Gap
        Audio lost while recording, in order.
    """

    audio_path: Path
    state: str = RECORDING
    sample_rate: int = 0
    device: str = ""
    started: str = ""
    pid: int = 0
    flush_seconds: float = 0.0
    gaps: list[Gap] = field(default_factory=list)

    @classmethod
    def begin(cls, audio_path: Path, *, sample_rate: int, device: str, flush_seconds: float) -> RecordingJournal:
        """The journal of a recording starting now in this process."""
        return cls(Path(audio_path), RECORDING, int(sample_rate), device,
                   datetime.now(timezone.utc).isoformat(timespec="seconds"), os.getpid(), float(flush_seconds))

    @property
    def path(self) -> Path:
        """The sidecar file."""
        return journal_path(self.audio_path)

    @property
    def lost_seconds(self) -> float:
        """Total audio lost, in seconds."""
        return sum(gap.lost_seconds for gap in self.gaps)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"format": 1, "audio": self.audio_path.name, "state": self.state, "sample_rate": self.sample_rate,
                "device": self.device, "started": self.started, "pid": self.pid,
                "flush_seconds": self.flush_seconds, "lost_seconds": round(self.lost_seconds, 4),
                "gaps": [[round(g.at_seconds, 6), round(g.lost_seconds, 6)] for g in self.gaps]}

    def save(self) -> None:
        """Write the sidecar atomically (a crash leaves the previous one)."""
        with atomic_write(self.path) as stream:
            stream.write((json.dumps(self.to_dict(), indent=1) + "\n").encode("utf-8"))

    @classmethod
    def load(cls, sidecar: Path) -> RecordingJournal:
        """Read a sidecar.

        Raises
        ------
        OSError, ValueError, KeyError, TypeError
            Unreadable or not a journal.
        """
        data = json.loads(Path(sidecar).read_text(encoding="utf-8"))
        audio = Path(sidecar).with_name(str(data["audio"]))
        return cls(audio, str(data["state"]), int(data.get("sample_rate", 0)), str(data.get("device", "")),
                   str(data.get("started", "")), int(data.get("pid", 0)), float(data.get("flush_seconds", 0.0)),
                   [Gap(float(at), float(lost)) for at, lost in data.get("gaps", [])])


def journal_path(audio_path: str | os.PathLike) -> Path:
    """The sidecar of a recording: its file name plus :data:`JOURNAL_SUFFIX`."""
    audio_path = Path(audio_path)
    return audio_path.with_name(audio_path.name + JOURNAL_SUFFIX)


def journal_for(audio_path: str | os.PathLike) -> RecordingJournal | None:
    """The journal of ``audio_path`` if it has a readable one (any file may be asked about)."""
    sidecar = journal_path(audio_path)
    if not sidecar.is_file():
        return None
    try:
        return RecordingJournal.load(sidecar)
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("ignoring the unreadable recording journal %s: %s", sidecar, error)
        return None


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def find_unfinished(folder: str | os.PathLike) -> list[RecordingJournal]:
    """Recordings in ``folder`` that were never closed and whose recording process is gone, oldest first."""
    found = []
    folder = Path(folder)
    if not folder.is_dir():
        return found
    for sidecar in sorted(folder.glob(f"*.wav{JOURNAL_SUFFIX}")):
        journal = journal_for(sidecar.with_name(sidecar.name[: -len(JOURNAL_SUFFIX)]))
        if journal is None or journal.state != RECORDING or _process_alive(journal.pid):
            continue
        if not journal.audio_path.is_file():
            log.info("unfinished recording journal %s has no audio file", sidecar)
            continue
        found.append(journal)
    return found


def _chunks(data: bytes, start: int):
    """(id, offset of the chunk's size field, size) for each RIFF chunk from ``start``."""
    offset = start
    while offset + 8 <= len(data):
        chunk_id, size = data[offset : offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        yield chunk_id, offset + 4, size
        offset += 8 + size + (size & 1)


def repair_wav_header(path: str | os.PathLike) -> int:
    """Make a WAV header count every whole frame its data chunk holds (a file whose writer died).

    Only the two size fields (RIFF and ``data``) are rewritten, in place. The
    ``data`` chunk is taken to run to the end of the file (it is the last
    chunk of a file being recorded), whatever its header said.

    Parameters
    ----------
    path : str or os.PathLike
        A RIFF/WAVE file with a ``fmt `` and a ``data`` chunk.

    Returns
    -------
    int
        The number of frames the file now holds.

    Raises
    ------
    ValueError
        Not a WAV file this can repair (named in the message).
    """
    path = Path(path)
    with open(path, "r+b") as stream:
        head = stream.read(1 << 16)
        size = os.fstat(stream.fileno()).st_size
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise ValueError(f"{path}: not a RIFF/WAVE file")
        block_align = None
        data_size_field = None
        for chunk_id, size_field, _chunk_size in _chunks(head, 12):
            if chunk_id == b"fmt ":
                block_align = struct.unpack_from("<H", head, size_field + 4 + 12)[0]
            elif chunk_id == b"data":
                data_size_field = size_field
                break
        if block_align is None or not block_align or data_size_field is None:
            raise ValueError(f"{path}: no format or data chunk in the first 64 KiB")
        data_start = data_size_field + 4
        frames = max(0, size - data_start) // block_align
        data_bytes = frames * block_align
        stream.seek(4)
        stream.write(struct.pack("<I", min(0xFFFFFFFF, data_start + data_bytes - 8)))
        stream.seek(data_size_field)
        stream.write(struct.pack("<I", min(0xFFFFFFFF, data_bytes)))
        if data_start + data_bytes < size:
            stream.truncate(data_start + data_bytes)  # a torn last frame
        stream.flush()
        os.fsync(stream.fileno())
    return frames


def with_gaps(result, gaps: list[Gap]):
    """``result`` (a :class:`~urdu_genre_app.core.results.SongResult`) carrying a recording's gaps and their warning."""
    if gaps:
        result.gaps = [(gap.at_seconds, gap.lost_seconds) for gap in gaps]
        result.warnings.append(gaps_warning(gaps))
    return result


def new_recording_path(folder: Path) -> Path:
    """A fresh, time-stamped WAV path in ``folder`` (the app passes :func:`urdu_genre_app.paths.recordings_dir`)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return unused_path(Path(folder) / f"recording-{stamp}.wav")


def save_recording_as(source: str | os.PathLike, destination: str | os.PathLike) -> Path:
    """Copy a finished WAV recording to ``destination`` (WAV, or FLAC by suffix), atomically."""
    import soundfile

    destination = Path(destination)
    audio_format = "FLAC" if destination.suffix.lower() == ".flac" else "WAV"
    data, rate = soundfile.read(source, dtype="int16", always_2d=True)
    with atomic_write(destination) as stream:
        soundfile.write(stream, data, rate, format=audio_format, subtype="PCM_16")
    return destination
