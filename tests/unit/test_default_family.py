"""No family named: a small folder trains musicnn (best from a few real songs), a larger one the BN-CNN (issue 16.5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import audio_factory
from training.families import AUTO_FAMILY, DEFAULT_FAMILY, FEW_SONGS_FAMILY, FamilyRegistry, default_family_for
from training.split import SMALL_FOLDER_SONGS


def _scan(counts: dict[str, int]):
    from training.dataset import DatasetScan, Song

    songs = [Song(Path(f"/songs/{genre}/{i}.wav"), genre, 60.0) for genre, n in counts.items() for i in range(n)]
    return DatasetScan(Path("/songs"), songs, sorted(counts))


@pytest.mark.parametrize("smallest, limit, expected", [
    (2, SMALL_FOLDER_SONGS, FEW_SONGS_FAMILY),
    (3, SMALL_FOLDER_SONGS, FEW_SONGS_FAMILY),
    (SMALL_FOLDER_SONGS - 1, SMALL_FOLDER_SONGS, FEW_SONGS_FAMILY),
    (SMALL_FOLDER_SONGS, SMALL_FOLDER_SONGS, DEFAULT_FAMILY),   # the limit itself is not small (as the pipeline)
    (50, SMALL_FOLDER_SONGS, DEFAULT_FAMILY),
    (3, 0, DEFAULT_FAMILY),                                     # --small-folder 0: never a small folder
    (0, SMALL_FOLDER_SONGS, DEFAULT_FAMILY),                    # nothing scanned: nothing small to learn from
])
def test_a_small_folder_gets_musicnn_a_larger_one_the_bn_cnn(smallest, limit, expected):
    choice = default_family_for(smallest, limit)
    assert (FEW_SONGS_FAMILY, DEFAULT_FAMILY) == ("musicnn", "bn_cnn")
    assert choice.name == expected
    assert choice.small_folder == (expected == FEW_SONGS_FAMILY)
    line = choice.describe()
    assert line.startswith(f"model: {expected} (") and "chosen automatically" in line
    assert f"{smallest} song" in line  # the count it was decided on
    if expected == FEW_SONGS_FAMILY:
        assert f"under {limit}" in line and "89 %" in line and "67 %" in line  # the measured reason
    else:
        assert "paper's model" in line


def test_without_musicnn_a_small_folder_falls_back_to_the_bn_cnn_and_says_so(monkeypatch):
    import training.musicnn.backbone as backbone

    monkeypatch.setattr(backbone, "default_weights_path", lambda: Path("/nowhere/msd_musicnn_weights.npz"))
    choice = default_family_for(3, SMALL_FOLDER_SONGS)
    assert choice.name == DEFAULT_FAMILY and choice.small_folder
    assert "cannot train it" in choice.reason and "msd_musicnn_weights.npz" in choice.reason

    paper_only = FamilyRegistry(("training.paper.family",))  # an installation whose registry has no musicnn
    choice = default_family_for(3, SMALL_FOLDER_SONGS, registry=paper_only)
    assert choice.name == DEFAULT_FAMILY and "cannot train it" in choice.reason


def test_the_pipeline_resolves_only_when_no_family_was_named():
    from training.pipeline import TrainingConfig, resolve_models

    small, large = _scan({"Ghazal": 3, "Rock": 12}), _scan({"Ghazal": 10, "Rock": 12})
    config, choice = resolve_models(TrainingConfig(dataset="/songs"), small)
    assert config.models == (FEW_SONGS_FAMILY,) and choice.name == FEW_SONGS_FAMILY
    assert resolve_models(TrainingConfig(dataset="/songs"), large)[0].models == (DEFAULT_FAMILY,)
    # The limit and the split the run applies: no small folder, no musicnn.
    assert resolve_models(TrainingConfig(dataset="/songs", small_folder_songs=0), small)[0].models == (DEFAULT_FAMILY,)
    leaky = TrainingConfig(dataset="/songs", split="window-paper-leaky")
    assert resolve_models(leaky, small)[0].models == (DEFAULT_FAMILY,)
    # Explicit choices, one or several, are kept exactly.
    for models in (("bn_cnn",), ("logreg",), ("logreg", "bn_cnn")):
        config = TrainingConfig(dataset="/songs", models=models)
        assert resolve_models(config, small) == (config, None)


def test_auto_is_a_choice_of_its_own_only():
    from training.errors import TrainingConfigError
    from training.pipeline import TrainingConfig

    TrainingConfig(dataset="/songs", out="m.ugm").validate()
    with pytest.raises(TrainingConfigError, match="unknown model auto"):
        TrainingConfig(dataset="/songs", models=(AUTO_FAMILY, "bn_cnn")).validate()


class _StopAtExtraction(Exception):
    pass


@pytest.mark.parametrize("argv, family, automatic", [
    ([], FEW_SONGS_FAMILY, True),                           # 3 songs a genre: a small folder
    (["--small-folder", "0"], DEFAULT_FAMILY, True),        # the same songs, always held out: not small
    (["--model", "logreg"], "logreg", False),               # the user's choice wins, and no line is said
])
def test_the_command_without_model_says_which_family_and_why_then_trains_it(tmp_path, monkeypatch, capsys, argv,
                                                                             family, automatic):
    """The run stops when it extracts the windows of the family it trains: their features say which it is."""
    import training.pipeline
    from training.families import REGISTRY
    from urdu_genre_app.cli import main
    from urdu_genre_app.core.features import FeatureParams

    extracted = []

    def stop(songs, *, params, **kwargs):
        extracted.append(params)
        raise _StopAtExtraction()

    monkeypatch.setattr(training.pipeline, "extract_windows", stop)
    dataset = audio_factory.write_labeled_folder(tmp_path / "songs", songs_per_genre=3, seconds=2.0, seed=70)
    code = main(["train", str(dataset), "--out", str(tmp_path / "m.ugm"), "--window-seconds", "3", "--workers", "1",
                 "--no-cache", *argv])
    err = capsys.readouterr().err
    assert code == 1 and "_StopAtExtraction" in err  # stopped where the test stopped it, after the choice
    lines = [line for line in err.splitlines() if "chosen automatically" in line]
    if automatic:
        assert len(lines) == 1 and lines[0].startswith(f"model: {family} ("), err
        assert ("small folder (3 songs in its smallest genre, under 10)" in lines[0]) == (family == FEW_SONGS_FAMILY)
    else:
        assert lines == []
    assert extracted == [REGISTRY.get(family).feature_params(FeatureParams(window_seconds=3.0))]


@pytest.mark.slow
def test_the_command_on_a_small_folder_without_model_trains_and_writes_musicnn(tmp_path, capsys):
    from urdu_genre_app.cli import main
    from urdu_genre_app.core.bundle import load_bundle

    dataset = audio_factory.write_labeled_folder(tmp_path / "songs", songs_per_genre=3, seconds=4.0, seed=70)
    out = tmp_path / "m.ugm"
    code = main(["train", str(dataset), "--out", str(out), "--window-seconds", "3", "--epochs", "5",
                 "--windows-per-song", "2", "--workers", "1", "--no-cache"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "model: musicnn (musicnn transfer (MSD)), chosen automatically for a small folder" in captured.err
    bundle = load_bundle(out)
    assert bundle.architecture == FEW_SONGS_FAMILY and bundle.metrics["measured_accuracy"]["folds"] == 3
    assert "--model auto" in bundle.provenance["command"]  # the command reruns to the same choice
