"""Helpers shared by the genre arrangers: their contract, the mixer and the line "composers".

The composers turn a tempo map, a pitch set and a style into
:class:`~training.synth.notes.Note` lists: sung phrases (melisma, meend,
andolan), rapped bars (speech-like contour, dense syllables), heterophonic
accompaniment (an instrument shadowing the singer) and fills.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from training.synth import dsp, theory
from training.synth.notes import Note
from training.synth.percussion import Event
from training.synth.rhythm import Taal, taal_events
from training.synth.timeline import Section, TempoMap

#: Relative frequency of vowels (index order of ``voice.VOWELS``).
VOWEL_P = np.array([0.32, 0.13, 0.15, 0.12, 0.1, 0.1, 0.05, 0.03])
#: Consonant odds for sung syllables and rapped syllables (``voice.CONSONANTS`` order).
CONS_P_SUNG = np.array([0.3, 0.08, 0.05, 0.14, 0.08, 0.03, 0.18, 0.14])
CONS_P_RAP = np.array([0.08, 0.14, 0.09, 0.3, 0.08, 0.08, 0.13, 0.1])


class Arranger(Protocol):
    """What every genre module's ``arrange`` is: one song's dry mix from its random stream."""

    def __call__(self, rng: np.random.Generator, sr: int, n: int) -> np.ndarray:
        """Compose and render one song.

        Parameters
        ----------
        rng : numpy.random.Generator
            The song's musical random stream.
        sr : int
            Sample rate in Hz.
        n : int
            Length in samples.

        Returns
        -------
        ndarray, shape (n,), float32
            The dry mix (before the recording chain).
        """
        ...


def pick_weighted(rng: np.random.Generator, table: tuple[tuple[str, float], ...]) -> str:
    """One name from ``(name, weight)`` rows, drawn with the weights normalised to odds."""
    names = [t[0] for t in table]
    p = np.array([t[1] for t in table])
    return str(rng.choice(names, p=p / p.sum()))


def chances(rng: np.random.Generator, odds: dict[str, float]) -> dict[str, bool]:
    """Which of the named parts a song has: one draw per name, in order, True with its chance.

    A chance of 0 draws nothing (a part ruled out by an earlier choice
    leaves the random stream as if it were not listed).
    """
    return {name: p > 0 and rng.random() < p for name, p in odds.items()}


def quiet_intro(out: np.ndarray, k: int, gain_db: float, ramp: int) -> None:
    """Turn the first ``k`` samples of ``out`` down by ``gain_db``, rising to full level over the last ``ramp``.

    The mellow, near-silent openings of ghazals and qawwalis (DESIGN.md
    "Augmentation"); ``out`` (shape (n,), float32) is changed in place.
    """
    gain = float(dsp.db_to_gain(gain_db))
    ramp_env = np.full(k, gain, np.float32)
    r = min(k, ramp)
    ramp_env[k - r:] = np.linspace(gain, 1.0, r, dtype=np.float32)
    out[:k] *= ramp_env


def theka_over(rng: np.random.Generator, tm: TempoMap, sections: list[Section], taal: Taal, *, vel: float,
               swell: float, variation: float | tuple[float, float], fill_prob: float,
               alt: dict[str, tuple[str, ...]] | None = None) -> list[Event]:
    """A drum's theka through every section, louder as the section's energy rises.

    Parameters
    ----------
    rng : numpy.random.Generator
    tm : TempoMap
    sections : list of Section
    taal : Taal
    vel, swell : float
        Stroke loudness is ``vel + swell * section.energy``.
    variation : float or (float, float)
        Share of varied strokes (see :func:`~training.synth.rhythm.taal_events`), or a range to draw it
        from afresh for each section.
    fill_prob : float
        Odds of a fill at the end of a cycle.
    alt : dict, optional
        Stroke substitutions (see :func:`~training.synth.rhythm.taal_events`).

    Returns
    -------
    list of Event
    """
    ev: list[Event] = []
    for sec in sections:
        var = rng.uniform(*variation) if isinstance(variation, tuple) else variation
        ev += taal_events(tm, sec.start_beat, sec.n_beats, taal, rng, vel=vel + swell * sec.energy, variation=var,
                          fill_prob=fill_prob, alt=alt)
    return ev


class Mixer:
    """Sum instrument tracks at levels relative to their own playing loudness.

    Each track is normalised so that the loud part of it (the 80th percentile
    of 0.19 s frame RMS values) is 1, then scaled by ``level_db``.

    Parameters
    ----------
    n : int
        Song length in samples.
    rng : numpy.random.Generator, optional
        When given, about 60 % of tracks get a random channel EQ (timbre
        variety between songs).
    sr : int
        Sample rate in Hz.
    """

    def __init__(self, n: int, rng: np.random.Generator | None = None, sr: int = 22050) -> None:
        self.n = n
        self.sr = sr
        self.rng = rng
        self.mix = np.zeros(n, dtype=np.float32)
        self.levels: dict[str, float] = {}

    def _channel_eq(self, track: np.ndarray) -> np.ndarray:
        """Random mixing-desk EQ on some tracks (low/high shelf and one bell, +-5 dB)."""
        rng = self.rng
        if rng is None or rng.random() > 0.6:
            return track
        sr = self.sr
        sos = np.concatenate([dsp.shelf_sos(rng.uniform(100, 400), rng.uniform(-5, 4), sr, high=False),
                              dsp.shelf_sos(rng.uniform(2500, 7000), rng.uniform(-6, 4), sr, high=True),
                              dsp.peaking_sos(np.exp(rng.uniform(np.log(200), np.log(5000))), rng.uniform(-5, 5),
                                              rng.uniform(0.7, 2.0), sr)])
        return dsp.apply_sos(track, sos)

    @staticmethod
    def playing_level(track: np.ndarray) -> float:
        """Typical loudness (80th-percentile frame RMS) of a track."""
        hop = 4096
        m = len(track) // hop
        if m == 0:
            return dsp.rms(track)
        blocks = track[: m * hop].reshape(m, hop).astype(np.float32, copy=False)
        fr = np.sqrt(np.einsum("ij,ij->i", blocks, blocks) / hop)
        active = fr[fr > 1e-6]
        return float(np.percentile(active, 80)) if len(active) else 0.0

    def add(self, name: str, track: np.ndarray, level_db: float) -> None:
        """Add a track (shape (n,)) at ``level_db`` relative to its playing level."""
        track = self._channel_eq(track)
        lvl = self.playing_level(track)
        if lvl <= 0:
            return
        g = float(dsp.db_to_gain(level_db)) / lvl
        self.mix += track[: self.n] * np.float32(g)
        self.levels[name] = level_db


def pick_vowels(rng: np.random.Generator, k: int) -> np.ndarray:
    """Random vowel indices, shape (k,)."""
    return rng.choice(len(VOWEL_P), size=k, p=VOWEL_P / VOWEL_P.sum())


def pick_consonants(rng: np.random.Generator, k: int, rap: bool) -> np.ndarray:
    """Random onset-consonant classes, shape (k,)."""
    p = CONS_P_RAP if rap else CONS_P_SUNG
    return rng.choice(len(p), size=k, p=p / p.sum())


def sung_phrase(rng: np.random.Generator, tm: TempoMap | None, start: float, length: float, pitches: np.ndarray,
                weights: np.ndarray, tonic: int, mode: theory.Mode, *, steps_per_beat: int = 2,
                syllable_steps: tuple[int, ...] = (1, 1, 2, 2, 3, 4), melisma: float = 0.3, taan: float = 0.0,
                hold: float = 0.3, vel: float = 0.9, contour: str | None = None, motif: np.ndarray | None = None
                ) -> list[Note]:
    """Compose one sung phrase (a line of a couplet, a refrain, an alap).

    Parameters
    ----------
    rng : numpy.random.Generator
    tm : TempoMap or None
        Grid to sing on; None sings in free time (``start`` and ``length`` in s).
    start, length : float
        Phrase span, in beats when ``tm`` is given, else in seconds.
    pitches, weights : ndarray, shape (k,)
        Singable pitches and their raga emphasis.
    tonic : int
        MIDI Sa.
    mode : theory.Mode
    steps_per_beat : int
        Grid resolution for syllable onsets.
    syllable_steps : tuple of int
        Candidate syllable lengths in grid steps.
    melisma : float
        Probability that a syllable carries a quick ornament (murki/khatka).
    taan : float
        Probability that a syllable becomes a fast scalar run.
    hold : float
        Fraction of the phrase given to the final held note.
    vel : float
        Loudness.
    contour : str, optional
        Contour name for :func:`theory.melodic_walk`.
    motif : ndarray, optional
        Reuse these pitches (a refrain) instead of composing new ones.

    Returns
    -------
    list of Note
    """
    if tm is not None:
        step_s = 60.0 / tm.bpm[int(np.clip(start, 0, tm.n_beats - 1))] / steps_per_beat
        total_steps = max(2, int(length * steps_per_beat))
    else:
        step_s = rng.uniform(0.25, 0.6)
        total_steps = max(2, int(length / step_s))
    hold_steps = max(1, int(total_steps * hold))
    lens: list[int] = []
    while sum(lens) < total_steps - hold_steps:
        lens.append(int(rng.choice(syllable_steps)))
    lens.append(max(1, total_steps - sum(lens)))
    k = len(lens)
    if motif is not None and len(motif) > 0:
        mel = np.resize(motif, k)
    else:
        mel = theory.melodic_walk(rng, pitches, weights, k, contour=contour)
        end_i = theory.stable_index(rng, pitches, tonic, int(mel[-1]))
        mel[-1] = pitches[end_i]
    vowels = pick_vowels(rng, k)
    cons = pick_consonants(rng, k, rap=False)
    pos = 0
    notes: list[Note] = []
    and_set = set(mode.andolan)
    for i, (ln, p) in enumerate(zip(lens, mel)):
        if tm is not None:
            t0 = float(tm.time(start + pos / steps_per_beat))
            t1 = float(tm.time(start + (pos + ln) / steps_per_beat))
        else:
            t0 = start + pos * step_s * rng.uniform(0.9, 1.1)
            t1 = t0 + ln * step_s * rng.uniform(0.85, 1.3)
        t0 += rng.normal(0, 0.015)
        dur = max(0.08, (t1 - t0) * (0.97 if i < k - 1 else 0.9))
        andolan = ((int(p) - tonic) % 12) in and_set and dur > 0.8
        glide = 0.0
        if i + 1 < k and rng.random() < 0.2:
            glide = float(mel[i + 1] - p) * rng.uniform(0.5, 1.0)  # meend into the next note
        idx = int(np.searchsorted(pitches, p))
        u = rng.random()
        if u < taan and dur > 0.5:
            # fast run up or down the scale, 6-9 notes per second
            run_len = int(dur * rng.uniform(6, 9))
            direction = rng.choice([-1, 1])
            ids = np.clip(idx + direction * np.arange(run_len) * rng.choice([1, 1, 2]), 0, len(pitches) - 1)
            sub = dur / max(run_len, 1)
            for j, q in enumerate(ids):
                notes.append(Note(t0 + j * sub, sub * 0.95, float(pitches[q]), vel * 0.9, int(vowels[i]),
                                  int(cons[i]) if j == 0 else 0))
        elif u < taan + melisma and dur > 0.3:
            # murki: quick neighbour ornament, then the main note
            orn = [idx + 1, idx, idx - 1] if rng.random() < 0.5 else [idx - 1, idx + 1]
            sub = rng.uniform(0.06, 0.11)
            t = t0
            for j, q in enumerate(orn):
                q = int(np.clip(q, 0, len(pitches) - 1))
                notes.append(Note(t, sub, float(pitches[q]), vel * 0.85, int(vowels[i]), int(cons[i]) if j == 0 else 0))
                t += sub
            notes.append(Note(t, max(0.05, t0 + dur - t), float(p), vel, int(vowels[i]), 0, glide, andolan))
        else:
            notes.append(Note(t0, dur, float(p), vel, int(vowels[i]), int(cons[i]), glide, andolan))
        pos += ln
    return notes


def rap_bars(rng: np.random.Generator, tm: TempoMap, start_beat: float, n_beats: float, base_midi: float, *,
             steps_per_beat: int = 4, density: float = 0.75, vel: float = 0.9, beats_per_line: int = 4,
             triplet: bool = False) -> list[Note]:
    """Compose rapped lines: dense syllables on a grid with a speech-like pitch contour.

    Each line (``beats_per_line`` beats) starts high and falls (declination),
    stressed syllables on beats are louder and higher, syllables glide down
    at the end, and lines end with a rest for breath.

    Parameters
    ----------
    rng : numpy.random.Generator
    tm : TempoMap
    start_beat, n_beats : float
        Span in beats.
    base_midi : float
        Speaking pitch of the rapper (MIDI, ~45-52 for men).
    steps_per_beat : int
        4 = sixteenth-note flow (3 with ``triplet``).
    density : float
        Fraction of grid steps that carry a syllable.
    vel : float
        Loudness.
    beats_per_line : int
        Line length.
    triplet : bool
        Triplet flow (``steps_per_beat`` becomes 3).

    Returns
    -------
    list of Note
    """
    spb = 3 if triplet else steps_per_beat
    notes: list[Note] = []
    n_lines = int(n_beats // beats_per_line)
    for li in range(max(1, n_lines)):
        lb = start_beat + li * beats_per_line
        steps = int(beats_per_line * spb)
        rest_tail = int(rng.integers(1, spb + 2))
        lead_in = int(rng.integers(0, 2))
        on = rng.random(steps) < density
        on[:lead_in] = False
        on[steps - rest_tail:] = False
        if rng.random() < 0.3:  # double-time burst
            a = int(rng.integers(0, max(1, steps // 2)))
            on[a:a + spb] = True
            on[steps - rest_tail:] = False
        idx = np.flatnonzero(on)
        if len(idx) == 0:
            continue
        hi = rng.uniform(2.0, 5.0)
        lo = rng.uniform(-3.0, 0.0)
        vowels = pick_vowels(rng, len(idx))
        cons = pick_consonants(rng, len(idx), rap=True)
        for j, s in enumerate(idx):
            x = s / steps
            beat = lb + s / spb
            nxt = idx[j + 1] if j + 1 < len(idx) else s + 2
            length_steps = min(nxt - s, 2)
            t0 = float(tm.time(beat)) + rng.normal(0, 0.008)
            t1 = float(tm.time(beat + length_steps / spb))
            dur = max(0.05, (t1 - t0) * rng.uniform(0.55, 0.9))
            stressed = s % spb == 0
            pitch = base_midi + hi + (lo - hi) * x + rng.normal(0, 0.8) + (1.2 if stressed else 0.0)
            glide = rng.uniform(-2.5, 0.3) if rng.random() < 0.6 else 0.0
            v = vel * (1.0 if stressed else rng.uniform(0.6, 0.85))
            notes.append(Note(t0, dur, float(pitch), v, int(vowels[j]), int(cons[j]), glide))
    return notes


def shadow(rng: np.random.Generator, notes: list[Note], lag: float, *, simplify: float = 0.09,
           octave: int = 0, vel: float = 0.7) -> list[Note]:
    """An instrument shadowing a vocal line (heterophony): delayed, ornaments dropped.

    Parameters
    ----------
    rng : numpy.random.Generator
    notes : list of Note
        The vocal line.
    lag : float
        Delay in s.
    simplify : float
        Notes shorter than this (s) are skipped.
    octave : int
        Octave shift.
    vel : float
        Loudness.

    Returns
    -------
    list of Note
    """
    out = []
    for nt in notes:
        if nt.dur < simplify:
            continue
        out.append(Note(nt.start + lag + rng.normal(0, 0.02), nt.dur, nt.midi + 12 * octave, vel * nt.vel,
                        glide=nt.glide, andolan=nt.andolan))
    return out


def gaps(notes: list[Note], start: float, end: float, min_gap: float) -> list[tuple[float, float]]:
    """Silences of at least ``min_gap`` s in a line between ``start`` and ``end`` (s)."""
    spans = sorted((n.start, n.start + n.dur) for n in notes)
    out = []
    cur = start
    for a, b in spans:
        if a - cur >= min_gap:
            out.append((cur, a))
        cur = max(cur, b)
    if end - cur >= min_gap:
        out.append((cur, end))
    return out


def fill_line(rng: np.random.Generator, t0: float, t1: float, pitches: np.ndarray, weights: np.ndarray,
              note_s: float, *, vel: float = 0.7, contour: str | None = None) -> list[Note]:
    """Instrumental fill in free time between ``t0`` and ``t1`` (s) with notes of ~``note_s`` s."""
    k = max(1, int((t1 - t0) / note_s))
    mel = theory.melodic_walk(rng, pitches, weights, k, contour=contour)
    durs = note_s * rng.uniform(0.6, 1.6, k)
    durs *= (t1 - t0) / durs.sum()
    starts = t0 + np.concatenate([[0], np.cumsum(durs)[:-1]])
    return [Note(float(s), float(d), float(p), vel * rng.uniform(0.8, 1.0)) for s, d, p in zip(starts, durs, mel)]


def grid_line(rng: np.random.Generator, tm: TempoMap, start_beat: float, n_beats: float, pitches: np.ndarray,
              weights: np.ndarray, steps_per_beat: int, *, density: float = 0.8, vel: float = 0.7,
              legato: float = 0.9, motif_len: int | None = None) -> list[Note]:
    """Melodic line on a grid (riffs, fills, hooks), optionally repeating a motif.

    Parameters
    ----------
    motif_len : int, optional
        If given, a motif of this many steps is composed once and looped.

    Returns
    -------
    list of Note
    """
    total = int(n_beats * steps_per_beat)
    if total <= 0:
        return []
    plen = motif_len or total
    on = rng.random(plen) < density
    on[0] = True
    mel = theory.melodic_walk(rng, pitches, weights, int(on.sum()))
    pitch_of = np.zeros(plen)
    pitch_of[on] = mel
    notes = []
    for s in range(total):
        ps = s % plen
        if not on[ps]:
            continue
        nxt = ps + 1
        while nxt < plen and not on[nxt]:
            nxt += 1
        ln = nxt - ps
        t0 = float(tm.time(start_beat + s / steps_per_beat))
        t1 = float(tm.time(start_beat + (s + ln) / steps_per_beat))
        notes.append(Note(t0 + rng.normal(0, 0.006), max(0.04, (t1 - t0) * legato), float(pitch_of[ps]),
                          vel * rng.uniform(0.8, 1.0)))
    return notes
