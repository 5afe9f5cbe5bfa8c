"""A user's few songs (issue 16.5): every song trains the final model; k-fold cross-validation estimates it."""

from __future__ import annotations

import numpy as np
import pytest

from tests import audio_factory
from training.evaluate import measured_accuracy, wilson_interval


@pytest.mark.parametrize("correct, total, low, high", [
    (3, 3, 0.4385, 1.0),      # 3 of 3 right is far from "surely 100 %"
    (5, 10, 0.2366, 0.7634),
    (0, 4, 0.0, 0.4899),
    (0, 0, 0.0, 1.0),         # nothing scored: nothing known
])
def test_wilson_interval_of_a_few_songs(correct, total, low, high):
    assert wilson_interval(correct, total) == pytest.approx((low, high), abs=1e-4)


def test_the_interval_narrows_with_more_songs_and_holds_the_accuracy():
    widths = [np.subtract(*wilson_interval(7 * n, 10 * n)[::-1]) for n in (1, 4, 16)]
    assert widths[0] > widths[1] > widths[2] > 0
    measured = measured_accuracy(9, 12, "3-fold cross-validation by song")
    assert measured["song_accuracy"] == pytest.approx(0.75) and measured["songs"] == 12
    assert measured["interval"][0] < 0.75 < measured["interval"][1]


class _Events:
    """Records what a run reports (the Training tab gets the same events)."""

    def __init__(self) -> None:
        self.estimates, self.logs, self.epochs = [], [], []

    def on_event(self, event) -> None:
        from training.observer import AccuracyEstimate, EpochEnded, LogLine

        if isinstance(event, AccuracyEstimate):
            self.estimates.append(event)
        elif isinstance(event, LogLine):
            self.logs.append(event.message)
        elif isinstance(event, EpochEnded):
            self.epochs.append(event.epoch)

    def is_cancelled(self) -> bool:
        return False

    def is_aborted(self) -> bool:
        return False


@pytest.mark.slow
def test_three_songs_a_genre_train_on_all_and_cross_validate(tmp_path, monkeypatch):
    from training.extract import ExtractionConfig
    from training.families import REGISTRY
    from training.fit import FitConfig
    from training.pipeline import TrainingConfig, run_training
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.core.classifier import Classifier
    from urdu_genre_app.core.features import FeatureParams

    family = REGISTRY.get("logreg")
    trained_on: list[tuple[set, set]] = []  # (songs it learned from, songs it was scored on) per training
    real_train = type(family).train

    def watched(self, config, prepared, observer, warm=None):
        split, song = prepared.split, prepared.windows.song
        trained_on.append((set(song[split.train].tolist()), set(song[split.test].tolist())))
        return real_train(self, config, prepared, observer, warm)

    monkeypatch.setattr(type(family), "train", watched)
    dataset = audio_factory.write_labeled_folder(tmp_path / "songs", songs_per_genre=3, seconds=4.0, seed=40)
    out = tmp_path / "few.ugm"
    events = _Events()
    report = run_training(TrainingConfig(
        dataset=dataset, out=out, models=("logreg",), feature_params=FeatureParams(window_seconds=3.0),
        extraction=ExtractionConfig(windows_per_song=3), fit=FitConfig(epochs=30, batch_size=8), workers=1,
        cache_dir=None,
    ), events)

    songs = set(range(12))
    *folds, final = trained_on
    assert len(folds) == 3
    # Each fold learned from the other folds' songs and was scored on its own; together they score every song once.
    assert all(not (learned & scored) and learned | scored == songs for learned, scored in folds)
    assert sorted(s for _, scored in folds for s in scored) == sorted(songs)
    assert final[0] == songs  # the model written learned from every song (today's 60/20/20 kept 1 a genre)

    estimate = report.cross_validation
    assert estimate is not None and (estimate.folds, estimate.songs) == (3, 12)
    result = report.results[0]
    assert result.test.n_songs == 12 and estimate.correct == round(result.test.song_accuracy * 12)
    assert estimate.interval == pytest.approx(wilson_interval(estimate.correct, 12))
    (event,) = events.estimates
    assert (event.model, event.folds, event.songs, event.correct) == ("logreg", 3, 12, estimate.correct)
    assert (event.low, event.high) == pytest.approx(estimate.interval)
    assert any("small folder" in line for line in events.logs)
    assert max(events.epochs) <= 30 and events.epochs[0] == 1 and events.epochs == sorted(events.epochs)  # final only

    bundle = load_bundle(out)
    measured = bundle.metrics["measured_accuracy"]
    assert measured["songs"] == 12 and measured["folds"] == 3
    assert measured["song_accuracy"] == pytest.approx(estimate.accuracy, abs=1e-6)
    assert bundle.accuracy_text.startswith(f"{estimate.accuracy:.0%} song accuracy (3-fold cross-validation")
    assert bundle.metrics["split_sizes"]["train"]["songs"] == 12
    assert bundle.novelty is not None and "none held out" in bundle.metrics["novelty"]["validation"]
    verdicts = [Classifier(bundle).classify_file(s.path).genre == s.genre for s in report.scan.songs]
    assert np.mean(verdicts) >= 0.75  # trained on all of them


@pytest.mark.slow
def test_the_command_prints_the_estimate_and_how_sure_it_is(tmp_path, capsys):
    from urdu_genre_app.cli import main

    dataset = audio_factory.write_labeled_folder(tmp_path / "songs", songs_per_genre=2, seconds=4.0, seed=60)
    code = main(["train", str(dataset), "--model", "logreg", "--window-seconds", "3", "--epochs", "10",
                 "--windows-per-song", "2", "--workers", "1", "--no-cache", "-q"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    line = next(line for line in captured.out.splitlines() if line.startswith("estimated accuracy:"))
    assert "of 8 songs, 2-fold cross-validation by song" in line and "95 % sure it is between" in line


def test_a_genre_of_one_song_is_refused_in_words(tmp_path, capsys):
    from urdu_genre_app.cli import main

    dataset = audio_factory.write_labeled_folder(tmp_path / "songs", songs_per_genre=2, seconds=4.0)
    next((dataset / "Tone").iterdir()).unlink()
    assert main(["train", str(dataset), "--model", "logreg", "--window-seconds", "3", "--workers", "1",
                 "--no-cache", "-q"]) == 2
    err = capsys.readouterr().err
    assert "'Tone' has only 1 song" in err and err.count("\n") == 1
