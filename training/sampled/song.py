"""One sampled song: seed -> arrangement of recorded sounds -> recording chain -> float32 audio."""

from __future__ import annotations

import numpy as np

from training.sampled.genres import ARRANGERS
from training.sampled.sources import SampleLibrary
from training.synth import production
from training.synth.song import GENRES, genre_index

#: Added to the genre index in the seed, so a sampled song never shares streams with a NumPy-synth song.
RENDERER_SALT = 0x5A11

#: Song length drawn when ``duration_seconds`` is None, in s.
DEFAULT_DURATION_RANGE = (120.0, 360.0)


def generate_sampled_song(genre: str, seed: int, *, duration_seconds: float | None = None, sample_rate: int = 22050,
                          library: SampleLibrary | None = None) -> np.ndarray:
    """Render one song of a genre from recorded samples, a GM soundfont and espeak-ng voices.

    Parameters
    ----------
    genre : str
        One of :data:`training.synth.GENRES`.
    seed : int
        Non-negative; the same (genre, seed, duration, rate, installed packages) gives the same samples.
    duration_seconds : float, optional
        Length in s; None draws 120-360 s from the seed.
    sample_rate : int
        Output rate in Hz (at least 16,000).
    library : SampleLibrary, optional
        Where the sounds are (default: the Debian locations).

    Returns
    -------
    ndarray, shape (round(duration_seconds * sample_rate),), float32
        Mono audio in [-1, 1].

    Raises
    ------
    ValueError
        For an unknown genre, a non-positive duration or a rate below 16 kHz.
    SamplePackageMissingError
        When a package with the sounds is not installed (the message names it).
    """
    genre_index(genre)  # raises with the name
    if sample_rate < 16000:
        raise ValueError(f"sample_rate must be at least 16000 Hz, got {sample_rate}")
    library = library or SampleLibrary()
    library.check()
    ss = np.random.SeedSequence([int(seed) & 0xFFFFFFFFFFFFFFFF, RENDERER_SALT + genre_index(genre)])
    dur_ss, music_ss, chain_ss = ss.spawn(3)
    if duration_seconds is None:
        duration_seconds = float(np.random.default_rng(dur_ss).uniform(*DEFAULT_DURATION_RANGE))
    if not duration_seconds > 0:
        raise ValueError(f"duration_seconds must be positive, got {duration_seconds}")
    n = max(1, int(round(duration_seconds * sample_rate)))
    dry = ARRANGERS[genre](np.random.default_rng(music_ss), int(sample_rate), n, library)
    dry = np.nan_to_num(np.asarray(dry[:n], np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    if dry.size < n:
        dry = np.pad(dry, (0, n - dry.size))
    out, _settings = production.master(dry, int(sample_rate), np.random.default_rng(chain_ss))
    return np.clip(out, -1.0, 1.0).astype(np.float32)


__all__ = ["GENRES", "generate_sampled_song"]
