"""Training model side (TensorFlow): model zoo, fitting with cancel, BN re-estimation, bundles, `urdu-genre train`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests import audio_factory
from training.errors import ExportNotSupportedError
from training.extract import ExtractionConfig
from training.fit import FitConfig, fit_keras_model, recalibrate_batchnorm
from training.models import (
    PAPER_BN_CNN_PARAMETERS,
    XGBoostWindowClassifier,
    build_bn_cnn,
    build_vgg16,
)
from training.families import REGISTRY
from training.observer import NullObserver
from training.pipeline import TrainingConfig, run_training
from training.export import keras_model_from_bundle
from urdu_genre_app.core.bundle import load_bundle
from urdu_genre_app.core.classifier import Classifier
from urdu_genre_app.core.errors import CancelledError
from urdu_genre_app.core.features import FeatureParams
from urdu_genre_app.core.inference import LiteRtModel

PARAMS = FeatureParams(window_seconds=3.0)
FORMATS = (".mp3", ".m4a", ".wav")
SHAPE = PARAMS.input_shape  # (130, 32, 1)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """4 genres x 5 songs of 5 s, in mp3/m4a/wav."""
    return audio_factory.write_labeled_folder(tmp_path_factory.mktemp("train_set"), suffixes=FORMATS, seed=1000)


def _separable(n_per_class: int, *, classes: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Standardised-looking windows whose class shifts a band of coefficients."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(classes), n_per_class)
    x = rng.standard_normal((y.size, SHAPE[0], SHAPE[1])).astype(np.float32)
    for c in range(classes):
        x[y == c, :, 8 * c : 8 * c + 8] += 1.5
    return x, y


class Recorder(NullObserver):
    """Records every call; cancels once ``cancel_after_epochs`` epochs ended (or at the first batch if 0)."""

    def __init__(self, cancel_after_epochs: int | None = None) -> None:
        self.stages: list[tuple[str, int, int]] = []
        self.epochs: list[tuple[int, dict]] = []
        self.logs: list[str] = []
        self.fit_epochs: list[tuple[int | None, int | None]] = []
        self.cancel_after_epochs = cancel_after_epochs

    def on_stage(self, progress):
        self.stages.append((progress.stage, progress.done, progress.total))
        if progress.stage == "fit":
            self.fit_epochs.append((progress.epoch, progress.epochs))

    def on_epoch(self, ended):
        self.epochs.append((ended.epoch, ended.logs))

    def on_log(self, line):
        self.logs.append(line.message)

    def is_cancelled(self):
        return self.cancel_after_epochs is not None and len(self.epochs) >= self.cancel_after_epochs


# ---------------------------------------------------------------- model zoo
def test_bn_cnn_is_the_papers():
    assert build_bn_cnn().count_params() == PAPER_BN_CNN_PARAMETERS == 1_013_252


@pytest.mark.parametrize("name", ["bn_cnn", "gap_cnn", "logreg"])
def test_keras_models_train_a_step(name):
    x, y = _separable(4)
    model = REGISTRY.get(name).build(SHAPE, 4)
    before = [w.copy() for w in model.get_weights()]
    result = fit_keras_model(model, x_train=x, y_train=y, x_validation=x[:8], y_validation=y[:8],
                             config=FitConfig(epochs=1, batch_size=8, recalibrate_bn=False))
    assert len(result.history) == 1 and result.best_epoch == 1
    assert model.predict(x[:2, ..., None], verbose=0).shape == (2, 4)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_keras_member_of_a_trained_model_has_no_optimizer_state(tmp_path):
    """A fitted (compiled) model's .keras bytes hold its weights only, not Adam's two slots a weight."""
    import io
    import zipfile

    import h5py

    from training.export import keras_to_bytes

    x, y = _separable(4)
    model = REGISTRY.get("logreg").build(SHAPE, 4)
    fit_keras_model(model, x_train=x, y_train=y, x_validation=x[:8], y_validation=y[:8],
                    config=FitConfig(epochs=1, batch_size=8, recalibrate_bn=False))
    assert model.compiled
    archive = zipfile.ZipFile(io.BytesIO(keras_to_bytes(model)))
    (tmp_path / "w.h5").write_bytes(archive.read("model.weights.h5"))
    with h5py.File(tmp_path / "w.h5") as weights:
        stored = []
        weights.visititems(lambda name, item: stored.append(name) if isinstance(item, h5py.Dataset) else None)
    assert stored and not [name for name in stored if name.startswith("optimizer")], stored
    assert sum(a.size for a in model.get_weights()) == model.count_params()


@pytest.mark.slow
def test_vgg16_transfer_builds_and_trains_a_step(tmp_path):
    shape = (64, 32, 1)
    model = build_vgg16(shape, 3)
    assert model.input_shape == (None, 64, 32, 1) and model.output_shape == (None, 3)
    x = np.random.default_rng(0).standard_normal((4, 64, 32)).astype(np.float32)
    y = np.array([0, 1, 2, 0])
    result = fit_keras_model(model, x_train=x, y_train=y, x_validation=x, y_validation=y,
                             config=FitConfig(epochs=1, batch_size=4, recalibrate_bn=False))
    assert np.isfinite(result.history[0]["loss"])
    with pytest.raises(ValueError, match="never downloaded"):
        build_vgg16(shape, 3, weights="imagenet")
    with pytest.raises(ValueError, match="no such"):
        build_vgg16(shape, 3, weights=str(tmp_path / "missing.h5"))


def test_xgboost_fits_and_saves_json_not_pickle(tmp_path):
    x, y = _separable(6)
    model = XGBoostWindowClassifier(num_classes=4, n_estimators=20, n_jobs=1).fit(x, y, x, y)
    probabilities = model.predict(x)
    assert probabilities.shape == (24, 4) and np.mean(probabilities.argmax(1) == y) > 0.9
    model.save_json(tmp_path / "booster.json")
    json.loads((tmp_path / "booster.json").read_text())


# ---------------------------------------------------------------- fitting
def test_cancel_keeps_the_best_checkpoint_so_far():
    x, y = _separable(8, seed=1)
    xv, yv = _separable(4, seed=2)
    observer = Recorder(cancel_after_epochs=3)
    model = REGISTRY.get("logreg").build(SHAPE, 4)
    result = fit_keras_model(model, x_train=x, y_train=y, x_validation=xv, y_validation=yv, observer=observer,
                             config=FitConfig(epochs=50, batch_size=8, patience=None, recalibrate_bn=False))
    assert result.cancelled and len(result.history) == 4  # cancelled in epoch 4, which is still validated
    assert any("best model so far" in line for line in observer.logs)
    best = max(result.history, key=lambda h: (h["val_accuracy"], -h["val_loss"]))
    assert result.best_epoch == int(best["epoch"])
    loss, accuracy = model.evaluate(xv[..., None], yv, verbose=0)
    assert accuracy == pytest.approx(result.best_validation_accuracy)
    assert loss == pytest.approx(result.best_validation_loss, rel=1e-4)
    fit_steps = [s for s in observer.stages if s[0] == "fit"]
    # 4 steps an epoch: the run stopped right after the first batch of epoch 4.
    assert fit_steps[-1][1] == 3 * 4 + 1 and fit_steps[-1][2] == 50 * 4
    # Each step says which epoch it belongs to: 4 steps of epoch 1, ..., the first of epoch 4.
    assert observer.fit_epochs[:5] == [(1, 50)] * 4 + [(2, 50)] and observer.fit_epochs[-1] == (4, 50)


def test_cancel_before_the_first_epoch_keeps_nothing():
    x, y = _separable(4)
    with pytest.raises(CancelledError, match="before the first epoch"):
        fit_keras_model(REGISTRY.get("logreg").build(SHAPE, 4), x_train=x, y_train=y, x_validation=x,
                        y_validation=y, observer=Recorder(cancel_after_epochs=0), config=FitConfig(epochs=3))


def test_batchnorm_recalibration_fixes_lagging_statistics():
    """A short fit with Keras's default momentum leaves BN statistics at their init; re-estimation fixes eval."""
    x, y = _separable(8, seed=3)
    model = build_bn_cnn(SHAPE, 4, bn_momentum=0.99)
    fit_keras_model(model, x_train=x, y_train=y, x_validation=x, y_validation=y,
                    config=FitConfig(epochs=3, batch_size=8, patience=None, recalibrate_bn=False))
    layer = [layer for layer in model.layers if layer.name.startswith("batch_normalization")][0]
    train_mode = model(x[..., None], training=True).numpy().argmax(1)
    assert recalibrate_batchnorm(model, x) == 3
    import keras

    inputs = keras.Model(model.input, layer.input)(x[..., None]).numpy()
    np.testing.assert_allclose(layer.moving_mean.numpy(), inputs.mean(axis=(0, 1, 2)), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(layer.moving_variance.numpy(), inputs.var(axis=(0, 1, 2)), rtol=1e-3, atol=1e-4)
    eval_mode = model(x[..., None], training=False).numpy().argmax(1)
    # Inference with re-estimated statistics agrees with batch statistics on the training set.
    assert np.mean(eval_mode == train_mode) >= 0.9


# ---------------------------------------------------------------- pipeline and bundle
def test_run_training_writes_a_bundle_the_classifier_uses(dataset, tmp_path):
    observer = Recorder()
    out = tmp_path / "model.ugm"
    config = TrainingConfig(
        dataset=dataset, out=out, models=("bn_cnn",), feature_params=PARAMS,
        extraction=ExtractionConfig(windows_per_song=4), fit=FitConfig(epochs=8, batch_size=16), seed=3,
        workers=1, cache_dir=tmp_path / "cache", command="pytest", name="round trip",
        small_folder_songs=0,  # the 60/20/20 song split (tests/unit/test_small_folder.py: the other way)
    )
    report = run_training(config, observer)
    assert [s for s in dict.fromkeys(name for name, _, _ in observer.stages)] == [
        "scan", "extract", "split", "fit", "evaluate", "export"]
    assert report.exported == "bn_cnn" and not report.cancelled
    bundle = load_bundle(out)
    assert bundle.labels == ["Clicks", "Noise", "Sweep", "Tone"] and bundle.architecture == "bn_cnn"
    assert bundle.feature_params == PARAMS
    np.testing.assert_allclose(bundle.feature_mean, report.feature_mean)
    np.testing.assert_allclose(bundle.feature_std, report.feature_std)
    provenance = bundle.provenance
    assert provenance["trained_on"] == "user" and provenance["seed"] == 3 and provenance["command"] == "pytest"
    assert provenance["dataset"]["songs"] == 20 and provenance["app_version"] and provenance["created"]
    metrics = bundle.metrics
    assert 0.0 <= bundle.test_accuracy <= 1.0 and metrics["split_sizes"]["test"]["songs"] == 4
    assert len(metrics["confusion_matrix"]) == 4 and set(metrics["per_class"]) == set(bundle.labels)
    assert metrics["leaked_songs"] == 0 and bundle.window_policy.hop_seconds == 1.5
    # Every song of the set, classified through the LiteRT path from its file.
    classifier = Classifier(bundle)
    verdicts = [classifier.classify_file(s.path).genre == s.genre for s in report.scan.songs]
    assert np.mean(verdicts) >= 0.9
    # The Keras form loads in safe mode and agrees with the LiteRT form.
    batch = np.random.default_rng(0).standard_normal((3, *PARAMS.input_shape)).astype(np.float32)
    keras_out = keras_model_from_bundle(bundle).predict(batch, verbose=0)
    np.testing.assert_allclose(keras_out, LiteRtModel(bundle).predict(batch), atol=1e-4)


def test_cancelled_run_still_exports_its_best_model_and_says_so(dataset, tmp_path):
    observer = Recorder(cancel_after_epochs=2)
    out = tmp_path / "cancelled.ugm"
    config = TrainingConfig(
        dataset=dataset, out=out, models=("logreg", "bn_cnn"), feature_params=PARAMS,
        extraction=ExtractionConfig(windows_per_song=2), fit=FitConfig(epochs=40, patience=None), workers=1,
        cache_dir=tmp_path / "cache", small_folder_songs=0,
    )
    report = run_training(config, observer)
    assert report.cancelled and [r.name for r in report.results] == ["logreg"]  # bn_cnn never started
    assert len(report.results[0].fit.history) == 3
    assert any("bn_cnn not trained" in line for line in observer.logs)
    bundle = load_bundle(out)
    assert bundle.architecture == "logreg" and bundle.provenance["cancelled"] is True
    assert bundle.provenance["epochs_run"] == 3


def test_out_with_xgboost_only_is_refused_before_work(dataset, tmp_path):
    config = TrainingConfig(dataset=dataset, out=tmp_path / "x.ugm", models=("xgboost",), cache_dir=None)
    with pytest.raises(ExportNotSupportedError, match="cannot be written as a model bundle"):
        run_training(config, Recorder())


# ---------------------------------------------------------------- the command
def test_train_cli_end_to_end_then_classify(dataset, tmp_path, capsys):
    from urdu_genre_app.cli import main

    out = tmp_path / "cli.ugm"
    code = main(["train", str(dataset), "--out", str(out), "--window-seconds", "3", "--epochs", "8",
                 "--windows-per-song", "4", "--seed", "1", "--workers", "2", "--cache", str(tmp_path / "cache"),
                 "--batch-size", "16", "--synthetic", "--name", "cli test", "--small-folder", "0"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "BN-CNN" in captured.out and "wrote" in captured.out and "epoch 1:" in captured.err
    assert "\r" not in captured.err  # no progress bar when stderr is not a terminal
    bundle = load_bundle(out)
    assert bundle.is_synthetic and "--seed 1" in bundle.provenance["command"]
    song = next((dataset / "Sweep").glob("sweep 1.*"))
    assert main(["classify", "--model", str(out), "--json", "-q", str(song)]) == 0
    assert json.loads(capsys.readouterr().out)[0]["genre"] == "Sweep"


@pytest.mark.slow
def test_train_cli_compare_prints_table_three(dataset, tmp_path, capsys):
    from urdu_genre_app.cli import main

    code = main(["train", str(dataset), "--compare", "--window-seconds", "3", "--epochs", "1",
                 "--windows-per-song", "2", "--workers", "1", "--no-cache", "--out", str(tmp_path / "m.ugm"), "-q",
                 "--small-folder", "0"])
    out = capsys.readouterr().out
    assert code == 0
    for title in ("BN-CNN", "GAP-CNN", "VGG-16 transfer", "Logistic regression", "XGBoost", "musicnn transfer"):
        assert title in out
    assert load_bundle(tmp_path / "m.ugm").architecture in ("bn_cnn", "gap_cnn", "vgg16", "logreg", "musicnn")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--out", "x.ugm", "--model", "xgboost"], "cannot be written as a model bundle"),
        ([], "no such dataset folder"),
    ],
)
def test_train_cli_usage_errors_are_one_line(tmp_path, capsys, argv, message):
    from urdu_genre_app.cli import main

    dataset = tmp_path / "missing"
    assert main(["train", str(dataset), *argv, "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_train_cli_module_imports_no_tensorflow():
    code = "import sys, training.cli, urdu_genre_app.cli as c; c.build_parser(); print('tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
