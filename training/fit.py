"""Fit a Keras model on in-memory MFCC windows, with progress, cancel and the best checkpoint.

The recipe (:class:`FitConfig`) defaults to what trains the BN-CNN fastest on
a 2-core CPU, measured by ``benchmarks/bench_training.py`` against the paper's
recipe (Adam 1e-4, batch 32, a fixed number of epochs; ``FitConfig.paper()``):

* Adam at 1e-3 with a short linear warm-up then cosine decay (BatchNorm makes
  the 10x higher rate stable; it converges in a fraction of the epochs);
* BatchNorm statistics that match the weights when they are used: Keras's
  moving averages (momentum 0.99, the paper's) need hundreds of steps to
  settle, and until then validation accuracy in inference mode collapses to
  chance even while training accuracy is perfect. Before each validation the
  statistics are re-estimated on 128 training windows ("precise BN", one
  forward pass: :func:`recalibrate_batchnorm`), and on 512 once fitting ends;
  models are built with ``bn_momentum=0.9`` so training-time drift is small.
  The architecture and parameter count are unchanged;
* the best validation checkpoint kept in memory (highest accuracy, ties broken
  by lower loss) and early stopping after ``patience`` epochs without one;
* batches cut from the arrays in place (no copy of the data set into a
  ``tf.data`` tensor), with optional SpecAugment
  (:class:`training.augment.SpecAugmentConfig`).

Loss is sparse categorical cross-entropy over softmax outputs by default.
XLA (``jit_compile``) and bfloat16 halved throughput on this CPU, so neither is
used.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from training.augment import SpecAugmentConfig, spec_augment
from training.errors import TrainingConfigError
from training.evaluate import mean_cross_entropy
from training.observer import EpochEnded, NullObserver, TrainingObserver, report_log, report_stage

log = logging.getLogger(__name__)

#: Our default learning rate (the paper's is 1e-4).
DEFAULT_LEARNING_RATE = 1e-3
#: BatchNorm momentum our recipe builds models with (the paper's/Keras's is 0.99).
FAST_BN_MOMENTUM = 0.9
#: At most this many training windows are used to re-estimate BatchNorm statistics after fitting.
RECALIBRATION_WINDOWS = 512
#: Learning-rate schedules :class:`FitConfig` accepts.
SCHEDULES = ("constant", "warmup_cosine")


@dataclass(frozen=True)
class FitConfig:
    """How a Keras model is fitted.

    The defaults are the measured fast recipe of the module docstring;
    :meth:`paper` gives the paper's. Training, fine-tuning and Improve all
    fit through one of these.

    Attributes
    ----------
    epochs : int
        Most epochs to run.
    batch_size : int
        Windows per step.
    learning_rate : float
        Adam's (peak) learning rate.
    loss : str
        Keras loss name; the model ends in a softmax.
    schedule : str
        ``"warmup_cosine"`` (linear warm-up to ``learning_rate`` over
        ``warmup_epochs``, then cosine decay to 1 % of it at ``epochs``) or
        ``"constant"``.
    warmup_epochs : float
        Length of the warm-up.
    patience : int or None
        Stop after this many epochs without a better validation checkpoint
        (None: run every epoch).
    target_accuracy : float or None
        Stop as soon as validation accuracy reaches this (benchmarks).
    recalibrate_bn : bool
        Re-estimate BatchNorm statistics on up to 512 training windows after
        fitting (:func:`recalibrate_batchnorm`).
    validation_bn_windows : int
        Before each validation, re-estimate BatchNorm statistics on this many
        training windows (0: validate with Keras's moving averages).
    bn_momentum : float
        Momentum models are built with (used by the pipeline's builders).
    spec_augment : SpecAugmentConfig
        Feature-level augmentation of training batches.
    seed : int
        Seed of weights, shuffling and augmentation.
    """

    epochs: int = 30
    batch_size: int = 32
    learning_rate: float = DEFAULT_LEARNING_RATE
    loss: str = "sparse_categorical_crossentropy"
    schedule: str = "warmup_cosine"
    warmup_epochs: float = 1.0
    patience: int | None = 6
    target_accuracy: float | None = None
    recalibrate_bn: bool = True
    validation_bn_windows: int = 128
    bn_momentum: float = FAST_BN_MOMENTUM
    spec_augment: SpecAugmentConfig = field(default_factory=SpecAugmentConfig)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or not self.learning_rate > 0:
            raise TrainingConfigError(
                f"epochs={self.epochs}, batch_size={self.batch_size} and learning_rate={self.learning_rate} "
                "must be positive"
            )
        if self.schedule not in SCHEDULES:
            raise TrainingConfigError(f"schedule={self.schedule!r} must be one of {SCHEDULES}")

    @classmethod
    def paper(cls, *, epochs: int | None = None, seed: int = 0) -> "FitConfig":
        """The paper's recipe: Adam 1e-4, batch 32, constant rate, all epochs (default as ours), Keras BN defaults."""
        return cls(
            epochs=cls.epochs if epochs is None else epochs, learning_rate=1e-4, schedule="constant", warmup_epochs=0.0, patience=None,
            recalibrate_bn=False, validation_bn_windows=0, bn_momentum=0.99, seed=seed,
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (for provenance)."""
        data = asdict(self)
        data["spec_augment"] = self.spec_augment.to_dict()
        return data


@dataclass
class FitResult:
    """What fitting produced.

    Attributes
    ----------
    model : keras.Model
        With the best checkpoint's weights (BatchNorm re-estimated if asked).
    history : list of dict
        Per epoch: ``epoch``, ``loss``, ``accuracy``, ``val_loss``,
        ``val_accuracy``, ``learning_rate``, ``seconds`` (wall time since
        fitting began) and ``windows_per_second``.
    best_epoch : int
        1-based epoch of the kept checkpoint (0 when none).
    best_validation_accuracy, best_validation_loss : float
        Its validation metrics (measured before any BatchNorm re-estimation).
    stopped_early : bool
        Early stopping or the target accuracy ended the run.
    cancelled : bool
        The observer cancelled; the best checkpoint so far is kept.
    seconds : float
        Wall time of fitting, in seconds.
    """

    model: Any
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    best_validation_accuracy: float = 0.0
    best_validation_loss: float = math.inf
    stopped_early: bool = False
    cancelled: bool = False
    seconds: float = 0.0


def _batches_class():
    import keras

    class TrainBatches(keras.utils.PyDataset):
        """Shuffled batches cut from in-memory arrays, optionally transformed and SpecAugmented."""

        def __init__(self, x, y, *, batch_size: int, seed: int, spec: SpecAugmentConfig, transform=None) -> None:
            super().__init__(workers=1, use_multiprocessing=False)
            self.x, self.y, self.batch_size, self.spec, self.transform = x, y, batch_size, spec, transform
            self.rng = np.random.default_rng(seed)
            self.order = self.rng.permutation(len(x))

        def __len__(self) -> int:
            return math.ceil(len(self.x) / self.batch_size)

        def __getitem__(self, index: int):
            rows = np.sort(self.order[index * self.batch_size : (index + 1) * self.batch_size])
            batch = self.x[rows]
            if self.transform is not None:  # drawn anew each time a batch is cut: each epoch differs
                batch = self.transform(batch, self.rng)
            if self.spec.enabled:
                batch = spec_augment(batch, config=self.spec, rng=self.rng)
            return batch[..., np.newaxis], self.y[rows]

        def on_epoch_end(self) -> None:
            self.order = self.rng.permutation(len(self.x))

    return TrainBatches


def _learning_rate(config: FitConfig, steps_per_epoch: int):
    import keras

    if config.schedule == "constant":
        return config.learning_rate
    warmup = int(round(config.warmup_epochs * steps_per_epoch))
    total = max(warmup + 1, config.epochs * steps_per_epoch)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=config.learning_rate * (0.1 if warmup else 1.0),
        decay_steps=total - warmup,
        alpha=0.01,
        warmup_target=config.learning_rate if warmup else None,
        warmup_steps=warmup,
    )


def compile_model(model, config: FitConfig, *, steps_per_epoch: int) -> None:
    """Compile with Adam, the configured schedule and loss, and an accuracy metric."""
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(_learning_rate(config, steps_per_epoch)),
        loss=config.loss,
        metrics=["accuracy"],
        jit_compile=False,
    )


def _validate(model, x: np.ndarray, y: np.ndarray, batch_size: int) -> tuple[float, float]:
    """Validation accuracy and mean cross-entropy, in inference mode."""
    probabilities = np.asarray(model.predict(x[..., np.newaxis], batch_size=batch_size, verbose=0), dtype=np.float64)
    return float(np.mean(probabilities.argmax(axis=1) == y)), mean_cross_entropy(probabilities, y)


def _observer_callback(config: FitConfig, observer: TrainingObserver, result: FitResult, data: tuple,
                       steps_per_epoch: int):
    import keras

    x_train, x_validation, y_validation = data
    n_train = len(x_train)

    class ObserverCallback(keras.callbacks.Callback):
        """Reports progress, polls cancel, validates, keeps the best weights, stops early."""

        def on_train_begin(self, logs=None) -> None:
            self.started = time.perf_counter()
            self.epoch_started = self.started
            self.epochs_without_best = 0
            self.best_weights = None
            self.steps_done = 0
            self.batches_this_epoch = 0

        def on_epoch_begin(self, epoch, logs=None) -> None:
            self.epoch_started = time.perf_counter()
            self.batches_this_epoch = 0
            self.epoch = epoch + 1

        def on_train_batch_end(self, batch, logs=None) -> None:
            self.steps_done += 1
            self.batches_this_epoch += 1
            report_stage(observer, "fit", self.steps_done, config.epochs * steps_per_epoch, epoch=self.epoch,
                         epochs=config.epochs)
            if observer.is_cancelled():
                result.cancelled = True
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None) -> None:
            logs = dict(logs or {})
            trained = time.perf_counter()
            if result.cancelled and self.best_weights is None:
                return  # cancelled inside the first epoch: a part-trained model is not kept
            if config.validation_bn_windows:
                recalibrate_batchnorm(self.model, x_train, batch_size=config.batch_size,
                                      max_windows=config.validation_bn_windows, seed=config.seed + epoch)
            accuracy, loss = _validate(self.model, x_validation, y_validation, max(64, config.batch_size))
            now = time.perf_counter()
            windows = min(n_train, self.batches_this_epoch * config.batch_size)
            entry = {
                "epoch": float(epoch + 1),
                "loss": float(logs.get("loss", math.nan)),
                "accuracy": float(logs.get("accuracy", math.nan)),
                "val_loss": loss,
                "val_accuracy": accuracy,
                "learning_rate": float(np.asarray(self.model.optimizer.learning_rate)),
                "seconds": now - self.started,
                "windows_per_second": windows / max(1e-9, trained - self.epoch_started),
            }
            result.history.append(entry)
            better = accuracy > result.best_validation_accuracy or (
                accuracy == result.best_validation_accuracy and loss < result.best_validation_loss
            )
            if better or self.best_weights is None:
                result.best_epoch = epoch + 1
                result.best_validation_accuracy, result.best_validation_loss = accuracy, loss
                self.best_weights = [np.array(w, copy=True) for w in self.model.get_weights()]
                self.epochs_without_best = 0
            else:
                self.epochs_without_best += 1
            observer.on_event(EpochEnded(epoch + 1, {k: v for k, v in entry.items() if k != "epoch"}))
            if config.target_accuracy is not None and accuracy >= config.target_accuracy:
                result.stopped_early = True
                self.model.stop_training = True
            if config.patience is not None and self.epochs_without_best >= config.patience:
                report_log(observer, f"no better validation checkpoint for {config.patience} epochs: stopping")
                result.stopped_early = True
                self.model.stop_training = True

    return ObserverCallback()


def fit_keras_model(
    model,
    *,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_validation: np.ndarray,
    y_validation: np.ndarray,
    config: FitConfig = FitConfig(),
    observer: TrainingObserver | None = None,
    batch_transform=None,
) -> FitResult:
    """Train ``model`` and keep its best validation checkpoint.

    Parameters
    ----------
    model : keras.Model
        Uncompiled; input ``(frames, n_mfcc, 1)``, softmax output.
    x_train : numpy.ndarray, shape (n, frames, n_mfcc), float32
        Standardised training windows (not copied).
    y_train : numpy.ndarray, shape (n,), int
        Their label indices.
    x_validation, y_validation : numpy.ndarray
        Clean validation windows and labels, same layout.
    config : FitConfig
        The recipe.
    observer : TrainingObserver, optional
        Progress, epoch metrics and cancel (see :mod:`training.observer`).
    batch_transform : callable, optional
        ``batch_transform(batch, rng) -> batch``: applied to every training
        batch as it is cut (before SpecAugment), with the fit's seeded
        :class:`numpy.random.Generator`; then ``x_train`` need not have the
        model's input shape (musicnn's every-patch embeddings, of which the
        head sees random subsets: :func:`training.musicnn.genre_model.random_patch_subsets`).
        BatchNorm statistics are re-estimated on one transformed draw of
        ``x_train``; validation windows are never transformed.

    Returns
    -------
    FitResult
        The model carries the best checkpoint's weights. When cancelled
        before the first epoch ended there is none and
        :class:`~urdu_genre_app.core.errors.CancelledError` is raised.
    """
    import keras

    from urdu_genre_app.core.errors import CancelledError

    observer = observer or NullObserver()
    keras.utils.set_random_seed(config.seed)
    result = FitResult(model=model)
    batches = _batches_class()(
        x_train, np.asarray(y_train, dtype=np.int64), batch_size=config.batch_size, seed=config.seed,
        spec=config.spec_augment, transform=batch_transform,
    )
    steps = len(batches)
    compile_model(model, config, steps_per_epoch=steps)
    x_model = x_train  # what BatchNorm re-estimation feeds the model: windows of its input shape
    if batch_transform is not None and _batchnorm_layers(model):
        x_model = batch_transform(x_train, np.random.default_rng(config.seed))
    callback = _observer_callback(
        config, observer, result, (x_model, x_validation, np.asarray(y_validation, dtype=np.int64)), steps
    )
    started = time.perf_counter()
    model.fit(batches, epochs=config.epochs, callbacks=[callback], verbose=0)
    result.seconds = time.perf_counter() - started
    if callback.best_weights is None:
        raise CancelledError("training cancelled before the first epoch finished; no model was kept")
    model.set_weights(callback.best_weights)
    if result.cancelled:
        report_log(observer, f"cancelled: keeping the best model so far (epoch {result.best_epoch})")
    if config.recalibrate_bn:
        recalibrate_batchnorm(model, x_model, batch_size=config.batch_size, seed=config.seed)
    return result


def _batchnorm_layers(model) -> list:
    import keras

    found, stack = [], [model]
    while stack:
        layer = stack.pop()
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append(layer)
        stack.extend(getattr(layer, "layers", []))
    return found


def recalibrate_batchnorm(
    model, x: np.ndarray, *, batch_size: int = 32, max_windows: int = RECALIBRATION_WINDOWS, seed: int = 0
) -> int:
    """Replace every BatchNorm layer's moving statistics by their average over training windows ("precise BN").

    Keras's moving averages lag the weights; after a short fit (or a few steps
    an epoch) they can be far from the statistics the layer really sees, and
    inference collapses. Here the model runs forward in training mode over up
    to ``max_windows`` windows, once, and each layer's moving mean and
    variance become the window-weighted average of its per-batch statistics.
    Weights are not touched.

    Parameters
    ----------
    model : keras.Model
        Nested models are searched too.
    x : numpy.ndarray, shape (n, frames, n_mfcc), float32
        Standardised training windows, drawn at random without replacement.
    batch_size : int
        Windows per forward pass (per-batch statistics are averaged).
    max_windows : int
        Cap on windows used (cost: one forward pass over them).
    seed : int
        Seed of the draw.

    Returns
    -------
    int
        Number of BatchNorm layers recalibrated (0 when there are none).
    """
    layers = _batchnorm_layers(model)
    if not layers or len(x) == 0:
        return 0
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(x), size=min(len(x), max_windows), replace=False))
    momenta = [layer.momentum for layer in layers]
    seen = 0
    try:
        for begin in range(0, rows.size, batch_size):
            batch = x[rows[begin : begin + batch_size]][..., np.newaxis]
            # moving <- moving * m + batch * (1 - m): with m = seen / (seen + n) it is the running average.
            for layer in layers:
                layer.momentum = seen / (seen + len(batch))
            model(batch, training=True)
            seen += len(batch)
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
    return len(layers)
