"""Write a labelled synthetic corpus to disk: ``out_dir/<Genre>/<genre>_<NNN>.<ext>``.

Each song's seed, length, format and codec bit rate come from
``numpy.random.SeedSequence(seed, spawn_key=(genre_index, index))``, so the
corpus is reproducible song by song, whatever the number of workers or the
order of completion. Files are written to a temporary name in the same
folder and moved into place with :func:`os.replace`, so an interrupted run
never leaves a truncated song under a final name; a rerun skips songs whose
file already exists.
"""

from __future__ import annotations

import os
import pathlib
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Callable, Iterable

import numpy as np

from training.encode import encode_mono
from training.synth.song import GENRES, generate_song, genre_index
from urdu_genre_app.core.atomic import atomic_write

#: Formats written with soundfile.
SOUNDFILE_FORMATS = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16"), "ogg": ("OGG", "VORBIS")}
#: Formats written with PyAV: extension -> (container, encoder, bit rates to draw from).
PYAV_FORMATS = {
    "mp3": ("mp3", "libmp3lame", (64_000, 96_000, 128_000, 160_000, 192_000, 256_000, 320_000)),
    "m4a": ("ipod", "aac", (64_000, 96_000, 128_000, 160_000, 192_000, 256_000)),
}
SUPPORTED_FORMATS = tuple(SOUNDFILE_FORMATS) + tuple(PYAV_FORMATS)
#: Song renderers: NumPy instrument models (this package), recorded samples (:mod:`training.sampled`), or
#: both (``mixed``: even song indices NumPy, odd indices sampled).
RENDERERS = ("numpy", "sampled", "mixed")


def renderer_for(renderer: str, index: int) -> str:
    """``numpy`` or ``sampled``: the renderer of song ``index`` in a corpus made with ``renderer``."""
    if renderer not in RENDERERS:
        raise ValueError(f"unknown renderer {renderer!r}; expected one of {', '.join(RENDERERS)}")
    return renderer if renderer != "mixed" else ("sampled" if index % 2 else "numpy")


def _check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    out = tuple(f.lower().lstrip(".") for f in formats)
    if not out:
        raise ValueError("formats must name at least one of " + ", ".join(SUPPORTED_FORMATS))
    bad = [f for f in out if f not in SUPPORTED_FORMATS]
    if bad:
        raise ValueError(f"unsupported format(s) {', '.join(bad)}; supported: {', '.join(SUPPORTED_FORMATS)}")
    return out


def song_plan(seed: int, genre: str, index: int, duration_range: tuple[float, float],
              formats: tuple[str, ...]) -> tuple[int, float, str, int]:
    """Per-song choices derived from the corpus seed.

    Parameters
    ----------
    seed : int
        Corpus seed.
    genre : str
        One of :data:`GENRES`.
    index : int
        Song number within the genre.
    duration_range : (float, float)
        Song length bounds in s.
    formats : tuple of str
        Formats to cycle through (song ``index`` gets ``formats[index % len]``).

    Returns
    -------
    song_seed : int
    duration_s : float
    fmt : str
    bit_rate : int
        Encoder bit rate for lossy PyAV formats (0 otherwise).
    """
    ss = np.random.SeedSequence(int(seed), spawn_key=(genre_index(genre), int(index)))
    rng = np.random.default_rng(ss)
    song_seed = int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
    lo, hi = duration_range
    duration = float(rng.uniform(lo, hi)) if hi > lo else float(lo)
    fmt = formats[index % len(formats)]
    rates = PYAV_FORMATS[fmt][2] if fmt in PYAV_FORMATS else (0,)
    bit_rate = int(rates[int(rng.integers(0, len(rates)))])
    return song_seed, duration, fmt, bit_rate


def song_path(out_dir: str | os.PathLike, genre: str, index: int, fmt: str) -> pathlib.Path:
    """``out_dir/<Genre>/<genre>_<NNN>.<fmt>`` (genre lower-cased, index zero-padded to 3)."""
    return pathlib.Path(out_dir) / genre / f"{genre.lower()}_{index:03d}.{fmt}"


def write_audio(path: str | os.PathLike, audio: np.ndarray, sample_rate: int, fmt: str,
                bit_rate: int = 128_000) -> None:
    """Write mono float32 audio atomically (:func:`urdu_genre_app.core.atomic.atomic_write`).

    Parameters
    ----------
    path : path-like
        Final file name.
    audio : ndarray, shape (n,)
        Samples in [-1, 1].
    sample_rate : int
        Hz.
    fmt : str
        One of :data:`SUPPORTED_FORMATS`.
    bit_rate : int
        Bits per second for mp3/m4a.
    """
    if fmt not in SOUNDFILE_FORMATS and fmt not in PYAV_FORMATS:
        raise ValueError(f"unsupported format {fmt!r}")
    audio = np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0)
    with atomic_write(path) as out:
        if fmt in SOUNDFILE_FORMATS:
            import soundfile as sf

            container, subtype = SOUNDFILE_FORMATS[fmt]
            # libsndfile's Vorbis encoder overflows the stack (segfault) when
            # handed minutes of audio in one write; blocks of 64k frames are safe.
            with sf.SoundFile(out, "w", sample_rate, 1, subtype=subtype, format=container) as sound:
                for start in range(0, len(audio), 1 << 16):
                    sound.write(audio[start:start + (1 << 16)])
        else:
            container_format, codec, _ = PYAV_FORMATS[fmt]
            encode_mono(out, audio, sample_rate=sample_rate, container_format=container_format, codec=codec,
                        bit_rate=bit_rate)


def _make_one(job: tuple[str, int, int, float, str, int, str, int, str]) -> str:
    genre, index, song_seed, duration, fmt, bit_rate, path, sample_rate, renderer = job
    if renderer_for(renderer, index) == "sampled":
        from training.sampled import generate_sampled_song

        audio = generate_sampled_song(genre, song_seed, duration_seconds=duration, sample_rate=sample_rate)
    else:
        audio = generate_song(genre, song_seed, duration_seconds=duration, sample_rate=sample_rate)
    write_audio(path, audio, sample_rate, fmt, bit_rate)
    return path


def generate_corpus(out_dir: str | os.PathLike, *, songs_per_genre: int, seed: int = 0,
                    duration_range: tuple[float, float] = (120.0, 360.0), formats: tuple[str, ...] = ("wav",),
                    workers: int = 1, progress: Callable[[int, int], None] | None = None,
                    sample_rate: int = 22050, renderer: str = "numpy") -> list[pathlib.Path]:
    """Generate ``songs_per_genre`` songs of each genre into a labelled folder tree.

    Parameters
    ----------
    out_dir : path-like
        Root folder; one sub-folder per genre is created.
    songs_per_genre : int
        Songs per genre (indices 0 .. songs_per_genre - 1).
    seed : int
        Corpus seed; songs are a pure function of (seed, genre, index,
        duration_range, formats).
    duration_range : (float, float)
        Song lengths are drawn uniformly from this range, in s.
    formats : tuple of str
        Any of ``wav``, ``flac``, ``ogg``, ``mp3``, ``m4a``; song ``i`` of each
        genre uses ``formats[i % len(formats)]``.
    workers : int
        Processes; 1 runs in this process.
    progress : callable, optional
        ``progress(done, total)`` after every song (existing files count as
        done at once).
    sample_rate : int
        Hz.
    renderer : str
        ``numpy`` (:func:`training.synth.generate_song`), ``sampled``
        (:func:`training.sampled.generate_sampled_song`, needs the Debian sample
        packages) or ``mixed`` (odd song indices sampled).

    Returns
    -------
    list of pathlib.Path
        Every song file of the requested corpus (new and already present),
        genre by genre in index order.
    """
    if songs_per_genre < 0:
        raise ValueError(f"songs_per_genre must be >= 0, got {songs_per_genre}")
    lo, hi = float(duration_range[0]), float(duration_range[1])
    if not (0 < lo <= hi):
        raise ValueError(f"duration_range must satisfy 0 < min <= max, got {duration_range}")
    fmts = _check_formats(formats)
    renderer_for(renderer, 0)  # raises for an unknown renderer before any work
    if renderer != "numpy":
        from training.sampled import SampleLibrary

        SampleLibrary().check()  # a missing package is named before any work
    paths: list[pathlib.Path] = []
    jobs = []
    for genre in GENRES:
        (pathlib.Path(out_dir) / genre).mkdir(parents=True, exist_ok=True)
        for i in range(songs_per_genre):
            song_seed, duration, fmt, bit_rate = song_plan(seed, genre, i, (lo, hi), fmts)
            path = song_path(out_dir, genre, i, fmt)
            paths.append(path)
            if not path.exists():
                jobs.append((genre, i, song_seed, duration, fmt, bit_rate, str(path), int(sample_rate), renderer))
    total = len(paths)
    done = total - len(jobs)
    if progress is not None:
        progress(done, total)
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            _make_one(job)
            done += 1
            if progress is not None:
                progress(done, total)
    else:
        with ProcessPoolExecutor(max_workers=int(workers)) as pool:
            futures = [pool.submit(_make_one, job) for job in jobs]
            for fut in as_completed(futures):
                fut.result()
                done += 1
                if progress is not None:
                    progress(done, total)
    return paths
