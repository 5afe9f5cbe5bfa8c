"""The ``musicnn_tags`` family: its head, its "other music" check, its real-music evaluation, its bundle."""

from __future__ import annotations

import numpy as np
import pytest

from training.realmusic import evaluate as realmusic_evaluate
from training.realmusic.evaluate import (
    CLASSES,
    REAL_CUES,
    VOCAL_TAGS,
    Augment,
    SongData,
    judge,
    leave_artist_out,
    summarise,
    training_rows,
)
from training.realmusic.family import novelty_check
from training.realmusic.head import GENRES, TagHead, fit_head


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


def test_augmentation_raises_only_a_synthetic_genres_cues_and_every_songs_voice_and_keeps_the_weights():
    from training.realmusic.tags import TAG_NAMES

    songs = _songs(np.random.default_rng(6))
    plain_x, plain_y, plain_w = training_rows(songs, real_share=0.8)
    x, y, w = training_rows(songs, real_share=0.8, augment=Augment(copies=2, cue_shift=4.0, vocal_shift=3.0))
    assert len(y) == 3 * len(plain_y)
    for label in set(plain_y.tolist()):  # each class (and song) still weighs what it did
        np.testing.assert_allclose(w[y == label].sum() / w.sum(), plain_w[plain_y == label].sum() / plain_w.sum())
    vocal = [TAG_NAMES.index(t) for t in VOCAL_TAGS]
    for song in songs:
        rows = x[np.isin(x[:, 0], song.windows[:, 0])]
        raised = rows - np.tile(song.windows, (3, 1))
        cues = [TAG_NAMES.index(t) for t in REAL_CUES.get(CLASSES[song.label], ())] if not song.real else []
        untouched = np.setdiff1d(np.arange(100), cues + vocal)
        assert np.all(raised >= -1e-9) and np.all(raised[:, untouched] == 0)
        assert np.all(raised[:, vocal].max(axis=0) > 0)  # every class learns that a voice says nothing
        assert not cues or np.all(raised[:, cues].max(axis=0) > 0)


def test_excluded_songs_are_left_out_of_training():
    songs = _songs(np.random.default_rng(7))
    x, y, _ = training_rows(songs, exclude=frozenset({"o0", "o1"}))
    left = {tuple(row) for s in songs if s.name in ("o0", "o1") for row in s.windows}
    assert len(y) == sum(len(s.windows) for s in songs) - sum(len(s.windows) for s in songs if s.name in ("o0", "o1"))
    assert not left & {tuple(row) for row in x}


def test_with_the_cue_augmentation_a_qawwali_with_real_cues_is_not_taken_for_other_music():
    """Synthetic qawwali lacks MTT "indian", other music has it: only the augmented head lets the cue through."""
    from training.realmusic.tags import TAG_NAMES

    rng = np.random.default_rng(8)
    indian, tabla = TAG_NAMES.index("mtt:indian"), 0  # tabla: a stand-in dimension the synthetic songs get right
    base = rng.normal(size=100)
    songs = []
    for i in range(12):
        qawwali, other = base.copy(), base.copy()
        qawwali[[indian, tabla]] = -3.0, 1.5  # the cue separates far more than the stand-in
        other[[indian, tabla]] = 3.0, -1.5
        songs.append(_song(f"q{i}", "Qawwali", f"synth/q{i}", "synth-numpy", rng, qawwali, 2))
        songs.append(_song(f"o{i}", "other", f"composer{i}", "open-music", rng, other, 2))
    real_like = base.copy()
    real_like[[indian, tabla]] = 3.0, 1.5  # a real qawwali: the synthetic songs' tabla and the real cue
    features = real_like[None, :] + rng.normal(size=(20, 100)) * 0.5
    qawwali, other = CLASSES.index("Qawwali"), CLASSES.index("other")

    x, y, w = training_rows(songs)
    plain = fit_head(x, y, sample_weight=w)
    x, y, w = training_rows(songs, augment=Augment(cue_shift=6.0))
    augmented = fit_head(x, y, sample_weight=w)
    p = augmented.probabilities(features)
    assert np.median(p[:, qawwali]) > 0.5 > np.median(p[:, other])
    # The plain head holds the real cue against the song: it leans further towards other music.
    assert np.median(plain.probabilities(features)[:, other]) > np.median(p[:, other])


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


def test_the_family_is_registered_and_refuses_folder_training_in_one_line():
    from training.errors import TrainingConfigError
    from training.families import REGISTRY
    from urdu_genre_app.core.features import FeatureParams

    family = REGISTRY.get("musicnn_tags")
    assert family.costly_windows and not family.trains_from_folder and not family.in_app
    params = family.feature_params(FeatureParams())
    assert (params.sample_rate, params.n_mels, params.feature) == (16_000, 96, "log_mel")
    assert family.window_policy(params).hop_seconds == 150.0
    with pytest.raises(TrainingConfigError, match=r"python -m training\.realmusic\.build"):
        family.train(None, None, None)  # without --init-from (tests/unit/test_realmusic_finetune.py has the fine-tune)


def test_the_voices_check_raises_only_the_judged_songs(monkeypatch):
    from training.realmusic import build

    songs = _songs(np.random.default_rng(9))
    real = [s for s in songs if s.real]
    trained = []
    original = build.fit_head

    def spy(x, y, **kwargs):
        trained.append(x.copy())
        return original(x, y, **kwargs)

    monkeypatch.setattr(build, "fit_head", spy)
    flagged, total = build.voices_check(songs, c=0.1, real_share=0.8, threshold=0.5, rise=0.0)
    plain = summarise(leave_artist_out(real, [s for s in songs if not s.real], c=0.1, real_share=0.8, threshold=0.5))
    assert (flagged, total) == (plain["other"].flagged, plain["other"].songs)
    trained.clear()
    build.voices_check(songs, c=0.1, real_share=0.8, threshold=0.5, rise=50.0)
    every_row = np.concatenate([s.windows for s in songs])
    assert all(np.isin(x, every_row).all() for x in trained)  # the head never saw a raised window
