"""Note events and legato pitch/amplitude contours.

A :class:`Note` is one sounding event; monophonic "legato" instruments (the
voice, sarangi, bansuri, synth leads) group notes into phrases and render one
continuous pitch contour per phrase with portamento, vibrato and drift.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from training.synth import dsp

#: Samples per control-rate frame for contours (pitch/amplitude are held for this long).
CONTROL_HOP = 16


class Note(NamedTuple):
    """One note or syllable.

    Attributes
    ----------
    start : float
        Onset in seconds from the start of the song.
    dur : float
        Nominal duration in seconds.
    midi : float
        Pitch as a (fractional) MIDI number.
    vel : float
        Linear loudness, 0..1.
    vowel : int
        Vowel index for voices (see :data:`training.synth.voice.VOWELS`).
    cons : int
        Onset consonant class for voices (0 = none, see ``voice``).
    glide : float
        Pitch bend in semitones reached by the end of the note (meend, speech
        inflection, guitar bend).
    andolan : bool
        Slow wide oscillation instead of ordinary vibrato.
    """

    start: float
    dur: float
    midi: float
    vel: float = 1.0
    vowel: int = 0
    cons: int = 0
    glide: float = 0.0
    andolan: bool = False


def group_phrases(notes: list[Note], max_gap: float) -> list[list[Note]]:
    """Split time-ordered notes into phrases wherever a silence exceeds ``max_gap`` s."""
    phrases: list[list[Note]] = []
    cur: list[Note] = []
    end = -1e9
    for nt in sorted(notes, key=lambda x: x.start):
        if cur and nt.start - end > max_gap:
            phrases.append(cur)
            cur = []
        cur.append(nt)
        end = max(end, nt.start + nt.dur) if cur[:-1] else nt.start + nt.dur
    if cur:
        phrases.append(cur)
    return phrases


class Contour(NamedTuple):
    """Per-sample control curves of one phrase.

    Attributes
    ----------
    start : int
        First sample of the phrase in the song.
    midi : ndarray, shape (m,), float64
        Pitch curve (fractional MIDI).
    amp : ndarray, shape (m,), float32
        Amplitude envelope, 0..1.
    onsets : ndarray, shape (k,), int64
        Note onsets relative to ``start`` (samples).
    """

    start: int
    midi: np.ndarray
    amp: np.ndarray
    onsets: np.ndarray


def phrase_contour(phrase: list[Note], sr: int, rng: np.random.Generator, *, glide_tau: float = 0.05,
                   vib_rate: float = 5.5, vib_cents: float = 40.0, vib_delay: float = 0.25,
                   drift_cents: float = 10.0, attack: float = 0.03, release: float = 0.12,
                   legato: float = 1.0, cons_dip: float = 0.0) -> Contour:
    """Render the pitch and loudness curves of one legato phrase.

    Parameters
    ----------
    phrase : list of Note
        Time-ordered notes.
    sr : int
        Sample rate in Hz.
    rng : numpy.random.Generator
    glide_tau : float
        Portamento time constant in s.
    vib_rate : float
        Vibrato rate in Hz.
    vib_cents : float
        Vibrato depth (peak) in cents, reached ``vib_delay`` s after an onset.
    vib_delay : float
        Time after a note onset before vibrato fades in, in s.
    drift_cents : float
        Slow random pitch wander (peak) in cents.
    attack, release : float
        Amplitude smoothing times in s.
    legato : float
        1 keeps the sound going through small gaps; 0 silences gaps.
    cons_dip : float
        Depth (0..1) of the amplitude dip at notes with an onset consonant.

    Returns
    -------
    Contour
    """
    hop = CONTROL_HOP
    t0 = max(phrase[0].start - attack, 0.0)
    t_end = max(n.start + n.dur for n in phrase) + release * 3
    m = dsp.n_samples(t_end - t0, sr)
    mc = m // hop + 1  # control-rate frames
    csr = sr / hop
    starts = np.array([n.start for n in phrase])
    durs = np.array([n.dur for n in phrase])
    ons = np.round((starts - t0) * sr).astype(np.int64)
    ons_c = (starts - t0) * csr
    ends_c = (starts + durs - t0) * csr
    frames = np.arange(mc, dtype=np.float64)
    idx = np.clip(np.searchsorted(ons_c, frames, side="right") - 1, 0, len(phrase) - 1)
    midis = np.array([n.midi for n in phrase], dtype=np.float64)
    glides = np.array([n.glide for n in phrase], dtype=np.float64)
    vels = np.array([n.vel for n in phrase], dtype=np.float64)
    since = frames - ons_c[idx]
    frac = np.clip(since / np.maximum(ends_c - ons_c, 1.0)[idx], 0.0, 1.0)
    target = midis[idx] + glides[idx] * frac**1.5
    curve = dsp.smooth(target, glide_tau, int(round(csr))) if glide_tau > 0 else target
    tsec = frames / csr
    if vib_cents > 0:
        rate = vib_rate * (1.0 + 0.06 * dsp.control_noise(rng, mc, int(round(csr)), 0.7))
        vphase = np.cumsum(rate) / csr
        venv = np.clip((since / csr - vib_delay) / 0.35, 0.0, 1.0)
        and_mask = np.array([n.andolan for n in phrase])[idx]
        depth = np.where(and_mask, 0.0, vib_cents / 100.0)
        curve = curve + depth * venv * np.sin(2 * np.pi * vphase)
        if and_mask.any():
            curve = curve + np.where(and_mask, 0.35 * venv, 0.0) * np.sin(2 * np.pi * 0.8 * tsec)
    if drift_cents > 0:
        curve = curve + (drift_cents / 100.0) * dsp.control_noise(rng, mc, int(round(csr)), 1.5)
    gate = (frames < ends_c[idx]).astype(np.float64)
    if legato > 0:
        # Fill gaps shorter than 0.15 s between consecutive notes.
        nxt = np.append(ons_c[1:], mc)
        short = (nxt - ends_c) < 0.15 * csr
        gate = np.maximum(gate, legato * short[idx] * (frames < nxt[idx]))
    gate *= vels[idx]
    gate[frames < ons_c[0]] = 0.0
    if cons_dip > 0:
        cons = np.array([n.cons > 0 for n in phrase])
        dip_len = 0.04 * csr
        near = (since < dip_len) & cons[idx]
        gate = gate * np.where(near, 1.0 - cons_dip * (1.0 - since / dip_len), 1.0)
    amp = dsp.smooth(gate, attack / 2.5, int(round(csr)))
    tail = frames >= ends_c[-1]
    if tail.any():
        k = int(np.argmax(tail))
        amp[k:] = amp[k] * np.exp(-np.arange(mc - k) / (release * csr))
        amp[k:] *= np.linspace(1.0, 0.0, mc - k)
    midi_full = np.repeat(curve, hop)[:m]
    amp_full = np.interp(np.arange(m) / hop, frames, amp).astype(np.float32)
    return Contour(int(round(t0 * sr)), midi_full, amp_full, ons)
