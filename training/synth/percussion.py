"""Percussion: tabla and dholak strokes (bols), hand-clap ensembles, drum kits and machines.

Each instrument pre-renders a few variants of every stroke from its randomly
drawn tuning and timbre, then places them at event times. Events are tuples
``(time_s, stroke_name, velocity)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scipy import signal as sps

from training.synth import dsp

Event = tuple[float, str, float]


def _modes(sr: int, seconds: float, freqs, amps, decays, bend: float = 0.0, bend_tau: float = 0.1,
           phase_rng: np.random.Generator | None = None) -> np.ndarray:
    """Sum of exponentially decaying sinusoids with an optional common pitch bend.

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    seconds : float
        Length in s.
    freqs, amps, decays : sequence of float
        Mode frequencies (Hz), amplitudes and decay time constants (s).
    bend : float
        Relative pitch change reached with time constant ``bend_tau`` (s);
        positive bends upward (bayan pressure), negative downward.

    Returns
    -------
    ndarray, shape (round(seconds * sr),), float32
    """
    m = dsp.n_samples(seconds, sr)
    t = np.arange(m) / sr
    warp = t + bend * (t - bend_tau * (1 - np.exp(-t / bend_tau))) if bend else t
    out = np.zeros(m)
    for f, a, d in zip(freqs, amps, decays):
        if f >= 0.45 * sr:
            continue
        ph = 0.0 if phase_rng is None else phase_rng.uniform(0, 2 * np.pi)
        out += a * np.exp(-t / d) * np.sin(2 * np.pi * f * warp + ph)
    return out.astype(np.float32)


def _burst(rng: np.random.Generator, sr: int, seconds: float, low: float, high: float, decay: float) -> np.ndarray:
    m = dsp.n_samples(seconds, sr)
    return dsp.bandpass(dsp.white(rng, m), low, high, sr) * dsp.perc_env(m, sr, 0.0005, decay)


def _sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Add two signals of different lengths (the result has the longer length)."""
    if len(a) < len(b):
        a, b = b, a
    out = a.astype(np.float32, copy=True)
    out[: len(b)] += b
    return out


def _normalise(x: np.ndarray) -> np.ndarray:
    """Peak 1, with a 30 ms fade at the end so truncated decays do not click."""
    y = (x / max(float(np.max(np.abs(x))), 1e-9)).astype(np.float32)
    k = min(len(y), 661)
    y[len(y) - k:] *= np.linspace(1.0, 0.0, k, dtype=np.float32)
    return y


@dataclass
class StrokeBank:
    """Pre-rendered stroke variants and the code to place them.

    Attributes
    ----------
    strokes : dict of str to list of ndarray
        Each value holds a few float32 variants, peak 1.
    """

    strokes: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def render(self, events: list[Event], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
        """Place stroke events (unknown names are ignored) into a track of shape (n,)."""
        out = np.zeros(n, dtype=np.float32)
        for t, name, vel in events:
            variants = self.strokes.get(name)
            if not variants or vel <= 0:
                continue
            sig = variants[int(rng.integers(0, len(variants)))]
            dsp.add_at(out, int(t * sr), sig, float(vel))
        return out


# --------------------------------------------------------------------------
# Tabla and dholak
# --------------------------------------------------------------------------
def make_tabla(rng: np.random.Generator, tonic_hz: float, sr: int) -> StrokeBank:
    """A tabla pair tuned to the song's Sa.

    Strokes: ``na``/``ta`` (rim, ringing harmonic modes), ``tin`` (open,
    fundamental), ``tun``, ``te``/``ti`` (closed, dry), ``ge`` (bayan with
    upward pitch bend), ``ke``/``ka`` (bayan slap), and the combined ``dha``,
    ``dhin``, ``dhi``, ``tit``.
    """
    f0 = tonic_hz
    while f0 < 240:
        f0 *= 2
    while f0 > 540:
        f0 /= 2
    fb = rng.uniform(75, 140)
    bank = StrokeBank()
    harm = np.array([1.0, 2.0, 3.0, 4.0, 5.0]) * (1 + rng.normal(0, 0.004, 5))
    for name in ("na", "tin", "tun", "te", "ge", "ke"):
        variants = []
        for _ in range(3):
            j = rng.uniform(0.9, 1.1)
            if name == "na":
                sig = _modes(sr, 0.9, f0 * harm, [0.5, 1.0, 0.7, 0.45, 0.3], np.array([0.25, 0.3, 0.2, 0.12, 0.08]) * j,
                             phase_rng=rng)
                sig = _sum(sig, 0.5 * _burst(rng, sr, 0.02, 2500, 8000, 0.004))
            elif name == "tin":
                sig = _modes(sr, 1.0, f0 * harm, [1.0, 0.5, 0.25, 0.1, 0.05],
                             np.array([0.35, 0.22, 0.15, 0.1, 0.08]) * j,
                             phase_rng=rng)
                sig = _sum(sig, 0.25 * _burst(rng, sr, 0.015, 2000, 6000, 0.003))
            elif name == "tun":
                sig = _modes(sr, 1.1, f0 * harm[:2], [1.0, 0.2], np.array([0.5, 0.2]) * j, phase_rng=rng)
            elif name == "te":
                sig = _modes(sr, 0.12, f0 * harm, [0.6, 0.5, 0.4, 0.3, 0.2], np.full(5, 0.025) * j, phase_rng=rng)
                sig = _sum(sig, 0.6 * _burst(rng, sr, 0.05, 800, 5000, 0.012))
            elif name == "ge":
                bend = rng.uniform(-0.05, 0.35)
                sig = _modes(sr, 1.0, fb * np.array([1.0, 1.5, 2.0]), [1.0, 0.25, 0.1],
                             np.array([0.4, 0.15, 0.08]) * j * rng.uniform(0.7, 1.5), bend=bend,
                             bend_tau=rng.uniform(0.06, 0.25), phase_rng=rng)
                sig = _sum(sig, 0.3 * _burst(rng, sr, 0.03, 100, 800, 0.01))
            else:  # ke: flat-hand slap on the bayan
                sig = _sum(_burst(rng, sr, 0.08, 150, 1500, 0.02), 0.3 * _modes(sr, 0.08, [fb * 1.3], [1.0], [0.02]))
            variants.append(_normalise(sig))
        bank.strokes[name] = variants
    bank.strokes["ta"] = bank.strokes["na"]
    bank.strokes["ti"] = bank.strokes["te"]
    bank.strokes["ka"] = bank.strokes["ke"]
    mix = {"dha": ("na", "ge"), "dhin": ("tin", "ge"), "dhi": ("te", "ge")}
    for name, (a, b) in mix.items():
        out = []
        for i in range(3):
            sa, sb = bank.strokes[a][i], bank.strokes[b][i]
            m = max(len(sa), len(sb))
            s = np.zeros(m, np.float32)
            s[: len(sa)] += 0.8 * sa
            s[: len(sb)] += sb
            out.append(_normalise(s))
        bank.strokes[name] = out
    return bank


def make_dholak(rng: np.random.Generator, sr: int) -> StrokeBank:
    """A dholak: boomy bass head with pitch bends and a bright slapped treble head.

    Strokes: ``ge``/``ghe`` (bass), ``ta``/``na`` (treble slap), ``ti`` (closed
    treble), ``ka`` (bass slap) and ``dha`` (both heads).
    """
    fb = rng.uniform(95, 170)
    ft = rng.uniform(330, 600)
    bank = StrokeBank()
    for name in ("ge", "ta", "ti", "ka"):
        variants = []
        for _ in range(3):
            j = rng.uniform(0.85, 1.15)
            if name == "ge":
                sig = _modes(sr, 0.8, fb * np.array([1.0, 1.6, 2.3]), [1.0, 0.3, 0.15],
                             np.array([0.22, 0.1, 0.06]) * j, bend=rng.uniform(-0.15, 0.25), bend_tau=0.08,
                             phase_rng=rng)
                sig = _sum(sig, 0.4 * _burst(rng, sr, 0.04, 80, 1200, 0.012))
            elif name == "ta":
                sig = _modes(sr, 0.3, ft * np.array([1.0, 1.59, 2.14, 2.65]), [1.0, 0.6, 0.4, 0.3],
                             np.array([0.08, 0.05, 0.04, 0.03]) * j, phase_rng=rng)
                sig = _sum(sig, 0.9 * _burst(rng, sr, 0.08, 1200, 7000, 0.015))
            elif name == "ti":
                sig = _sum(0.5 * _modes(sr, 0.1, [ft], [1.0], [0.02]), _burst(rng, sr, 0.05, 1500, 6000, 0.01))
            else:
                sig = _burst(rng, sr, 0.08, 200, 2000, 0.02)
            variants.append(_normalise(sig))
        bank.strokes[name] = variants
    bank.strokes["ghe"] = bank.strokes["ge"]
    bank.strokes["na"] = bank.strokes["ta"]
    bank.strokes["dha"] = [_normalise(_sum(g, 0.8 * t)) for g, t in zip(bank.strokes["ge"], bank.strokes["ta"])]
    return bank


# --------------------------------------------------------------------------
# Hand claps
# --------------------------------------------------------------------------
def single_clap(rng: np.random.Generator, sr: int, centre: float | None = None) -> np.ndarray:
    """One hand clap: 1-3 band-passed noise flams, shape (~0.12 s,), float32."""
    centre = centre or rng.uniform(900, 2600)
    m = dsp.n_samples(0.15, sr)
    out = np.zeros(m, np.float32)
    n_flams = int(rng.integers(1, 4))
    for i in range(n_flams):
        start = int(i * rng.uniform(0.004, 0.011) * sr)
        seg = _burst(rng, sr, 0.12, centre * 0.6, centre * 1.7, rng.uniform(0.008, 0.03) if i == n_flams - 1 else 0.004)
        dsp.add_at(out, start, seg)
    return _normalise(out)


def make_claps(rng: np.random.Generator, sr: int, n_people: int, spread_s: float) -> StrokeBank:
    """Hand-clap ensemble: ``n_people`` clappers with timing spread, strokes ``clap`` and ``clap_soft``.

    Parameters
    ----------
    rng : numpy.random.Generator
    sr : int
        Sample rate in Hz.
    n_people : int
        Number of people clapping together.
    spread_s : float
        Standard deviation of the clappers' timing in s (looser = wider).
    """
    bank = StrokeBank()
    for name, extra in (("clap", 0.0), ("clap_soft", 0.3)):
        variants = []
        for _ in range(4):
            m = dsp.n_samples(0.25 + 4 * spread_s, sr)
            out = np.zeros(m, np.float32)
            for _p in range(max(1, n_people)):
                off = int((2 * spread_s + rng.normal(0, spread_s)) * sr)
                dsp.add_at(out, max(off, 0), single_clap(rng, sr), rng.uniform(0.4, 1.0) * (1 - extra))
            variants.append(_normalise(out))
        bank.strokes[name] = variants
    return bank


# --------------------------------------------------------------------------
# Drum kits and machines
# --------------------------------------------------------------------------
_METAL = np.array([2.0, 3.0, 4.16, 5.43, 6.79, 8.21])


def _metallic(rng: np.random.Generator, sr: int, seconds: float, base: float, decay: float, hp: float,
              acoustic: bool = False) -> np.ndarray:
    """Cymbal / hi-hat: drum-machine square-wave cluster, or dense random partials for a real cymbal."""
    m = dsp.n_samples(seconds, sr)
    t = np.arange(m) / sr
    sig = np.zeros(m)
    if acoustic:
        t32 = t.astype(np.float32)
        part = np.zeros(m, dtype=np.float32)
        for f in np.exp(rng.uniform(np.log(hp * 0.5), np.log(0.45 * sr), 24)):
            part += np.float32(rng.uniform(0.2, 1.0)) * np.sin(np.float32(2 * np.pi * f) * t32
                                                               + np.float32(rng.uniform(0, 6.3)))
        sig = part / 3.0 + 1.5 * dsp.white(rng, m)
    else:
        for r in _METAL * base * rng.uniform(0.97, 1.03):
            sig += np.sign(np.sin(2 * np.pi * r * t + rng.uniform(0, 6.3)))
        sig = sig.astype(np.float32) + 1.5 * dsp.white(rng, m)
    sig = dsp.highpass(sig, hp, sr, order=4)
    return sig * dsp.perc_env(m, sr, 0.0005, decay)


def make_kit(rng: np.random.Generator, sr: int, style: str) -> StrokeBank:
    """A drum kit or drum machine.

    Parameters
    ----------
    rng : numpy.random.Generator
    sr : int
        Sample rate in Hz.
    style : {"acoustic", "boombap", "trap", "machine"}
        ``acoustic`` is a played rock kit (with room); the others are drum
        machines / samplers.

    Returns
    -------
    StrokeBank
        Strokes: ``kick``, ``snare``, ``hat``, ``hat_open``, ``crash``,
        ``ride``, ``tom_hi``, ``tom_mid``, ``tom_lo``, ``clap``, ``rim``.
    """
    r = rng.uniform
    acoustic = style == "acoustic"
    real_cymbals = acoustic or (style == "boombap" and rng.random() < 0.7)
    bank = StrokeBank()
    k_f0 = r(110, 260)
    k_f1 = r(42, 70)
    k_tau = r(0.015, 0.06)
    k_dec = r(0.12, 0.35) if acoustic else (r(0.35, 1.2) if style == "trap" else r(0.15, 0.5))
    s_tone = r(150, 280)
    s_noise = (r(700, 2000), r(5000, 10000))
    s_dec = r(0.08, 0.25)
    hat_base = r(300, 550)
    hat_hp = r(5000, 8500)
    claps = make_claps(rng, sr, int(rng.integers(1, 4)), 0.004)

    def kick() -> np.ndarray:
        m = dsp.n_samples(k_dec * 5, sr)
        t = np.arange(m) / sr
        f = k_f1 + (k_f0 - k_f1) * np.exp(-t / (k_tau * r(0.9, 1.1)))
        sig = np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t / (k_dec * r(0.9, 1.1)))
        click = _burst(rng, sr, 0.01, 1500, 8000, 0.002) * r(0.1, 0.5 if acoustic else 0.3)
        sig = sig.astype(np.float32)
        sig[: len(click)] += click
        return dsp.soft_clip(sig, r(1.0, 3.0))

    def snare() -> np.ndarray:
        m = dsp.n_samples(s_dec * 5, sr)
        tone = _modes(sr, m / sr, [s_tone, s_tone * 1.6], [1.0, 0.5], [0.05, 0.03], phase_rng=rng)
        noise = _burst(rng, sr, m / sr, *s_noise, s_dec * r(0.9, 1.1))
        return _sum(tone * r(0.3, 0.8), noise)

    def tom(f: float) -> np.ndarray:
        return _sum(_modes(sr, 0.8, [f, f * 1.5], [1.0, 0.3], [0.25, 0.1], bend=-0.1, bend_tau=0.1, phase_rng=rng),
                    0.2 * _burst(rng, sr, 0.05, 500, 4000, 0.01))

    tom_base = r(80, 120)
    makers = {
        "kick": kick,
        "snare": snare,
        "hat": lambda: _metallic(rng, sr, 0.2, hat_base, r(0.02, 0.06), hat_hp, real_cymbals),
        "hat_open": lambda: _metallic(rng, sr, 0.8, hat_base, r(0.15, 0.4), hat_hp, real_cymbals),
        "crash": lambda: _metallic(rng, sr, 3.0, hat_base * 0.8, r(0.6, 1.5), r(3000, 5000), real_cymbals or r() < 0.5),
        "ride": lambda: _sum(_metallic(rng, sr, 1.5, hat_base * 1.3, r(0.3, 0.8), r(2500, 4000), real_cymbals),
                             0.3 * _modes(sr, 1.5, [r(2500, 4000)], [1.0], [0.4])),
        "tom_hi": lambda: tom(tom_base * 1.8),
        "tom_mid": lambda: tom(tom_base * 1.4),
        "tom_lo": lambda: tom(tom_base),
        "rim": lambda: _sum(_modes(sr, 0.06, [r(1500, 2200)], [1.0], [0.01]), _burst(rng, sr, 0.03, 2000, 6000, 0.005)),
    }
    for name, fn in makers.items():
        bank.strokes[name] = [_normalise(fn()) for _ in range(3)]
    bank.strokes["clap"] = claps.strokes["clap"]
    if acoustic:
        # Room ambience glued to the kit (part of the instrument sound).
        ir_len = dsp.n_samples(r(0.15, 0.5), sr)
        ir = dsp.white(rng, ir_len) * dsp.perc_env(ir_len, sr, 0.002, ir_len / sr / 5)
        ir[0] = 1.0 / r(0.08, 0.3)
        for name, variants in bank.strokes.items():
            bank.strokes[name] = [_normalise(sps.fftconvolve(v, ir)[: len(v) + ir_len // 2]) for v in variants]
    elif style == "boombap":
        for name, variants in bank.strokes.items():
            bank.strokes[name] = [_normalise(dsp.lowpass(dsp.soft_clip(v, 2.0), r(5000, 9000), sr)) for v in variants]
    return bank
