"""Each default and each list lives once: the CLI reads the config dataclasses, one list of model families."""

from __future__ import annotations

import argparse

import pytest

from training.cli import ALL_MODELS, configure_train_parser
from training.errors import TrainingConfigError
from training.extract import ExtractionConfig
from training.fit import FitConfig
from training.models import DEFAULT_MODEL, KERAS_MODEL_NAMES, MODEL_FAMILIES, MODEL_NAMES, model_family
from urdu_genre_app.core.features import FeatureParams


def _train_defaults() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    configure_train_parser(parser)
    return parser.parse_args(["songs"])


def test_train_command_defaults_are_the_config_dataclasses():
    args = _train_defaults()
    fit, extraction = FitConfig(), ExtractionConfig()
    assert args.model == DEFAULT_MODEL == "bn_cnn"
    assert (args.epochs, args.batch_size, args.patience) == (fit.epochs, fit.batch_size, fit.patience) == (30, 32, 6)
    assert args.windows_per_song == extraction.windows_per_song == 5
    assert args.window_seconds == FeatureParams().window_seconds == 30.0
    assert FitConfig.paper().epochs == fit.epochs


def test_one_list_of_model_families():
    assert MODEL_NAMES == ("bn_cnn", "gap_cnn", "vgg16", "logreg", "xgboost", "musicnn")
    assert KERAS_MODEL_NAMES == ("bn_cnn", "gap_cnn", "vgg16", "logreg", "musicnn")
    parser = argparse.ArgumentParser()
    configure_train_parser(parser)
    model_action = next(a for a in parser._actions if a.dest == "model")
    assert tuple(model_action.choices) == (*MODEL_NAMES, ALL_MODELS)
    assert [f.label for f in MODEL_FAMILIES if f.in_app] == [
        "BN-CNN (the paper's best)", "GAP-CNN", "Logistic regression",
        "musicnn transfer (MSD) (a network trained on real music, with a new head for your genres)"]
    assert model_family("vgg16").title == "VGG-16 transfer"
    with pytest.raises(TrainingConfigError, match="unknown model 'resnet'"):
        model_family("resnet")


@pytest.mark.parametrize("make", [
    lambda: FitConfig(epochs=0),
    lambda: FitConfig(schedule="step"),
    lambda: ExtractionConfig(windows_per_song=0),
    lambda: ExtractionConfig(intro_skip_seconds={"rock": -1.0}),
])
def test_config_validation_raises_from_the_exception_tree(make):
    with pytest.raises(TrainingConfigError):
        make()
