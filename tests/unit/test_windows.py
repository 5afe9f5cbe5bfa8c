"""Cutting songs into windows: coverage, the short-clip rule and silence."""

from __future__ import annotations

import numpy as np
import pytest

from urdu_genre_app.core.features import FeatureParams
from urdu_genre_app.core.windows import WindowPolicy, hop_samples, iter_windows, rms_dbfs, window_starts

PARAMS = FeatureParams(sample_rate=1000, n_fft=64, hop_length=16, n_mels=40, n_mfcc=13, window_seconds=3.0)
POLICY = WindowPolicy(hop_seconds=1.5, min_clip_seconds=1.0)


def _split(signal: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    cuts = np.sort(rng.integers(0, signal.size, size=7))
    return np.split(signal, cuts)


@pytest.mark.parametrize("seconds", [3.0, 3.2, 4.5, 10.0, 61.7])
def test_streamed_windows_cover_the_song_and_end_at_its_end(seconds, rng):
    signal = rng.uniform(-0.5, 0.5, int(seconds * 1000)).astype(np.float32)
    windows = list(iter_windows(_split(signal, rng), params=PARAMS, policy=POLICY))
    starts = [round(w.start_seconds * 1000) for w in windows]
    assert hop_samples(PARAMS, POLICY) == 1504  # 1.5 s rounded to whole 16-sample frames
    assert starts == window_starts(signal.size, 3000, 1504)
    assert windows[-1].end_seconds == pytest.approx(seconds)
    for window, start in zip(windows, starts):
        np.testing.assert_array_equal(window.samples, signal[start : start + 3000])
        assert not window.short and not window.silent
    assert [w.index for w in windows] == list(range(len(windows)))


def test_short_clip_is_looped_and_flagged(rng):
    clip = rng.uniform(-0.5, 0.5, 1200).astype(np.float32)
    (window,) = iter_windows([clip], params=PARAMS, policy=POLICY)
    assert window.short and window.samples.size == 3000
    np.testing.assert_array_equal(window.samples[1200:2400], clip)
    assert window.end_seconds == pytest.approx(1.2)


def test_clip_under_minimum_yields_nothing(rng):
    assert list(iter_windows([rng.uniform(-1, 1, 900).astype(np.float32)], params=PARAMS, policy=POLICY)) == []


def test_silence_is_flagged_not_hidden(rng):
    quiet = (1e-5 * rng.standard_normal(6000)).astype(np.float32)
    loud = (0.3 * rng.standard_normal(6000)).astype(np.float32)
    windows = list(iter_windows([quiet, loud], params=PARAMS, policy=POLICY))
    assert windows[0].silent and windows[0].level_dbfs < -60
    assert not windows[-1].silent


def test_rms_dbfs_of_full_scale_square_is_zero():
    assert rms_dbfs(np.ones(100, dtype=np.float32)) == pytest.approx(0.0)
    assert rms_dbfs(np.zeros(0, dtype=np.float32)) < -100


def test_window_starts_hop_and_alignment():
    assert window_starts(100, 30, 15) == [0, 15, 30, 45, 60, 70]
    assert window_starts(30, 30, 15) == [0]
    assert window_starts(10, 30, 15) == [0]


def test_overlapping_window_features_equal_plain_mfcc(rng):
    """Frame sharing between windows changes nothing in the features."""
    from urdu_genre_app.core.features import OverlappingWindowFeatures, mfcc

    params = FeatureParams(window_seconds=3.0)
    policy = WindowPolicy(hop_seconds=1.0)
    signal = (0.3 * rng.standard_normal(int(9.3 * 22_050))).astype(np.float32)
    signal[: 22_050] *= 1e-3  # a quiet start moves each window's top_db floor
    extractor = OverlappingWindowFeatures(params)
    windows = list(iter_windows([signal], params=params, policy=policy))
    assert len(windows) == 8
    for window in windows:
        start = window.start_sample
        assert start == round(window.start_seconds * 22_050)
        np.testing.assert_allclose(extractor(window.samples, start), mfcc(window.samples, params), atol=1e-4)


def test_the_default_hop_is_half_a_window_whatever_its_length():
    from urdu_genre_app.core.windows import HOP_FRACTION

    assert WindowPolicy().hop_seconds == FeatureParams().window_seconds * HOP_FRACTION == 15.0
    assert WindowPolicy.for_features(FeatureParams(window_seconds=3.0)).hop_seconds == 1.5
    assert WindowPolicy.for_features(FeatureParams(), silence_dbfs=-50.0).silence_dbfs == -50.0


@pytest.mark.parametrize("seconds", [3.0, 3.2, 4.5, 10.0, 61.7])
def test_a_growing_recording_gets_the_grid_of_a_file_of_its_length(seconds):
    from urdu_genre_app.core.windows import growing_window_starts

    total = int(seconds * 1000)
    hop = hop_samples(PARAMS, POLICY)
    previous: list[int] = []
    for recorded in range(0, total + 1, 250):
        starts = growing_window_starts(recorded, 3000, hop)
        assert starts[: len(previous)] == previous  # windows already scored never move
        assert all(start + 3000 <= recorded for start in starts)
        assert starts == [s for s in window_starts(recorded, 3000, hop) if s % hop == 0] if recorded >= 3000 else not starts
        previous = starts
    assert growing_window_starts(total, 3000, hop, finished=True) == window_starts(total, 3000, hop)
    assert growing_window_starts(1200, 3000, hop) == [] and growing_window_starts(1200, 3000, hop, finished=True) == [0]
