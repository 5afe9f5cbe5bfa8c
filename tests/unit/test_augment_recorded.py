"""Recorded colouring in the waveform augmentation: seeded, level kept, the cut-off really cuts."""

from __future__ import annotations

import dataclasses

import numpy as np

from training.augment import WaveAugmentConfig, augment_window
from training.augment_recorded import colour_recorded

SR = 22050


def _noise(rng: np.random.Generator, seconds: float = 2.0) -> np.ndarray:
    return (0.1 * rng.standard_normal(int(seconds * SR))).astype(np.float32)


def _band_energy(y: np.ndarray, low: float, high: float) -> float:
    spectrum = np.abs(np.fft.rfft(y)) ** 2
    freqs = np.fft.rfftfreq(y.size, 1 / SR)
    return float(spectrum[(freqs >= low) & (freqs < high)].sum())


def test_brickwall_cuts_above_cutoff_and_keeps_level(rng) -> None:
    y = _noise(rng)
    out = colour_recorded(y, sample_rate=SR, rng=np.random.default_rng(0), bell_probability=0.0,
                          brickwall_probability=1.0, brickwall_hz=(8000.0, 8000.0), room_probability=0.0)
    assert _band_energy(out, 9000, 11000) < 1e-3 * _band_energy(y, 9000, 11000)
    assert np.isclose(np.sqrt(np.mean(out**2)), np.sqrt(np.mean(y**2)), rtol=1e-3)


def test_bells_and_room_change_timbre_reproducibly(rng) -> None:
    y = _noise(rng)
    kwargs = dict(sample_rate=SR, bell_probability=1.0, brickwall_probability=0.0, brickwall_hz=(7e3, 1e4),
                  room_probability=1.0)
    a = colour_recorded(y, rng=np.random.default_rng(7), **kwargs)
    b = colour_recorded(y, rng=np.random.default_rng(7), **kwargs)
    c = colour_recorded(y, rng=np.random.default_rng(8), **kwargs)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, y, atol=1e-3) and not np.allclose(a, c, atol=1e-3)


def test_all_off_returns_input(rng) -> None:
    y = _noise(rng)
    out = colour_recorded(y, sample_rate=SR, rng=np.random.default_rng(0), bell_probability=0.0,
                          brickwall_probability=0.0, brickwall_hz=(7e3, 1e4), room_probability=0.0)
    np.testing.assert_array_equal(out, y)


def test_earlier_augmentation_choices_are_unchanged_by_the_new_steps(rng) -> None:
    """With the new steps off, augment_window gives what it gave before they existed (same stream)."""
    song = _noise(rng, 6.0)
    off = WaveAugmentConfig(copies=1, codec_probability=0.0, bell_probability=0.0, brickwall_probability=0.0,
                            room_probability=0.0)
    on = dataclasses.replace(off, brickwall_probability=1.0, brickwall_hz=(8000.0, 8000.0))
    a = augment_window(song, start=100, window_samples=2 * SR, sample_rate=SR, config=off,
                       rng=np.random.default_rng(3))
    b = augment_window(song, start=100, window_samples=2 * SR, sample_rate=SR, config=on,
                       rng=np.random.default_rng(3))
    # Below the lowest cut-off the two agree (same tempo, EQ, noise and gain draws); above it they differ.
    # (b is louder there: the level is restored after the cut, so compare shapes, not levels.)
    freqs = np.fft.rfftfreq(a.size, 1 / SR)
    band = (freqs > 100) & (freqs < 5000)
    spectrum_a, spectrum_b = np.abs(np.fft.rfft(a))[band], np.abs(np.fft.rfft(b))[band]
    assert np.corrcoef(spectrum_a, spectrum_b)[0, 1] > 0.999
    assert _band_energy(b, 9000, 11000) < 0.01 * _band_energy(a, 9000, 11000)
