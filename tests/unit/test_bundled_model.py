"""The models the app ships: the default (best on real music) and the paper's BN-CNN; present, honest, working."""

from __future__ import annotations

import numpy as np
import pytest

from tests import audio_factory
from urdu_genre_app.core.bundle import load_bundle
from urdu_genre_app.resources import bundled_model_path, paper_model_path

PAPER_GENRES = ["Ghazal", "Hip-hop", "Qawwali", "Rock"]


@pytest.fixture(scope="module")
def bundle():
    return load_bundle(paper_model_path())


@pytest.fixture(scope="module")
def default_bundle():
    return load_bundle(bundled_model_path(), with_keras=False)


def test_the_default_model_is_the_real_music_one_and_carries_its_check(default_bundle):
    from training.realmusic.family import FAMILY

    assert bundled_model_path().stat().st_size <= 16 * 1024 * 1024  # two taggers: twice a musicnn bundle's graph
    assert default_bundle.architecture == FAMILY and sorted(default_bundle.labels) == PAPER_GENRES
    assert not default_bundle.is_synthetic and "real" in default_bundle.describe()
    check = default_bundle.novelty
    assert check is not None and check.other_class is not None and check.structure_space is not None
    card = (bundled_model_path().parents[1] / "MODEL_CARD_musicnn_tags.md").read_text(encoding="utf-8")
    figures = default_bundle.metrics["real_music_leave_artist_out"]
    assert f"{figures['real_other_flagged']} / {figures['real_other_songs']}" in card


def test_the_default_model_flags_noise_and_a_tone(default_bundle):
    from urdu_genre_app.core.classifier import Classifier

    rate = default_bundle.feature_params.sample_rate
    t = np.arange(45 * rate) / rate
    classifier = Classifier(default_bundle)
    for name, signal in (("440 Hz tone", 0.4 * np.sin(2 * np.pi * 440 * t)),
                         ("white noise", 0.3 * np.random.default_rng(0).standard_normal(t.size))):
        result = classifier.classify_signal(signal.astype(np.float32), source=name)
        assert result.unknown is True and result.probabilities, name


def test_bundled_model_is_shipped_small_and_loads(bundle):
    path = paper_model_path()
    assert path.stat().st_size <= 10 * 1024 * 1024
    assert sorted(bundle.labels) == PAPER_GENRES
    assert bundle.feature_params.input_shape == (1292, 32, 1)
    assert bundle.architecture == "bn_cnn"
    assert bundle.keras_model is not None


def test_bundled_model_says_what_it_learned_from_with_measured_accuracy(bundle):
    from training.realmusic.record import TRAINED_ON

    assert not bundle.is_synthetic and bundle.provenance["trained_on"] == TRAINED_ON
    assert f"trained on {TRAINED_ON} data" in bundle.describe()
    files = bundle.provenance["real_music"]["files"]
    assert files and all(row["licence"] and row["artist"] for row in files)  # every real file credited
    assert 0.0 < bundle.test_accuracy <= 1.0
    assert bundle.metrics["split"] == "song" and bundle.metrics["leaked_songs"] == 0
    card = paper_model_path().parents[1] / "MODEL_CARD.md"
    assert f"{bundle.test_accuracy:.1%}" in card.read_text(encoding="utf-8")


def test_bundled_model_has_the_papers_parameter_count(bundle):
    from training.export import keras_model_from_bundle
    from training.models import PAPER_BN_CNN_PARAMETERS

    assert keras_model_from_bundle(bundle).count_params() == PAPER_BN_CNN_PARAMETERS


def test_bundled_model_classifies_a_synthetic_qawwali(bundle, tmp_path):
    """A song from a seed the model never trained on, through the whole engine."""
    from training.synth import generate_song
    from urdu_genre_app.core.classifier import Classifier

    song = audio_factory.write_audio(tmp_path / "qawwali.mp3", generate_song("Qawwali", 31337, duration_seconds=75))
    result = Classifier(bundle).classify_file(song)
    assert result.status == "ok" and len(result.windows) == 4
    assert set(result.probabilities) == set(PAPER_GENRES)
    assert result.genre == "Qawwali", result.verdict_text()
