"""Musical time: tempo maps (beats to seconds) and song sections."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class TempoMap:
    """Map beat positions to seconds for a (possibly changing) tempo.

    Parameters
    ----------
    start_s : float
        Time of beat 0 in seconds.
    bpm : ndarray, shape (n_beats,)
        Tempo of each beat in beats per minute; beats past the end keep the
        last tempo.
    """

    def __init__(self, start_s: float, bpm: np.ndarray) -> None:
        bpm = np.asarray(bpm, dtype=np.float64)
        self.bpm = np.clip(bpm, 20.0, 400.0)
        self.start_s = float(start_s)
        self.beat_times = self.start_s + np.concatenate([[0.0], np.cumsum(60.0 / self.bpm)])

    @property
    def n_beats(self) -> int:
        """Number of beats covered by the tempo curve."""
        return len(self.bpm)

    def time(self, beats: np.ndarray | float) -> np.ndarray:
        """Seconds of beat positions (fractional beats allowed), same shape as ``beats``."""
        b = np.asarray(beats, dtype=np.float64)
        grid = np.arange(len(self.beat_times), dtype=np.float64)
        t = np.interp(b, grid, self.beat_times)
        last = 60.0 / self.bpm[-1]
        over = b > grid[-1]
        t = np.where(over, self.beat_times[-1] + (b - grid[-1]) * last, t)
        under = b < 0
        return np.where(under, self.start_s + b * 60.0 / self.bpm[0], t)

    def beat_at(self, seconds: float) -> float:
        """Fractional beat position at a time in seconds."""
        if seconds >= self.beat_times[-1]:
            return float(len(self.bpm) + (seconds - self.beat_times[-1]) * self.bpm[-1] / 60.0)
        return float(np.interp(seconds, self.beat_times, np.arange(len(self.beat_times))))


def tempo_curve(rng: np.random.Generator, n_beats: int, bpm_start: float, bpm_end: float | None = None,
                drift: float = 0.0, steps: int = 0) -> np.ndarray:
    """Per-beat tempo with optional acceleration, stepwise jumps and drift.

    Parameters
    ----------
    rng : numpy.random.Generator
    n_beats : int
        Number of beats.
    bpm_start, bpm_end : float
        Tempo at the first and last beat; ``bpm_end`` None keeps it constant.
    drift : float
        Relative standard deviation of a slow random tempo wander (0.02 = 2 %).
    steps : int
        Number of sudden tempo jumps spread over the ramp (qawwali "gear
        changes"); the total change still ends at ``bpm_end``.

    Returns
    -------
    ndarray, shape (n_beats,), float64
    """
    n_beats = max(int(n_beats), 1)
    bpm_end = bpm_start if bpm_end is None else bpm_end
    x = np.linspace(0.0, 1.0, n_beats)
    if steps > 0 and bpm_end != bpm_start:
        cuts = np.sort(rng.uniform(0.15, 0.95, steps))
        stair = np.searchsorted(cuts, x) / steps
        ramp = 0.5 * x + 0.5 * stair
    else:
        ramp = x ** rng.uniform(0.7, 1.6)
    curve = bpm_start + (bpm_end - bpm_start) * ramp
    if drift > 0:
        walk = np.cumsum(rng.normal(0.0, 1.0, n_beats))
        walk = walk - np.linspace(walk[0], walk[-1], n_beats)
        walk /= max(np.std(walk), 1e-9)
        curve = curve * (1.0 + drift * walk)
    return curve


@dataclass
class Section:
    """One part of a song.

    Attributes
    ----------
    name : str
        e.g. ``intro``, ``verse``, ``chorus``, ``interlude``, ``break``.
    start_beat : float
        First beat of the section.
    n_beats : float
        Length in beats.
    energy : float
        0 (sparse, quiet) .. 1 (everything playing, loud).
    """

    name: str
    start_beat: float
    n_beats: float
    energy: float = 0.5

    @property
    def end_beat(self) -> float:
        """Beat just after the section."""
        return self.start_beat + self.n_beats


def plan_sections(rng: np.random.Generator, total_beats: float, beats_per_bar: int,
                  pattern: list[tuple[str, tuple[int, ...], float]], loop_from: int = 0) -> list[Section]:
    """Lay out sections until ``total_beats`` is covered.

    Parameters
    ----------
    rng : numpy.random.Generator
    total_beats : float
        Beats to fill.
    beats_per_bar : int
        Beats per bar (or per taal cycle).
    pattern : list of (name, bar_choices, energy)
        Section template; each section's bar count is drawn from
        ``bar_choices``. After the end the template repeats from ``loop_from``.
    loop_from : int
        Index in ``pattern`` where the repetition restarts.

    Returns
    -------
    list of Section
        Contiguous sections; the last one is cut to end at ``total_beats``.
    """
    sections: list[Section] = []
    beat = 0.0
    i = 0
    while beat < total_beats - 1e-6:
        name, bars, energy = pattern[i]
        n = float(rng.choice(bars)) * beats_per_bar
        n = min(n, total_beats - beat)
        e = float(np.clip(energy + rng.normal(0, 0.07), 0.0, 1.0))
        sections.append(Section(name, beat, n, e))
        beat += n
        i += 1
        if i >= len(pattern):
            i = loop_from
    return sections
