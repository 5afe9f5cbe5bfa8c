"""The not-a-genre check by an "other music" output (outlier exposure): scores, the bundle form, old forms still read."""

from __future__ import annotations

import json

import numpy as np
import pytest

from urdu_genre_app.core.novelty import (
    METHOD,
    METHOD_OTHER_CLASS,
    GaussianClasses,
    NoveltyCalibration,
    OtherMusicClass,
    song_novelty,
)

D, C = 6, 4


def _check(threshold=0.5, rng=None):
    rng = rng or np.random.default_rng(0)
    return NoveltyCalibration(
        model_space=None, threshold=threshold, flag_fraction=0.0, logit_weights=rng.normal(size=(D, C)),
        logit_bias=rng.normal(size=C), other_class=OtherMusicClass(weights=rng.normal(size=D), bias=0.3),
    )


def test_a_window_scores_its_probability_of_other_music_over_the_threshold():
    check = _check(threshold=0.4)
    features = np.random.default_rng(1).normal(size=(7, D))
    genre_logits = features @ check.logit_weights + check.logit_bias
    other_logit = features @ check.other_class.weights + check.other_class.bias
    all_logits = np.concatenate([genre_logits, other_logit[:, None]], axis=1)
    expected = np.exp(all_logits[:, -1]) / np.exp(all_logits).sum(axis=1)
    np.testing.assert_allclose(check.scores(features), expected / 0.4, rtol=1e-12)
    # The genre probabilities shown are the four genres' own softmax, the nearest genre among them.
    np.testing.assert_allclose(check.probabilities(features).sum(axis=1), 1.0, rtol=1e-6)
    assert np.argmax(check.probabilities(features), axis=1).tolist() == np.argmax(genre_logits, axis=1).tolist()


def test_music_like_the_other_class_is_flagged_and_genre_music_is_not():
    weights = np.zeros((2, 2))
    weights[0, 0] = weights[1, 1] = 3.0
    check = NoveltyCalibration(model_space=None, threshold=0.5, flag_fraction=0.0, logit_weights=weights,
                               logit_bias=np.zeros(2), other_class=OtherMusicClass(np.array([-3.0, -3.0]), 4.0))
    genre_song = check.scores(np.array([[2.0, 0.0], [1.5, 0.2], [2.5, 0.0]]))
    other_song = check.scores(np.array([[0.0, 0.0], [0.1, 0.2], [1.8, 0.0]]))
    assert song_novelty(genre_song.tolist()) < 1.0 < song_novelty(other_song.tolist())


def test_the_bundle_form_round_trips_and_says_its_method():
    check = _check()
    data = json.loads(json.dumps(check.to_dict()))
    assert data["method"] == METHOD_OTHER_CLASS and data["model_space"] is None
    again = NoveltyCalibration.from_dict(data, n_classes=C)
    features = np.random.default_rng(2).normal(size=(5, D))
    np.testing.assert_allclose(again.scores(features), check.scores(features))
    assert again.feature_size == D and again.n_classes == C


@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("other_class"), "needs its other_class"),
    (lambda d: d.update(logit_weights=None), "needs the genres' logit_weights"),
    (lambda d: d["other_class"].update(weights=[0.0] * (D + 1)), "weights must be 6 finite values"),
    (lambda d: d.update(method="something-else"), "unknown novelty method"),
])
def test_a_broken_other_class_check_is_refused(change, message):
    data = json.loads(json.dumps(_check().to_dict()))
    change(data)
    with pytest.raises(ValueError, match=message):
        NoveltyCalibration.from_dict(data, n_classes=C)


def test_checks_without_an_other_class_read_and_score_as_before():
    rng = np.random.default_rng(3)
    means = rng.normal(size=(C, D))
    space = GaussianClasses(class_means=means, precision=np.eye(D), scale=2.0)
    check = NoveltyCalibration(model_space=space, threshold=1.5, flag_fraction=0.05,
                               logit_weights=rng.normal(size=(D, C)), logit_bias=np.zeros(C))
    data = json.loads(json.dumps(check.to_dict()))
    assert data["method"] == METHOD and "other_class" not in data
    again = NoveltyCalibration.from_dict(data, n_classes=C)
    features = rng.normal(size=(4, D))
    np.testing.assert_allclose(again.scores(features), space.scaled(features) / 1.5)
