"""Find the labeled songs of a dataset: a folder of genre folders, or a CSV manifest.

Two layouts are read:

* **A folder** with one sub-folder per genre; the sub-folder's name is the
  genre (any number of genres, at least two). Audio files are found
  recursively inside each genre folder by extension
  (:data:`urdu_genre_app.core.audio_io.AUDIO_EXTENSIONS`); hidden files and
  folders are ignored, and so are loose files beside the genre folders.
* **A CSV manifest** (``.csv``) with the columns ``path,genre`` (a header row
  is optional); relative paths are taken from the manifest's folder.

Each song's duration comes from its container's metadata through PyAV (a few
milliseconds a file); when the container declares none, the file is decoded
to measure it. A file that cannot be read is *skipped and listed* with the
reason, never fatal: one bad download does not stop a training run.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from urdu_genre_app.core.audio_io import is_audio_path, iter_audio_blocks
from urdu_genre_app.core.errors import AudioDecodeError
from urdu_genre_app.core.features import SAMPLE_RATE
from urdu_genre_app.library.scan import walk_audio
from training.errors import DatasetError

log = logging.getLogger(__name__)

#: Songs shorter than this many seconds are skipped (the classifier's own floor).
MIN_SONG_SECONDS = 1.0
#: Header names accepted in a manifest (first row), case-insensitive.
MANIFEST_COLUMNS = ("path", "genre")

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class Song:
    """One labeled audio file.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    genre : str
        Its label (the genre folder's name, or the manifest's genre column).
    duration_seconds : float
        Length in seconds (container metadata, or measured by decoding).
    """

    path: Path
    genre: str
    duration_seconds: float


@dataclass(frozen=True)
class SkippedFile:
    """A file left out of the dataset, and why (in plain words)."""

    path: Path
    reason: str


@dataclass
class DatasetScan:
    """What a dataset holds.

    Attributes
    ----------
    source : pathlib.Path
        The folder or manifest scanned.
    songs : list of Song
        Readable songs, in a stable order (genre, then path).
    labels : list of str
        Genre names in model output order (sorted, case-insensitively).
    skipped : list of SkippedFile
        Files that could not be used, with the reason.
    """

    source: Path
    songs: list[Song] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)

    def songs_per_genre(self) -> dict[str, int]:
        """Number of readable songs for each label."""
        return {label: sum(s.genre == label for s in self.songs) for label in self.labels}

    def smallest_genre_songs(self) -> int:
        """Readable songs in the genre with the fewest (0 when there is no genre)."""
        return min(self.songs_per_genre().values(), default=0)

    def seconds_per_genre(self) -> dict[str, float]:
        """Total duration in seconds for each label."""
        return {label: sum(s.duration_seconds for s in self.songs if s.genre == label) for label in self.labels}

    def summary(self) -> dict[str, Any]:
        """JSON-ready description, as stored in a bundle's provenance."""
        counts, seconds = self.songs_per_genre(), self.seconds_per_genre()
        return {
            "source": str(self.source),
            "songs": len(self.songs),
            "total_seconds": round(sum(seconds.values()), 1),
            "genres": {
                label: {"songs": counts[label], "seconds": round(seconds[label], 1)} for label in self.labels
            },
            "skipped": len(self.skipped),
        }

    def describe(self) -> str:
        """A small text table: songs and total duration per genre, then skipped files."""
        counts, seconds = self.songs_per_genre(), self.seconds_per_genre()
        width = max([len("genre"), *(len(label) for label in self.labels)])
        lines = [f"{'genre':<{width}}  songs  duration"]
        for label in self.labels:
            lines.append(f"{label:<{width}}  {counts[label]:>5}  {_hms(seconds[label]):>8}")
        lines.append(f"{'total':<{width}}  {len(self.songs):>5}  {_hms(sum(seconds.values())):>8}")
        for skipped in self.skipped:
            lines.append(f"skipped {skipped.path}: {skipped.reason}")
        return "\n".join(lines)


def _hms(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def probe_duration(path: str | os.PathLike) -> float:
    """Duration of an audio file in seconds, from metadata when possible.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    float
        Seconds of audio. Read from the container (PyAV) when it declares a
        duration, else measured by decoding the whole file.

    Raises
    ------
    AudioDecodeError
        The file cannot be read as audio (the message names the reason).
    """
    import av  # deferred: PyAV is only needed once a dataset is scanned

    path = Path(path)
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            streams = container.streams.audio
            if streams:
                stream = streams[0]
                if stream.duration and stream.time_base:
                    return float(stream.duration * stream.time_base)
                if container.duration:
                    return container.duration / 1_000_000
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError, OSError) as error:
        log.debug("%s: no metadata duration (%s); decoding to measure it", path, error)
    # No usable metadata: decode (this also produces the right error wording).
    samples = sum(block.size for block in iter_audio_blocks(path, sample_rate=SAMPLE_RATE))
    return samples / SAMPLE_RATE


def _label_order(genres: set[str]) -> list[str]:
    return sorted(genres, key=lambda g: (g.casefold(), g))


def _measure(candidates: list[tuple[Path, str]], source: Path, on_progress: ProgressCallback | None) -> DatasetScan:
    scan = DatasetScan(source=source)
    seen: set[Path] = set()
    for done, (path, genre) in enumerate(candidates):
        if on_progress is not None:
            on_progress(done, len(candidates))
        resolved = path.resolve()
        if resolved in seen:
            scan.skipped.append(SkippedFile(path, "listed twice; used once"))
            continue
        seen.add(resolved)
        try:
            seconds = probe_duration(path)
        except AudioDecodeError as error:
            scan.skipped.append(SkippedFile(path, error.reason))
            continue
        except Exception as error:  # a broken file must never stop a scan
            log.debug("unexpected failure probing %s", path, exc_info=True)
            scan.skipped.append(SkippedFile(path, f"could not be read ({type(error).__name__}: {error})"))
            continue
        if seconds < MIN_SONG_SECONDS:
            scan.skipped.append(SkippedFile(path, f"holds only {seconds:.2f} s of audio"))
            continue
        scan.songs.append(Song(path=path, genre=genre, duration_seconds=float(seconds)))
    if on_progress is not None:
        on_progress(len(candidates), len(candidates))
    scan.labels = _label_order({song.genre for song in scan.songs})
    order = {label: i for i, label in enumerate(scan.labels)}
    scan.songs.sort(key=lambda s: (order[s.genre], str(s.path)))
    for skipped in scan.skipped:
        log.warning("skipped %s: %s", skipped.path, skipped.reason)
    return scan


def scan_folder(root: str | os.PathLike, *, on_progress: ProgressCallback | None = None) -> DatasetScan:
    """Scan a folder with one sub-folder per genre.

    Parameters
    ----------
    root : str or os.PathLike
        The dataset folder.
    on_progress : callable, optional
        Called as ``on_progress(done, total)`` while files are probed.

    Returns
    -------
    DatasetScan

    Raises
    ------
    DatasetError
        No such folder, or fewer than two genre folders hold readable songs.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: no such dataset folder")
    candidates: list[tuple[Path, str]] = []
    walk_skipped: list[SkippedFile] = []
    for genre_dir in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        # The app's one folder walk (regular files only, unreadable folders reported), as the CLI and Library use.
        walked = walk_audio(genre_dir)
        base = genre_dir.resolve()
        candidates += [(genre_dir / path.relative_to(base), genre_dir.name) for path in walked.files]
        walk_skipped += [SkippedFile(Path(item.path), item.reason) for item in walked.skipped]
    loose = [p.name for p in root.iterdir() if p.is_file() and is_audio_path(p)]
    if loose:
        log.warning("%s: %d audio files outside genre folders are ignored", root, len(loose))
    scan = _measure(candidates, root, on_progress)
    scan.skipped[:0] = walk_skipped
    _require_genres(scan, "genre sub-folders with readable audio files")
    return scan


def scan_manifest(manifest: str | os.PathLike, *, on_progress: ProgressCallback | None = None) -> DatasetScan:
    """Scan a CSV manifest of ``path,genre`` rows.

    Parameters
    ----------
    manifest : str or os.PathLike
        The ``.csv`` file; relative paths are resolved from its folder.
    on_progress : callable, optional
        Called as ``on_progress(done, total)`` while files are probed.

    Returns
    -------
    DatasetScan
        Rows without a path or a genre are listed as skipped.

    Raises
    ------
    DatasetError
        The manifest cannot be read, or fewer than two genres hold readable songs.
    """
    manifest = Path(manifest)
    try:
        with manifest.open(newline="", encoding="utf-8-sig") as handle:
            rows = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DatasetError(f"{manifest}: the manifest cannot be read ({error})") from error
    if rows and tuple(cell.strip().lower() for cell in rows[0][:2]) == MANIFEST_COLUMNS:
        rows = rows[1:]
    candidates: list[tuple[Path, str]] = []
    bad_rows: list[SkippedFile] = []
    for number, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if len(cells) < 2 or not cells[0] or not cells[1]:
            bad_rows.append(SkippedFile(manifest, f"row {number} needs a path and a genre: {row}"))
            continue
        path = Path(cells[0])
        candidates.append((path if path.is_absolute() else manifest.parent / path, cells[1]))
    scan = _measure(candidates, manifest, on_progress)
    scan.skipped[:0] = bad_rows
    _require_genres(scan, "genres with readable audio files in the manifest")
    return scan


def scan_dataset(source: str | os.PathLike, *, on_progress: ProgressCallback | None = None) -> DatasetScan:
    """Scan a dataset folder, or a CSV manifest when ``source`` ends in ``.csv``."""
    source = Path(source)
    if source.suffix.lower() == ".csv":
        if not source.is_file():
            raise DatasetError(f"{source}: no such manifest file")
        return scan_manifest(source, on_progress=on_progress)
    return scan_folder(source, on_progress=on_progress)


def _require_genres(scan: DatasetScan, what: str) -> None:
    if len(scan.labels) < 2:
        found = ", ".join(scan.labels) or "none"
        raise DatasetError(
            f"{scan.source}: training needs at least two {what}; found {len(scan.labels)} ({found})"
        )


def scan_pairs(
    pairs: Iterable[tuple[str | os.PathLike, str]], *, source: str | os.PathLike = "<songs>",
    on_progress: ProgressCallback | None = None,
) -> DatasetScan:
    """Scan ``(path, genre)`` pairs given in memory (a manifest's rows without the file).

    Unreadable files are listed as skipped, as :func:`scan_manifest` does;
    unlike it, one genre is enough (a fine-tune keeps the genres it knew).
    """
    candidates = [(Path(path), str(genre).strip()) for path, genre in pairs]
    return _measure(candidates, Path(source), on_progress)
