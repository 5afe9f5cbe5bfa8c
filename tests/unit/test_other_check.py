"""The not-a-genre check learned from real other music (training/other_check.py, ``calibrate --other``)."""

from __future__ import annotations

import numpy as np
import pytest

from tests import audio_factory
from training.other_check import combine, fit_other_check, fit_other_logit, grouped_out_of_fold, logsumexp
from urdu_genre_app.cli import main
from urdu_genre_app.core.bundle import load_bundle
from urdu_genre_app.core.novelty import METHOD_OTHER_CLASS, GaussianClasses, NoveltyCalibration


def _windows(seed=0, n_genre=120, n_other=60, d=6):
    """Genre windows around two means, other music shifted along the last feature; 12 groups a side."""
    rng = np.random.default_rng(seed)
    genre = rng.normal(0, 1, (n_genre, d)) + np.where(np.arange(n_genre)[:, None] % 2, 2.0, -2.0) * np.eye(d)[0]
    other = rng.normal(0, 1, (n_other, d)) + 4.0 * np.eye(d)[-1]
    features = np.vstack([genre, other])
    weights = np.zeros((d, 2))
    weights[0] = [-1.5, 1.5]
    is_other = np.r_[np.zeros(n_genre, bool), np.ones(n_other, bool)]
    groups = np.r_[[f"g{i % 12}" for i in range(n_genre)], [f"o{i % 12}" for i in range(n_other)]]
    return features, features @ weights, is_other, groups, weights


def test_the_other_logit_beside_the_genre_logits_is_the_fitted_logistic_regression():
    features, logits, is_other, _, _ = _windows()
    check = fit_other_logit(features, logits, is_other)
    p = check.probability(features, logits)
    # One softmax over genres and "other" is sigmoid(o - logsumexp(genres)).
    direct = 1 / (1 + np.exp(-(features @ check.weights + check.bias - logsumexp(logits))))
    np.testing.assert_allclose(p, direct, rtol=1e-9)
    assert p[is_other].mean() > 0.9 and p[~is_other].mean() < 0.1
    with pytest.raises(ValueError, match="windows of other music and windows of the genres"):
        fit_other_logit(features, logits, np.zeros(len(features), bool))


def test_out_of_fold_probabilities_never_come_from_a_fit_that_saw_the_group(monkeypatch):
    import training.other_check as other_check

    features, logits, is_other, groups, _ = _windows()
    seen = []
    fit = other_check.fit_other_logit

    def spy(x, g, y, **kwargs):
        seen.append({tuple(row) for row in np.round(x, 9)})
        return fit(x, g, y, **kwargs)

    monkeypatch.setattr(other_check, "fit_other_logit", spy)
    grouped_out_of_fold(features, logits, is_other, groups, folds=4)
    assert len(seen) == 4
    rows = [tuple(row) for row in np.round(features, 9)]
    for fold in seen:  # every group is either wholly in a fit or wholly out of it
        for group in set(groups):
            inside = {rows[i] in fold for i in np.flatnonzero(groups == group)}
            assert len(inside) == 1


def test_the_threshold_flags_the_chosen_share_of_genre_windows_out_of_fold():
    features, logits, is_other, groups, _ = _windows()
    check = fit_other_check(features, logits, is_other, groups, genre_flag_fraction=0.1)
    assert 0 < check.threshold < 1
    assert check.report["out_of_fold_genre_windows_flagged"] <= 0.1
    assert check.report["out_of_fold_other_windows_flagged"] > 0.8
    assert check.report["other_groups"] == 12 and check.report["genre_groups"] == 12


def test_beside_the_gaussian_spaces_both_still_flag_what_they_flagged_alone():
    features, logits, is_other, groups, weights = _windows()
    space = GaussianClasses(class_means=np.zeros((2, features.shape[1])), precision=np.eye(features.shape[1]),
                            scale=3.0)
    gaussian = NoveltyCalibration(model_space=space, threshold=1.2, flag_fraction=0.05, logit_weights=weights,
                                  logit_bias=np.zeros(2))
    check = fit_other_check(features, logits, is_other, groups)
    both = combine(gaussian, check)
    p = check.other_class.probability(features, logits)
    expected = (gaussian.scores(features) > 1) | (p > check.threshold)
    np.testing.assert_array_equal(both.scores(features) > 1, expected)
    assert expected.sum() > (gaussian.scores(features) > 1).sum()  # the other check adds flags
    restored = NoveltyCalibration.from_dict(both.to_dict(), n_classes=2)
    np.testing.assert_allclose(restored.scores(features), both.scores(features))
    alone = combine(gaussian, check, without_gaussian=True)
    assert alone.model_space is None and alone.method == METHOD_OTHER_CLASS
    np.testing.assert_array_equal(alone.scores(features) > 1, p > check.threshold)


@pytest.mark.slow
def test_calibrate_with_other_music_writes_a_bundle_that_flags_it(tiny_bundle_path, tmp_path, capsys):
    """``urdu-genre calibrate --other``: the tiny model never heard chords; shown some, it calls new ones other."""
    train = audio_factory.write_labeled_folder(tmp_path / "train", songs_per_genre=3, seconds=6.0, seed=300)
    validation = audio_factory.write_labeled_folder(tmp_path / "validation", songs_per_genre=2, seconds=6.0,
                                                    seed=400)
    other = tmp_path / "other"
    other.mkdir()
    for i in range(6):
        audio_factory.write_audio(other / f"chords {i}.wav", audio_factory.make_sound("Chords", 6.0, seed=500 + i))
    out = tmp_path / "other.ugm"
    assert main(["calibrate", tiny_bundle_path, "--train", str(train), "--validation", str(validation),
                 "--other", str(other), "--out", str(out), "--workers", "1"]) == 0
    assert "wrote" in capsys.readouterr().out
    bundle = load_bundle(out)
    assert bundle.novelty.other_class is not None and bundle.novelty.model_space is not None
    assert "other-music songs" in bundle.metrics["novelty"]["other_class"]
    assert "--other" in bundle.provenance["calibration"]["command"]
    from urdu_genre_app.core.classifier import Classifier

    classifier = Classifier(bundle)
    new_chords = audio_factory.write_audio(tmp_path / "new chords.wav",
                                           audio_factory.make_sound("Chords", 6.0, seed=900))
    assert classifier.classify_file(new_chords).unknown is True
    clicks = audio_factory.write_audio(tmp_path / "clicks.wav", audio_factory.make_sound("Clicks", 6.0, seed=901))
    verdict = classifier.classify_file(clicks)
    assert verdict.genre == "Clicks" and not verdict.unknown


@pytest.mark.slow
def test_dropping_the_other_output_keeps_the_genres_softmax_and_features(tiny_bundle_path, tmp_path):
    """``python -m training.other_label``: the kept columns' softmax, the same penultimate features, no check yet."""
    from training.calibrate import penultimate_features
    from training.export import keras_model_from_bundle
    from training.other_label import drop_label, main as other_label_main
    from urdu_genre_app.core.features import mfcc

    out = tmp_path / "three.ugm"
    written = drop_label(tiny_bundle_path, "Noise", out)
    original = load_bundle(tiny_bundle_path)
    assert written.labels == ["Tone", "Clicks", "Sweep"] and load_bundle(out).novelty is None
    before, after = keras_model_from_bundle(original), keras_model_from_bundle(load_bundle(out))
    x = np.stack([original.normalise(mfcc(audio_factory.make_sound(kind, 3.0, seed=7), original.feature_params))
                  for kind in audio_factory.TINY_LABELS])[..., None]
    p, q = before.predict(x, verbose=0), after.predict(x, verbose=0)
    kept = p[:, [0, 2, 3]]
    np.testing.assert_allclose(q, kept / kept.sum(axis=1, keepdims=True), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(penultimate_features(after, x), penultimate_features(before, x), rtol=1e-5)
    assert other_label_main([tiny_bundle_path, "--label", "Jazz", "--out", str(tmp_path / "x.ugm")]) == 2
