"""Fit a bundle's "not a genre this model knows" check and its probability temperature.

The rules applied at inference are in :mod:`urdu_genre_app.core.novelty`; this
module fits them on a trained Keras model:

* in each of the two Gaussian spaces (the penultimate features, and the MFCC summary
  of :func:`~urdu_genre_app.core.novelty.window_summary`), class means and
  one shared covariance of the clean *training* windows (the covariance shrunk towards a multiple of the
  identity by :data:`COVARIANCE_SHRINKAGE`, so that a direction the training
  windows never use, e.g. a ReLU unit that never fired, still has a finite,
  large precision: a window that uses it is far from every genre);
* for the one-sided temporal-structure check
  (:class:`~urdu_genre_app.core.novelty.StructureShortfall`), the lowest genre
  mean of the training windows' structure and the pooled spread around the
  genre means;
* each space's scale, and the threshold on the larger scaled distance: the
  value exceeded by :data:`DEFAULT_FLAG_FRACTION` of the *validation*
  windows (songs the model never trained on);
* the temperature minimising the validation windows' negative log-likelihood.

``urdu-genre calibrate`` (:func:`training.cli.run_calibrate`) re-exports a
bundle with the check: the bundle's Keras model and weights stay; its LiteRT
half is converted again with a second output, the penultimate features
(:func:`training.export.feature_model`)::

    urdu-genre calibrate resources/models/bn_cnn_synthetic.ugm \\
        --train corpus/calibration/train --validation corpus/calibration/validation \\
        --out resources/models/bn_cnn_synthetic.ugm
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import numpy as np

from urdu_genre_app.core.novelty import (
    DEFAULT_FLAG_FRACTION,
    FEATURE_OUTPUT,
    PROBABILITY_OUTPUT,
    SPACE_SCALE_QUANTILE,
    GaussianClasses,
    NoveltyCalibration,
    StructureShortfall,
    softmax,
    structure_lag_frames,
    temporal_structure,
    window_summary,
)
from training.export import penultimate_output

log = logging.getLogger(__name__)

#: Weight of the identity target in the shrunk covariance ``(1 - a) S + a (tr S / d) I``: None
#: estimates it from the data (Ledoit and Wolf 2004), which shrinks more when there are few
#: windows for the dimension, as with a small corpus.
COVARIANCE_SHRINKAGE: float | None = None
#: Key of a novelty report (a bundle's ``metrics["novelty"]``) set True when a fine-tune refitted the check
#: to its new model (``--init-from``, "Improve"), rather than the check being fitted with a new model.
REFITTED = "refitted"


def ledoit_wolf_shrinkage(centred: np.ndarray) -> float:
    """Ledoit-Wolf's estimate of the best shrinkage towards a multiple of the identity.

    Parameters
    ----------
    centred : numpy.ndarray, shape (n, d)
        Points minus their (class) means.

    Returns
    -------
    float
        In [0, 1].
    """
    x = np.asarray(centred, dtype=np.float64)
    n, d = x.shape
    covariance = x.T @ x / n
    mu = np.trace(covariance) / d
    squared = x * x
    # beta: how noisy the sample covariance is; delta: how far it is from mu * I.
    beta = (np.sum(squared.T @ squared) / n - np.sum(covariance**2)) / (d * n)
    delta = (np.sum(covariance**2) - 2 * mu * np.trace(covariance) + d * mu**2) / d
    if delta <= 0:
        return 1.0
    return float(np.clip(beta / delta, 0.0, 1.0))
#: Temperatures searched (log-spaced); the best is refined by a finer search around it.
TEMPERATURE_RANGE = (0.05, 20.0)
#: Windows per Keras predict call.
PREDICT_BATCH = 64


def logit_head(model) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The last layer as ``logits = h @ W + b``: (W, b), or (None, None) when ``h`` are the logits.

    The last layer is :func:`training.export.penultimate_output`'s (inside a nested head, musicnn's).

    Raises
    ------
    ValueError
        The last layer is neither a softmax Dense layer nor a bare softmax activation.
    """
    _, last = penultimate_output(model)
    weights = last.get_weights()
    activation = getattr(getattr(last, "activation", None), "__name__", "")
    if len(weights) == 2 and weights[0].ndim == 2 and activation == "softmax":
        return np.asarray(weights[0], np.float64), np.asarray(weights[1], np.float64)
    if not weights and activation == "softmax":
        return None, None
    raise ValueError(f"cannot calibrate a model whose last layer is {type(last).__name__} ({activation or 'no'} "
                     "activation); it must end in a softmax")


def penultimate_features(model, x: np.ndarray) -> np.ndarray:
    """Penultimate features (:func:`training.export.penultimate_output`) of normalised windows,
    shape (n, frames, n_features) -> (n, d), float64."""
    import keras

    head = keras.Model(model.inputs, penultimate_output(model)[0])
    x = x[..., np.newaxis] if x.ndim == 3 else x
    return np.asarray(head.predict(x, batch_size=PREDICT_BATCH, verbose=0), dtype=np.float64)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature minimising the mean negative log-likelihood of ``labels``.

    Parameters
    ----------
    logits : numpy.ndarray, shape (n, c)
    labels : numpy.ndarray, shape (n,), int

    Returns
    -------
    float
        In :data:`TEMPERATURE_RANGE`.
    """
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)

    def nll(temperature: float) -> float:
        z = logits / temperature
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-log_p[np.arange(labels.size), labels].mean())

    lo, hi = np.log(TEMPERATURE_RANGE[0]), np.log(TEMPERATURE_RANGE[1])
    grid = np.exp(np.linspace(lo, hi, 121))
    best = grid[int(np.argmin([nll(t) for t in grid]))]
    fine = best * np.exp(np.linspace(-0.06, 0.06, 61))
    return float(fine[int(np.argmin([nll(t) for t in fine]))])


def _labels_of_every_class(labels: np.ndarray, n_classes: int, *, allow_missing: bool = False
                           ) -> tuple[np.ndarray, np.ndarray]:
    """``labels`` as int64 and the classes present, checked to hold every class (``ValueError`` naming the
    missing ones) unless ``allow_missing`` (then at least one)."""
    y = np.asarray(labels, dtype=np.int64)
    present = np.array([c for c in range(n_classes) if np.any(y == c)], dtype=np.int64)
    missing = sorted(set(range(n_classes)) - set(present.tolist()))
    if missing and (not allow_missing or present.size == 0):
        raise ValueError(f"classes {missing} have no training windows to fit the novelty check on")
    return y, present


def _class_means(x: np.ndarray, y: np.ndarray, present: np.ndarray, n_classes: int) -> np.ndarray:
    """Mean of each class's rows; a class without rows takes a present class's mean.

    Distances go to the *nearest* mean, so a copy changes none of them: the
    check then knows that genre only as far as it resembles the others (a
    fine-tune on songs of some of its genres).
    """
    means = np.stack([x[y == c].mean(axis=0) if c in present else x[y == present[0]].mean(axis=0)
                      for c in range(n_classes)])
    return means


def fit_gaussian_classes(train_points: np.ndarray, train_labels: np.ndarray, validation_points: np.ndarray, *,
                         n_classes: int, shrinkage: float | None = COVARIANCE_SHRINKAGE,
                         allow_missing: bool = False) -> GaussianClasses:
    """Class means and a shared, shrunk covariance of training points; scale from validation points.

    Parameters
    ----------
    train_points : numpy.ndarray, shape (n_train, d)
    train_labels : numpy.ndarray, shape (n_train,), int
    validation_points : numpy.ndarray, shape (n_validation, d)
    n_classes : int
    shrinkage : float or None
        Weight of the identity target, in [0, 1); None: :func:`ledoit_wolf_shrinkage`.
    allow_missing : bool
        Accept classes without training points (a fine-tune on some genres): :func:`_class_means`.

    Raises
    ------
    ValueError
        A class has no training point (and ``allow_missing`` is off, or no class has any).
    """
    x = np.asarray(train_points, dtype=np.float64)
    y, present = _labels_of_every_class(train_labels, n_classes, allow_missing=allow_missing)
    means = _class_means(x, y, present, n_classes)
    centred = x - means[y]
    covariance = centred.T @ centred / max(1, x.shape[0] - present.size)
    d = covariance.shape[0]
    scale = max(float(np.trace(covariance)) / d, 1e-12)
    if shrinkage is None:
        shrinkage = ledoit_wolf_shrinkage(centred)
    shrunk = (1.0 - shrinkage) * covariance + shrinkage * scale * np.eye(d)
    precision = np.linalg.inv(shrunk)
    space = GaussianClasses(class_means=means, precision=(precision + precision.T) / 2)
    distance_scale = float(np.quantile(space.distances(validation_points), SPACE_SCALE_QUANTILE))
    log.info("novelty space of %d dimensions: %d training windows, shrinkage %.3f", d, x.shape[0], shrinkage)
    return GaussianClasses(class_means=means, precision=space.precision, scale=max(distance_scale, 1e-12),
                           shrinkage=float(shrinkage))


def fit_structure_shortfall(train_windows: np.ndarray, train_labels: np.ndarray, validation_windows: np.ndarray,
                            *, n_classes: int, lag_frames: int, allow_missing: bool = False) -> StructureShortfall:
    """The one-sided temporal-structure check of training windows, scaled on validation windows.

    Parameters
    ----------
    train_windows, validation_windows : numpy.ndarray, shape (n, frames, n_features)
        Standardised feature windows.
    train_labels : numpy.ndarray, shape (n_train,), int
    n_classes : int
    lag_frames : int
        :func:`~urdu_genre_app.core.novelty.structure_lag_frames` of the bundle's features.

    Raises
    ------
    ValueError
        A class has no training window.
    """
    structure = temporal_structure(train_windows, lag_frames)
    labels, present = _labels_of_every_class(train_labels, n_classes, allow_missing=allow_missing)
    means = _class_means(structure[:, None], labels, present, n_classes)[:, 0]
    spread = float(np.sqrt(np.mean((structure - means[labels]) ** 2)))
    space = StructureShortfall(lag_frames=int(lag_frames), lowest_mean=float(means.min()),
                               spread=max(spread, 1e-6))
    # When fewer than 5 % of held-out windows fall short at all, one spread is the unit instead.
    scale = float(np.quantile(space.distances(validation_windows), SPACE_SCALE_QUANTILE))
    log.info("temporal structure: genre means %s, spread %.3f", np.round(means, 3).tolist(), spread)
    return dataclasses.replace(space, scale=scale if scale > 1e-6 else 1.0)


def fit_novelty(
    train_features: np.ndarray,
    train_labels: np.ndarray,
    validation_features: np.ndarray,
    validation_labels: np.ndarray,
    *,
    n_classes: int,
    train_windows: np.ndarray | None = None,
    validation_windows: np.ndarray | None = None,
    logit_weights: np.ndarray | None = None,
    logit_bias: np.ndarray | None = None,
    flag_fraction: float = DEFAULT_FLAG_FRACTION,
    shrinkage: float | None = COVARIANCE_SHRINKAGE,
    structure_lag_frames: int | None = None,
    allow_missing: bool = False,
) -> NoveltyCalibration:
    """Fit the novelty check and the temperature (see the module docstring).

    Parameters
    ----------
    train_features : numpy.ndarray, shape (n_train, d)
        Penultimate features of clean training windows.
    train_labels : numpy.ndarray, shape (n_train,), int
    validation_features : numpy.ndarray, shape (n_validation, d)
        Penultimate features of validation windows (held-out songs).
    validation_labels : numpy.ndarray, shape (n_validation,), int
    n_classes : int
    train_windows, validation_windows : numpy.ndarray, shape (n, frames, n_mfcc), optional
        The same windows' standardised MFCCs, for the input-space half of the check; without
        them the check judges by the model's features alone.
    logit_weights, logit_bias : numpy.ndarray, optional
        The last layer (:func:`logit_head`).
    flag_fraction : float
        Fraction of validation windows the threshold flags.
    shrinkage : float or None
        Covariance shrinkage towards the identity, in [0, 1); None estimates it per space.
    structure_lag_frames : int, optional
        With the windows, also fit the temporal-structure check at this lag
        (:func:`~urdu_genre_app.core.novelty.structure_lag_frames`).
    allow_missing : bool
        Accept classes without training windows (a fine-tune on songs of some of its genres); they are
        listed in ``fitted_on["classes_without_windows"]``.

    Returns
    -------
    NoveltyCalibration

    Raises
    ------
    ValueError
        A class has no training window, or there are no validation windows.
    """
    if len(validation_features) == 0:
        raise ValueError("no validation windows to calibrate the novelty threshold and temperature on")
    model_space = fit_gaussian_classes(train_features, train_labels, validation_features, n_classes=n_classes,
                                       shrinkage=shrinkage, allow_missing=allow_missing)
    input_space = None
    if train_windows is not None and validation_windows is not None:
        input_space = fit_gaussian_classes(window_summary(train_windows), train_labels,
                                           window_summary(validation_windows), n_classes=n_classes,
                                           shrinkage=shrinkage, allow_missing=allow_missing)
    structure_space = None
    if train_windows is not None and validation_windows is not None and structure_lag_frames is not None:
        structure_space = fit_structure_shortfall(train_windows, train_labels, validation_windows,
                                                  n_classes=n_classes, lag_frames=structure_lag_frames,
                                                  allow_missing=allow_missing)
    missing = sorted(set(range(n_classes)) - set(np.unique(np.asarray(train_labels)).tolist()))
    provisional = NoveltyCalibration(model_space=model_space, input_space=input_space,
                                     structure_space=structure_space, threshold=1.0, flag_fraction=flag_fraction,
                                     logit_weights=logit_weights, logit_bias=logit_bias)
    combined = provisional.combined(validation_features, validation_windows)
    threshold = float(np.quantile(combined, 1.0 - flag_fraction))
    temperature = fit_temperature(provisional.logits(validation_features), validation_labels)
    return NoveltyCalibration(
        model_space=model_space, input_space=input_space, structure_space=structure_space, threshold=threshold,
        flag_fraction=float(np.mean(combined > threshold)), temperature=temperature,
        logit_weights=logit_weights, logit_bias=logit_bias,
        fitted_on={
            "train_windows": int(len(train_features)),
            "validation_windows": int(len(validation_features)),
            "shrinkage": {"model_space": model_space.shrinkage,
                          "input_space": None if input_space is None else input_space.shrinkage},
            "structure_space": structure_space is not None,
            "target_flag_fraction": flag_fraction,
            **({"classes_without_windows": [int(c) for c in missing]} if missing else {}),
        },
    )


def calibration_report(calibration: NoveltyCalibration, validation_features: np.ndarray,
                       validation_labels: np.ndarray, validation_windows: np.ndarray | None = None) -> dict[str, Any]:
    """Validation figures worth storing in a bundle's metrics (JSON-ready)."""
    logits = calibration.logits(validation_features)
    labels = np.asarray(validation_labels, dtype=np.int64)

    def nll(probabilities: np.ndarray) -> float:
        return float(-np.log(np.clip(probabilities[np.arange(labels.size), labels], 1e-12, 1.0)).mean())

    return {
        "validation_windows": int(labels.size),
        "validation_windows_flagged_unknown": round(
            float(np.mean(calibration.scores(validation_features, validation_windows) > 1)), 4),
        "temperature": round(calibration.temperature, 4),
        "validation_nll_before": round(nll(softmax(logits)), 4),
        "validation_nll_after": round(nll(calibration.probabilities(validation_features)), 4),
    }


def describe_novelty_report(report: dict[str, Any]) -> str:
    """One log line for :func:`calibration_report`'s figures (or ``{"unavailable": reason}``), in words.

    A fine-tune's report (:mod:`training.improve`) may add what its windows were (``validation``),
    how the other-music class and the structure check were kept (``other_class``,
    ``structure_check``): they are said too, never printed as a raw dict. A report marked
    :data:`REFITTED` (a fine-tune's) says the check was refitted to the fine-tuned model.
    """
    if "unavailable" in report:
        return f"novelty check: not fitted ({report['unavailable']}); this model cannot say 'not a genre'"
    text = "novelty check " + ("refitted to the fine-tuned model" if report.get(REFITTED) else "fitted")
    if "validation_windows" in report and "validation_windows_flagged_unknown" in report:
        text += (f": it flags {report['validation_windows_flagged_unknown']:.0%} of "
                 f"{report['validation_windows']} validation windows as unlike any genre")
    if "temperature" in report and "validation_nll_before" in report and "validation_nll_after" in report:
        text += (f"; temperature {report['temperature']:.2f} (validation loss {report['validation_nll_before']:.3f}"
                 f" -> {report['validation_nll_after']:.3f})")
    for key, words in (("validation", "validation windows"), ("other_class", "other-music class"),
                       ("structure_check", "structure check")):
        if report.get(key):
            text += f"; {words}: {report[key]}"
    return text


def calibrate_keras_model(model, x_train, y_train, x_validation, y_validation, *, n_classes: int,
                          flag_fraction: float = DEFAULT_FLAG_FRACTION,
                          structure_lag_frames: int | None = None, allow_missing: bool = False
                          ) -> NoveltyCalibration:
    """Fit the check of a trained Keras model on normalised windows (the pipeline's hook).

    Parameters
    ----------
    model : keras.Model
    x_train, x_validation : numpy.ndarray, shape (n, frames, n_mfcc), float32
        Standardised clean training windows, and validation windows.
    y_train, y_validation : numpy.ndarray, shape (n,), int
    n_classes : int
    flag_fraction : float
    structure_lag_frames : int, optional
        Also fit the temporal-structure check at this lag (see :func:`fit_novelty`).
    allow_missing : bool
        Accept classes without training windows (see :func:`fit_novelty`).

    Returns
    -------
    NoveltyCalibration
    """
    return calibrate_with_features(model, x_train, y_train, x_validation, y_validation, n_classes=n_classes,
                                   flag_fraction=flag_fraction, structure_lag_frames=structure_lag_frames,
                                   allow_missing=allow_missing)[0]


def calibrate_with_features(model, x_train, y_train, x_validation, y_validation, *, n_classes: int,
                            flag_fraction: float = DEFAULT_FLAG_FRACTION, structure_lag_frames: int | None = None,
                            allow_missing: bool = False) -> tuple[NoveltyCalibration, np.ndarray, np.ndarray]:
    """:func:`calibrate_keras_model`, and the training and validation windows' penultimate features it computed.

    Running the model is the costly part (musicnn: its backbone over every pooled patch), so the
    report and the other-music check (``urdu-genre calibrate --other``) reuse the features instead
    of running it again.

    Returns
    -------
    calibration : NoveltyCalibration
    train_features, validation_features : numpy.ndarray, shape (n, d)
    """
    weights, bias = logit_head(model)
    train_features = penultimate_features(model, x_train)
    validation_features = penultimate_features(model, x_validation)
    calibration = fit_novelty(
        train_features, y_train, validation_features, y_validation,
        n_classes=n_classes, train_windows=x_train, validation_windows=x_validation, logit_weights=weights,
        logit_bias=bias, flag_fraction=flag_fraction, structure_lag_frames=structure_lag_frames,
        allow_missing=allow_missing,
    )
    return calibration, train_features, validation_features


def calibrate_windows(model, x_train, y_train, x_validation, y_validation, *, n_classes: int, params=None,
                      flag_fraction: float = DEFAULT_FLAG_FRACTION
                      ) -> tuple[NoveltyCalibration | None, dict[str, Any]]:
    """Fit the check of a trained Keras model, or say why it cannot be (the families' default).

    Parameters
    ----------
    model : keras.Model
    x_train, x_validation : numpy.ndarray, shape (n, frames, n_features), float32
        Standardised clean training windows, and validation windows.
    y_train, y_validation : numpy.ndarray, shape (n,), int
    n_classes : int
    params : FeatureParams, optional
        The windows' feature parameters; with them the temporal-structure check is fitted too.
    flag_fraction : float

    A genre without training windows (a fine-tune on songs of some genres) is
    known to the check only as far as it resembles the others
    (:func:`_class_means`); the report lists it.

    Returns
    -------
    calibration : NoveltyCalibration or None
        None when the model or the windows cannot be calibrated (the bundle is then written without
        the check, which then says it is unavailable).
    report : dict
        :func:`calibration_report`'s figures, or ``{"unavailable": reason}``.
    """
    try:
        calibration, _, features = calibrate_with_features(
            model, x_train, y_train, x_validation, y_validation, n_classes=n_classes, flag_fraction=flag_fraction,
            structure_lag_frames=None if params is None else structure_lag_frames(params.sample_rate,
                                                                                  params.hop_length),
            allow_missing=True,
        )
    except ValueError as error:
        log.warning("no novelty check for this model: %s", error)
        return None, {"unavailable": str(error)}
    report = calibration_report(calibration, features, y_validation, x_validation)
    if calibration.fitted_on.get("classes_without_windows"):
        report["classes_without_windows"] = calibration.fitted_on["classes_without_windows"]
    return calibration, report


def windows_of(folder: Path, bundle, seed: int, workers: int | None, windows_per_song: int, *,
               with_songs: bool = False):
    """Clean windows of a labelled folder, standardised as ``bundle`` standardises them (``urdu-genre calibrate``).

    Returns
    -------
    x : numpy.ndarray, shape (n, frames, n_features), float32
    y : numpy.ndarray, shape (n,), int
        Label indices in the bundle's order.
    songs : int
    paths : numpy.ndarray of str, shape (n,)
        Each window's song file, only ``with_songs``.

    Raises
    ------
    DatasetError
        A genre of the folder is not one of the bundle's.
    """
    from training.dataset import scan_dataset
    from training.errors import DatasetError

    scan = scan_dataset(folder)
    unknown = sorted(set(scan.labels) - set(bundle.labels))
    if unknown:
        raise DatasetError(f"{folder}: genres {unknown} are not among the model's labels {bundle.labels}")
    x, y, paths, songs = _song_windows(scan.songs, bundle, seed, workers, windows_per_song)
    return (x, y, songs, paths) if with_songs else (x, y, songs)


def _song_windows(songs, bundle, seed: int, workers: int | None, windows_per_song: int):
    """Standardised clean windows of ``songs``: x, label indices, each window's song path, songs that gave windows."""
    from training.extract import ExtractionConfig, extract_windows

    windows = extract_windows(
        songs, labels=list(bundle.labels), params=bundle.feature_params,
        config=ExtractionConfig(seed=seed, windows_per_song=windows_per_song), workers=workers, cache_dir=None,
    )
    clean = windows.copy == 0
    paths = np.array([str(windows.songs[i].path) for i in windows.song[clean]], dtype=object)
    return (bundle.normalise(windows.features[clean]).astype(np.float32), windows.label[clean], paths,
            len(windows.songs))


def other_music_files(source: Path) -> list[Path]:
    """The songs of ``--other``: every audio file under a folder, or the lines of a text file (paths relative to it).

    Raises
    ------
    DatasetError
        Nothing there, or a listed file is missing.
    """
    from training.errors import DatasetError
    from urdu_genre_app.library.scan import walk_audio

    source = Path(source)
    if source.is_dir():
        files = list(walk_audio(source).files)
    elif source.is_file():
        lines = [line.strip() for line in source.read_text(encoding="utf-8").splitlines()]
        files = [source.parent / line for line in lines if line and not line.startswith("#")]
        missing = [str(f) for f in files if not f.is_file()]
        if missing:
            raise DatasetError(f"{source}: listed files missing: {missing[:3]}")
    else:
        raise DatasetError(f"{source}: no such folder or list of other music")
    if not files:
        raise DatasetError(f"{source}: no audio files of other music")
    return files


def other_windows_of(source: Path, bundle, seed: int, workers: int | None, windows_per_song: int):
    """Standardised clean windows of :func:`other_music_files`: x, each window's song path, songs."""
    from training.dataset import scan_pairs

    # The extractor wants a label; any of the bundle's does, it is never used.
    scan = scan_pairs([(path, bundle.labels[0]) for path in other_music_files(source)], source=source)
    x, _, paths, songs = _song_windows(scan.songs, bundle, seed, workers, windows_per_song)
    return x, paths, songs
