"""Synthetic voices: sung (melismatic, vibrato), rapped (speech-like) and choruses.

A band-limited glottal-pulse wavetable follows the phrase's pitch contour
(:func:`training.synth.notes.phrase_contour`); aspiration noise is added; the
source is then shaped by a cascade of four formant resonators per vowel. Vowel
changes are made by cross-fading segments filtered with different vowels
(overlap-add with windows that sum to one, so it behaves like a time-varying
filter). Consonants are short filtered-noise bursts at syllable onsets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.synth import dsp
from training.synth.notes import Note, group_phrases, phrase_contour

#: Vowel names, indexed by :attr:`Note.vowel`.
VOWELS = ("a", "e", "i", "o", "u", "schwa", "ae", "hum")
_FORMANTS = np.array([
    [730, 1090, 2440, 3400],
    [530, 1840, 2480, 3500],
    [300, 2250, 3000, 3700],
    [570, 840, 2410, 3300],
    [320, 870, 2240, 3300],
    [500, 1500, 2500, 3500],
    [660, 1720, 2410, 3400],
    [250, 1100, 2300, 3300],
], dtype=np.float64)
_BANDWIDTHS = np.array([70.0, 100.0, 140.0, 200.0])
#: Onset consonant classes (index = :attr:`Note.cons`).
CONSONANTS = ("none", "s", "sh", "plosive", "h", "ch", "nasal", "liquid")


@dataclass
class Singer:
    """Timbre and style of one voice.

    Attributes
    ----------
    low, high : int
        Comfortable MIDI range.
    formant_scale : float
        Vocal-tract scaling (1 = adult male, ~1.17 = adult female).
    tilt : float
        Glottal spectral slope exponent (higher = darker, softer voice).
    breath : float
        Aspiration noise relative to the voiced source.
    vib_rate : float
        Vibrato rate in Hz.
    vib_cents : float
        Vibrato depth in cents.
    glide : float
        Portamento time constant in s.
    formant_offsets : ndarray, shape (n_vowels, 4)
        Per-singer multiplicative formant deviations.
    ring_db : float
        Boost of the "singer's formant" near 3 kHz, in dB.
    nasal_db : float
        Nasal resonance boost (~1 kHz), in dB.
    grit : float
        Soft saturation amount (shouted/raspy delivery).
    """

    low: int
    high: int
    formant_scale: float
    tilt: float
    breath: float
    vib_rate: float
    vib_cents: float
    glide: float
    formant_offsets: np.ndarray
    ring_db: float
    nasal_db: float
    grit: float

    @classmethod
    def random(cls, rng: np.random.Generator, female: bool | None = None, style: str = "sung") -> "Singer":
        """Draw a singer; ``style`` is ``sung``, ``rap`` or ``chorus``."""
        if female is None:
            female = bool(rng.random() < (0.3 if style != "rap" else 0.15))
        if female:
            low = int(rng.integers(53, 58))
            scale = rng.uniform(1.1, 1.24)
        else:
            low = int(rng.integers(43, 49))
            scale = rng.uniform(0.93, 1.06)
        return cls(
            low=low, high=low + int(rng.integers(17, 22)), formant_scale=scale,
            tilt=rng.uniform(1.5, 2.3), breath=rng.uniform(0.02, 0.25),
            vib_rate=rng.uniform(4.6, 6.8), vib_cents=rng.uniform(15, 70) if style != "rap" else 0.0,
            glide=rng.uniform(0.03, 0.09) if style != "rap" else rng.uniform(0.01, 0.03),
            formant_offsets=rng.uniform(0.92, 1.08, size=(len(VOWELS), 4)),
            ring_db=rng.uniform(0, 9), nasal_db=rng.uniform(0, 6), grit=rng.uniform(0, 1.5) ** 2,
        )


def _vowel_sos(singer: Singer, vowel: int, sr: int) -> np.ndarray:
    f = _FORMANTS[vowel] * singer.formant_scale * singer.formant_offsets[vowel]
    f = np.minimum(f, 0.45 * sr)
    secs = [dsp.resonator_sos(fk, bk * singer.formant_scale, sr) for fk, bk in zip(f, _BANDWIDTHS)]
    return np.concatenate(secs, axis=0)


def _consonant_templates(rng: np.random.Generator, sr: int) -> dict[int, list[np.ndarray]]:
    out: dict[int, list[np.ndarray]] = {}
    for c in range(1, len(CONSONANTS)):
        variants = []
        for _ in range(3):
            if c in (6, 7):
                variants.append(np.zeros(1, np.float32))
                continue
            dur = {1: rng.uniform(0.06, 0.13), 2: rng.uniform(0.07, 0.13), 3: rng.uniform(0.012, 0.03),
                   4: rng.uniform(0.04, 0.09), 5: rng.uniform(0.05, 0.09)}[c]
            m = dsp.n_samples(dur, sr)
            noise = dsp.white(rng, m)
            if c == 1:
                sig = dsp.bandpass(noise, rng.uniform(4000, 5500), rng.uniform(8000, 10500), sr)
                env = dsp.asr_env(m, sr, dur * 0.4, dur * 0.3)
            elif c == 2:
                sig = dsp.bandpass(noise, rng.uniform(1800, 2500), rng.uniform(5000, 6500), sr)
                env = dsp.asr_env(m, sr, dur * 0.4, dur * 0.3)
            elif c == 3:
                sig = dsp.highpass(noise, rng.uniform(500, 2500), sr)
                env = dsp.perc_env(m, sr, 0.001, dur * 0.35)
            elif c == 4:
                sig = dsp.bandpass(noise, 900, 4000, sr)
                env = dsp.asr_env(m, sr, dur * 0.5, dur * 0.4)
            else:
                sig = dsp.bandpass(noise, 1800, 6000, sr)
                env = dsp.perc_env(m, sr, 0.002, dur * 0.5)
            variants.append((sig * env / max(np.max(np.abs(sig)), 1e-9)).astype(np.float32))
        out[c] = variants
    return out


def render_voice(notes: list[Note], n: int, sr: int, rng: np.random.Generator, singer: Singer, *,
                 style: str = "sung", consonant_db: float | None = None, breaths: bool = True) -> np.ndarray:
    """Render a vocal line.

    Parameters
    ----------
    notes : list of Note
        Syllables / melisma notes (``vowel`` and ``cons`` fields are used).
    n : int
        Length of the output track in samples.
    sr : int
        Sample rate in Hz.
    rng : numpy.random.Generator
    singer : Singer
    style : {"sung", "rap"}
        ``rap`` removes vibrato, shortens glides and articulates syllables.
    consonant_db : float, optional
        Consonant level relative to vowels (default -14 dB sung, -6 dB rap).
    breaths : bool
        Add audible breath intakes before phrases.

    Returns
    -------
    ndarray, shape (n,), float32
        Peak level around 1 (not normalised).
    """
    out = np.zeros(n, dtype=np.float32)
    if not notes:
        return out
    rap = style == "rap"
    cons_gain = dsp.db_to_gain(consonant_db if consonant_db is not None else (-6.0 if rap else -14.0))
    post = []
    if singer.ring_db > 0.5:
        post.append(dsp.peaking_sos(rng.uniform(2600, 3300) * min(singer.formant_scale, 1.1), singer.ring_db, 1.4, sr))
    if singer.nasal_db > 0.5:
        post.append(dsp.peaking_sos(rng.uniform(800, 1300), singer.nasal_db, 2.0, sr))
    # Singer's-formant / nasal EQ ride along in every vowel's cascade (no full-length pass).
    vowel_sos = [np.concatenate([_vowel_sos(singer, v, sr)] + post) for v in range(len(VOWELS))]
    grit_drive = 1.0 + 2.5 * singer.grit if singer.grit > 0.05 else 0.0
    cons_tpl = _consonant_templates(rng, sr)
    tables: dict[int, np.ndarray] = {}
    k_all = np.arange(1, 201, dtype=np.float64)
    ripple = 1.0 + 0.25 * rng.uniform(-1, 1, 200)
    xf = int(0.03 * sr)
    tail = int(0.025 * sr)
    max_gap = 0.35 if rap else 0.5
    for phrase in group_phrases(notes, max_gap):
        c = phrase_contour(phrase, sr, rng, glide_tau=singer.glide, vib_rate=singer.vib_rate,
                           vib_cents=singer.vib_cents, drift_cents=35.0 if rap else 8.0,
                           attack=0.012 if rap else 0.045, release=0.05 if rap else 0.14,
                           legato=0.3 if rap else 1.0, cons_dip=0.85 if rap else 0.5)
        m = len(c.midi)
        midi = c.midi + (0.12 if rap else 0.05) * dsp.control_noise(rng, m, sr, 35.0)
        f0 = dsp.midi_to_hz(midi)
        nh = dsp.max_harmonics(float(np.max(f0)), sr, 200)
        if nh not in tables:
            # glottal slope minus 6 dB/octave of lip radiation
            tables[nh] = dsp.harmonic_table(ripple[:nh] / k_all[:nh] ** (singer.tilt - 1.0))
        src = dsp.wavetable(tables[nh], dsp.cycles_from_freq(f0, m, sr, rng.random()))
        shimmer = 1.0 + 0.08 * dsp.control_noise(rng, m, sr, 25.0)
        src = src * shimmer + singer.breath * dsp.highpass(dsp.white(rng, m), 1200, sr)
        src *= c.amp
        # Vowel runs with cross-fade windows that sum to one.
        vowels = np.array([nt.vowel for nt in phrase])
        bounds = [0] + [int(c.onsets[i]) for i in range(1, len(phrase)) if vowels[i] != vowels[i - 1]] + [m]
        run_vowels = [int(vowels[0])] + [int(vowels[i]) for i in range(1, len(phrase)) if vowels[i] != vowels[i - 1]]
        y = np.zeros(m + tail, dtype=np.float32)
        for j, v in enumerate(run_vowels):
            a, b = bounds[j], bounds[j + 1]
            s0 = max(a - xf // 2, 0) if j > 0 else 0
            s1 = min(b + xf // 2, m) if j < len(run_vowels) - 1 else m
            seg = src[s0:s1].copy()
            if j > 0:
                r = min(xf, len(seg))
                seg[:r] *= np.linspace(0.0, 1.0, r, dtype=np.float32)
            if j < len(run_vowels) - 1:
                r = min(xf, len(seg))
                seg[len(seg) - r:] *= np.linspace(1.0, 0.0, r, dtype=np.float32)
            seg = np.concatenate([seg, np.zeros(tail, np.float32)])
            y[s0:s0 + len(seg)] += dsp.apply_sos(seg, vowel_sos[v])
        # Consonants just before their vowel onsets.
        for i, nt in enumerate(phrase):
            if nt.cons <= 0 or nt.cons >= 6:
                continue
            tpl = cons_tpl[nt.cons][int(rng.integers(0, 3))]
            pos = int(c.onsets[i]) - int(0.7 * len(tpl))
            dsp.add_at(y, pos, tpl, float(cons_gain * nt.vel * rng.uniform(0.6, 1.2)))
        if grit_drive:
            peak = max(float(np.max(np.abs(y))), 1e-9)
            y = dsp.soft_clip(y / peak, grit_drive) * np.float32(peak)
        dsp.add_at(out, c.start, y)
        if breaths and rng.random() < (0.35 if rap else 0.6):
            bl = dsp.n_samples(rng.uniform(0.15, 0.35), sr)
            br = dsp.bandpass(dsp.white(rng, bl), 700, 3800, sr) * np.hanning(bl).astype(np.float32)
            dsp.add_at(out, c.start - bl - int(0.05 * sr), br, float(dsp.db_to_gain(rng.uniform(-38, -26))))
    return out


def render_chorus(notes: list[Note], n: int, sr: int, rng: np.random.Generator, n_voices: int, *,
                  spread_s: float = 0.03, female: bool | None = None) -> np.ndarray:
    """Group voices singing the same line with timing, pitch and timbre spread.

    Parameters
    ----------
    notes : list of Note
        The shared line.
    n, sr : int
        Output length (samples) and sample rate (Hz).
    rng : numpy.random.Generator
    n_voices : int
        Number of distinct singers (2-4 is plenty; each costs a voice render).
    spread_s : float
        Standard deviation of per-singer timing offsets in s.
    female : bool, optional
        Force the group's gender.

    Returns
    -------
    ndarray, shape (n,), float32
    """
    out = np.zeros(n, dtype=np.float32)
    for _ in range(max(1, min(n_voices, 3))):
        singer = Singer.random(rng, female=female, style="chorus")
        singer.vib_cents *= rng.uniform(0.5, 1.0)
        detune = rng.normal(0, 0.12)
        octave = 12.0 if (rng.random() < 0.15) else 0.0
        shift = rng.normal(0, spread_s)
        line = [nt._replace(start=max(0.0, nt.start + shift + rng.normal(0, spread_s / 3)),
                            midi=nt.midi + detune + octave, vel=nt.vel * rng.uniform(0.8, 1.0)) for nt in notes]
        out += render_voice(line, n, sr, rng, singer, breaths=False)
    # A few short delayed copies thicken two or three singers into a group.
    thick = out.copy()
    for _ in range(int(rng.integers(1, 4))):
        d = int(rng.uniform(0.012, 0.045) * sr)
        thick[d:] += out[:-d] * np.float32(rng.uniform(0.4, 0.8))
    return thick
