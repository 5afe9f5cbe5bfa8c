"""The log-mel spectrogram (musicnn's input) beside the MFCC, and bundles that say which feature they use."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from tests import audio_factory
from tests.unit.test_features import music_like
from urdu_genre_app.core.bundle import BUNDLE_VERSION, METADATA_NAME, load_bundle, save_bundle
from urdu_genre_app.core.errors import FeatureParameterError
from urdu_genre_app.core.features import (
    FEATURE_LOG_MEL,
    FeatureParams,
    OverlappingWindowFeatures,
    log_mel_spectrogram,
    mfcc,
    window_features,
)

MUSICNN_PARAMS = FeatureParams(sample_rate=16_000, n_fft=512, hop_length=256, n_mels=96, feature=FEATURE_LOG_MEL)


def librosa_log_mel(signal: np.ndarray, params: FeatureParams) -> np.ndarray:
    librosa = pytest.importorskip("librosa")
    power = librosa.feature.melspectrogram(
        y=signal, sr=params.sample_rate, n_fft=params.n_fft, hop_length=params.hop_length, n_mels=params.n_mels
    )
    return np.log10(10000 * power + 1).T


def test_matches_librosa_on_music_like_audio(rng):
    signal = music_like(30.0, rng)  # made at 22,050 Hz; read here as 16 kHz audio: a 41 s song
    ours = log_mel_spectrogram(signal=signal, params=MUSICNN_PARAMS)
    reference = librosa_log_mel(signal, MUSICNN_PARAMS)
    assert ours.shape == reference.shape == (1 + signal.size // 256, 96)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, reference, atol=1e-4, rtol=1e-4)


def test_matches_librosa_on_decoded_mp3(tmp_path, rng):
    """Codec output decoded and resampled to 16 kHz by the app's own decoder."""
    from urdu_genre_app.core.audio_io import load_audio

    path = audio_factory.write_audio(tmp_path / "song.mp3", music_like(8.0, rng))
    signal = load_audio(path, sample_rate=16_000)
    np.testing.assert_allclose(
        log_mel_spectrogram(signal=signal, params=MUSICNN_PARAMS), librosa_log_mel(signal, MUSICNN_PARAMS),
        atol=1e-4, rtol=1e-4,
    )


def test_thirty_second_window_shape_follows_the_feature():
    params = FeatureParams(sample_rate=16_000, n_fft=512, hop_length=256, n_mels=96, feature="log_mel")
    assert params.input_shape == (1876, 96, 1)
    assert FeatureParams().input_shape == (1292, 32, 1)
    silence = np.zeros(params.window_samples, np.float32)
    assert window_features(silence, params).shape == (1876, 96)
    np.testing.assert_array_equal(window_features(silence[:22_050], FeatureParams()), mfcc(silence[:22_050]))


def test_overlapping_windows_give_the_log_mel_of_each_window(rng):
    params = FeatureParams(sample_rate=16_000, n_fft=512, hop_length=256, n_mels=96, feature="log_mel",
                           window_seconds=4.0)
    song = music_like(12.0, rng)
    extractor = OverlappingWindowFeatures(params)
    for start in (0, 32_000, 64_000):  # 2 s hops, a whole number of frames
        window = song[start : start + params.window_samples]
        np.testing.assert_allclose(
            extractor(window, start), log_mel_spectrogram(signal=window, params=params), atol=1e-6
        )


def test_unknown_feature_is_refused_by_name():
    with pytest.raises(FeatureParameterError, match="cqt"):
        FeatureParams(feature="cqt")


def test_a_version_1_bundle_is_written_and_still_loads_as_mfcc(tmp_path):
    """An MFCC bundle without a novelty check is format 1, readable by older apps (no ``feature`` key)."""
    import dataclasses

    from urdu_genre_app.resources import paper_model_path

    shipped = load_bundle(paper_model_path(), with_keras=False)  # an MFCC bundle
    plain = dataclasses.replace(shipped, novelty=None, path=None)
    path = save_bundle(plain, tmp_path / "plain.ugm")
    with zipfile.ZipFile(path) as archive:
        metadata = json.loads(archive.read(METADATA_NAME))
    assert metadata["format_version"] == 1 and "feature" not in metadata["features"]
    bundle = load_bundle(path)
    assert bundle.feature_params.feature == "mfcc"
    assert bundle.feature_params.input_shape == (1292, 32, 1)


def test_bundle_records_the_feature_it_was_trained_on(tiny_bundle_path, tmp_path):
    bundle = load_bundle(tiny_bundle_path)
    written = save_bundle(bundle, tmp_path / "again.ugm")
    with zipfile.ZipFile(written) as archive:
        metadata = json.loads(archive.read(METADATA_NAME))
    # Format 2 names the feature; an MFCC bundle without a novelty check stays format 1 (MFCC by definition).
    if bundle.novelty is not None:
        assert metadata["format_version"] == BUNDLE_VERSION == 2
        assert metadata["features"]["feature"] == "mfcc"
    else:
        assert metadata["format_version"] == 1 and "feature" not in metadata["features"]
    assert load_bundle(written).feature_params == bundle.feature_params


def test_feature_cache_tells_log_mel_from_mfcc():
    import dataclasses

    from training.extract import ExtractionConfig, cache_key

    def key(params):
        return cache_key(content_sha256="0" * 64, params=params, config=ExtractionConfig(), intro_skip_seconds=0.0)

    mfcc_params = FeatureParams()
    assert key(mfcc_params) != key(dataclasses.replace(mfcc_params, feature="log_mel"))


def test_second_bundled_model_is_musicnn_and_not_the_default():
    from urdu_genre_app.resources import bundled_model_path, resource_path

    path = resource_path("models", "musicnn_synthetic.ugm")
    bundle = load_bundle(path, with_keras=False)
    assert bundle.architecture == "musicnn" and bundle.provenance["trained_on"] == "real (open-music) and synthetic"
    assert bundle.novelty is not None and bundle.novelty.other_class is not None  # the not-a-genre check
    assert bundle.feature_params.feature == "log_mel" and bundle.feature_params.input_shape == (1876, 96, 1)
    assert path.stat().st_size < 10_000_000 and bundled_model_path() != path
