"""Sound effects and studio processing: scratches, vinyl crackle, reverb, EQ, noise, fades.

These are building blocks; :mod:`training.synth.production` decides when to
use them (with the same odds for every genre).
"""

from __future__ import annotations

import numpy as np
from scipy import signal as sps

from training.synth import dsp


def scratch(rng: np.random.Generator, sr: int, seconds: float) -> np.ndarray:
    """Turntable scratch: a short recorded "sample" dragged back and forth.

    The record position follows a few strokes per beat (baby scratches,
    forward/back pushes) and a crossfader chops some strokes.

    Parameters
    ----------
    rng : numpy.random.Generator
    sr : int
        Sample rate in Hz.
    seconds : float
        Length of the scratch phrase in s.

    Returns
    -------
    ndarray, shape (round(seconds * sr),), float32
    """
    src_len = dsp.n_samples(1.5, sr)
    f = rng.uniform(120, 400)
    cyc = dsp.cycles_from_freq(f * (1 + 0.3 * np.linspace(0, 1, src_len)), src_len, sr)
    tone = dsp.wavetable(dsp.harmonic_table(dsp.saw_amps(25, 1.2)), cyc)
    src = 0.6 * tone + 0.6 * dsp.bandpass(dsp.white(rng, src_len), 500, 4000, sr)
    src = src * (0.5 + 0.5 * np.abs(np.sin(np.linspace(0, rng.uniform(6, 20), src_len)))).astype(np.float32)
    m = dsp.n_samples(seconds, sr)
    t = np.arange(m) / sr
    stroke_hz = rng.uniform(2.0, 7.0)
    depth = rng.uniform(0.05, 0.25) * sr
    pos = src_len / 2 + depth * np.sin(2 * np.pi * stroke_hz * t + rng.uniform(0, 6.3)) \
        + 0.3 * depth * np.sin(2 * np.pi * stroke_hz * 2.1 * t)
    rate = np.diff(pos, prepend=pos[0])
    sig = dsp.varispeed(src, rate) if len(rate) else np.zeros(0, np.float32)
    sig = sig * np.clip(np.abs(rate) / 2.0, 0, 1).astype(np.float32)
    if rng.random() < 0.6:
        gate = (np.sin(2 * np.pi * stroke_hz * 2 * t + rng.uniform(0, 6.3)) > -0.3).astype(np.float32)
        sig *= dsp.smooth(gate, 0.003, sr).astype(np.float32)
    return sig.astype(np.float32)


def crackle(rng: np.random.Generator, n: int, sr: int, rate_hz: float) -> np.ndarray:
    """Vinyl crackle and rumble, RMS around 1, shape (n,), float32.

    Parameters
    ----------
    rate_hz : float
        Mean number of clicks per second.
    """
    out = np.zeros(n, dtype=np.float32)
    k = rng.poisson(rate_hz * n / sr)
    pos = rng.integers(0, n, k)
    out[pos] = (rng.exponential(1.0, k) * rng.choice([-1.0, 1.0], k)).astype(np.float32)
    out = dsp.bandpass(out, rng.uniform(600, 2000), rng.uniform(5000, 10000), sr)
    out += 0.05 * dsp.lowpass(dsp.pink(rng, n), 40, sr)
    return out / max(dsp.rms(out), 1e-9)


def reverb_ir(rng: np.random.Generator, sr: int, rt60: float, predelay: float, damping: float) -> np.ndarray:
    """Synthetic room impulse response with unit energy.

    Parameters
    ----------
    rng : numpy.random.Generator
    sr : int
        Sample rate in Hz.
    rt60 : float
        Reverberation time in s (low band).
    predelay : float
        Gap before the diffuse tail in s.
    damping : float
        0..1; high frequencies decay ``(1 - 0.7 damping)`` times faster.

    Returns
    -------
    ndarray, shape (k,), float32
        Starts with a zero-delay silence (the dry path is mixed separately).
    """
    length = dsp.n_samples(min(rt60 * 1.1, 4.0) + predelay, sr)
    t = np.arange(length) / sr
    noise = dsp.white(rng, length)
    lo = dsp.lowpass(noise, 2500, sr) * np.exp(-6.9 * t / rt60)
    hi = dsp.highpass(noise, 2500, sr) * np.exp(-6.9 * t / (rt60 * (1 - 0.7 * damping)))
    ir = (lo + hi).astype(np.float32)
    pd = int(predelay * sr)
    ir[:pd] = 0.0
    fade = np.clip((np.arange(length) - pd) / max(0.01 * sr, 1), 0, 1)
    ir *= fade.astype(np.float32)
    for _ in range(int(rng.integers(4, 12))):
        d = pd + int(rng.uniform(0.003, 0.08) * sr)
        if d < length:
            ir[d] += rng.uniform(-1, 1) * 6.0 / np.sqrt(sr * rt60)
    return (ir / max(np.sqrt(np.sum(ir.astype(np.float64) ** 2)), 1e-9)).astype(np.float32)


def apply_reverb(x: np.ndarray, ir: np.ndarray, wet: float) -> np.ndarray:
    """Mix ``x`` with its convolution by ``ir`` (``wet`` 0..1), same shape as ``x``."""
    tail = sps.oaconvolve(x.astype(np.float32), ir.astype(np.float32))[: len(x)]
    dry_rms = dsp.rms(x)
    tail_rms = dsp.rms(tail)
    if tail_rms > 0:
        tail *= dry_rms / tail_rms
    return ((1 - wet) * x + wet * tail).astype(np.float32)


def hum(n: int, sr: int, mains_hz: float, rng: np.random.Generator) -> np.ndarray:
    """Mains hum (fundamental plus a few harmonics), RMS 1, shape (n,), float32.

    One second holds a whole number of 50 or 60 Hz cycles, so it is computed
    once and tiled.
    """
    t = np.arange(sr) / sr
    amps = rng.uniform(0.1, 1.0, 5)
    sig = sum(a * np.sin(2 * np.pi * mains_hz * (k + 1) * t + rng.uniform(0, 6.3)) for k, a in enumerate(amps))
    sig = np.resize(np.asarray(sig, dtype=np.float32), n)
    return sig / max(dsp.rms(sig), 1e-9)


def crowd(rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    """Audience murmur (band-passed noise with slow swells), RMS 1, shape (n,), float32."""
    sig = dsp.bandpass(dsp.pink(rng, n), 250, 3000, sr)
    sig *= 0.6 + 0.4 * dsp.control_noise(rng, n, sr, 0.5)
    return sig / max(dsp.rms(sig), 1e-9)


def fade(x: np.ndarray, sr: int, fade_in: float, fade_out: float) -> np.ndarray:
    """Linear fade-in and fade-out (seconds), in place; returns ``x``."""
    a = min(len(x), int(fade_in * sr))
    if a > 0:
        x[:a] *= np.linspace(0.0, 1.0, a, dtype=np.float32)
    b = min(len(x), int(fade_out * sr))
    if b > 0:
        x[len(x) - b:] *= np.linspace(1.0, 0.0, b, dtype=np.float32)
    return x
