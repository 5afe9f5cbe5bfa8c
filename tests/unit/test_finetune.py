"""Fine-tuning a bundle: labels, folds, the improve API and ``urdu-genre train --init-from``."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from tests import audio_factory
from training.finetune import plan_labels
from training.improve import assign_folds, choose_folds
from training.observer import NullObserver


# ------------------------------------------------------------------ no TensorFlow
def test_plan_labels_keeps_bundle_order_matches_spelling_and_appends_new_genres():
    labels, new, renamed = plan_labels(["Ghazal", "Hip-hop", "Qawwali", "Rock"], ["hip_hop", "Sufi", "Rock", "Folk"])
    assert labels == ["Ghazal", "Hip-hop", "Qawwali", "Rock", "Folk", "Sufi"]
    assert new == ["Folk", "Sufi"]
    assert renamed == {"hip_hop": "Hip-hop"}


def test_plan_labels_without_new_genres_is_the_bundle_order():
    labels, new, renamed = plan_labels(["B", "A"], ["A", "B"])
    assert (labels, new, renamed) == (["B", "A"], [], {})


@pytest.mark.parametrize("per_genre, expected", [([3, 3, 3, 3], 3), ([2, 7], 2), ([9, 8], 5), ([1, 4], 2)])
def test_choose_folds_follows_the_smallest_genre_between_2_and_5(per_genre, expected):
    labels = np.repeat(np.arange(len(per_genre)), per_genre)
    assert choose_folds(labels) == expected


def test_choose_folds_uses_one_holdout_for_many_songs_and_honours_a_request():
    labels = np.repeat(np.arange(4), 20)
    assert choose_folds(labels) == 1
    assert choose_folds(labels, 4) == 4
    with pytest.raises(ValueError, match="folds=0"):
        choose_folds(labels, 0)


def test_assign_folds_holds_every_song_out_once_and_stratifies():
    labels = np.repeat(np.arange(4), 3)
    folds = assign_folds(labels, 3, seed=1)
    assert set(folds.tolist()) == {0, 1, 2}
    for fold in range(3):  # each fold holds one song of every genre
        assert sorted(labels[folds == fold].tolist()) == [0, 1, 2, 3]


def test_assign_folds_single_holdout_takes_a_fifth_of_each_genre():
    labels = np.repeat(np.arange(2), 10)
    folds = assign_folds(labels, 1, seed=0)
    assert [(folds[labels == k] == 0).sum() for k in range(2)] == [2, 2]
    assert set(folds.tolist()) == {-1, 0}


# ------------------------------------------------------------------ training (slow)
def _confirmed_songs(root: Path, *, per_genre: int = 3, seconds: float = 4.0) -> list[tuple[Path, str]]:
    """Three known genres of the tiny bundle, and its Sweep songs under a genre it lacks ("Whoosh")."""
    pairs = []
    root.mkdir(parents=True, exist_ok=True)
    for g, kind in enumerate(audio_factory.TINY_LABELS):
        genre = "Whoosh" if kind == "Sweep" else kind
        for i in range(per_genre):
            path = root / f"{kind.lower()}_{i}.wav"
            audio_factory.write_audio(path, audio_factory.make_sound(kind, seconds, seed=500 + 10 * g + i))
            pairs.append((path, genre))
    return pairs


class _Recorder(NullObserver):
    def __init__(self, cancel_at_fit_step: int | None = None) -> None:
        self.stages: list[tuple[str, int, int]] = []
        self.logs: list[str] = []
        self.cancel_at = cancel_at_fit_step
        self.fit_steps = 0

    def on_stage(self, progress):
        self.stages.append((progress.stage, progress.done, progress.total))
        if progress.stage == "fit":
            self.fit_steps += 1

    def on_log(self, line):
        self.logs.append(line.message)

    def is_cancelled(self):
        return self.cancel_at is not None and self.fit_steps >= self.cancel_at


@pytest.mark.slow
def test_improve_model_learns_a_new_genre_and_reports_before_and_after(tmp_path, tiny_bundle_path):
    from training.finetune import TINY_SET_FIT
    from training.improve import improve_model
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.core.classifier import Classifier

    pairs = _confirmed_songs(tmp_path / "songs")
    out = tmp_path / "improved.ugm"
    recorder = _Recorder()
    result = improve_model(pairs, bundle=tiny_bundle_path, out=out, observer=recorder, cache_dir=None, workers=1,
                           fit=dataclasses.replace(TINY_SET_FIT, epochs=4), freeze="none")

    assert result.n_folds == 3 and len(result.folds) == 3
    assert result.held_out_songs == 12 and all(f.held_out == 4 and f.trained_on == 8 for f in result.folds)
    assert result.new_genres == ["Whoosh"]
    assert result.labels == [*audio_factory.TINY_LABELS, "Whoosh"]
    # The old model cannot name Whoosh: those three held-out songs are wrong before.
    assert result.before_accuracy <= 9 / 12
    assert result.before_accuracy == pytest.approx(sum(f.before_correct for f in result.folds) / 12)
    assert result.after_accuracy == pytest.approx(sum(f.after_correct for f in result.folds) / 12)
    assert "Whoosh" in result.describe() and "3-fold" in result.describe()
    assert any(name == "fit" for name, _, _ in recorder.stages)
    assert ("export", 1, 1) in recorder.stages

    written = load_bundle(out)
    assert written.labels == result.labels
    assert written.provenance["fine_tuned_from"]["labels"] == audio_factory.TINY_LABELS
    assert written.provenance["new_genres"] == ["Whoosh"]
    assert written.metrics["improvement"]["folds"] == 3
    base = load_bundle(tiny_bundle_path)
    np.testing.assert_array_equal(written.feature_mean, base.feature_mean)
    assert written.feature_params == base.feature_params
    verdict = Classifier(written).classify_file(pairs[-1][0])
    assert set(verdict.probabilities) == set(result.labels)
    # Its own not-a-genre check, refitted to the fine-tuned model (the base had none), and it says so.
    assert base.novelty is None and written.novelty is not None and result.has_novelty_check
    assert written.novelty.model_space.class_means.shape[0] == len(result.labels)
    assert "none held out" in written.metrics["novelty"]["validation"]
    assert "refitted" in result.describe()
    assert verdict.unknown is not None  # the check runs on the new model's features
    # ... and the accuracy the cross-validation measured, with how sure it is, as every view reads it.
    measured = written.metrics["measured_accuracy"]
    assert measured["song_accuracy"] == pytest.approx(result.after_accuracy, abs=1e-6)
    assert measured["songs"] == 12 and measured["interval"][0] <= result.after_accuracy <= measured["interval"][1]
    assert written.test_accuracy == pytest.approx(result.after_accuracy, abs=1e-6)
    assert written.accuracy_text.startswith(f"{result.after_accuracy:.0%} song accuracy (3-fold cross-validation")


@pytest.mark.slow
def test_improve_model_cancelled_writes_nothing(tmp_path, tiny_bundle_path):
    from training.improve import improve_model
    from urdu_genre_app.core.errors import CancelledError

    pairs = _confirmed_songs(tmp_path / "songs", per_genre=2)
    out = tmp_path / "improved.ugm"
    with pytest.raises(CancelledError, match="unchanged"):
        improve_model(pairs, bundle=tiny_bundle_path, out=out, observer=_Recorder(cancel_at_fit_step=1),
                      cache_dir=None, workers=1)
    assert not out.exists()


@pytest.mark.slow
def test_cli_train_init_from_fine_tunes_the_bundle(tmp_path, tiny_bundle_path, capsys):
    from urdu_genre_app.cli import main
    from urdu_genre_app.core.bundle import load_bundle

    pairs = _confirmed_songs(tmp_path / "songs")
    manifest = tmp_path / "confirmed.csv"
    with manifest.open("w", newline="") as handle:
        csv.writer(handle).writerows([("path", "genre"), *[(str(p), g) for p, g in pairs]])
    out = tmp_path / "tuned.ugm"
    code = main(["train", str(manifest), "--init-from", tiny_bundle_path, "--out", str(out), "--epochs", "2",
                 "--no-cache", "--workers", "1", "-q"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "new genres Whoosh get a new head" in printed
    tuned = load_bundle(out)
    assert tuned.labels == [*audio_factory.TINY_LABELS, "Whoosh"]
    assert tuned.provenance["fine_tuned_from"]["name"] == "tiny test model"
    assert tuned.provenance["freeze"] == "conv"
    assert "--init-from" in tuned.provenance["command"]
    assert tuned.feature_params.window_seconds == audio_factory.TINY_WINDOW_SECONDS
    # 3 songs a genre: every song trained it, and cross-validation measured it; its check was refitted.
    assert "estimated accuracy:" in printed and "3-fold cross-validation by song" in printed
    assert tuned.metrics["measured_accuracy"]["songs"] == 12 and tuned.metrics["measured_accuracy"]["folds"] == 3
    assert tuned.metrics["split_sizes"]["train"]["songs"] == 12
    assert tuned.novelty is not None and "none held out" in tuned.metrics["novelty"]["validation"]
