"""Augmentation for robust training: waveform-level (extraction) and feature-level (fit).

The bundled model is trained on synthetic songs but must hold up on songs made
by other means (real recordings, other mixes, lossy downloads). Two seeded
families of perturbation widen what it sees:

Waveform level (:class:`WaveAugmentConfig`, applied by :func:`augment_window`
when windows are extracted; each window gets ``copies`` perturbed copies besides
the clean one):

* **tempo/pitch** -- the window is read ``factor`` times longer or shorter and
  resampled to the window length (a tape played a little fast or slow);
* **EQ tilt** -- a spectral slope of a few dB per octave around 1 kHz;
* **band-limiting** -- a random low-pass (a codec's or cheap speaker's top end),
  high-pass (thin sound), or both (telephone band-pass);
* **reverb** -- a synthetic room (exponentially decaying noise impulse response);
* **additive noise** -- white or pink at a random signal-to-noise ratio;
* **codec** -- a real MP3 round trip at a low bitrate through FFmpeg;
* **gain** -- a random loudness change (moves MFCC c0 only);
* **recorded colouring** -- EQ bells, a codec's brick-wall low-pass near
  10 kHz and a small room (:mod:`training.augment_recorded`, its own stream).

Feature level (:class:`SpecAugmentConfig`, applied by :func:`spec_augment` to
standardised batches while fitting): SpecAugment-style time and coefficient
masks (set to 0, the training mean) and a random offset of c0 (loudness).

Every function takes a ``numpy.random.Generator``; the same seed gives the
same output.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from training.augment_recorded import colour_recorded
from training.encode import encode_mono
from training.errors import TrainingConfigError
from urdu_genre_app.core.audio_io import load_audio

#: Reference frequency (Hz) around which the EQ tilt pivots.
TILT_PIVOT_HZ = 1000.0
#: Largest boost or cut (dB) the tilt may apply at any frequency.
TILT_LIMIT_DB = 15.0
#: Length of the synthetic reverb's impulse response relative to its RT60.
REVERB_TAIL_FACTOR = 1.0


@dataclass(frozen=True)
class WaveAugmentConfig:
    """Waveform-level augmentation applied when windows are extracted.

    Each copy draws every step anew with its ``*_probability`` (a copy may get
    several perturbations, or none but the gain); the module docstring says
    what each step does.

    Attributes
    ----------
    copies : int
        Perturbed copies per extracted window, besides the clean window
        (0 turns waveform augmentation off).
    gain_db : tuple of float
        Range of the random gain, in dB.
    tempo_probability : float
        Chance of a tempo/pitch change.
    tempo_range : tuple of float
        Range of the speed factor (1.0 = unchanged).
    tilt_probability : float
        Chance of an EQ tilt.
    tilt_db_per_octave : float
        Largest tilt slope, in dB per octave (either sign).
    lowpass_probability : float
        Chance of a low-pass filter.
    lowpass_hz : tuple of float
        Range of its cut-off, in Hz.
    highpass_probability : float
        Chance of a high-pass filter (with a low-pass too: a band-pass).
    highpass_hz : tuple of float
        Range of its cut-off, in Hz.
    reverb_probability : float
        Chance of a synthetic room reverb.
    reverb_rt60 : tuple of float
        Range of the reverb time, in seconds.
    reverb_wet : tuple of float
        Range of the reverb's level relative to the dry signal.
    noise_probability : float
        Chance of additive noise.
    noise_snr_db : tuple of float
        Range of the signal-to-noise ratio, in dB.
    codec_probability : float
        Chance of an MP3 round trip (slowest step: ~0.2 s a window).
    codec_bitrates : tuple of int
        Bitrates (bit/s) to pick from for the round trip.
    bell_probability, brickwall_probability, room_probability : float
        Chances of :mod:`training.augment_recorded`'s EQ bells, brick-wall
        low-pass and small room.
    brickwall_hz : tuple of float
        Range of the brick-wall cut-off, in Hz.
    """

    copies: int = 0
    gain_db: tuple[float, float] = (-12.0, 6.0)
    tempo_probability: float = 0.5
    tempo_range: tuple[float, float] = (0.94, 1.06)
    tilt_probability: float = 0.6
    tilt_db_per_octave: float = 3.0
    lowpass_probability: float = 0.4
    lowpass_hz: tuple[float, float] = (3_500.0, 11_000.0)
    highpass_probability: float = 0.25
    highpass_hz: tuple[float, float] = (60.0, 400.0)
    reverb_probability: float = 0.3
    reverb_rt60: tuple[float, float] = (0.2, 1.2)
    reverb_wet: tuple[float, float] = (0.1, 0.5)
    noise_probability: float = 0.5
    noise_snr_db: tuple[float, float] = (10.0, 40.0)
    codec_probability: float = 0.15
    codec_bitrates: tuple[int, ...] = (48_000, 64_000, 96_000, 128_000)
    bell_probability: float = 0.4
    brickwall_probability: float = 0.25
    brickwall_hz: tuple[float, float] = (7_000.0, 10_500.0)
    room_probability: float = 0.25

    def __post_init__(self) -> None:
        if self.copies < 0:
            raise TrainingConfigError(f"copies={self.copies} must be >= 0")
        for f in fields(self):
            if f.name.endswith("_probability") and not 0.0 <= getattr(self, f.name) <= 1.0:
                raise TrainingConfigError(f"{f.name}={getattr(self, f.name)} must be in [0, 1]")
        if not 0 < self.tempo_range[0] <= self.tempo_range[1]:
            raise TrainingConfigError(f"tempo_range={self.tempo_range} must be positive and ordered")

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (for cache keys and provenance)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass(frozen=True)
class SpecAugmentConfig:
    """Feature-level augmentation applied to standardised training batches.

    Attributes
    ----------
    enabled : bool
        Off by default (the paper trained without it).
    time_masks : int
        Time masks per window.
    time_mask_fraction : float
        Largest width of one time mask, as a fraction of the window's frames.
    coefficient_masks : int
        Masks over consecutive MFCC coefficients per window.
    coefficient_mask_width : int
        Largest width of one coefficient mask.
    c0_offset_std : float
        Standard deviation of a random offset added to c0 (loudness), in
        standardised units.
    """

    enabled: bool = False
    time_masks: int = 2
    time_mask_fraction: float = 0.1
    coefficient_masks: int = 1
    coefficient_mask_width: int = 4
    c0_offset_std: float = 0.3

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (for provenance)."""
        return asdict(self)


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1]))


def read_segment(song: np.ndarray, start: int, length: int) -> np.ndarray:
    """``length`` samples of ``song`` from ``start``, moved back or looped to fit.

    Parameters
    ----------
    song : numpy.ndarray, shape (n,), float32
        The whole song.
    start : int
        Wanted first sample.
    length : int
        Samples wanted.

    Returns
    -------
    numpy.ndarray, shape (length,), float32
        The segment; when the song ends first the start moves back, and a song
        shorter than ``length`` is looped from ``start`` (as the classifier
        loops short clips).
    """
    if song.size >= length:
        start = min(max(0, start), song.size - length)
        return song[start : start + length]
    return np.resize(np.roll(song, -(start % max(1, song.size))), length).astype(np.float32, copy=False)


def _spectral_gain(
    freqs: np.ndarray, rng: np.random.Generator, config: WaveAugmentConfig, sample_rate: int
) -> np.ndarray | None:
    """Magnitude response of a random tilt, low-pass and high-pass (None if all off)."""
    gain_db = np.zeros_like(freqs)
    changed = False
    safe = np.maximum(freqs, 1.0)
    if rng.random() < config.tilt_probability:
        slope = rng.uniform(-config.tilt_db_per_octave, config.tilt_db_per_octave)
        gain_db += np.clip(slope * np.log2(safe / TILT_PIVOT_HZ), -TILT_LIMIT_DB, TILT_LIMIT_DB)
        changed = True
    magnitude = 10.0 ** (gain_db / 20.0)
    if rng.random() < config.lowpass_probability:
        cutoff = min(_uniform(rng, config.lowpass_hz), 0.45 * sample_rate)
        magnitude /= np.sqrt(1.0 + (safe / cutoff) ** 8)  # 4th-order Butterworth magnitude
        changed = True
    if rng.random() < config.highpass_probability:
        cutoff = _uniform(rng, config.highpass_hz)
        ratio = (safe / cutoff) ** 4
        magnitude *= ratio / np.sqrt(1.0 + ratio**2)
        changed = True
    return magnitude if changed else None


def _room_impulse(rng: np.random.Generator, config: WaveAugmentConfig, sample_rate: int) -> np.ndarray:
    rt60 = _uniform(rng, config.reverb_rt60)
    n = max(2, int(REVERB_TAIL_FACTOR * rt60 * sample_rate))
    t = np.arange(n) / sample_rate
    impulse = rng.standard_normal(n) * np.exp(-6.9078 * t / rt60)  # -60 dB at rt60
    impulse /= np.sqrt(np.sum(impulse**2)) + 1e-12
    return impulse.astype(np.float32)


def _mp3_round_trip(signal: np.ndarray, *, sample_rate: int, bitrate: int) -> np.ndarray:
    """Encode to MP3 with FFmpeg (PyAV) and decode back with the app's decoder."""
    handle, name = tempfile.mkstemp(suffix=".mp3")
    os.close(handle)
    try:
        encode_mono(name, signal, sample_rate=sample_rate, container_format="mp3", codec="libmp3lame",
                    bit_rate=bitrate)
        decoded = load_audio(name, sample_rate=sample_rate)
    finally:
        Path(name).unlink(missing_ok=True)
    # The encoder adds a little delay and padding: keep the length fixed.
    return read_segment(decoded, 0, signal.size) if decoded.size >= signal.size else np.resize(decoded, signal.size)


def augment_window(
    song: np.ndarray,
    *,
    start: int,
    window_samples: int,
    sample_rate: int,
    config: WaveAugmentConfig,
    rng: np.random.Generator,
) -> np.ndarray:
    """One randomly perturbed copy of the window of ``song`` starting at ``start``.

    Parameters
    ----------
    song : numpy.ndarray, shape (n,), float32
        The whole decoded song at ``sample_rate``.
    start : int
        First sample of the clean window.
    window_samples : int
        Length of the window (and of the result), in samples.
    sample_rate : int
        Hz.
    config : WaveAugmentConfig
        Which perturbations may happen and how strong.
    rng : numpy.random.Generator
        Source of every random choice.

    Returns
    -------
    numpy.ndarray, shape (window_samples,), float32
        The perturbed window, ready for :func:`urdu_genre_app.core.features.mfcc`.
    """
    if rng.random() < config.tempo_probability:
        import soxr

        factor = _uniform(rng, config.tempo_range)
        source = read_segment(song, start, int(round(window_samples * factor)) + 64)
        y = soxr.resample(source, sample_rate * factor, sample_rate, quality="HQ")
        y = read_segment(np.asarray(y, dtype=np.float32), 0, window_samples)
    else:
        y = read_segment(song, start, window_samples)
    y = np.asarray(y, dtype=np.float64)
    reference_rms = np.sqrt(np.mean(y**2)) + 1e-12

    spectrum = None
    freqs = np.fft.rfftfreq(y.size, d=1.0 / sample_rate)
    magnitude = _spectral_gain(freqs, rng, config, sample_rate)
    if magnitude is not None:
        spectrum = np.fft.rfft(y) * magnitude
        y = np.fft.irfft(spectrum, n=y.size)
    if rng.random() < config.reverb_probability:
        from scipy.signal import fftconvolve

        wet = fftconvolve(y, _room_impulse(rng, config, sample_rate), mode="full")[: y.size]
        y = y + _uniform(rng, config.reverb_wet) * wet
    if rng.random() < config.noise_probability:
        snr_db = _uniform(rng, config.noise_snr_db)
        noise = rng.standard_normal(y.size)
        if rng.random() < 0.5:  # pink: -3 dB per octave
            shaped = np.fft.rfft(noise) / np.sqrt(np.maximum(freqs, 20.0))
            noise = np.fft.irfft(shaped, n=y.size)
        signal_rms = np.sqrt(np.mean(y**2)) + 1e-12
        noise *= signal_rms / (np.sqrt(np.mean(noise**2)) + 1e-12) * 10.0 ** (-snr_db / 20.0)
        y = y + noise
    # Filters and reverb change the level: restore it before the random gain.
    y *= reference_rms / (np.sqrt(np.mean(y**2)) + 1e-12)
    y *= 10.0 ** (_uniform(rng, config.gain_db) / 20.0)
    y = y.astype(np.float32)
    if rng.random() < config.codec_probability:
        bitrate = int(rng.choice(np.asarray(config.codec_bitrates)))
        y = _mp3_round_trip(y, sample_rate=sample_rate, bitrate=bitrate)
    # Drawn last, from a stream of its own: the choices above stay what they were before it existed.
    y = colour_recorded(y, sample_rate=sample_rate, rng=np.random.default_rng(rng.integers(2**63)),
                        bell_probability=config.bell_probability, brickwall_probability=config.brickwall_probability,
                        brickwall_hz=config.brickwall_hz, room_probability=config.room_probability)
    return np.ascontiguousarray(y, dtype=np.float32)


def spec_augment(batch: np.ndarray, *, config: SpecAugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """SpecAugment-style masks and a c0 offset on a standardised batch.

    Parameters
    ----------
    batch : numpy.ndarray, shape (n, frames, n_mfcc[, 1]), float32
        Standardised MFCC images; not modified.
    config : SpecAugmentConfig
        Mask counts and sizes; nothing happens when ``enabled`` is False.
    rng : numpy.random.Generator
        Source of the random masks.

    Returns
    -------
    numpy.ndarray, same shape as ``batch``, float32
        A perturbed copy (masked cells are 0, the training mean).
    """
    if not config.enabled:
        return batch
    out = np.array(batch, dtype=np.float32, copy=True)
    n, frames, coefficients = out.shape[:3]
    max_time = max(1, int(config.time_mask_fraction * frames))
    for i in range(n):
        for _ in range(config.time_masks):
            width = int(rng.integers(0, max_time + 1))
            begin = int(rng.integers(0, max(1, frames - width + 1)))
            out[i, begin : begin + width] = 0.0
        for _ in range(config.coefficient_masks):
            width = int(rng.integers(0, config.coefficient_mask_width + 1))
            # c0 (loudness) is left to the offset below; masks start at c1.
            begin = int(rng.integers(1, max(2, coefficients - width + 1)))
            out[i, :, begin : begin + width] = 0.0
        if config.c0_offset_std > 0:
            out[i, :, 0] += np.float32(rng.normal(0.0, config.c0_offset_std))
    return out
