"""Fine-tuning a ``musicnn_tags`` bundle: its head refitted toward the corrections, its not-a-genre check kept."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from tests import audio_factory
from training.realmusic.family import novelty_check
from training.realmusic.head import GENRES, TagHead
from training.realmusic.finetune import (
    bundle_head, genre_probabilities, refit_head, refitted_check, widened_head,
)

D = 100


def _prior(rng) -> TagHead:
    """A random five-class head (four genres, then other music) that knows nothing of the clusters below."""
    return TagHead(weights=rng.normal(scale=0.05, size=(D, 5)), bias=np.zeros(5))


def _windows(rng, centres, classes, per_class=6):
    x = np.concatenate([centres[c] + rng.normal(size=(per_class, D)) for c in classes])
    return x, np.repeat(np.asarray(classes), per_class)


def _column_change(after: TagHead, before: TagHead) -> np.ndarray:
    return np.linalg.norm(after.weights - before.weights, axis=0)


def test_the_refit_learns_the_corrections_and_leaves_other_music_near_the_bundles():
    rng = np.random.default_rng(0)
    prior = _prior(rng)
    centres = rng.normal(scale=2.0, size=(5, D)) + rng.normal(size=D) * 5  # a shared offset, as tag logits have
    x, y = _windows(rng, centres, [0, 3])  # corrections: Ghazal and Rock only
    head, figures = refit_head(prior, x, y)
    test_x, test_y = _windows(rng, centres, [0, 3])
    before = genre_probabilities(prior, test_x)[np.arange(len(test_y)), test_y].mean()
    after = genre_probabilities(head, test_x)[np.arange(len(test_y)), test_y].mean()
    assert after > max(0.9, before + 0.3) and figures["accuracy"] == 1.0
    change = _column_change(head, prior)
    # The columns the corrections are about moved; "other music" (no rows) moved far less than either.
    assert change[-1] < 0.5 * min(change[0], change[3])


def test_a_stronger_pull_keeps_the_head_closer_to_the_bundles():
    rng = np.random.default_rng(1)
    prior = _prior(rng)
    centres = rng.normal(scale=2.0, size=(5, D))
    x, y = _windows(rng, centres, [1, 2])
    weak, _ = refit_head(prior, x, y, pull=0.01)
    strong, _ = refit_head(prior, x, y, pull=10.0)
    assert _column_change(strong, prior).sum() < 0.5 * _column_change(weak, prior).sum()


def test_a_new_genre_gets_a_column_of_its_own_before_other_music():
    rng = np.random.default_rng(2)
    prior = _prior(rng)
    wide = widened_head(prior, 5)
    assert wide.weights.shape == (D, 6)
    np.testing.assert_array_equal(wide.weights[:, :4], prior.weights[:, :4])
    np.testing.assert_array_equal(wide.weights[:, -1], prior.weights[:, -1])
    assert not wide.weights[:, 4].any()
    centres = rng.normal(scale=2.0, size=(6, D))
    x, y = _windows(rng, centres, [0, 4])  # Ghazal and the new genre
    head, _ = refit_head(wide, x, y)
    test_x, test_y = _windows(rng, centres, [4])
    assert (genre_probabilities(head, test_x).argmax(axis=1) == 4).all()
    with pytest.raises(ValueError, match="cannot shrink"):
        widened_head(prior, 3)


def test_the_refitted_check_is_the_bundles_with_the_new_head_and_says_what_it_kept():
    from types import SimpleNamespace

    rng = np.random.default_rng(3)
    prior = _prior(rng)
    base = novelty_check(prior, threshold=0.4, fitted_on={"songs": 9})
    bundle = SimpleNamespace(novelty=base, path="x.ugm")
    np.testing.assert_array_equal(bundle_head(bundle).weights, prior.weights)
    centres = rng.normal(scale=2.0, size=(5, D))
    x, y = _windows(rng, centres, [0, 3])
    head, _ = refit_head(prior, x, y)
    check, report = refitted_check(base, head, x, y, fitted_on="4 confirmed songs")
    assert check.threshold == 0.4 and check.structure_space is None and check.fitted_on["songs"] == 9
    np.testing.assert_allclose(check.scores(x) * 0.4, head.probabilities(x)[:, -1], rtol=1e-9)
    np.testing.assert_allclose(check.probabilities(x), genre_probabilities(head, x), rtol=1e-5)
    assert report["validation_windows"] == len(x) and report["structure_check"].startswith("none")
    assert report["validation_nll_after"] < report["validation_nll_before"]
    from training.calibrate import describe_novelty_report

    assert "novelty check fitted" in describe_novelty_report(report)


def test_a_bundle_without_an_other_music_output_cannot_be_refitted():
    from types import SimpleNamespace

    from urdu_genre_app.core.errors import ModelBundleError

    with pytest.raises(ModelBundleError, match="other music"):
        bundle_head(SimpleNamespace(novelty=None, path="old.ugm"))


# ---------------------------------------------------------------------------------------- the whole fine-tune

#: Songs of the corrections: (genre, audio_factory sound), two of each.
CORRECTIONS = [("Ghazal", "Tone"), ("Ghazal", "Tone"), ("Rock", "Chords"), ("Rock", "Chords")]


@pytest.fixture(scope="module")
def tags_bundle(tmp_path_factory):
    """A small musicnn_tags bundle: the real taggers, a random head that knows nothing yet, its structure check."""
    pytest.importorskip("tensorflow")
    from training.realmusic.family import export_family_bundle

    rng = np.random.default_rng(6)
    head = TagHead(weights=rng.normal(size=(D, 5)) * 0.05, bias=np.zeros(5))
    path = tmp_path_factory.mktemp("tags") / "tags.ugm"
    return export_family_bundle(head, path, threshold=0.5, patches=1, provenance={"name": "random tags head"}).path


def _corrections(folder):
    folder.mkdir(parents=True, exist_ok=True)
    pairs = []
    for seed, (genre, kind) in enumerate(CORRECTIONS):
        path = audio_factory.write_audio(folder / f"{genre}-{seed}.wav",
                                         audio_factory.make_sound(kind, 12.0, seed=seed, sr=16_000), sr=16_000)
        pairs.append((path, genre))
    return pairs


@pytest.mark.slow
def test_improve_refits_the_head_keeps_the_check_and_measures_the_accuracy(tags_bundle, tmp_path):
    from training.improve import improve_model
    from urdu_genre_app.core.bundle import MEASURED_ACCURACY, load_bundle
    from training.realmusic.finetune import embed_windows

    pairs = _corrections(tmp_path / "songs")
    result = improve_model(pairs, bundle=tags_bundle, out=tmp_path / "improved.ugm", workers=1, cache_dir=None,
                           windows_per_song=2)
    old, new = load_bundle(tags_bundle), load_bundle(result.bundle_path)
    assert new.architecture == "musicnn_tags" and new.architecture_options["patches_per_window"] == 1
    assert new.novelty is not None and new.novelty.other_class is not None
    assert new.novelty.threshold == old.novelty.threshold
    assert (new.novelty.structure_space is not None) == (old.novelty.structure_space is not None)
    assert result.has_novelty_check and "not-a-genre check was refitted" in result.describe()
    assert new.metrics["novelty"]["other_class"].startswith("refitted")
    measured = new.metrics[MEASURED_ACCURACY]
    assert measured["songs"] == 4 and measured["method"] == "2-fold cross-validation of the fine-tune"
    assert measured["song_accuracy"] == result.after_accuracy
    assert new.provenance["freeze"] == "taggers"
    # The genre columns moved toward the corrections; the other-music column stayed near the bundle's.
    from training.extract import ExtractionConfig, extract_windows
    from training.dataset import scan_pairs

    windows = extract_windows(scan_pairs(pairs, source="t").songs, labels=list(GENRES), params=old.feature_params,
                              config=ExtractionConfig(windows_per_song=2, seed=9), workers=1)
    features = embed_windows(new, windows.features)
    truth = windows.label
    before, after = bundle_head(old), bundle_head(new)
    p_before = genre_probabilities(before, features)[np.arange(len(truth)), truth].mean()
    p_after = genre_probabilities(after, features)[np.arange(len(truth)), truth].mean()
    assert p_after > p_before + 0.2
    change = _column_change(after, before)
    assert change[-1] < 0.5 * min(change[GENRES.index("Ghazal")], change[GENRES.index("Rock")])


@pytest.mark.slow
def test_train_init_from_a_musicnn_tags_bundle_refits_its_head_and_check(tags_bundle, tmp_path, capsys):
    from urdu_genre_app.cli import main
    from urdu_genre_app.core.bundle import load_bundle

    pairs = _corrections(tmp_path / "songs")
    pairs += [(audio_factory.write_audio(tmp_path / "songs" / f"whoosh-{i}.wav",
                                         audio_factory.make_sound("Noise", 12.0, seed=40 + i, sr=16_000), sr=16_000),
               "Whoosh") for i in range(2)]
    manifest = tmp_path / "confirmed.csv"
    with manifest.open("w", newline="") as handle:
        csv.writer(handle).writerows([("path", "genre"), *[(str(p), g) for p, g in pairs]])
    out = tmp_path / "tuned.ugm"
    assert main(["train", str(manifest), "--init-from", str(tags_bundle), "--model", "musicnn_tags",
                 "--out", str(out), "--windows-per-song", "2", "--workers", "1", "--no-cache", "-q"]) == 0
    printed = capsys.readouterr().out
    tuned = load_bundle(out)
    assert tuned.labels == [*GENRES, "Whoosh"] and tuned.architecture == "musicnn_tags"
    assert tuned.novelty is not None and tuned.novelty.other_class is not None
    assert tuned.novelty.logit_weights.shape == (D, 5)
    assert tuned.metrics["measured_accuracy"]["songs"] == 6
    assert tuned.metrics["novelty"]["structure_check"].startswith("none")  # the random bundle had none to keep
    assert "% song accuracy (2-fold cross-validation by song on 6 songs" in printed
    assert tuned.provenance["fine_tuned_from"]["name"] == "random tags head"
