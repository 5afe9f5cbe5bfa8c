"""The ``musicnn_tags`` family: its head, its "other music" check, its real-music evaluation, its bundle."""

from __future__ import annotations

import numpy as np
import pytest

from training.realmusic import evaluate as realmusic_evaluate
from training.realmusic.evaluate import CLASSES, SongData, judge, leave_artist_out, summarise, training_rows
from training.realmusic.family import GENRES, TagHead, fit_head, novelty_check


def _clusters(rng, per_class=40, d=100, classes=5):
    centres = rng.normal(scale=3.0, size=(classes, d)) + rng.normal(size=d) * 10  # an offset the head must remove
    x = np.concatenate([c + rng.normal(size=(per_class, d)) for c in centres])
    return x, np.repeat(np.arange(classes), per_class)


def test_the_head_folds_its_standardisation_into_raw_feature_weights():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x, y = _clusters(rng)
    head = fit_head(x, y, c=0.5)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    reference = LogisticRegression(C=0.5, max_iter=2000).fit((x - mean) / std, y)
    np.testing.assert_allclose(head.logits(x), reference.decision_function((x - mean) / std), rtol=1e-6, atol=1e-6)
    assert (head.probabilities(x).argmax(axis=1) == y).mean() > 0.95


def test_a_class_without_songs_is_never_chosen():
    rng = np.random.default_rng(1)
    x, y = _clusters(rng, classes=3)
    head = fit_head(x, y)
    assert head.weights.shape == (100, 5)
    assert head.probabilities(x)[:, 3:].max() < 1e-9


def test_the_bundle_check_is_the_heads_other_music_output():
    rng = np.random.default_rng(2)
    head = TagHead(weights=rng.normal(size=(100, 5)) * 0.1, bias=rng.normal(size=5))
    check = novelty_check(head, threshold=0.4)
    features = rng.normal(size=(9, 100))
    np.testing.assert_allclose(check.scores(features) * 0.4, head.probabilities(features)[:, -1], rtol=1e-9)
    genre_logits = head.logits(features)[:, :4]
    expected = np.exp(genre_logits) / np.exp(genre_logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(check.probabilities(features), expected, rtol=1e-5)


def _song(name, label, group, origin, rng, centre, windows=3):
    return SongData(name, CLASSES.index(label), group, origin, centre + rng.normal(size=(windows, 2, 100)))


def _songs(rng):
    centres = {label: rng.normal(scale=2.0, size=100) for label in CLASSES}
    songs = []
    for i in range(6):
        songs.append(_song(f"r{i}", "Rock", f"band{i % 3}", "open-music", rng, centres["Rock"]))
        songs.append(_song(f"o{i}", "other", f"composer{i % 3}", "open-music", rng, centres["other"]))
    for label in GENRES:
        for i in range(4):
            songs.append(_song(f"s{label}{i}", label, f"synth/{label}{i}", "synth-numpy", rng, centres[label], 2))
    return songs


def test_training_rows_weigh_every_class_alike_and_real_songs_their_share():
    songs = _songs(np.random.default_rng(3))
    x, y, w = training_rows(songs, real_share=0.8)
    totals = {label: w[y == label].sum() for label in set(y.tolist())}
    np.testing.assert_allclose(list(totals.values()), [w.sum() / len(totals)] * len(totals))
    rock = CLASSES.index("Rock")
    real_rows = np.concatenate([np.full(len(s.windows), s.real) for s in songs if s.label == rock])
    np.testing.assert_allclose(w[y == rock][real_rows].sum() / totals[rock], 0.8)


def test_leave_artist_out_never_fits_on_the_held_out_artist(monkeypatch):
    songs = _songs(np.random.default_rng(4))
    real = [s for s in songs if s.real]
    synthetic = [s for s in songs if not s.real]
    seen = []
    original = realmusic_evaluate.fit_head

    def spy(x, y, **kwargs):
        seen.append({tuple(np.round(row[:3], 6)) for row in x})
        return original(x, y, **kwargs)

    monkeypatch.setattr(realmusic_evaluate, "fit_head", spy)
    verdicts = leave_artist_out(real, synthetic, threshold=0.5)
    artists = sorted({s.group for s in real})
    assert len(seen) == len(artists) and len(verdicts) == len(real)
    for artist, rows in zip(artists, seen):
        held = {tuple(np.round(row[:3], 6)) for s in real if s.group == artist for row in s.windows}
        assert not held & rows
    table = summarise(verdicts)
    # Well separated classes: every held-out rock song named rock, every other song flagged.
    assert table["Rock"].right == 6 and table["other"].flagged == 6


def test_a_verdict_is_flagged_when_its_median_window_is_other_music():
    rng = np.random.default_rng(5)
    head = TagHead(weights=np.zeros((100, 5)), bias=np.array([4.0, 0, 0, 0, 0]))
    song = SongData("x", 0, "a", "open-music", rng.normal(size=(3, 2, 100)))
    assert not judge(head, [song], threshold=0.5)[0].flagged
    head = TagHead(weights=np.zeros((100, 5)), bias=np.array([4.0, 0, 0, 0, 6.0]))
    verdict = judge(head, [song], threshold=0.5)[0]
    assert verdict.unknown and GENRES[verdict.top] == "Ghazal"


@pytest.mark.slow
def test_a_musicnn_tags_bundle_runs_in_the_app_and_carries_its_check(tmp_path):
    """One LiteRT graph through both taggers; the classifier's scores are the head's on the graph's features."""
    from tests import audio_factory
    from training.realmusic.family import FAMILY, export_family_bundle
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.core.classifier import Classifier

    rng = np.random.default_rng(6)
    head = TagHead(weights=rng.normal(size=(100, 5)) * 0.05, bias=np.zeros(5))
    path = export_family_bundle(head, tmp_path / "tags.ugm", threshold=0.3, patches=2).path
    bundle = load_bundle(path, with_keras=False)
    assert bundle.architecture == FAMILY and bundle.architecture_options["patches_per_window"] == 2
    assert bundle.novelty is not None and bundle.novelty.other_class is not None
    song = audio_factory.write_audio(tmp_path / "song.wav", audio_factory.make_sound("Chords", 40.0, sr=16_000),
                                     sr=16_000)
    result = Classifier(bundle).classify_file(song)
    assert len(result.windows) == 2 and result.windows[0].novelty is not None
    # The graph's features fed through the head in NumPy give the same probabilities and novelty.
    from urdu_genre_app.core.audio_io import load_audio
    from urdu_genre_app.core.features import window_features

    signal = load_audio(song, sample_rate=16_000)
    window = window_features(signal[: 30 * 16_000], bundle.feature_params)
    from urdu_genre_app.core.inference import LiteRtModel

    probabilities, features = LiteRtModel(bundle).predict_with_features(window[None])
    np.testing.assert_allclose(result.windows[0].probabilities, bundle.novelty.probabilities(features)[0], atol=1e-5)
    np.testing.assert_allclose(result.windows[0].novelty, head.probabilities(features)[0, -1] / 0.3, rtol=1e-4)


def test_the_family_is_registered_and_refuses_folder_training_and_fine_tuning_in_one_line():
    from types import SimpleNamespace

    from training.errors import TrainingConfigError
    from training.families import REGISTRY
    from urdu_genre_app.core.features import FeatureParams

    family = REGISTRY.get("musicnn_tags")
    assert family.costly_windows and not family.trains_from_folder and not family.in_app
    params = family.feature_params(FeatureParams())
    assert (params.sample_rate, params.n_mels, params.feature) == (16_000, 96, "log_mel")
    assert family.window_policy(params).hop_seconds == 150.0
    with pytest.raises(TrainingConfigError, match=r"python -m training\.realmusic\.build"):
        family.train(None, None, None)
    warm = SimpleNamespace(bundle=SimpleNamespace(path="tags.ugm"))
    with pytest.raises(TrainingConfigError, match="tags.ugm: musicnn_tags models cannot be improved"):
        family.finetuner(warm, None, None, "none")
