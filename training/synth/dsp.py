"""Low-level DSP building blocks shared by every synthetic instrument.

Everything here is vectorised NumPy/SciPy: oscillators read one-cycle
wavetables through a phase accumulator, envelopes are closed-form arrays and
filters are second-order sections run by :func:`scipy.signal.sosfilt`.
Signals are mono ``float32`` arrays of shape ``(n_samples,)`` unless a
docstring says otherwise; times are in seconds, frequencies in Hz, levels
in dB.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import signal as sps

#: Samples in one cycle of a wavetable (the table stores one extra wrap sample).
TABLE_SIZE = 4096


def db_to_gain(db: float | np.ndarray) -> float | np.ndarray:
    """Convert decibels to a linear amplitude factor."""
    return 10.0 ** (np.asarray(db, dtype=np.float64) / 20.0)


def midi_to_hz(midi: float | np.ndarray) -> float | np.ndarray:
    """Convert (fractional) MIDI note numbers to Hz (A4 = 69 = 440 Hz)."""
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69.0) / 12.0)


def n_samples(seconds: float, sr: int) -> int:
    """Number of samples covering ``seconds`` at ``sr`` Hz (at least 1)."""
    return max(1, int(round(seconds * sr)))


# --------------------------------------------------------------------------
# Oscillators
# --------------------------------------------------------------------------
def harmonic_table(amplitudes: np.ndarray, phases: np.ndarray | None = None) -> np.ndarray:
    """Build a one-cycle wavetable from harmonic amplitudes.

    Parameters
    ----------
    amplitudes : ndarray, shape (n_harmonics,)
        Linear amplitude of harmonics 1..n_harmonics (``n_harmonics`` is
        clipped to ``TABLE_SIZE // 2 - 1``).
    phases : ndarray, shape (n_harmonics,), optional
        Phase of each harmonic in radians (0 = sine phase).

    Returns
    -------
    ndarray, shape (TABLE_SIZE + 1,), float32
        One cycle normalised to a peak of 1, plus a wrap-around sample.
    """
    amps = np.asarray(amplitudes, dtype=np.float64)[: TABLE_SIZE // 2 - 1]
    ph = np.zeros(len(amps)) if phases is None else np.asarray(phases, dtype=np.float64)[: len(amps)]
    spec = np.zeros(TABLE_SIZE // 2 + 1, dtype=np.complex128)
    k = np.arange(1, len(amps) + 1)
    spec[k] = amps * np.exp(1j * (ph - np.pi / 2)) * (TABLE_SIZE / 2)
    tab = np.fft.irfft(spec, TABLE_SIZE)
    peak = np.max(np.abs(tab))
    if peak > 0:
        tab = tab / peak
    return np.append(tab, tab[0]).astype(np.float32)


def max_harmonics(f_max: float, sr: int, limit: int = 200) -> int:
    """Largest harmonic count that keeps a tone of ``f_max`` Hz below 0.45 sr."""
    return int(max(1, min(limit, np.floor(0.45 * sr / max(f_max, 1.0)))))


def cycles_from_freq(freq: np.ndarray | float, n: int, sr: int, phase0: float = 0.0) -> np.ndarray:
    """Integrate an instantaneous frequency into oscillator phase.

    Parameters
    ----------
    freq : ndarray, shape (n,) or float
        Instantaneous frequency in Hz.
    n : int
        Output length in samples.
    sr : int
        Sample rate in Hz.
    phase0 : float
        Starting phase in cycles.

    Returns
    -------
    ndarray, shape (n,), float64
        Phase in cycles (unwrapped).
    """
    if np.isscalar(freq):
        return phase0 + np.arange(n, dtype=np.float64) * (float(freq) / sr)
    return phase0 + np.cumsum(np.asarray(freq, dtype=np.float64)) / sr


def wavetable(table: np.ndarray, cycles: np.ndarray) -> np.ndarray:
    """Read a one-cycle table at the given phases (no interpolation; 4096 points).

    Parameters
    ----------
    table : ndarray, shape (TABLE_SIZE + 1,)
        From :func:`harmonic_table`.
    cycles : ndarray, shape (n,)
        Phase in cycles.

    Returns
    -------
    ndarray, shape (n,), float32
    """
    frac = cycles - np.floor(cycles)
    idx = (frac * TABLE_SIZE).astype(np.int32)
    return np.take(table, idx)


def saw_amps(n: int, tilt: float = 1.0) -> np.ndarray:
    """Harmonic amplitudes ``1 / k**tilt`` (a sawtooth for ``tilt = 1``), shape (n,)."""
    k = np.arange(1, n + 1, dtype=np.float64)
    return 1.0 / k**tilt


def square_amps(n: int, tilt: float = 1.0, even: float = 0.0) -> np.ndarray:
    """Odd-harmonic-heavy amplitudes; ``even`` in [0, 1] leaks even harmonics, shape (n,)."""
    k = np.arange(1, n + 1, dtype=np.float64)
    amp = 1.0 / k**tilt
    amp[1::2] *= even
    return amp


# --------------------------------------------------------------------------
# Envelopes and control signals
# --------------------------------------------------------------------------
def perc_env(n: int, sr: int, attack: float, decay: float) -> np.ndarray:
    """Percussive envelope: linear attack then exponential decay.

    Parameters
    ----------
    n : int
        Length in samples.
    sr : int
        Sample rate in Hz.
    attack : float
        Time in s of the linear ramp up from zero.
    decay : float
        Exponential time constant in s (amplitude falls to 1/e).

    Returns
    -------
    ndarray, shape (n,), float32
    """
    t = np.arange(n, dtype=np.float32) / sr
    a = max(attack, 1.0 / sr)
    env = np.exp(-np.maximum(t - a, 0.0) / max(decay, 1e-4))
    env *= np.minimum(t / a, 1.0)
    return env.astype(np.float32)


def asr_env(n: int, sr: int, attack: float, release: float) -> np.ndarray:
    """Attack / sustain / release envelope that ends at zero.

    Parameters
    ----------
    n, sr, attack
        As for :func:`perc_env`.
    release : float
        Time in s of the linear ramp down that ends at the last sample.

    Returns
    -------
    ndarray, shape (n,), float32
    """
    t = np.arange(n, dtype=np.float32) / sr
    total = n / sr
    env = np.minimum(t / max(attack, 1.0 / sr), 1.0)
    env = np.minimum(env, np.clip((total - t) / max(release, 1.0 / sr), 0.0, 1.0))
    return env.astype(np.float32)


def control_noise(rng: np.random.Generator, n: int, sr: int, rate_hz: float) -> np.ndarray:
    """Smooth random control signal, roughly in [-1, 1].

    Random points every ``1 / rate_hz`` seconds joined by cosine
    interpolation, computed every 32 samples and held in between (steps of
    1.5 ms at 22,050 Hz are inaudible for vibrato, drift or tremolo).

    Returns
    -------
    ndarray, shape (n,), float32
    """
    hold = 32
    m = n // hold + 2
    n_pts = int(m * hold / sr * rate_hz) + 3
    pts = rng.uniform(-1.0, 1.0, n_pts).astype(np.float32)
    pos = np.arange(m, dtype=np.float64) * (rate_hz * hold / sr)
    i = pos.astype(np.int64)
    f = (pos - i).astype(np.float32)
    w = 0.5 - 0.5 * np.cos(np.float32(np.pi) * f)
    ctl = pts[i] * (1 - w) + pts[i + 1] * w
    return np.repeat(ctl, hold)[:n]


# --------------------------------------------------------------------------
# Filters
# --------------------------------------------------------------------------
@lru_cache(maxsize=512)
def _butter(kind: str, freq: tuple[float, ...] | float, sr: int, order: int) -> np.ndarray:
    return sps.butter(order, freq, btype=kind, fs=sr, output="sos").astype(np.float32)


def _clip_freq(f: float, sr: int) -> float:
    return float(min(max(f, 10.0), 0.47 * sr))


def butter_sos(kind: str, freq: float | tuple[float, float], sr: int, order: int = 2) -> np.ndarray:
    """Butterworth sections for ``kind`` in lowpass/highpass/bandpass, shape (k, 6), float32.

    Frequencies are clipped below Nyquist; chain several filters by
    concatenating their sections and calling :func:`apply_sos` once (one
    pass over the samples is much cheaper than several).
    """
    if kind == "bandpass":
        lo = _clip_freq(freq[0], sr)
        hi = _clip_freq(max(freq[1], lo * 1.05), sr)
        if hi <= lo * 1.01:
            hi = min(0.47 * sr, lo * 1.2)
            lo = hi / 1.2
        return _butter(kind, (round(lo, 1), round(hi, 1)), sr, order)
    return _butter(kind, round(_clip_freq(float(freq), sr), 1), sr, order)


def lowpass(x: np.ndarray, cutoff: float, sr: int, order: int = 2) -> np.ndarray:
    """Butterworth low-pass (``cutoff`` in Hz, clipped to below Nyquist)."""
    if cutoff >= 0.46 * sr:
        return x.astype(np.float32, copy=False)
    sos = _butter("lowpass", round(_clip_freq(cutoff, sr), 1), sr, order)
    return sps.sosfilt(sos, x.astype(np.float32, copy=False)).astype(np.float32, copy=False)


def highpass(x: np.ndarray, cutoff: float, sr: int, order: int = 2) -> np.ndarray:
    """Butterworth high-pass (``cutoff`` in Hz)."""
    sos = _butter("highpass", round(_clip_freq(cutoff, sr), 1), sr, order)
    return sps.sosfilt(sos, x.astype(np.float32, copy=False)).astype(np.float32, copy=False)


def bandpass(x: np.ndarray, low: float, high: float, sr: int, order: int = 2) -> np.ndarray:
    """Butterworth band-pass between ``low`` and ``high`` Hz."""
    lo = _clip_freq(low, sr)
    hi = _clip_freq(max(high, lo * 1.05), sr)
    if hi <= lo * 1.01:
        hi = min(0.47 * sr, lo * 1.2)
        lo = hi / 1.2
    sos = _butter("bandpass", (round(lo, 1), round(hi, 1)), sr, order)
    return sps.sosfilt(sos, x.astype(np.float32, copy=False)).astype(np.float32, copy=False)


def peaking_sos(freq: float, gain_db: float, q: float, sr: int) -> np.ndarray:
    """RBJ peaking-EQ biquad as one second-order section, shape (1, 6)."""
    freq = _clip_freq(freq, sr)
    a_lin = 10.0 ** (gain_db / 40.0)
    w0 = 2 * np.pi * freq / sr
    alpha = np.sin(w0) / (2 * q)
    b = np.array([1 + alpha * a_lin, -2 * np.cos(w0), 1 - alpha * a_lin])
    a = np.array([1 + alpha / a_lin, -2 * np.cos(w0), 1 - alpha / a_lin])
    return np.concatenate([b / a[0], a / a[0]])[None, :]


def shelf_sos(freq: float, gain_db: float, sr: int, high: bool) -> np.ndarray:
    """RBJ shelving biquad (slope 1), shape (1, 6); ``high`` selects a high shelf."""
    freq = _clip_freq(freq, sr)
    a_lin = 10.0 ** (gain_db / 40.0)
    w0 = 2 * np.pi * freq / sr
    cw, sw = np.cos(w0), np.sin(w0)
    alpha = sw / 2 * np.sqrt(2.0)
    sq = 2 * np.sqrt(a_lin) * alpha
    if high:
        b = [a_lin * ((a_lin + 1) + (a_lin - 1) * cw + sq), -2 * a_lin * ((a_lin - 1) + (a_lin + 1) * cw),
             a_lin * ((a_lin + 1) + (a_lin - 1) * cw - sq)]
        a = [(a_lin + 1) - (a_lin - 1) * cw + sq, 2 * ((a_lin - 1) - (a_lin + 1) * cw),
             (a_lin + 1) - (a_lin - 1) * cw - sq]
    else:
        b = [a_lin * ((a_lin + 1) - (a_lin - 1) * cw + sq), 2 * a_lin * ((a_lin - 1) - (a_lin + 1) * cw),
             a_lin * ((a_lin + 1) - (a_lin - 1) * cw - sq)]
        a = [(a_lin + 1) + (a_lin - 1) * cw + sq, -2 * ((a_lin - 1) + (a_lin + 1) * cw),
             (a_lin + 1) + (a_lin - 1) * cw - sq]
    b = np.asarray(b) / a[0]
    a = np.asarray(a) / a[0]
    return np.concatenate([b, a])[None, :]


def resonator_sos(freq: float, bandwidth: float, sr: int) -> np.ndarray:
    """Two-pole resonator with unity gain at DC (a cascade formant), shape (1, 6)."""
    freq = _clip_freq(freq, sr)
    r = np.exp(-np.pi * max(bandwidth, 10.0) / sr)
    a1 = -2 * r * np.cos(2 * np.pi * freq / sr)
    a2 = r * r
    g = 1 + a1 + a2
    return np.array([[g, 0.0, 0.0, 1.0, a1, a2]])


def apply_sos(x: np.ndarray, sos: np.ndarray) -> np.ndarray:
    """Run ``x`` (float32) through second-order sections ``sos`` (shape (k, 6))."""
    return sps.sosfilt(np.asarray(sos, dtype=np.float32), x.astype(np.float32, copy=False)).astype(
        np.float32, copy=False)


def apply_sos_lowpass(x: np.ndarray, sos: np.ndarray, cutoff: float, sr: int) -> np.ndarray:
    """Run ``x`` through ``sos`` (shape (k, 6)) and a 2nd-order low-pass at ``cutoff`` Hz, in one pass.

    The low-pass is left out when ``cutoff`` is at or above 0.46 ``sr`` (no
    audible effect below Nyquist), as in :func:`lowpass`.
    """
    chain = [sos]
    if cutoff < 0.46 * sr:
        chain.append(butter_sos("lowpass", cutoff, sr))
    return apply_sos(x, np.concatenate(chain))


def smooth(x: np.ndarray, tau: float, sr: int) -> np.ndarray:
    """One-pole smoothing with time constant ``tau`` seconds (float64 in, float64 out)."""
    a = np.exp(-1.0 / max(tau * sr, 1.0))
    zi = np.array([x[0] * a]) if len(x) else None
    y, _ = sps.lfilter([1 - a], [1, -a], x, zi=zi)
    return y


# --------------------------------------------------------------------------
# Noise, nonlinearity, mixing
# --------------------------------------------------------------------------
_PINK_B = np.array([0.049922035, -0.095993537, 0.050612699, -0.004408786])
_PINK_A = np.array([1.0, -2.494956002, 2.017265875, -0.522189400])


def white(rng: np.random.Generator, n: int) -> np.ndarray:
    """Gaussian white noise, unit variance, shape (n,), float32."""
    return rng.standard_normal(n, dtype=np.float32)


def pink(rng: np.random.Generator, n: int) -> np.ndarray:
    """Approximately 1/f noise with unit standard deviation, shape (n,), float32."""
    y = sps.lfilter(_PINK_B, _PINK_A, rng.standard_normal(n)).astype(np.float32)
    s = float(np.std(y)) if n > 1 else 1.0
    return y / (s if s > 0 else 1.0)


def soft_clip(x: np.ndarray, drive: float) -> np.ndarray:
    """``tanh`` saturation normalised so that ``drive -> 0`` is the identity."""
    drive = max(float(drive), 1e-3)
    x = np.asarray(x, dtype=np.float32)
    return np.tanh(x * np.float32(drive)) * np.float32(1.0 / np.tanh(drive))


def add_at(buf: np.ndarray, start: int, sig: np.ndarray, gain: float = 1.0) -> None:
    """Add ``gain * sig`` into ``buf`` starting at sample ``start`` (clipped to bounds, in place)."""
    n = len(buf)
    s0 = int(start)
    a = max(0, -s0)
    b = min(len(sig), n - s0)
    if b <= a:
        return
    if gain == 1.0:
        buf[s0 + a: s0 + b] += sig[a:b]
    else:
        buf[s0 + a: s0 + b] += gain * sig[a:b]


def varispeed(sig: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Read ``sig`` with a time-varying playback rate (1 = original pitch).

    Parameters
    ----------
    sig : ndarray, shape (m,)
    rate : ndarray, shape (n,)
        Playback rate per output sample; may be negative (reverse).

    Returns
    -------
    ndarray, shape (n,), float32
    """
    pos = np.cumsum(rate, dtype=np.float64)
    pos = np.clip(pos, 0, len(sig) - 1)
    return np.interp(pos, np.arange(len(sig)), sig).astype(np.float32)


def rms(x: np.ndarray) -> float:
    """Root-mean-square of ``x`` (0 for empty input)."""
    if len(x) == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))
