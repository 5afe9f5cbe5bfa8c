"""Where the charts draw each window, and what the feature panel is called (components/chart_spans, no Qt)."""

from __future__ import annotations

import numpy as np
import pytest

from urdu_genre_app.components.chart_spans import (
    colour_limits,
    display_spans,
    feature_panel_text,
    feature_pieces,
    span_at,
    unscored_gaps,
)
from urdu_genre_app.core.features import FeatureParams
from urdu_genre_app.core.results import WindowResult

#: A musicnn bundle's feature parameters: 16 kHz, hop 256, 96 mel bands, log-mel.
MUSICNN = FeatureParams(sample_rate=16_000, n_fft=512, hop_length=256, n_mels=96, feature="log_mel")


def _windows(starts, length=30.0):
    return [WindowResult(i, s, s + length, (0.5, 0.5)) for i, s in enumerate(starts)]


def test_overlapping_windows_tile_the_song():
    params = FeatureParams()
    windows = _windows((0.0, 15.0, 20.0))
    spans = display_spans(windows)
    assert spans == [(0.0, 15.0), (15.0, 20.0), (20.0, 50.0)]
    assert unscored_gaps(spans, 50.0) == []
    assert span_at(spans, 16.0) == 1 and span_at(spans, 50.0) == 2 and span_at(spans, 51.0) is None
    features = [np.full((params.frames_per_window, params.n_mfcc), i, np.float32) for i in range(3)]
    pieces = feature_pieces(windows, features, params)
    frame = params.hop_length / params.sample_rate
    assert [p[0] for p in pieces] == [0.0, 15.0, 20.0]
    assert pieces[0][1].shape[0] == int(np.ceil(15.0 / frame))
    assert pieces[1][1].shape[0] == int(np.ceil(5.0 / frame))
    assert pieces[2][1].shape[0] == params.frames_per_window
    assert all((frames == i).all() for i, (_, frames) in enumerate(pieces))


def test_windows_set_apart_are_drawn_where_they_were_scored():
    # A musicnn bundle scores a 30 s window every 90 s; the last one is aligned to the song's end.
    windows = _windows((0.0, 90.0, 107.8125))
    spans = display_spans(windows)
    assert spans == [(0.0, 30.0), (90.0, 107.8125), (107.8125, 137.8125)]
    assert unscored_gaps(spans, 137.8125) == [(30.0, 90.0)]
    assert span_at(spans, 45.0) is None  # no window claims what it never heard
    frame = MUSICNN.hop_length / MUSICNN.sample_rate
    features = [np.ones((MUSICNN.frames_per_window, 96), np.float32) for _ in windows]
    pieces = feature_pieces(windows, features, MUSICNN)
    assert pieces[0][1].shape == (int(np.ceil(30.0 / frame)), 96)  # its 30 s, not the 90 s to the next window
    assert pieces[1][1].shape[0] == int(np.ceil(17.8125 / frame))


def test_a_song_longer_than_its_last_window_ends_in_a_gap():
    spans = display_spans(_windows((0.0,)))
    assert unscored_gaps(spans, 100.0) == [(30.0, 100.0)]
    assert unscored_gaps(spans, 30.01) == []  # rounding, not audio
    assert unscored_gaps([], 100.0) == []


@pytest.mark.parametrize("params, words, y_label, first_row", [
    (MUSICNN, ("Log-mel spectrogram", "96 bands"), "Mel band", 0),
    (FeatureParams(), ("MFCC image", "32 coefficients"), "MFCC coefficient", 1),
])
def test_the_feature_panel_says_what_it_shows(params, words, y_label, first_row):
    text = feature_panel_text(params)
    assert all(word in text.title for word in words)
    assert text.y_label == y_label and text.scale_from_row == first_row
    assert ("MFCC" in text.colour_label) == (params.feature == "mfcc")


def test_colour_limits_leave_out_the_loudness_row_and_nothing_gives_none(rng=np.random.default_rng(3)):
    image = rng.normal(0.0, 1.0, (200, 32)).astype(np.float32)
    image[:, 0] = -500.0  # MFCC 0: the loudness, far below the rest
    low, high = colour_limits([image], scale_from_row=1)
    assert -4.0 < low < 0.0 < high < 4.0
    low_all, _ = colour_limits([image], scale_from_row=0)
    assert low_all == pytest.approx(-500.0)
    assert colour_limits([], scale_from_row=1) is None
    flat = colour_limits([np.zeros((5, 3), np.float32)], scale_from_row=0)
    assert flat == (0.0, 1.0)  # a flat image still gets a usable scale
