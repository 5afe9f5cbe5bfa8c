"""Cut labeled songs into MFCC windows, in parallel, with an on-disk cache.

The paper's augmentation, made explicit and reproducible:

* Each song gives ``windows_per_song`` windows (5, the paper's) of
  ``FeatureParams.window_seconds`` (30 s) starting at random.
* Windows skip the song's intro: ``intro_skip_seconds`` per genre (Ghazal and
  Qawwali 30 s, Rock 20 s, the paper's mellow intros; others 0). Genre names
  match case-insensitively, ignoring spaces, hyphens and underscores
  (``hip_hop`` = ``Hip-hop``).
* **Short songs.** Let ``slack = duration - window``. When the song is shorter
  than ``skip + window`` (``slack < skip``), the skip shrinks to ``slack / 2``:
  windows then start at random in the second half of the slack, avoiding as
  much of the intro as the song allows while still varying. A song shorter
  than one window is looped end to end to fill it, as the classifier does
  (:mod:`urdu_genre_app.core.windows`); its first window starts at 0 (exactly
  what inference sees) and the others at a random point of the loop.
* Windows are drawn from the first :data:`MAX_DECODE_SECONDS` (20 min) of a
  song, which bounds memory for a concert recording.
* Optional waveform augmentation (:class:`training.augment.WaveAugmentConfig`)
  adds ``copies`` perturbed copies of every window. Copy 0 is always the
  clean window; validation and test use clean windows only.

Decoding is :func:`urdu_genre_app.core.audio_io.load_audio` and features are
:func:`urdu_genre_app.core.features.mfcc`: the very functions inference uses.

**Reproducible.** A song's random choices come from a generator seeded by the
run's seed and the SHA-256 of the file's content, so they do not depend on
the order of songs, on the number of workers, or on the file's name.

**Cache.** Each song's windows are stored as ``<cache>/<key[:2]>/<key>.npz``
(plain arrays, read with ``allow_pickle=False``), written atomically (temporary
file, then rename). The key is the SHA-256 of the file's content, the feature
parameters, the window and augmentation parameters (with this genre's intro
skip), the seed and :data:`CACHE_VERSION`; a second run over the same songs
with the same settings decodes nothing. An entry that cannot be read or has
the wrong shapes or non-finite features is moved aside (``.broken-*``) and
the song extracted again; a song whose fresh features are not finite is left
out with that reason, never trained on (:func:`cache_entry_problem`).

**Parallel.** Songs not in the cache are extracted by a
``concurrent.futures.ProcessPoolExecutor`` (``spawn`` start: safe when
TensorFlow's threads already run in the parent) with ``workers`` processes,
each limited to one BLAS thread so they do not fight over cores. As always with
``spawn``, a script that calls :func:`extract_windows` needs an
``if __name__ == "__main__":`` guard, and a frozen app must call
``multiprocessing.freeze_support()`` first; should the workers die anyway,
the remaining songs are extracted in this process.
"""

from __future__ import annotations

import concurrent.futures
import concurrent.futures.process
import hashlib
import json
import logging
import multiprocessing
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from urdu_genre_app.core.atomic import atomic_write, move_aside
from urdu_genre_app.core.audio_io import load_audio
from urdu_genre_app.core.errors import AudioDecodeError, CancelledError
from urdu_genre_app.core.features import FEATURE_MFCC, FeatureParams, window_features
from training.augment import WaveAugmentConfig, augment_window, read_segment
from training.dataset import MIN_SONG_SECONDS, SkippedFile, Song
from training.errors import TrainingConfigError

log = logging.getLogger(__name__)

#: Bumped whenever the cached arrays change meaning; old entries are then ignored.
CACHE_VERSION = 1
#: The paper's intro skips, in seconds, by genre (matched case-insensitively).
DEFAULT_INTRO_SKIP_SECONDS: dict[str, float] = {"ghazal": 30.0, "qawwali": 30.0, "rock": 20.0}
#: The paper's number of random windows per song.
DEFAULT_WINDOWS_PER_SONG = 5
#: Only the first this many seconds of a song are decoded (bounds memory: 20 min is ~106 MB).
MAX_DECODE_SECONDS = 20 * 60.0
#: Bytes read at a time while hashing a file.
HASH_CHUNK_BYTES = 1 << 20

ProgressCallback = Callable[[int, int], None]
CancelCheck = Callable[[], bool]


def genre_key(genre: str) -> str:
    """Genre name for matching: case-folded, without spaces, hyphens, underscores."""
    return re.sub(r"[\s_\-]+", "", genre.casefold())


@dataclass(frozen=True)
class ExtractionConfig:
    """How windows are drawn from each song.

    Attributes
    ----------
    windows_per_song : int
        Random windows per song (the paper's 5).
    intro_skip_seconds : Mapping of str to float
        Seconds skipped at the start of songs of each genre (keys matched by
        :func:`genre_key`).
    default_intro_skip_seconds : float
        Skip for genres not in ``intro_skip_seconds``.
    seed : int
        Seed of every random choice.
    augment : WaveAugmentConfig
        Waveform augmentation (``copies=0``: none).
    """

    windows_per_song: int = DEFAULT_WINDOWS_PER_SONG
    intro_skip_seconds: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_INTRO_SKIP_SECONDS))
    default_intro_skip_seconds: float = 0.0
    seed: int = 0
    augment: WaveAugmentConfig = field(default_factory=WaveAugmentConfig)

    def __post_init__(self) -> None:
        if self.windows_per_song < 1:
            raise TrainingConfigError(f"windows_per_song={self.windows_per_song} must be at least 1")
        if any(v < 0 for v in self.intro_skip_seconds.values()) or self.default_intro_skip_seconds < 0:
            raise TrainingConfigError("intro skips must be >= 0 seconds")

    def intro_skip_for(self, genre: str) -> float:
        """Seconds to skip at the start of a song of ``genre``."""
        wanted = genre_key(genre)
        for name, seconds in self.intro_skip_seconds.items():
            if genre_key(name) == wanted:
                return float(seconds)
        return float(self.default_intro_skip_seconds)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (for provenance)."""
        return {
            "windows_per_song": self.windows_per_song,
            "intro_skip_seconds": dict(self.intro_skip_seconds),
            "default_intro_skip_seconds": self.default_intro_skip_seconds,
            "seed": self.seed,
            "augment": self.augment.to_dict(),
        }


@dataclass
class ExtractionStats:
    """Counters of one extraction run.

    Attributes
    ----------
    songs : int
        Songs asked for.
    extracted : int
        Songs decoded and featurised in this run.
    cached : int
        Songs read from the cache instead.
    failed : list of SkippedFile
        Songs that could not be decoded (left out, with the reason).
    windows : int
        Windows produced, augmented copies included.
    """

    songs: int = 0
    extracted: int = 0
    cached: int = 0
    failed: list[SkippedFile] = field(default_factory=list)
    windows: int = 0


@dataclass
class WindowSet:
    """MFCC windows of many songs, with what each window came from.

    Attributes
    ----------
    features : numpy.ndarray, shape (n, frames, n_mfcc), float32
        Un-normalised MFCC images.
    song : numpy.ndarray, shape (n,), int64
        Index into ``songs`` of each window's song.
    label : numpy.ndarray, shape (n,), int64
        Index into ``labels`` of each window's genre.
    window : numpy.ndarray, shape (n,), int64
        Which of its song's random windows it is (0 .. windows_per_song-1).
    copy : numpy.ndarray, shape (n,), int64
        0 for the clean window, 1..copies for augmented copies.
    start_seconds : numpy.ndarray, shape (n,), float64
        Where the clean window starts in its song.
    songs : list of Song
        The songs that produced windows (failed songs are left out).
    labels : list of str
        Genre names in model output order.
    stats : ExtractionStats
        What this run did.
    """

    features: np.ndarray
    song: np.ndarray
    label: np.ndarray
    window: np.ndarray
    copy: np.ndarray
    start_seconds: np.ndarray
    songs: list[Song]
    labels: list[str]
    stats: ExtractionStats = field(default_factory=ExtractionStats)

    def __len__(self) -> int:
        return int(self.features.shape[0])

    @property
    def song_labels(self) -> np.ndarray:
        """Label index of every song, shape (n_songs,)."""
        index = {label: i for i, label in enumerate(self.labels)}
        return np.array([index[s.genre] for s in self.songs], dtype=np.int64)


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's content, hex (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(HASH_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def song_seed(seed: int, content_sha256: str) -> int:
    """Seed of one song's random choices, from the run seed and the file's content hash."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{content_sha256}".encode()).digest()[:8], "little")


def cache_key(
    *, content_sha256: str, params: FeatureParams, config: ExtractionConfig, intro_skip_seconds: float
) -> str:
    """The cache key of one song's windows (hex SHA-256; see the module docstring)."""
    features = params.to_dict()
    if features["feature"] == FEATURE_MFCC:
        del features["feature"]  # MFCC keys stay what they were before the log-mel existed
    document = {
        "version": CACHE_VERSION,
        "max_decode_seconds": MAX_DECODE_SECONDS,
        "content": content_sha256,
        "features": features,
        "windows_per_song": config.windows_per_song,
        "intro_skip_seconds": intro_skip_seconds,
        "seed": config.seed,
        "augment": config.augment.to_dict(),
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def window_starts_for_song(
    total_samples: int, *, window_samples: int, skip_samples: int, count: int, rng: np.random.Generator
) -> list[int]:
    """Random window starts in a song of ``total_samples`` (module docstring's rule).

    Parameters
    ----------
    total_samples : int
        Length of the song in samples.
    window_samples : int
        Window length in samples.
    skip_samples : int
        The genre's intro skip in samples.
    count : int
        Windows wanted.
    rng : numpy.random.Generator
        Source of the random starts.

    Returns
    -------
    list of int
        ``count`` starts. For a song shorter than one window these are offsets
        into the looped song, the first being 0.
    """
    if total_samples < window_samples:
        return [0] + [int(v) for v in rng.integers(0, max(1, total_samples), size=count - 1)]
    slack = total_samples - window_samples
    skip = skip_samples if skip_samples <= slack else slack // 2
    return [int(v) for v in rng.integers(skip, slack + 1, size=count)]


def _song_windows(
    path: str, *, genre_skip: float, seed: int, params_dict: dict, config_dict: dict
) -> dict[str, np.ndarray]:
    """Decode one song and compute its windows' features (runs in a worker)."""
    params = FeatureParams.from_dict(params_dict)
    augment = WaveAugmentConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in config_dict["augment"].items()})
    count = int(config_dict["windows_per_song"])
    rng = np.random.default_rng(seed)
    song = load_audio(path, sample_rate=params.sample_rate, max_seconds=MAX_DECODE_SECONDS)
    if song.size < MIN_SONG_SECONDS * params.sample_rate:
        # The scan read the duration from the header; a damaged file can declare minutes and decode
        # to a fraction of a second of noise, which looped into windows would train on garbage.
        raise AudioDecodeError(path, f"decodes to only {song.size / params.sample_rate:.2f} s of audio although "
                                     "its header declares more: the file is damaged")
    window = params.window_samples
    starts = window_starts_for_song(
        song.size,
        window_samples=window,
        skip_samples=int(round(genre_skip * params.sample_rate)),
        count=count,
        rng=rng,
    )
    features, window_index, copy_index, start_seconds = [], [], [], []
    for i, start in enumerate(starts):
        features.append(window_features(read_segment(song, start, window), params))
        window_index.append(i)
        copy_index.append(0)
        start_seconds.append(start / params.sample_rate)
        for k in range(augment.copies):
            copy_rng = np.random.default_rng([seed, i, k + 1])
            perturbed = augment_window(
                song, start=start, window_samples=window, sample_rate=params.sample_rate, config=augment, rng=copy_rng
            )
            features.append(window_features(perturbed, params))
            window_index.append(i)
            copy_index.append(k + 1)
            start_seconds.append(start / params.sample_rate)
    return {
        "features": np.stack(features).astype(np.float32, copy=False),
        "window": np.asarray(window_index, dtype=np.int64),
        "copy": np.asarray(copy_index, dtype=np.int64),
        "start_seconds": np.asarray(start_seconds, dtype=np.float64),
    }


def _extract_task(
    path: str, genre_skip: float, seed: int, params_dict: dict, config_dict: dict, cache_file: str | None
) -> tuple[dict[str, np.ndarray] | None, str | None]:
    """Worker entry: ``(arrays, None)`` or ``(None, reason)``; writes the cache entry."""
    try:
        arrays = _song_windows(path, genre_skip=genre_skip, seed=seed, params_dict=params_dict, config_dict=config_dict)
    except AudioDecodeError as error:
        return None, error.reason
    except Exception as error:  # one broken song never stops the others
        return None, f"could not be processed ({type(error).__name__}: {error})"
    problem = cache_entry_problem(arrays, FeatureParams.from_dict(params_dict))
    if problem is not None:  # never cached, never trained on
        return None, problem
    if cache_file is not None:
        try:
            _write_npz_atomic(Path(cache_file), arrays)
        except OSError as error:
            logging.getLogger(__name__).warning("cannot write feature cache %s: %s", cache_file, error)
    return arrays, None


def _write_npz_atomic(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with atomic_write(path) as out:
        np.savez(out, **arrays)


#: The arrays of one cache entry, in order.
CACHE_ARRAYS = ("features", "window", "copy", "start_seconds")


def cache_entry_problem(arrays: dict[str, np.ndarray], params: FeatureParams) -> str | None:
    """Why a song's window arrays cannot be used (wrong shapes, NaN or infinite features), or None.

    A truncated or foreign cache entry, or features computed from damaged
    audio, would otherwise end in a broadcast error or train at chance
    without a word.
    """
    features = arrays["features"]
    expected = (params.frames_per_window, params.n_features)
    if features.ndim != 3 or features.shape[1:] != expected or len(features) == 0:
        return f"its features have shape {features.shape}, not (windows, {expected[0]}, {expected[1]})"
    if any(arrays[name].shape != (len(features),) for name in CACHE_ARRAYS[1:]):
        return "its window indices do not match its features"
    if not np.all(np.isfinite(features)):
        return "its features hold NaN or infinite values (damaged audio?)"
    return None


def _read_npz(path: Path, params: FeatureParams | None = None) -> dict[str, np.ndarray] | None:
    """A cache entry's arrays; a damaged (or, given ``params``, unusable) entry is moved aside: None."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in CACHE_ARRAYS}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        move_aside(path, f"damaged feature cache entry ({error})")
        return None
    problem = cache_entry_problem(arrays, params) if params is not None else None
    if problem is not None:
        move_aside(path, f"unusable feature cache entry: {problem}")
        return None
    return arrays


def _limit_worker_threads() -> None:
    """Process-pool initializer: one BLAS/OpenMP thread per worker process."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        pass


def _single_blas_thread():
    """Context manager limiting BLAS/OpenMP to one thread (no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(1)


def default_workers() -> int:
    """Worker processes used when none is given: the number of CPU cores."""
    return max(1, os.cpu_count() or 1)


def extract_windows(
    songs: list[Song],
    *,
    labels: list[str],
    params: FeatureParams = FeatureParams(),
    config: ExtractionConfig = ExtractionConfig(),
    workers: int | None = None,
    cache_dir: str | os.PathLike | None = None,
    on_progress: ProgressCallback | None = None,
    is_cancelled: CancelCheck | None = None,
) -> WindowSet:
    """MFCC windows of every song (see the module docstring for the rules).

    Parameters
    ----------
    songs : list of Song
        Usually :attr:`training.dataset.DatasetScan.songs`.
    labels : list of str
        Genre names in model output order; every song's genre must be one.
    params : FeatureParams
        Feature parameters (window length included).
    config : ExtractionConfig
        Windows per song, intro skips, seed and waveform augmentation.
    workers : int, optional
        Processes for songs not in the cache (default: CPU cores); 1 runs in
        this process.
    cache_dir : str or os.PathLike, optional
        Feature cache folder; None disables the cache.
    on_progress : callable, optional
        ``on_progress(done, total)`` after each song.
    is_cancelled : callable, optional
        Polled between songs; True stops the run with
        :class:`~urdu_genre_app.core.errors.CancelledError`.

    Returns
    -------
    WindowSet
        Songs that fail to decode are left out and listed in ``stats.failed``.
    """
    label_index = {label: i for i, label in enumerate(labels)}
    unknown = {s.genre for s in songs} - set(label_index)
    if unknown:
        raise ValueError(f"songs with genres not in labels: {sorted(unknown)}")
    stats = ExtractionStats(songs=len(songs))
    cache = Path(cache_dir) if cache_dir is not None else None
    results: dict[int, dict[str, np.ndarray]] = {}
    pending: list[tuple[int, tuple]] = []
    done = 0

    def progress() -> None:
        if on_progress is not None:
            on_progress(done, len(songs))

    def check_cancel() -> None:
        if is_cancelled is not None and is_cancelled():
            raise CancelledError("feature extraction cancelled")

    config_dict = config.to_dict()
    params_dict = params.to_dict()
    progress()
    for position, song in enumerate(songs):
        check_cancel()
        skip = config.intro_skip_for(song.genre)
        try:
            content = file_sha256(song.path)
        except OSError as error:
            stats.failed.append(SkippedFile(song.path, f"cannot be read ({error.strerror or error})"))
            done += 1
            progress()
            continue
        cache_file = None
        if cache is not None:
            key = cache_key(content_sha256=content, params=params, config=config, intro_skip_seconds=skip)
            cache_file = cache / key[:2] / f"{key}.npz"
            if cache_file.is_file():
                arrays = _read_npz(cache_file, params)
                if arrays is not None:
                    results[position] = arrays
                    stats.cached += 1
                    done += 1
                    progress()
                    continue
        task = (str(song.path), skip, song_seed(config.seed, content), params_dict, config_dict,
                str(cache_file) if cache_file else None)
        pending.append((position, task))

    def accept(position: int, outcome: tuple[dict | None, str | None]) -> None:
        nonlocal done
        arrays, reason = outcome
        if arrays is None:
            stats.failed.append(SkippedFile(songs[position].path, reason or "could not be processed"))
            log.warning("left out %s: %s", songs[position].path, reason)
        else:
            results[position] = arrays
            stats.extracted += 1
        done += 1
        progress()

    workers = default_workers() if workers is None else max(1, int(workers))
    if workers == 1 or len(pending) <= 1:
        # One BLAS thread here too: features are then bit-identical whatever the worker count.
        with _single_blas_thread():
            for position, task in pending:
                check_cancel()
                accept(position, _extract_task(*task))
    else:
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=min(workers, len(pending)), mp_context=context, initializer=_limit_worker_threads
        ) as pool:
            futures = {pool.submit(_extract_task, *task): position for position, task in pending}
            unfinished = dict(pending)
            try:
                for future in concurrent.futures.as_completed(futures):
                    outcome = future.result()
                    unfinished.pop(futures[future])
                    accept(futures[future], outcome)
                    check_cancel()
            except concurrent.futures.process.BrokenProcessPool as error:
                # E.g. a frozen app without multiprocessing.freeze_support(), or a
                # worker killed for memory: finish the rest here, one at a time.
                log.warning("extraction workers failed (%s); continuing in this process", error)
                pool.shutdown(wait=True, cancel_futures=True)
                with _single_blas_thread():
                    for position, task in unfinished.items():
                        check_cancel()
                        accept(position, _extract_task(*task))
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    return _assemble(songs, labels, results, stats, params)


def _assemble(
    songs: list[Song], labels: list[str], results: dict[int, dict[str, np.ndarray]], stats: ExtractionStats,
    params: FeatureParams,
) -> WindowSet:
    label_index = {label: i for i, label in enumerate(labels)}
    kept = [position for position in range(len(songs)) if position in results]
    frames, n_mfcc = params.frames_per_window, params.n_features
    total = sum(results[p]["features"].shape[0] for p in kept)
    features = np.empty((total, frames, n_mfcc), dtype=np.float32)
    song, label, window, copy, start = [], [], [], [], []
    offset = 0
    for new_index, position in enumerate(kept):
        arrays = results.pop(position)
        n = arrays["features"].shape[0]
        features[offset : offset + n] = arrays["features"]
        offset += n
        song.append(np.full(n, new_index, dtype=np.int64))
        label.append(np.full(n, label_index[songs[position].genre], dtype=np.int64))
        window.append(arrays["window"])
        copy.append(arrays["copy"])
        start.append(arrays["start_seconds"])

    def joined(parts: list[np.ndarray], dtype) -> np.ndarray:
        return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype=dtype)

    stats.windows = total
    return WindowSet(
        features=features,
        song=joined(song, np.int64),
        label=joined(label, np.int64),
        window=joined(window, np.int64),
        copy=joined(copy, np.int64),
        start_seconds=joined(start, np.float64),
        songs=[songs[p] for p in kept],
        labels=list(labels),
        stats=stats,
    )
