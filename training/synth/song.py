"""One synthetic song: seed -> arrangement -> recording chain -> float32 audio."""

from __future__ import annotations

import numpy as np

from training.synth import production
from training.synth.genres import ghazal, hiphop, qawwali, rock
from training.synth.genres.common import Arranger

#: The four genres, in the order the app uses.
GENRES = ("Ghazal", "Qawwali", "Hip-hop", "Rock")

_ARRANGERS: dict[str, Arranger] = {
    "Ghazal": ghazal.arrange,
    "Qawwali": qawwali.arrange,
    "Hip-hop": hiphop.arrange,
    "Rock": rock.arrange,
}

#: Song length drawn when ``duration_seconds`` is None, in s.
DEFAULT_DURATION_RANGE = (120.0, 360.0)


def genre_index(genre: str) -> int:
    """Position of ``genre`` in :data:`GENRES`; raises ValueError naming an unknown genre."""
    try:
        return GENRES.index(genre)
    except ValueError:
        raise ValueError(f"unknown genre {genre!r}; expected one of {', '.join(GENRES)}") from None


def song_streams(genre: str, seed: int) -> tuple[np.random.Generator, np.random.Generator, np.random.Generator]:
    """Independent random streams (duration, music, recording chain) for one song.

    The recording chain has its own stream so that its odds are the same for
    every genre, whatever the arranger consumed.
    """
    ss = np.random.SeedSequence([int(seed) & 0xFFFFFFFFFFFFFFFF, genre_index(genre)])
    a, b, c = ss.spawn(3)
    return np.random.default_rng(a), np.random.default_rng(b), np.random.default_rng(c)


def generate_song(genre: str, seed: int, *, duration_seconds: float | None = None,
                  sample_rate: int = 22050) -> np.ndarray:
    """Synthesise one song of a genre.

    Parameters
    ----------
    genre : str
        One of :data:`GENRES`.
    seed : int
        Any non-negative integer; the same (genre, seed, duration, rate) gives
        the same samples.
    duration_seconds : float, optional
        Length in s; None draws 120-360 s from the seed.
    sample_rate : int
        Output rate in Hz (the instruments are designed for 22,050 Hz; 8,000
        Hz or more works).

    Returns
    -------
    ndarray, shape (round(duration_seconds * sample_rate),), float32
        Mono audio, peak between -20 and -1 dBFS (so always <= 1.0).

    Raises
    ------
    ValueError
        For an unknown genre, a non-positive duration or a rate below 8 kHz.
    """
    arrange = _ARRANGERS.get(genre)
    if arrange is None:
        genre_index(genre)  # raises with the name
    if sample_rate < 8000:
        raise ValueError(f"sample_rate must be at least 8000 Hz, got {sample_rate}")
    dur_rng, music_rng, chain_rng = song_streams(genre, seed)
    if duration_seconds is None:
        duration_seconds = float(dur_rng.uniform(*DEFAULT_DURATION_RANGE))
    if not duration_seconds > 0:
        raise ValueError(f"duration_seconds must be positive, got {duration_seconds}")
    n = max(1, int(round(duration_seconds * sample_rate)))
    dry = arrange(music_rng, int(sample_rate), n)
    dry = np.nan_to_num(dry[:n].astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    if len(dry) < n:
        dry = np.pad(dry, (0, n - len(dry)))
    out, _settings = production.master(dry, int(sample_rate), chain_rng)
    return np.clip(out, -1.0, 1.0).astype(np.float32)
