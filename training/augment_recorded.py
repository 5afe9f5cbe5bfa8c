"""Recorded-sounding colouring for waveform augmentation: desk/mic EQ bells, codec brick-wall, small room.

Where the bundled model's mistakes point (issue 12): an MP3 whose encoder
cut everything above ~10 kHz changed a verdict, and songs recorded in a room
through real microphones sound unlike the corpus's clean mixes. These three
perturbations are applied by :func:`training.augment.augment_window` after its
own steps, from a generator of their own, so enabling them leaves every
earlier random choice (and so older caches' meaning) unchanged:

* **EQ bells** -- 1-3 peaking filters of +-6 dB between 150 Hz and 6 kHz
  (a microphone's presence peak, a desk's mid cut);
* **brick-wall low-pass** -- a steep cut-off between 7 and 10.5 kHz, as MP3
  and AAC encoders apply at low bit rates;
* **small room** -- early reflections 3-35 ms apart and a short diffuse tail
  (RT60 0.15-0.6 s), a live room's colouring rather than a hall.

The level (RMS) is restored afterwards, so only the timbre changes.
"""

from __future__ import annotations

import numpy as np

#: Largest boost or cut of one EQ bell, in dB.
BELL_LIMIT_DB = 6.0
#: Order of the brick-wall's Butterworth-like magnitude (steep, as codecs' low-passes are).
BRICKWALL_ORDER = 24


def _bells(freqs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Magnitude response of 1-3 random peaking bells (log-frequency Gaussians in dB)."""
    gain_db = np.zeros_like(freqs)
    log_f = np.log2(np.maximum(freqs, 1.0))
    for _ in range(int(rng.integers(1, 4))):
        centre = np.log2(rng.uniform(150.0, 6000.0))
        width_octaves = rng.uniform(0.3, 1.5)
        gain_db += rng.uniform(-BELL_LIMIT_DB, BELL_LIMIT_DB) * np.exp(-0.5 * ((log_f - centre) / width_octaves) ** 2)
    return 10.0 ** (gain_db / 20.0)


def _small_room(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Impulse response: direct sound, 4-10 early reflections, a short decaying tail."""
    rt60 = rng.uniform(0.15, 0.6)
    n = int(rt60 * sample_rate)
    ir = np.zeros(n)
    ir[0] = 1.0
    for _ in range(int(rng.integers(4, 11))):
        delay = int(rng.uniform(0.003, 0.035) * sample_rate)
        if delay < n:
            ir[delay] += rng.uniform(-0.6, 0.6)
    t = np.arange(n) / sample_rate
    ir += rng.uniform(0.05, 0.3) * rng.standard_normal(n) * np.exp(-6.9078 * t / rt60) * (t > 0.01)
    return ir


def colour_recorded(y: np.ndarray, *, sample_rate: int, rng: np.random.Generator, bell_probability: float,
                    brickwall_probability: float, brickwall_hz: tuple[float, float],
                    room_probability: float) -> np.ndarray:
    """Apply the module's perturbations, each with its probability, keeping the RMS.

    Parameters
    ----------
    y : numpy.ndarray, shape (n,), float32
        One window.
    sample_rate : int
        Hz.
    rng : numpy.random.Generator
        Source of every choice (its own stream).
    bell_probability, brickwall_probability, room_probability : float
        Chances in [0, 1].
    brickwall_hz : (float, float)
        Range of the brick-wall cut-off, in Hz (clipped below Nyquist).

    Returns
    -------
    numpy.ndarray, shape (n,), float32
    """
    x = np.asarray(y, dtype=np.float64)
    reference_rms = np.sqrt(np.mean(x**2)) + 1e-12
    freqs = np.fft.rfftfreq(x.size, d=1.0 / sample_rate)
    magnitude = np.ones_like(freqs)
    if rng.random() < bell_probability:
        magnitude *= _bells(freqs, rng)
    if rng.random() < brickwall_probability:
        cutoff = min(float(rng.uniform(*brickwall_hz)), 0.47 * sample_rate)
        magnitude /= np.sqrt(1.0 + (freqs / cutoff) ** (2 * BRICKWALL_ORDER))
    changed = not np.all(magnitude == 1.0)
    if changed:
        x = np.fft.irfft(np.fft.rfft(x) * magnitude, n=x.size)
    if rng.random() < room_probability:
        from scipy.signal import fftconvolve

        x = fftconvolve(x, _small_room(rng, sample_rate), mode="full")[: x.size]
        changed = True
    if not changed:
        return np.asarray(y, dtype=np.float32)
    x *= reference_rms / (np.sqrt(np.mean(x**2)) + 1e-12)
    return x.astype(np.float32)
