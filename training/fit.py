"""Fit a Keras model on in-memory MFCC windows, with progress, cancel and the best checkpoint.

The recipe (:class:`FitConfig`) defaults to what trains the BN-CNN fastest on
a 2-core CPU, measured by ``benchmarks/bench_training.py`` against the paper's
recipe (Adam 1e-4, batch 32, a fixed number of epochs; ``FitConfig.paper()``):

* Adam at 1e-3 with a short linear warm-up then cosine decay (BatchNorm makes
  the 10x higher rate stable; it converges in a fraction of the epochs);
* BatchNorm statistics that settle within an epoch (the model is built with
  ``bn_momentum=0.9``; Keras's 0.99 needs hundreds of steps, and until then
  validation accuracy collapses) and are re-estimated exactly on training
  windows once fitting ends (:func:`recalibrate_batchnorm`);
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
from training.observer import NullObserver, TrainingObserver

log = logging.getLogger(__name__)

#: Our default learning rate (the paper's is 1e-4).
DEFAULT_LEARNING_RATE = 1e-3
#: BatchNorm momentum our recipe builds models with (the paper's/Keras's is 0.99).
FAST_BN_MOMENTUM = 0.9
#: At most this many training windows are used to re-estimate BatchNorm statistics.
RECALIBRATION_WINDOWS = 512
#: Learning-rate schedules :class:`FitConfig` accepts.
SCHEDULES = ("constant", "warmup_cosine")


@dataclass(frozen=True)
class FitConfig:
    """How a Keras model is fitted.

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
        Re-estimate BatchNorm statistics on training windows after fitting.
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
    bn_momentum: float = FAST_BN_MOMENTUM
    spec_augment: SpecAugmentConfig = field(default_factory=SpecAugmentConfig)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or not self.learning_rate > 0:
            raise ValueError(
                f"epochs={self.epochs}, batch_size={self.batch_size} and learning_rate={self.learning_rate} "
                "must be positive"
            )
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule={self.schedule!r} must be one of {SCHEDULES}")

    @classmethod
    def paper(cls, *, epochs: int = 30, seed: int = 0) -> "FitConfig":
        """The paper's recipe: Adam 1e-4, batch 32, constant rate, all epochs, Keras BN defaults."""
        return cls(
            epochs=epochs, learning_rate=1e-4, schedule="constant", warmup_epochs=0.0, patience=None,
            recalibrate_bn=False, bn_momentum=0.99, seed=seed,
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
        """Shuffled batches cut from in-memory arrays, optionally SpecAugmented."""

        def __init__(self, x, y, *, batch_size: int, seed: int, spec: SpecAugmentConfig) -> None:
            super().__init__(workers=1, use_multiprocessing=False)
            self.x, self.y, self.batch_size, self.spec = x, y, batch_size, spec
            self.rng = np.random.default_rng(seed)
            self.order = self.rng.permutation(len(x))

        def __len__(self) -> int:
            return math.ceil(len(self.x) / self.batch_size)

        def __getitem__(self, index: int):
            rows = np.sort(self.order[index * self.batch_size : (index + 1) * self.batch_size])
            batch = self.x[rows]
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


def _observer_callback(config: FitConfig, observer: TrainingObserver, result: FitResult, n_train: int,
                       steps_per_epoch: int):
    import keras

    class ObserverCallback(keras.callbacks.Callback):
        """Reports progress, polls cancel, keeps the best weights, stops early."""

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

        def on_train_batch_end(self, batch, logs=None) -> None:
            self.steps_done += 1
            self.batches_this_epoch += 1
            observer.on_stage("fit", self.steps_done, config.epochs * steps_per_epoch)
            if observer.is_cancelled():
                result.cancelled = True
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None) -> None:
            logs = dict(logs or {})
            now = time.perf_counter()
            windows = min(n_train, self.batches_this_epoch * config.batch_size)
            optimizer = self.model.optimizer
            rate = optimizer.learning_rate
            entry = {
                "epoch": float(epoch + 1),
                "loss": float(logs.get("loss", math.nan)),
                "accuracy": float(logs.get("accuracy", math.nan)),
                "val_loss": float(logs.get("val_loss", math.nan)),
                "val_accuracy": float(logs.get("val_accuracy", math.nan)),
                "learning_rate": float(np.asarray(rate)),
                "seconds": now - self.started,
                "windows_per_second": windows / max(1e-9, now - self.epoch_started),
            }
            result.history.append(entry)
            if result.cancelled and self.best_weights is None:
                return  # cancelled inside the first epoch: a part-trained model is not kept
            accuracy, loss = entry["val_accuracy"], entry["val_loss"]
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
            observer.on_epoch(epoch + 1, {k: v for k, v in entry.items() if k != "epoch"})
            if config.target_accuracy is not None and accuracy >= config.target_accuracy:
                result.stopped_early = True
                self.model.stop_training = True
            if config.patience is not None and self.epochs_without_best >= config.patience:
                observer.on_log(f"no better validation checkpoint for {config.patience} epochs: stopping")
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
        spec=config.spec_augment,
    )
    steps = len(batches)
    compile_model(model, config, steps_per_epoch=steps)
    callback = _observer_callback(config, observer, result, len(x_train), steps)
    started = time.perf_counter()
    model.fit(
        batches,
        epochs=config.epochs,
        validation_data=(x_validation[..., np.newaxis], np.asarray(y_validation, dtype=np.int64)),
        validation_batch_size=max(64, config.batch_size),
        callbacks=[callback],
        verbose=0,
    )
    result.seconds = time.perf_counter() - started
    if callback.best_weights is None:
        raise CancelledError("training cancelled before the first epoch finished; no model was kept")
    model.set_weights(callback.best_weights)
    if result.cancelled:
        observer.on_log(f"cancelled: keeping the best model so far (epoch {result.best_epoch})")
    if config.recalibrate_bn:
        recalibrate_batchnorm(model, x_train, batch_size=max(64, config.batch_size), seed=config.seed)
    return result


def recalibrate_batchnorm(
    model, x: np.ndarray, *, batch_size: int = 64, max_windows: int = RECALIBRATION_WINDOWS, seed: int = 0
) -> int:
    """Set every BatchNorm layer's moving mean and variance to exact statistics of ``x``.

    Keras's moving averages lag the weights; after a short fit they can be far
    from the statistics the layer really sees, and inference suffers. Layers
    are done in order, each measured on inputs produced with the layers before
    it already recalibrated (as at inference).

    Parameters
    ----------
    model : keras.Model
        Functional model (nested models are left alone).
    x : numpy.ndarray, shape (n, frames, n_mfcc), float32
        Standardised training windows; at most ``max_windows`` of them, drawn
        at random, are used.
    batch_size : int
        Windows per forward pass.
    max_windows : int
        Cap on windows used.
    seed : int
        Seed of the draw.

    Returns
    -------
    int
        Number of BatchNorm layers recalibrated.
    """
    import keras

    layers = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    if not layers or len(x) == 0:
        return 0
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(x), size=min(len(x), max_windows), replace=False))
    for layer in layers:
        probe = keras.Model(model.input, layer.input)
        axes = tuple(range(len(layer.input.shape) - 1))  # every axis but the channels
        total, total_sq, count = 0.0, 0.0, 0
        for begin in range(0, rows.size, batch_size):
            batch = x[rows[begin : begin + batch_size]][..., np.newaxis]
            values = np.asarray(probe(batch, training=False), dtype=np.float64)
            total = total + values.sum(axis=axes)
            total_sq = total_sq + np.square(values).sum(axis=axes)
            count += int(np.prod([values.shape[a] for a in axes]))
        mean = total / count
        variance = np.maximum(total_sq / count - mean**2, 0.0)
        layer.moving_mean.assign(mean.astype(np.float32))
        layer.moving_variance.assign(variance.astype(np.float32))
    return len(layers)
