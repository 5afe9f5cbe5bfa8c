"""Pitch material: ragas, Western scales, chord progressions and melody walks.

Pitches are MIDI note numbers (60 = middle C); intervals are semitones above
the tonic (Sa). Nothing here makes sound.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Mode:
    """A raga or scale.

    Melodies take their pitches from it through :func:`pitch_set`, which
    weights each pitch by ``emphasis``.

    Attributes
    ----------
    name : str
        Display name.
    intervals : tuple of int
        Semitones above the tonic in one octave, ascending, starting at 0.
    emphasis : dict of int to float
        Extra melodic weight for some intervals (vadi, samvadi, Sa, Pa).
    andolan : tuple of int
        Intervals sung with a slow oscillation (e.g. Darbari's komal Ga).
    """

    name: str
    intervals: tuple[int, ...]
    emphasis: dict[int, float] = field(default_factory=dict)
    andolan: tuple[int, ...] = ()


#: Ragas common in ghazal and qawwali (the emphasis marks vadi / samvadi).
RAGAS: dict[str, Mode] = {
    m.name: m
    for m in (
        Mode("Yaman", (0, 2, 4, 6, 7, 9, 11), {4: 2.5, 11: 1.8, 0: 1.5}),
        Mode("Bhairavi", (0, 1, 3, 5, 7, 8, 10), {5: 2.2, 0: 2.0, 8: 1.3}),
        Mode("Kafi", (0, 2, 3, 5, 7, 9, 10), {7: 2.2, 0: 2.0, 3: 1.3}),
        Mode("Darbari", (0, 2, 3, 5, 7, 8, 10), {2: 2.0, 7: 1.8, 0: 1.5}, andolan=(3, 8)),
        Mode("Bhairav", (0, 1, 4, 5, 7, 8, 11), {8: 2.0, 1: 1.6, 0: 1.5}, andolan=(1, 8)),
        Mode("Khamaj", (0, 2, 4, 5, 7, 9, 10), {4: 2.2, 10: 1.6, 0: 1.5}),
        Mode("Pahadi", (0, 2, 4, 5, 7, 9, 11), {0: 2.0, 4: 1.6, 7: 1.8, 9: 1.5, 5: 0.5, 11: 0.5}),
        Mode("Bhimpalasi", (0, 2, 3, 5, 7, 9, 10), {5: 2.2, 0: 1.8, 2: 0.6, 9: 0.6}),
        Mode("Desh", (0, 2, 4, 5, 7, 9, 10, 11), {2: 2.0, 7: 1.8, 4: 0.6}),
        Mode("Bageshri", (0, 2, 3, 5, 7, 9, 10), {5: 2.2, 0: 1.6, 7: 0.4}),
        Mode("Malkauns", (0, 3, 5, 8, 10), {5: 2.0, 0: 1.8}, andolan=(8,)),
        Mode("Bhupali", (0, 2, 4, 7, 9), {4: 2.0, 9: 1.6, 0: 1.5}),
        Mode("Pilu", (0, 2, 3, 4, 5, 7, 8, 9, 10, 11), {3: 1.8, 0: 1.6, 4: 0.5, 8: 0.6}),
        Mode("Todi", (0, 1, 3, 6, 7, 8, 11), {8: 2.0, 3: 1.8, 7: 0.4}, andolan=(1, 3)),
        Mode("Jaunpuri", (0, 2, 3, 5, 7, 8, 10), {8: 2.0, 3: 1.6}),
    )
}

#: Scales for rock and hip-hop (and the occasional fusion ghazal).
SCALES: dict[str, Mode] = {
    m.name: m
    for m in (
        Mode("major", (0, 2, 4, 5, 7, 9, 11), {0: 1.6, 4: 1.3, 7: 1.4}),
        Mode("minor", (0, 2, 3, 5, 7, 8, 10), {0: 1.6, 3: 1.3, 7: 1.4}),
        Mode("harmonic minor", (0, 2, 3, 5, 7, 8, 11), {0: 1.6, 7: 1.4}),
        Mode("dorian", (0, 2, 3, 5, 7, 9, 10), {0: 1.6, 7: 1.3}),
        Mode("phrygian", (0, 1, 3, 5, 7, 8, 10), {0: 1.8, 1: 1.2}),
        Mode("mixolydian", (0, 2, 4, 5, 7, 9, 10), {0: 1.6, 10: 1.2}),
        Mode("minor pentatonic", (0, 3, 5, 7, 10), {0: 1.8, 7: 1.4}),
        Mode("major pentatonic", (0, 2, 4, 7, 9), {0: 1.8, 4: 1.3}),
        Mode("blues", (0, 3, 5, 6, 7, 10), {0: 1.8, 7: 1.4, 6: 0.5}),
    )
}

#: Chord progressions as scale-degree indices (0 = tonic chord) in a 7-note mode.
PROGRESSIONS_MINOR = ((0, 5, 2, 6), (0, 6, 5, 6), (0, 3, 4, 0), (0, 2, 6, 3), (0, 5, 3, 4), (0, 0, 5, 6),
                      (0, 3, 0, 4), (0, 6, 5, 4))
PROGRESSIONS_MAJOR = ((0, 4, 5, 3), (0, 3, 4, 3), (0, 5, 3, 4), (5, 3, 0, 4), (0, 3, 0, 4), (0, 4, 3, 4),
                      (0, 1, 3, 4))


def parent_heptatonic(mode: Mode) -> tuple[int, ...]:
    """A 7-note scale to build chords on: the mode itself or its natural parent."""
    if len(mode.intervals) == 7:
        return mode.intervals
    return (0, 2, 4, 5, 7, 9, 11) if 4 in mode.intervals and 3 not in mode.intervals else (0, 2, 3, 5, 7, 8, 10)


def is_minor(mode: Mode) -> bool:
    """Whether the mode has a minor third (decides the progression family)."""
    return 3 in mode.intervals and 4 not in mode.intervals or mode.name in ("minor pentatonic", "blues")


def chord(mode: Mode, degree: int, tonic_midi: int, size: int = 3) -> list[int]:
    """Stack scale thirds on a degree of the mode's 7-note parent.

    Returns
    -------
    list of int
        ``size`` MIDI pitches, root first.
    """
    scale = parent_heptatonic(mode)
    notes = []
    for i in range(size):
        step = degree + 2 * i
        notes.append(tonic_midi + scale[step % 7] + 12 * (step // 7))
    return notes


def pitches_in_range(tonic_midi: int, mode: Mode, low: int, high: int) -> np.ndarray:
    """All mode pitches between ``low`` and ``high`` MIDI (inclusive), ascending, shape (k,)."""
    out = [tonic_midi + 12 * octv + iv for octv in range(-5, 6) for iv in mode.intervals]
    arr = np.array(sorted(p for p in out if low <= p <= high), dtype=np.int64)
    if len(arr) == 0:
        arr = np.array([tonic_midi], dtype=np.int64)
    return arr


def pitch_weights(pitches: np.ndarray, tonic_midi: int, mode: Mode) -> np.ndarray:
    """Melodic weight of each pitch from the mode's emphasis table, shape like ``pitches``."""
    rel = (pitches - tonic_midi) % 12
    return np.array([mode.emphasis.get(int(r), 1.0) for r in rel], dtype=np.float64)


def pitch_set(tonic_midi: int, mode: Mode, low: int, high: int) -> tuple[np.ndarray, np.ndarray]:
    """Mode pitches between ``low`` and ``high`` MIDI and their weights, both shape (k,).

    The pair :func:`pitches_in_range` and :func:`pitch_weights` give for one
    tonic, which is what a melody composer takes.
    """
    pitches = pitches_in_range(tonic_midi, mode, low, high)
    return pitches, pitch_weights(pitches, tonic_midi, mode)


_CONTOURS = ("arch", "descending", "ascending", "wave", "flat", "valley")


def melodic_walk(rng: np.random.Generator, pitches: np.ndarray, weights: np.ndarray, n_notes: int,
                 start: int | None = None, contour: str | None = None, span: float | None = None,
                 leap_prob: float = 0.12) -> np.ndarray:
    """Random melodic line over a pitch set, shaped by a contour.

    Parameters
    ----------
    rng : numpy.random.Generator
    pitches : ndarray, shape (k,)
        Allowed MIDI pitches, ascending.
    weights : ndarray, shape (k,)
        Preference for each pitch (raga emphasis).
    n_notes : int
        Length of the line.
    start : int, optional
        Index into ``pitches`` of the first note (random near the middle by default).
    contour : str, optional
        One of ``arch``, ``descending``, ``ascending``, ``wave``, ``flat``, ``valley``.
    span : float, optional
        Contour height in scale steps.
    leap_prob : float
        Probability of a leap of 3-5 steps.

    Returns
    -------
    ndarray, shape (n_notes,), int64
        MIDI pitches.
    """
    k = len(pitches)
    if n_notes <= 0:
        return np.zeros(0, dtype=np.int64)
    if start is None:
        start = int(np.clip(rng.normal(k * 0.45, k * 0.15), 0, k - 1))
    contour = contour or str(rng.choice(_CONTOURS))
    span = span if span is not None else rng.uniform(2, 6)
    x = np.linspace(0, 1, n_notes)
    shape = {
        "arch": np.sin(np.pi * x),
        "descending": -x,
        "ascending": x,
        "wave": np.sin(2 * np.pi * x * rng.uniform(1, 2)),
        "flat": np.zeros(n_notes),
        "valley": -np.sin(np.pi * x),
    }[contour]
    target = start + span * shape
    pos = int(start)
    out = np.empty(n_notes, dtype=np.int64)
    cand_steps = np.array([-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5])
    step_w = np.array([leap_prob / 6, leap_prob / 6, leap_prob / 6, 0.14, 0.32, 0.14, 0.32, 0.14,
                       leap_prob / 6, leap_prob / 6, leap_prob / 6])
    for i in range(n_notes):
        if i > 0:
            cand = pos + cand_steps
            ok = (cand >= 0) & (cand < k)
            c = np.clip(cand, 0, k - 1)
            p = step_w * np.exp(-np.abs(c - target[i]) / 1.5) * weights[c] * ok
            p_sum = p.sum()
            pos = int(c[rng.choice(len(c), p=p / p_sum)]) if p_sum > 0 else pos
        out[i] = pitches[pos]
    return out


def stable_index(rng: np.random.Generator, pitches: np.ndarray, tonic_midi: int, near_midi: int) -> int:
    """Index of a phrase-ending pitch (Sa, Pa or Ga/komal Ga) near ``near_midi``."""
    rel = (pitches - tonic_midi) % 12
    stable = np.flatnonzero(np.isin(rel, (0, 7, 3, 4)))
    if len(stable) == 0:
        return int(np.argmin(np.abs(pitches - near_midi)))
    d = np.abs(pitches[stable] - near_midi)
    w = np.exp(-d / 3.0) * np.where(rel[stable] == 0, 2.0, 1.0)
    return int(stable[rng.choice(len(stable), p=w / w.sum())])
