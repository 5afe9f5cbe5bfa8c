"""Pitched instruments: reeds, bowed and blown lines, plucked strings, guitars, basses, keys and pads.

Every instrument is a small class whose ``random(rng)`` constructor draws a
timbre (so two songs never share the exact same harmonium or guitar) and whose
``render(notes, n, sr, rng)`` returns a mono float32 track of shape ``(n,)``.
Repeated notes are cached per instrument instance, which keeps a four-minute
song to a few hundred distinct renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import signal as sps

from training.synth import dsp
from training.synth.notes import Note, group_phrases, phrase_contour


# --------------------------------------------------------------------------
# Karplus-Strong string
# --------------------------------------------------------------------------
def karplus_strong(f0: float, seconds: float, sr: int, rng: np.random.Generator, *, t60: float = 2.0,
                   brightness: float = 0.6, pluck_pos: float = 0.2) -> np.ndarray:
    """A plucked string by the Karplus-Strong algorithm, tuned exactly by resampling.

    The recursion ``y[n] = g/2 (y[n-P] + y[n-P-1])`` is evaluated one period
    (P samples) at a time, so the Python loop runs ``seconds * f0`` times.

    Parameters
    ----------
    f0 : float
        Pitch in Hz.
    seconds : float
        Output length in s.
    sr : int
        Sample rate in Hz.
    rng : numpy.random.Generator
    t60 : float
        Time for the fundamental to decay by 60 dB, in s.
    brightness : float
        0 (dull, soft pluck) .. 1 (bright, pick/hammer).
    pluck_pos : float
        Relative plucking position (0..0.5); adds a comb notch.

    Returns
    -------
    ndarray, shape (round(seconds * sr),), float32
    """
    n_out = dsp.n_samples(seconds, sr)
    p_float = sr / max(f0, 20.0)
    period = max(int(np.floor(p_float - 0.5)), 2)
    rate = (period + 0.5) / p_float
    n_ks = int(n_out * rate) + period + 3
    exc = rng.uniform(-1.0, 1.0, period + 1)
    a = 0.95 - 0.9 * float(np.clip(brightness, 0, 1))
    exc = sps.lfilter([1 - a], [1, -a], exc)
    shift = max(1, int(pluck_pos * period))
    exc = exc - 0.8 * np.roll(exc, shift)
    exc -= exc.mean()
    g = 10.0 ** (-3.0 * (period + 0.5) / (max(t60, 0.05) * sr))
    y = np.zeros(n_ks + period + 1, dtype=np.float64)
    y[: period + 1] = exc
    half = 0.5 * g
    s = period + 1
    while s < n_ks:
        e = min(s + period, n_ks)
        y[s:e] = half * (y[s - period:e - period] + y[s - period - 1:e - period - 1])
        s = e
    pos = np.arange(n_out) * rate
    out = np.interp(pos, np.arange(len(y)), y)
    peak = np.max(np.abs(out[: max(1, int(0.05 * sr))]))
    return (out / max(peak, 1e-9)).astype(np.float32)


# --------------------------------------------------------------------------
# Harmonium
# --------------------------------------------------------------------------
@dataclass
class Harmonium:
    """Free-reed keyboard: additive reed tables, detuned reed banks, bellows tremolo.

    Attributes
    ----------
    amps : ndarray, shape (200,)
        Harmonic amplitudes of one reed.
    reeds : list of (octave, cents, gain)
        Reed banks sounding together (e.g. unison pair plus bass octave).
    bellows_rate, bellows_depth : float
        Air-pressure wobble rate (Hz) and depth (relative amplitude).
    attack, release : float
        Reed speaking / stopping times in s.
    cutoff : float
        Low-pass in Hz (box and microphone).
    nasal_hz, nasal_db : float
        Resonant peak of the box.
    """

    amps: np.ndarray
    reeds: list[tuple[int, float, float]]
    bellows_rate: float
    bellows_depth: float
    attack: float
    release: float
    cutoff: float
    nasal_hz: float
    nasal_db: float
    _tables: dict = field(default_factory=dict, repr=False)

    @classmethod
    def random(cls, rng: np.random.Generator) -> "Harmonium":
        """Draw a harmonium timbre."""
        k = np.arange(1, 201, dtype=np.float64)
        amps = k ** -rng.uniform(0.45, 1.15) * (1 + 0.35 * rng.uniform(-1, 1, 200))
        amps[1::2] *= rng.uniform(0.5, 1.0)
        reeds = [(0, 0.0, 1.0), (0, rng.uniform(3, 14) * rng.choice([-1, 1]), rng.uniform(0.5, 1.0))]
        if rng.random() < 0.5:
            reeds.append((-1, rng.uniform(-4, 4), rng.uniform(0.3, 0.8)))
        if rng.random() < 0.25:
            reeds.append((1, rng.uniform(-4, 4), rng.uniform(0.2, 0.5)))
        return cls(amps, reeds, rng.uniform(0.25, 1.3), rng.uniform(0.04, 0.22), rng.uniform(0.015, 0.07),
                   rng.uniform(0.03, 0.15), rng.uniform(2500, 9000), rng.uniform(700, 2200), rng.uniform(0, 8))

    def _table(self, nh: int) -> np.ndarray:
        if nh not in self._tables:
            self._tables[nh] = dsp.harmonic_table(self.amps[:nh])
        return self._tables[nh]

    def render(self, notes: list[Note], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
        """Render notes (chords are simultaneous notes) into a track of shape (n,)."""
        out = np.zeros(n, dtype=np.float32)
        for nt in notes:
            m = dsp.n_samples(nt.dur + self.release, sr)
            sig = np.zeros(m, dtype=np.float32)
            for octave, cents, gain in self.reeds:
                f = float(dsp.midi_to_hz(nt.midi + 12 * octave + cents / 100.0))
                if f > 0.45 * sr or f < 60.0:  # no reed below the instrument's bass compass
                    continue
                cyc = dsp.cycles_from_freq(f, m, sr, rng.random())
                sig += gain * self._table(dsp.max_harmonics(f, sr))[
                    ((cyc - np.floor(cyc)) * dsp.TABLE_SIZE).astype(np.int32)]
            sig *= dsp.asr_env(m, sr, self.attack, self.release)
            dsp.add_at(out, int(nt.start * sr), sig, nt.vel)
        wob = 1.0 + self.bellows_depth * dsp.control_noise(rng, n, sr, self.bellows_rate)
        out *= wob
        return dsp.apply_sos_lowpass(out, dsp.peaking_sos(self.nasal_hz, self.nasal_db, 1.2, sr), self.cutoff, sr)


# --------------------------------------------------------------------------
# Legato lines: bowed strings, bansuri, synth leads
# --------------------------------------------------------------------------
@dataclass
class LegatoInstrument:
    """Monophonic continuous-pitch instrument (sarangi, violin, bansuri, synth lead).

    Attributes
    ----------
    amps : ndarray, shape (200,)
        Harmonic amplitudes of the source.
    body : ndarray, shape (k, 6)
        Body/cabinet resonances as second-order sections.
    vib_rate, vib_cents : float
        Vibrato rate (Hz) and depth (cents).
    glide : float
        Portamento time constant in s.
    noise : float
        Bow/breath noise relative to the tone.
    noise_band : tuple of float
        Band of the noise in Hz.
    attack, release : float
        Amplitude smoothing in s.
    cutoff : float
        Final low-pass in Hz.
    """

    amps: np.ndarray
    body: np.ndarray
    vib_rate: float
    vib_cents: float
    glide: float
    noise: float
    noise_band: tuple[float, float]
    attack: float
    release: float
    cutoff: float
    _tables: dict = field(default_factory=dict, repr=False)

    @classmethod
    def random(cls, rng: np.random.Generator, kind: str, sr: int) -> "LegatoInstrument":
        """Draw a timbre; ``kind`` is ``sarangi``, ``violin``, ``bansuri`` or ``lead``."""
        k = np.arange(1, 201, dtype=np.float64)
        if kind in ("sarangi", "violin"):
            amps = k ** -rng.uniform(1.0, 1.6) * (1 + 0.4 * rng.uniform(-1, 1, 200))
            peaks = [(rng.uniform(250, 450), rng.uniform(3, 8)), (rng.uniform(700, 1200), rng.uniform(2, 8)),
                     (rng.uniform(1800, 3200), rng.uniform(2, 9))]
            if kind == "sarangi":
                peaks.append((rng.uniform(1000, 1600), rng.uniform(4, 10)))  # nasal, vocal-like
            body = np.concatenate([dsp.peaking_sos(f, g, 1.5, sr) for f, g in peaks])
            return cls(amps, body, rng.uniform(4.5, 7.0), rng.uniform(15, 55),
                       rng.uniform(0.05, 0.14) if kind == "sarangi" else rng.uniform(0.03, 0.07),
                       rng.uniform(0.01, 0.06), (1500.0, 6000.0), rng.uniform(0.05, 0.12), rng.uniform(0.1, 0.25),
                       rng.uniform(3000, 8000))
        if kind == "bansuri":
            amps = np.zeros(200)
            amps[:6] = [1.0, rng.uniform(0.1, 0.4), rng.uniform(0.05, 0.2), rng.uniform(0.0, 0.1), 0.03, 0.02]
            body = dsp.peaking_sos(rng.uniform(1500, 3000), rng.uniform(0, 4), 1.0, sr)
            return cls(amps, body, rng.uniform(4.0, 6.0), rng.uniform(10, 35), rng.uniform(0.03, 0.08),
                       rng.uniform(0.08, 0.3), (1000.0, 6000.0), rng.uniform(0.04, 0.1), rng.uniform(0.08, 0.2),
                       rng.uniform(5000, 9000))
        # synth lead
        square = rng.random() < 0.5
        amps = dsp.square_amps(200, 1.0, rng.uniform(0, 0.3)) if square else dsp.saw_amps(200, rng.uniform(0.8, 1.3))
        body = dsp.peaking_sos(rng.uniform(600, 3000), rng.uniform(-3, 6), 1.0, sr)
        return cls(amps, body, rng.uniform(4.5, 6.5), rng.uniform(0, 25), rng.uniform(0.005, 0.06), 0.0,
                   (1000.0, 5000.0), rng.uniform(0.005, 0.05), rng.uniform(0.05, 0.3), rng.uniform(1500, 8000))

    def render(self, notes: list[Note], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
        """Render a monophonic line into a track of shape (n,)."""
        out = np.zeros(n, dtype=np.float32)
        for phrase in group_phrases(notes, 0.3):
            c = phrase_contour(phrase, sr, rng, glide_tau=self.glide, vib_rate=self.vib_rate,
                               vib_cents=self.vib_cents, attack=self.attack, release=self.release)
            m = len(c.midi)
            f0 = dsp.midi_to_hz(c.midi)
            nh = dsp.max_harmonics(float(np.max(f0)), sr)
            if nh not in self._tables:
                self._tables[nh] = dsp.harmonic_table(self.amps[:nh])
            sig = dsp.wavetable(self._tables[nh], dsp.cycles_from_freq(f0, m, sr, rng.random()))
            if self.noise > 0:
                sig = sig + self.noise * dsp.bandpass(dsp.white(rng, m), *self.noise_band, sr)
            dsp.add_at(out, c.start, sig * c.amp)
        return dsp.apply_sos_lowpass(out, self.body, self.cutoff, sr)


# --------------------------------------------------------------------------
# Plucked and hammered strings
# --------------------------------------------------------------------------
@dataclass
class Plucked:
    """Karplus-Strong strings: sitar, santur, rabab, acoustic/clean guitar, banjo, tanpura.

    Attributes
    ----------
    t60 : float
        Decay time in s.
    brightness : float
        Pluck brightness 0..1.
    pluck_pos : float
        Plucking position 0..0.5.
    buzz : float
        Jawari buzz (sitar, tanpura) amount.
    strings : int
        Detuned strings per note (santur courses, 12-string).
    detune_cents : float
        Spread of the course in cents.
    sympathetic : float
        Level of sympathetic (tarab) strings.
    body : ndarray, shape (k, 6)
        Body resonances as second-order sections.
    release : float
        Damping time after the nominal note end, in s.
    """

    t60: float
    brightness: float
    pluck_pos: float
    buzz: float
    strings: int
    detune_cents: float
    sympathetic: float
    body: np.ndarray
    release: float
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def random(cls, rng: np.random.Generator, kind: str, sr: int) -> "Plucked":
        """Draw a timbre for ``kind`` in sitar, santur, rabab, guitar, banjo, tanpura, clean_electric."""
        r = rng.uniform
        if kind == "sitar":
            args = (r(1.5, 3.5), r(0.5, 0.9), r(0.08, 0.2), r(0.3, 0.8), 1, 0.0, r(0.05, 0.2), r(0.2, 0.6))
            peaks = [(r(300, 600), r(2, 6)), (r(2000, 4000), r(2, 6))]
        elif kind == "santur":
            args = (r(2.0, 4.0), r(0.7, 1.0), r(0.1, 0.3), 0.0, int(rng.integers(2, 4)), r(3, 12), 0.0, r(0.6, 1.5))
            peaks = [(r(500, 900), r(1, 5)), (r(2500, 5000), r(2, 6))]
        elif kind == "rabab":
            args = (r(0.6, 1.4), r(0.3, 0.6), r(0.15, 0.3), r(0.0, 0.2), 1, 0.0, r(0.0, 0.08), r(0.1, 0.3))
            peaks = [(r(150, 300), r(3, 8)), (r(900, 1500), r(2, 6))]
        elif kind == "banjo":
            args = (r(0.5, 1.0), r(0.8, 1.0), r(0.05, 0.15), r(0.0, 0.2), 1, 0.0, 0.0, r(0.05, 0.2))
            peaks = [(r(1500, 3000), r(4, 9))]
        elif kind == "tanpura":
            args = (r(3.0, 6.0), r(0.3, 0.6), r(0.1, 0.2), r(0.5, 1.0), 1, 0.0, 0.0, r(1.0, 2.0))
            peaks = [(r(200, 400), r(2, 6))]
        elif kind == "clean_electric":
            args = (r(1.5, 3.0), r(0.4, 0.8), r(0.1, 0.3), 0.0, 1, 0.0, 0.0, r(0.05, 0.3))
            peaks = [(r(1500, 3000), r(-4, 4))]
        else:  # acoustic guitar
            args = (r(1.5, 3.5), r(0.4, 0.8), r(0.1, 0.3), 0.0, int(rng.choice([1, 1, 2])), r(2, 8), 0.0, r(0.1, 0.4))
            peaks = [(r(90, 130), r(3, 8)), (r(200, 300), r(2, 6)), (r(2000, 4000), r(0, 5))]
        body = np.concatenate([dsp.peaking_sos(f, g, 1.3, sr) for f, g in peaks])
        return cls(*args[:7], body=body, release=args[7])

    def _note(self, midi: float, sr: int, rng: np.random.Generator, variant: int) -> np.ndarray:
        key = (round(midi * 4), variant)
        if key not in self._cache:
            sig = None
            for s in range(self.strings):
                cents = 0.0 if s == 0 else rng.uniform(-self.detune_cents, self.detune_cents)
                f = float(dsp.midi_to_hz(midi + cents / 100.0))
                t60 = self.t60 * min(1.0, (220.0 / f) ** 0.3)
                length = min(self.t60 * 1.2, 4.0)
                one = karplus_strong(f, length, sr, rng, t60=t60, brightness=self.brightness,
                                     pluck_pos=self.pluck_pos * rng.uniform(0.8, 1.2))
                sig = one if sig is None else sig + one
            if self.buzz > 0:
                sig = sig + self.buzz * dsp.highpass(np.abs(sig) - 0.5 * np.abs(sig).mean(), 300, sr)
                sig = dsp.soft_clip(sig, 1.0 + 2 * self.buzz)
            self._cache[key] = sig.astype(np.float32)
        return self._cache[key]

    def render(self, notes: list[Note], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
        """Render notes into a track of shape (n,); ``Note.glide`` bends the note (meend)."""
        out = np.zeros(n, dtype=np.float32)
        for nt in notes:
            full = self._note(nt.midi, sr, rng, int(rng.integers(0, 2)))
            m = min(len(full), dsp.n_samples(nt.dur + self.release, sr))
            sig = full[:m]
            if nt.glide:
                rate = 2.0 ** (nt.glide * np.clip(np.linspace(-0.3, 1.5, m), 0, 1) / 12.0)
                sig = dsp.varispeed(full, rate)
            rel = dsp.n_samples(self.release, sr)
            if m > rel:
                sig = sig.copy()
                sig[m - rel:] *= np.linspace(1.0, 0.0, rel, dtype=np.float32)
            dsp.add_at(out, int(nt.start * sr), sig, nt.vel)
            if self.sympathetic > 0 and rng.random() < 0.4:
                sym = self._note(60 + (round(nt.midi) % 12), sr, rng, 2)
                dsp.add_at(out, int((nt.start + 0.02) * sr), sym, self.sympathetic * nt.vel)
        return dsp.apply_sos(out, self.body)


def amp_sim(x: np.ndarray, sr: int, rng: np.random.Generator, gain_db: float) -> np.ndarray:
    """Guitar amplifier and cabinet: pre-filter, asymmetric clipping, speaker low-pass.

    Parameters
    ----------
    x : ndarray, shape (n,)
        Clean guitar track.
    sr : int
        Sample rate in Hz.
    rng : numpy.random.Generator
    gain_db : float
        Drive above unity; 0 gives a clean amp, 20-40 crunch to heavy.

    Returns
    -------
    ndarray, shape (n,), float32
    """
    peak = max(float(np.max(np.abs(x))), 1e-9)
    pre = np.concatenate([dsp.butter_sos("highpass", rng.uniform(80, 200), sr),
                          dsp.peaking_sos(rng.uniform(600, 1200), rng.uniform(0, 8), 0.8, sr)])
    y = dsp.apply_sos(x * np.float32(1.0 / peak), pre)
    drive = np.float32(dsp.db_to_gain(gain_db))
    bias = np.float32(rng.uniform(0.0, 0.3))
    if rng.random() < 0.5:
        y = np.tanh(y * drive + bias) - np.tanh(bias)
    else:
        y = np.clip(y * drive + bias, -1.0, 1.0) - np.clip(bias, -1, 1)
        y = dsp.soft_clip(y, 1.5)
    post = np.concatenate([dsp.butter_sos("lowpass", rng.uniform(3000, 6000), sr, order=4),
                           dsp.peaking_sos(rng.uniform(90, 160), rng.uniform(0, 6), 1.0, sr),
                           dsp.peaking_sos(rng.uniform(1500, 3500), rng.uniform(-2, 6), 1.2, sr)])
    return dsp.apply_sos(y.astype(np.float32), post)


# --------------------------------------------------------------------------
# Basses
# --------------------------------------------------------------------------
@dataclass
class Bass:
    """Bass instruments: finger/pick bass guitar, synth bass, sub sine, 808.

    Attributes
    ----------
    kind : str
        ``finger``, ``pick``, ``synth``, ``sub`` or ``808``.
    cutoff : float
        Low-pass in Hz.
    decay : float
        Amplitude decay time constant in s.
    drive : float
        Saturation amount.
    drop : float
        Initial pitch drop in semitones (808 punch).
    """

    kind: str
    cutoff: float
    decay: float
    drive: float
    drop: float
    _cache: dict = field(default_factory=dict, repr=False)
    _table: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def random(cls, rng: np.random.Generator, kind: str) -> "Bass":
        """Draw a bass of ``kind``."""
        if kind == "808":
            return cls(kind, rng.uniform(300, 2000), rng.uniform(0.4, 1.6), rng.uniform(0.5, 3.0), rng.uniform(5, 14))
        if kind == "sub":
            return cls(kind, 400.0, rng.uniform(0.5, 3.0), rng.uniform(0.1, 1.0), 0.0)
        if kind == "synth":
            return cls(kind, rng.uniform(300, 1500), rng.uniform(0.2, 1.5), rng.uniform(0.3, 2.0), 0.0)
        return cls(kind, rng.uniform(700, 3000), rng.uniform(0.4, 1.5), rng.uniform(0.1, 1.5), 0.0)

    def _note(self, midi: float, m: int, sr: int, rng: np.random.Generator) -> np.ndarray:
        key = (round(midi * 4), m // 256)
        if key in self._cache:
            return self._cache[key]
        f = float(dsp.midi_to_hz(midi))
        t = np.arange(m) / sr
        if self.kind in ("finger", "pick"):
            sig = karplus_strong(f, m / sr, sr, rng, t60=self.decay * 4,
                                 brightness=0.7 if self.kind == "pick" else 0.35,
                                 pluck_pos=0.15)
            sig = sig * dsp.asr_env(m, sr, 0.004, 0.03)
        else:
            if self.kind == "808":
                fr = f * 2.0 ** (self.drop / 12.0 * np.exp(-t / 0.04))
            else:
                fr = np.full(m, f)
            cyc = dsp.cycles_from_freq(fr, m, sr)
            if self.kind == "synth":
                if self._table is None:
                    self._table = dsp.harmonic_table(dsp.saw_amps(40, rng.uniform(0.8, 1.4)))
                sig = dsp.wavetable(self._table, cyc)
            else:
                sig = np.sin(2 * np.pi * cyc).astype(np.float32)
            env = dsp.perc_env(m, sr, 0.003, self.decay) if self.kind != "sub" else dsp.asr_env(m, sr, 0.01, 0.05)
            sig = sig * env * dsp.asr_env(m, sr, 0.002, 0.02)
        if self.drive > 0.05:
            sig = dsp.soft_clip(sig, 1 + self.drive)
        self._cache[key] = sig.astype(np.float32)
        return self._cache[key]

    def render(self, notes: list[Note], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
        """Render bass notes into a track of shape (n,); an 808 note with ``glide`` slides."""
        out = np.zeros(n, dtype=np.float32)
        for nt in notes:
            m = dsp.n_samples(nt.dur, sr)
            sig = self._note(nt.midi, m, sr, rng)
            if nt.glide:
                rate = 2.0 ** (nt.glide * np.clip(np.linspace(-1.0, 1.0, m), 0, 1) / 12.0)
                sig = dsp.varispeed(np.concatenate([sig, np.zeros(m, np.float32)]), rate)
            dsp.add_at(out, int(nt.start * sr), sig, nt.vel)
        return dsp.lowpass(out, self.cutoff, sr)


# --------------------------------------------------------------------------
# Keys and pads
# --------------------------------------------------------------------------
@dataclass
class Keys:
    """Chordal keyboards: detuned-saw pad, string pad, organ, FM electric piano, piano-ish.

    Attributes
    ----------
    kind : str
        ``pad``, ``strings``, ``organ``, ``epiano`` or ``piano``.
    amps : ndarray, shape (200,)
        Harmonic amplitudes for table-based kinds.
    detune_cents : float
        Spread of the two oscillators per note.
    attack, release : float
        Envelope times in s.
    cutoff : float
        Low-pass in Hz.
    fm_index : float
        Modulation index for ``epiano``.
    """

    kind: str
    amps: np.ndarray
    detune_cents: float
    attack: float
    release: float
    cutoff: float
    fm_index: float
    _tables: dict = field(default_factory=dict, repr=False)
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def random(cls, rng: np.random.Generator, kind: str) -> "Keys":
        """Draw a keyboard of ``kind``."""
        k = np.arange(1, 201, dtype=np.float64)
        if kind == "organ":
            amps = np.zeros(200)
            for h in (1, 2, 3, 4, 6, 8):
                amps[h - 1] = rng.uniform(0.1, 1.0)
            return cls(kind, amps, rng.uniform(0, 6), 0.01, 0.05, rng.uniform(3000, 8000), 0.0)
        if kind == "epiano":
            return cls(kind, np.zeros(200), 0.0, 0.002, 0.2, rng.uniform(2500, 7000), rng.uniform(0.8, 3.0))
        if kind == "piano":
            amps = k ** -rng.uniform(1.0, 1.6)
            return cls(kind, amps, rng.uniform(0, 3), 0.003, 0.15, rng.uniform(3000, 9000), 0.0)
        if kind == "strings":
            amps = k ** -rng.uniform(0.9, 1.3)
            return cls(kind, amps, rng.uniform(6, 15), rng.uniform(0.2, 0.7), rng.uniform(0.3, 0.8),
                       rng.uniform(2500, 6000), 0.0)
        amps = k ** -rng.uniform(0.8, 1.4)
        return cls("pad", amps, rng.uniform(5, 20), rng.uniform(0.1, 1.0), rng.uniform(0.3, 1.2),
                   rng.uniform(800, 4000), 0.0)

    def _note(self, midi: float, m: int, sr: int, rng: np.random.Generator) -> np.ndarray:
        key = (round(midi * 4), m // 512)
        if key in self._cache:
            return self._cache[key]
        f = float(dsp.midi_to_hz(midi))
        if self.kind == "epiano":
            t = np.arange(m) / sr
            idx = self.fm_index * np.exp(-t / 0.25)
            sig = np.sin(2 * np.pi * f * t + idx * np.sin(2 * np.pi * f * t))
            sig += 0.15 * np.sin(2 * np.pi * 14 * f * t) * np.exp(-t / 0.03) if 14 * f < 0.45 * sr else 0.0
            sig = (sig * dsp.perc_env(m, sr, 0.002, 1.2)).astype(np.float32)
        else:
            nh = dsp.max_harmonics(f * 1.02, sr)
            if nh not in self._tables:
                self._tables[nh] = dsp.harmonic_table(self.amps[:nh])
            voices = (0.0,) if self.detune_cents < 0.5 else (-self.detune_cents / 2, self.detune_cents / 2)
            sig = np.zeros(m, dtype=np.float32)
            for c in voices:
                fc = f * 2 ** (c / 1200)
                sig += dsp.wavetable(self._tables[nh], dsp.cycles_from_freq(fc, m, sr, rng.random()))
            if self.kind == "piano":
                sig *= dsp.perc_env(m, sr, 0.003, 0.9)
        sig = sig * dsp.asr_env(m, sr, self.attack, self.release)
        self._cache[key] = sig.astype(np.float32)
        return self._cache[key]

    def render(self, notes: list[Note], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
        """Render (chord) notes into a track of shape (n,)."""
        out = np.zeros(n, dtype=np.float32)
        for nt in notes:
            m = dsp.n_samples(nt.dur + self.release, sr)
            dsp.add_at(out, int(nt.start * sr), self._note(nt.midi, m, sr, rng), nt.vel)
        return dsp.lowpass(out, self.cutoff, sr)
