"""Each default and each list lives once: the CLI reads the config dataclasses, one list of model families."""

from __future__ import annotations

import argparse

import pytest

from training.cli import ALL_MODELS, configure_train_parser
from training.errors import TrainingConfigError
from training.extract import ExtractionConfig
from training.fit import FitConfig
from training.families import AUTO_FAMILY, DEFAULT_FAMILY, REGISTRY, FamilyRegistry, ModelFamily
from urdu_genre_app.core.features import FeatureParams


def _train_defaults() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    configure_train_parser(parser)
    return parser.parse_args(["songs"])


def test_train_command_defaults_are_the_config_dataclasses():
    args = _train_defaults()
    fit, extraction = FitConfig(), ExtractionConfig()
    assert args.model == AUTO_FAMILY == "auto" and DEFAULT_FAMILY == "bn_cnn"  # the folder decides (test_default_family)
    assert (args.epochs, args.batch_size, args.patience) == (fit.epochs, fit.batch_size, fit.patience) == (30, 32, 6)
    assert args.windows_per_song == extraction.windows_per_song == 5
    assert args.window_seconds == FeatureParams().window_seconds == 30.0
    assert FitConfig.paper().epochs == fit.epochs
    from training.pipeline import TrainingConfig
    from training.split import SMALL_FOLDER_SONGS

    assert args.small_folder == TrainingConfig.small_folder_songs == SMALL_FOLDER_SONGS == 10
    assert TrainingConfig(dataset="songs").models == (AUTO_FAMILY,)
    assert args.freeze == TrainingConfig.freeze == "conv"


def test_one_registry_of_model_families():
    assert REGISTRY.names() == ("bn_cnn", "gap_cnn", "vgg16", "logreg", "xgboost", "musicnn", "musicnn_tags")
    assert REGISTRY.exportable_names() == ("bn_cnn", "gap_cnn", "vgg16", "logreg", "musicnn", "musicnn_tags")
    # musicnn_tags is made by its own script from the open-music corpus: not trained from a folder.
    assert [f.name for f in REGISTRY if not f.trains_from_folder] == ["musicnn_tags"]
    parser = argparse.ArgumentParser()
    configure_train_parser(parser)
    model_action = next(a for a in parser._actions if a.dest == "model")
    assert tuple(model_action.choices) == (*REGISTRY.names(), AUTO_FAMILY, ALL_MODELS)
    assert [f.label for f in REGISTRY.offered()] == [
        "BN-CNN (the paper's best)", "GAP-CNN", "Logistic regression",
        "musicnn transfer (MSD) (a network trained on real music, with a new head for your genres)"]
    assert REGISTRY.get("vgg16").title == "VGG-16 transfer"
    with pytest.raises(TrainingConfigError, match="unknown model 'resnet'"):
        REGISTRY.get("resnet")


def test_a_registered_family_is_offered_everywhere_and_names_must_be_new(monkeypatch):
    """Registering one family object is all it takes for the CLI, the config check and the Training tab's list."""
    import training.families as families
    import training.pipeline
    from training.pipeline import TrainingConfig

    class Tiny(ModelFamily):
        name, title, in_app = "tiny_test_family", "Tiny", True

    registry = FamilyRegistry(families.FAMILY_MODULES)
    registry.register(Tiny())
    monkeypatch.setattr(families, "REGISTRY", registry)
    monkeypatch.setattr(training.pipeline, "REGISTRY", registry)
    parser = argparse.ArgumentParser()
    configure_train_parser(parser)
    assert parser.parse_args(["songs", "--model", "tiny_test_family"]).model == "tiny_test_family"
    TrainingConfig(dataset="songs", models=("tiny_test_family",)).validate()
    assert registry.offered()[-1].name == "tiny_test_family"  # the Training tab's list (tests/gui checks the tab)
    with pytest.raises(ValueError, match="registered already"):
        registry.register(Tiny())


@pytest.mark.parametrize("make", [
    lambda: FitConfig(epochs=0),
    lambda: FitConfig(schedule="step"),
    lambda: ExtractionConfig(windows_per_song=0),
    lambda: ExtractionConfig(intro_skip_seconds={"rock": -1.0}),
])
def test_config_validation_raises_from_the_exception_tree(make):
    with pytest.raises(TrainingConfigError):
        make()
