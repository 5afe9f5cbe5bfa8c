"""Fine-tune an existing model bundle on a few labeled songs (warm start).

The bundle fixes everything the new model must share with it, so that a
fine-tuned model sees exactly the features the old one saw:

* **Labels.** The bundle's labels keep their order; genres the bundle lacks
  ("new genres") are appended, sorted. Dataset genre names match the bundle's
  case-insensitively, ignoring spaces, hyphens and underscores (a ``hip_hop``
  folder is the bundle's ``Hip-hop``).
* **Features and normalisation.** The bundle's :class:`FeatureParams`,
  per-coefficient mean and standard deviation, and window policy are reused
  as they are (never re-estimated on the new songs): the frozen convolutions
  were trained on inputs scaled that way.
* **Weights.** The bundle's Keras model, loaded in safe mode. With new genres
  the softmax head is replaced by a wider one (the backbone and the dense
  layer below the head are kept); the rows of the genres the bundle knew are
  copied into it, the new genres start from small random weights.

What is trained (:data:`FREEZE_CHOICES`):

``"none"``
    every layer;
``"conv"``
    the convolution kernels are frozen; BatchNorm (scale, offset and its
    statistics, re-estimated on the new songs) and the dense layers train;
``"backbone"``
    convolutions and BatchNorm are frozen, only the dense layers train.

A family may fine-tune its way (:meth:`training.families.ModelFamily.train`
with a warm start, :meth:`~training.families.ModelFamily.finetuner`): a
``musicnn`` bundle keeps its backbone frozen whatever ``freeze`` says and
only its head is fitted on the windows' patch embeddings, computed once
(:mod:`training.musicnn.family`).

The recipe for tiny sets (:data:`TINY_SET_FIT`, measured by
``benchmarks/bench_finetune.py``; docs/TRAINING.md has the table) is what
:func:`training.improve.improve_model` and ``urdu-genre train --init-from``
use by default.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from urdu_genre_app.core.bundle import ModelBundle, load_bundle
from urdu_genre_app.core.errors import ModelBundleError
from training.dataset import DatasetScan
from training.errors import TrainingConfigError
from training.extract import genre_key
from training.fit import FitConfig
from training.models import OUTPUT_LAYER_NAME
from training.observer import report_log

log = logging.getLogger(__name__)

#: The freeze choices (see the module docstring).
FREEZE_NONE, FREEZE_CONV, FREEZE_BACKBONE = "none", "conv", "backbone"
#: What a fine-tune may train (see the module docstring).
FREEZE_CHOICES = (FREEZE_NONE, FREEZE_CONV, FREEZE_BACKBONE)
#: Default freeze for fine-tuning (the CLI, the pipeline and "Improve" read it).
DEFAULT_FREEZE = FREEZE_CONV
#: Standard deviation of the new genres' initial head weights.
NEW_HEAD_INIT_STD = 0.01

#: The fitting recipe for a handful of songs (chosen by benchmarks/bench_finetune.py): a lower peak
#: rate than training from scratch, a short warm-up, few epochs.
TINY_SET_FIT = FitConfig(epochs=8, learning_rate=3e-4, warmup_epochs=0.5, patience=None)


@dataclass(frozen=True)
class WarmStart:
    """What a fine-tune inherits from a bundle.

    Attributes
    ----------
    bundle : ModelBundle
        The bundle fine-tuned from (its Keras model included).
    labels : list of str
        Output order of the fine-tuned model: the bundle's labels, then the new ones.
    new_labels : list of str
        Genres of the dataset the bundle does not know (a new head learns them).
    renamed : dict of str to str
        Dataset genre name -> the bundle's spelling, where they differ only in
        case, spaces, hyphens or underscores.
    """

    bundle: ModelBundle
    labels: list[str]
    new_labels: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)

    @property
    def has_new_head(self) -> bool:
        """True when the model gets a new, wider softmax head."""
        return bool(self.new_labels)

    def describe(self) -> str:
        """One line for logs and reports."""
        text = f"fine-tuning {self.bundle.display_name} ({', '.join(self.bundle.labels)})"
        if self.new_labels:
            text += f"; new genres {', '.join(self.new_labels)} get a new head (the backbone is kept)"
        return text


def load_warm_start_bundle(path: str | Path) -> ModelBundle:
    """Load a bundle that can be fine-tuned (its Keras model is required).

    Raises
    ------
    ModelBundleError
        Not a valid bundle, or it stores no Keras model.
    """
    bundle = load_bundle(path, with_keras=True)
    if bundle.keras_model is None:
        raise ModelBundleError(Path(path), "stores no Keras model, so it cannot be fine-tuned")
    return bundle


def plan_labels(bundle_labels: list[str], dataset_labels: list[str]) -> tuple[list[str], list[str], dict[str, str]]:
    """Labels of a fine-tuned model.

    Parameters
    ----------
    bundle_labels : list of str
        The bundle's labels, in output order.
    dataset_labels : list of str
        Genres in the new songs.

    Returns
    -------
    labels : list of str
        ``bundle_labels`` then the new genres (sorted case-insensitively).
    new_labels : list of str
        Dataset genres the bundle does not know.
    renamed : dict of str to str
        Dataset name -> bundle name where the spelling differs.
    """
    known = {genre_key(label): label for label in bundle_labels}
    renamed, new = {}, []
    for label in dataset_labels:
        match = known.get(genre_key(label))
        if match is None:
            new.append(label)
        elif match != label:
            renamed[label] = match
    new = sorted(set(new), key=str.casefold)
    return list(bundle_labels) + new, new, renamed


def warm_start_scan(scan: DatasetScan, bundle: ModelBundle) -> tuple[DatasetScan, WarmStart]:
    """A scan relabelled to the bundle's spelling and label order, and what it inherits.

    Parameters
    ----------
    scan : DatasetScan
        From :func:`training.dataset.scan_dataset`.
    bundle : ModelBundle
        With its Keras model (:func:`load_warm_start_bundle`).

    Returns
    -------
    scan : DatasetScan
        Same songs, genres spelled as the bundle spells them, ``labels`` in
        the fine-tuned model's output order (every label, even one without
        songs, so that the head keeps the bundle's genres).
    warm : WarmStart
    """
    labels, new, renamed = plan_labels(bundle.labels, scan.labels)
    songs = [dataclasses.replace(s, genre=renamed.get(s.genre, s.genre)) for s in scan.songs]
    relabelled = DatasetScan(source=scan.source, songs=songs, labels=labels, skipped=list(scan.skipped))
    return relabelled, WarmStart(bundle=bundle, labels=labels, new_labels=new, renamed=renamed)


def replace_head(model, old_labels: list[str], labels: list[str], *, seed: int):
    """``model`` with its softmax head widened to ``labels`` (old rows copied, new rows small random)."""
    import keras

    named = [layer for layer in model.layers if layer.name == OUTPUT_LAYER_NAME]
    head = named[0] if named else model.layers[-1]
    if not isinstance(head, keras.layers.Dense) or head is not model.layers[-1]:
        raise TrainingConfigError(
            f"the {model.name} model does not end in a dense softmax layer, so it cannot learn new genres "
            f"({', '.join(labels[len(old_labels):])}); fine-tune it on its own genres only, or train from scratch"
        )
    kernel, bias = head.get_weights()
    rng = np.random.default_rng(seed)
    new_kernel = rng.normal(0.0, NEW_HEAD_INIT_STD, size=(kernel.shape[0], len(labels))).astype(np.float32)
    new_bias = np.zeros(len(labels), dtype=np.float32)
    new_kernel[:, : len(old_labels)] = kernel
    new_bias[: len(old_labels)] = bias
    features = model.layers[-2].output
    outputs = keras.layers.Dense(len(labels), activation="softmax", name=OUTPUT_LAYER_NAME)(features)
    widened = keras.Model(model.inputs, outputs, name=model.name)
    widened.get_layer(OUTPUT_LAYER_NAME).set_weights([new_kernel, new_bias])
    return widened


def apply_freeze(model, freeze: str) -> int:
    """Mark layers not trainable according to ``freeze`` (:data:`FREEZE_CHOICES`).

    Returns
    -------
    int
        Number of layers frozen.
    """
    import keras

    if freeze not in FREEZE_CHOICES:
        raise TrainingConfigError(f"unknown freeze {freeze!r}; choose one of {', '.join(FREEZE_CHOICES)}")
    frozen_types: tuple[type, ...] = ()
    if freeze == FREEZE_CONV:
        frozen_types = (keras.layers.Conv2D,)
    elif freeze == FREEZE_BACKBONE:
        frozen_types = (keras.layers.Conv2D, keras.layers.BatchNormalization)
    count = 0
    for layer in model.layers:
        layer.trainable = not isinstance(layer, frozen_types) if frozen_types else True
        count += not layer.trainable
    return count


def warm_start_model(warm: WarmStart, *, freeze: str = DEFAULT_FREEZE, seed: int = 0):
    """The bundle's Keras model, ready to fine-tune: head widened for new genres, layers frozen.

    Parameters
    ----------
    warm : WarmStart
        From :func:`warm_start_scan`.
    freeze : str
        One of :data:`FREEZE_CHOICES`.
    seed : int
        Seed of the new genres' head weights.

    Returns
    -------
    keras.Model
        Uncompiled; input ``warm.bundle.feature_params.input_shape``,
        softmax over ``warm.labels``.

    Raises
    ------
    ModelBundleError
        The Keras model cannot be loaded safely.
    TrainingConfigError
        New genres on a model without a dense head, or an unknown ``freeze``.
    """
    from training.export import keras_model_from_bundle

    model = keras_model_from_bundle(warm.bundle)
    if warm.has_new_head:
        model = replace_head(model, warm.bundle.labels, warm.labels, seed=seed)
    apply_freeze(model, freeze)
    return model


def bundle_provenance(warm: WarmStart, freeze: str) -> dict[str, Any]:
    """What a fine-tuned bundle records about its parent (stored in its provenance)."""
    parent = warm.bundle
    return {
        "fine_tuned_from": {
            "name": parent.display_name,
            "path": str(parent.path) if parent.path else None,
            "labels": list(parent.labels),
            "trained_on": parent.provenance.get("trained_on"),
            "created": parent.provenance.get("created"),
        },
        "freeze": freeze,
        "new_genres": list(warm.new_labels),
    }


#: At most this many clean training windows stand in for a validation set when no song is held out.
SELF_VALIDATION_WINDOWS = 64


def self_validation_rows(train_rows: np.ndarray, clean: np.ndarray | None, n: int, seed: int) -> np.ndarray:
    """Up to :data:`SELF_VALIDATION_WINDOWS` clean training windows standing in for a validation set."""
    is_clean = np.ones(n, dtype=bool) if clean is None else np.asarray(clean, dtype=bool)
    candidates = train_rows[is_clean[train_rows]]
    rng = np.random.default_rng(seed)
    take = min(candidates.size, SELF_VALIDATION_WINDOWS)
    return np.sort(rng.choice(candidates, size=take, replace=False))


def finetune_windows(
    model,
    features: np.ndarray,
    labels: np.ndarray,
    *,
    train_rows: np.ndarray,
    validation_rows: np.ndarray | None = None,
    clean: np.ndarray | None = None,
    fit: FitConfig = TINY_SET_FIT,
    observer=None,
):
    """Fit a warm-started model on already standardised windows.

    Parameters
    ----------
    model : keras.Model
        From :func:`warm_start_model` (or any uncompiled softmax model).
    features : numpy.ndarray, shape (n, frames, n_mfcc), float32
        Windows standardised with the bundle's normalisation.
    labels : numpy.ndarray, shape (n,), int
        Label index of each window (in the fine-tuned model's order).
    train_rows : numpy.ndarray, int
        Windows to train on.
    validation_rows : numpy.ndarray, int, optional
        Clean windows of held-out songs. Without them (a handful of songs,
        every one needed for training) up to :data:`SELF_VALIDATION_WINDOWS`
        clean training windows are used: the run then lasts ``fit.epochs``
        and keeps the checkpoint that fits the training songs best.
    clean : numpy.ndarray, shape (n,), bool, optional
        Which windows are clean (not augmented copies); default all.
    fit : FitConfig
        The recipe (:data:`TINY_SET_FIT` by default).
    observer : TrainingObserver, optional

    Returns
    -------
    FitResult
    """
    from training.fit import fit_keras_model

    train_rows = np.asarray(train_rows, dtype=np.int64)
    if validation_rows is None or len(validation_rows) == 0:
        validation_rows = self_validation_rows(train_rows, clean, len(features), fit.seed)
    return fit_keras_model(
        model, x_train=features[train_rows], y_train=labels[train_rows], x_validation=features[validation_rows],
        y_validation=labels[validation_rows], config=fit, observer=observer,
    )


def begin_pipeline_warm_start(config, scan: DatasetScan, observer, *,
                              family_named: bool = True) -> tuple[Any, DatasetScan, WarmStart]:
    """:func:`training.pipeline.run_training`'s hook for ``TrainingConfig.init_from``.

    Loads the bundle, relabels the scan to its labels, and returns the config
    with the bundle's feature parameters and window policy (the fit recipe is
    left as given) and, when ``family_named`` is False (the user named none), the bundle's family.

    Raises
    ------
    ModelBundleError
        The bundle cannot be read or stores no Keras model.
    TrainingConfigError
        The models asked for are not the bundle's architecture.
    """
    bundle = load_warm_start_bundle(config.init_from)
    if not family_named:  # the bundle's own family, whatever the folder's size
        config = dataclasses.replace(config, models=(bundle.architecture,))
    if tuple(config.models) != (bundle.architecture,):
        raise TrainingConfigError(
            f"{config.init_from} holds a {bundle.architecture} model; fine-tuning trains that model only "
            f"(asked for {', '.join(config.models)})"
        )
    scan, warm = warm_start_scan(scan, bundle)
    config = dataclasses.replace(config, feature_params=bundle.feature_params,
                                 window_policy=config.window_policy or bundle.window_policy)
    report_log(observer, warm.describe())
    return config, scan, warm


def finetune_fit(fit: FitConfig, *, learning_rate: float | None = None) -> FitConfig:
    """``urdu-genre train --init-from``'s recipe: ``fit`` with the fine-tune rate and warm-up.

    Parameters
    ----------
    fit : FitConfig
        The command line's recipe (epochs, patience, batch size are kept).
    learning_rate : float, optional
        An explicit ``--learning-rate`` (kept); otherwise :data:`TINY_SET_FIT`'s.
    """
    return dataclasses.replace(fit, learning_rate=learning_rate or TINY_SET_FIT.learning_rate,
                               warmup_epochs=TINY_SET_FIT.warmup_epochs)
