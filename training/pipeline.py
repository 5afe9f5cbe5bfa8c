"""One training run, start to finish: scan -> extract -> split -> fit -> evaluate -> export.

This is the Python API behind ``urdu-genre train`` and the GUI's Training tab::

    from training.fit import FitConfig
    from training.observer import NullObserver
    from training.pipeline import TrainingConfig, run_training

    report = run_training(
        TrainingConfig(dataset="~/songs", out="my_model.ugm", models=("bn_cnn",), fit=FitConfig(epochs=30)),
        observer=NullObserver(),          # or a ForwardingObserver (the Training tab's), a TerminalObserver
    )
    print(report.comparison_text())
    report.bundle                         # the written ModelBundle (None when not exported)

Stages are reported through the observer (:mod:`training.observer`):
``scan`` (files probed), ``extract`` (songs), ``split``, ``fit`` (steps, per
model), ``evaluate`` (models), ``export``. Cancelling during a scan or an
extraction raises :class:`~urdu_genre_app.core.errors.CancelledError`;
cancelling while a model fits stops it after the current batch, keeps its best
checkpoint so far, skips the models not started yet, and still evaluates and
exports (``report.cancelled`` is True and the bundle's provenance says so).

Rules worth knowing:

* Features are standardised per MFCC coefficient with the mean and standard
  deviation of the clean *training* windows; both go into the bundle, and the
  classifier applies them (``ModelBundle.normalise``).
* What differs between model families (features, training, scoring, window
  policy, novelty check) is asked of the family (:mod:`training.families`),
  never decided here by its name. A family may need its own features
  (musicnn's 16 kHz log-mel, left unstandardised since its backbone
  normalises its own input); each kind is extracted and split once per run,
  by the same seed, so every family sees the same songs on each side.
* Every model is trained and scored on the same split; with several models
  the exported one is the exportable model with the best *validation* song
  accuracy (the test set never picks a model). XGBoost is evaluated only.
* A **small folder** (its smallest genre under :data:`SMALL_FOLDER_SONGS`
  songs, a song split asked for) spares no songs for validation and test:
  every song trains the final model, and its accuracy is estimated by
  k-fold cross-validation by song first (:func:`training.split.choose_folds`:
  as many folds as the smallest genre has songs, at most 5; each fold's model
  trains on the other folds' songs and scores its own, so every song is
  scored once by a model that never heard it). The pooled out-of-fold scores
  are the report's test figures, with a 95 % Wilson interval on the song
  accuracy (:class:`CrossValidation`, also sent as an
  :class:`~training.observer.AccuracyEstimate` event and stored in the
  bundle's ``measured_accuracy``). Up to 64 clean training windows stand in
  for validation while fitting (as in fine-tuning); the standardisation is
  measured on every song's clean windows.
* No family named (``models=(AUTO_FAMILY,)``, the default): once the folder
  is scanned, :func:`resolve_models` asks
  :func:`training.families.default_family_for` (musicnn for a small folder,
  where it measured best from a few real songs; the BN-CNN otherwise) and
  the run says which and why in one log line.
* One ``seed`` drives window choice, augmentation, the split and the weights.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from urdu_genre_app import __version__
from urdu_genre_app.core.bundle import MEASURED_ACCURACY, ModelBundle
from urdu_genre_app.core.errors import CancelledError
from urdu_genre_app.core.features import FeatureParams
from urdu_genre_app.core.windows import WindowPolicy
from urdu_genre_app.paths import feature_cache_dir
from training.dataset import DatasetScan, scan_dataset
from training.errors import DatasetError, ExportNotSupportedError, TrainingConfigError
from training.evaluate import Evaluation, evaluate_probabilities, format_comparison, measured_accuracy, wilson_interval
from training.extract import ExtractionConfig, ExtractionStats, extract_windows
from training.families import AUTO_FAMILY, REGISTRY, FamilyChoice, ModelFamily, PreparedFeatures, default_family_for
from training.finetune import DEFAULT_FREEZE, self_validation_rows
from training.fit import FitConfig, FitResult
from training.observer import AccuracyEstimate, EpochEnded, NullObserver, TrainingObserver, report_log, report_stage
from training.split import (
    DEFAULT_FRACTIONS, MAX_FOLDS, SMALL_FOLDER_SONGS, SPLIT_MODES, SPLIT_SONG, Split, assign_folds, split_windows,
)

log = logging.getLogger(__name__)

#: Smallest standard deviation used when standardising a coefficient.
MIN_FEATURE_STD = 1e-3
#: ``Split.mode`` of a small folder's split: every song trains, no song is held out.
SPLIT_ALL_SONGS = "all songs (k-fold estimate)"


@dataclass
class TrainingConfig:
    """Everything one training run needs.

    Attributes
    ----------
    dataset : str or pathlib.Path
        A folder of genre folders, or a ``.csv`` manifest (:mod:`training.dataset`).
    out : str or pathlib.Path or None
        Where to write the bundle (``.ugm``); None evaluates without exporting.
    models : tuple of str
        Families to train, by name (:data:`training.families.REGISTRY`); ``(AUTO_FAMILY,)`` (the default:
        the user named none) lets the scanned folder decide (:func:`resolve_models`).
    feature_params : FeatureParams
        MFCC parameters (the paper's by default; window length included).
    extraction : ExtractionConfig
        Windows per song, intro skips and waveform augmentation (its seed is
        replaced by ``seed``).
    fit : FitConfig
        The fitting recipe (its seed is replaced by ``seed``).
    split : str
        ``"song"`` or ``"window-paper-leaky"`` (:mod:`training.split`).
    fractions : tuple of float
        Train, validation, test fractions.
    seed : int
        The run's one seed.
    workers : int or None
        Extraction processes (default: CPU cores).
    cache_dir : str or pathlib.Path or None
        Feature cache (default: :func:`urdu_genre_app.paths.feature_cache_dir`); None disables it.
    vgg_weights : str or None
        Local VGG-16 "no top" weights file for the transfer model.
    window_policy : WindowPolicy or None
        Inference windowing stored in the bundle (default: :meth:`WindowPolicy.for_features`).
    trained_on : str
        ``"user"`` for real songs, ``"synthetic"`` for the project's corpus.
    name, description : str
        Shown to users of the bundle.
    command : str
        The command line that started the run (provenance).
    init_from : str or pathlib.Path or None
        Fine-tune this bundle's Keras model instead of training a new one
        (:mod:`training.finetune`: its labels, features and normalisation).
    freeze : str
        With ``init_from``: what stays fixed (:data:`training.finetune.FREEZE_CHOICES`).
    musicnn_patches : int or None
        3 s patches a musicnn window pools (:func:`training.musicnn.genre_model.patch_slots`);
        None for the family's default. Its bundle records it.
    musicnn_unfreeze_last_block : bool
        After fitting musicnn's head on the frozen embeddings, fine-tune the
        whole window model with the backbone's last block trainable
        (:mod:`training.musicnn.family`).
    small_folder_songs : int
        With a song split, a folder whose smallest genre has fewer songs is
        trained on every song and cross-validated (:data:`SMALL_FOLDER_SONGS`;
        0 never, a large number always).
    """

    dataset: str | os.PathLike
    out: str | os.PathLike | None = None
    models: tuple[str, ...] = (AUTO_FAMILY,)
    feature_params: FeatureParams = field(default_factory=FeatureParams)
    extraction: ExtractionConfig = field(default_factory=ExtractionConfig)
    fit: FitConfig = field(default_factory=FitConfig)
    split: str = SPLIT_SONG
    fractions: tuple[float, float, float] = DEFAULT_FRACTIONS
    seed: int = 0
    workers: int | None = None
    cache_dir: str | os.PathLike | None = field(default_factory=feature_cache_dir)
    vgg_weights: str | None = None
    window_policy: WindowPolicy | None = None
    trained_on: str = "user"
    name: str = ""
    description: str = ""
    command: str = ""
    init_from: str | os.PathLike | None = None
    freeze: str = DEFAULT_FREEZE
    musicnn_patches: int | None = None
    musicnn_unfreeze_last_block: bool = False
    small_folder_songs: int = SMALL_FOLDER_SONGS

    def validate(self) -> None:
        """Refuse options that cannot work, before any work is done.

        Raises
        ------
        TrainingConfigError
            Unknown model or split, or nothing to train.
        ExportNotSupportedError
            ``out`` is set but no chosen model can be exported.
        """
        if tuple(self.models) == (AUTO_FAMILY,):  # resolved once the folder is scanned, then checked again
            named: tuple[str, ...] = ()
        else:
            named = tuple(self.models)
            unknown = [m for m in named if m not in REGISTRY]
            if unknown or not named:
                raise TrainingConfigError(
                    f"unknown model {', '.join(unknown) or '(none)'}; choose from {', '.join(REGISTRY.names())}, "
                    f"{AUTO_FAMILY} (the folder decides, alone) or all"
                )
        for name in named:
            REGISTRY.get(name).validate(self)
        if self.split not in SPLIT_MODES:
            raise TrainingConfigError(f"unknown split {self.split!r}; choose one of {', '.join(SPLIT_MODES)}")
        exportable = REGISTRY.exportable_names()
        if self.out is not None and named and not any(m in exportable for m in named):
            raise ExportNotSupportedError(
                f"{', '.join(self.models)} cannot be written as a model bundle (a bundle holds a Keras/LiteRT "
                f"network); train it without --out to evaluate it, or choose {_either(exportable)}"
            )


def resolve_models(config: TrainingConfig, scan: DatasetScan) -> tuple[TrainingConfig, FamilyChoice | None]:
    """``config`` with the family its folder gets when the user named none (``models == (AUTO_FAMILY,)``).

    The rule is :func:`training.families.default_family_for`, asked with the
    scan's smallest genre and the small-folder limit this run applies (none
    with the paper's window split, which never trains on every song).

    Parameters
    ----------
    config : TrainingConfig
    scan : DatasetScan
        ``config.dataset`` scanned.

    Returns
    -------
    config : TrainingConfig
        Unchanged when it names its families; else with ``models`` the chosen one, validated.
    choice : FamilyChoice or None
        What was chosen and why (None when the user chose).

    Raises
    ------
    TrainingConfigError
        The chosen family refuses the run's options.
    """
    if tuple(config.models) != (AUTO_FAMILY,):
        return config, None
    limit = config.small_folder_songs if config.split == SPLIT_SONG else 0
    choice = default_family_for(scan.smallest_genre_songs(), limit)
    config = dataclasses.replace(config, models=(choice.name,))
    config.validate()
    return config, choice


def _either(names: tuple[str, ...]) -> str:
    """``"a, b or c"``."""
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0]


@dataclass(frozen=True)
class CrossValidation:
    """A small folder's accuracy estimate: every song scored once by a model trained without it.

    Attributes
    ----------
    folds : int
        Folds (songs of each genre dealt round-robin; :func:`training.split.assign_folds`).
    songs, correct : int
        Songs scored (all of them) and songs right (mean vote of their windows).
    interval : tuple of float
        95 % Wilson interval of the song accuracy (:func:`training.evaluate.wilson_interval`).
    """

    folds: int
    songs: int
    correct: int
    interval: tuple[float, float]

    @property
    def accuracy(self) -> float:
        """Song accuracy in [0, 1]."""
        return self.correct / self.songs if self.songs else 0.0

    @property
    def method(self) -> str:
        """How it was measured, in words (stored with it in the bundle)."""
        return f"{self.folds}-fold cross-validation by song"

    def describe(self) -> str:
        """One line for logs and the command line."""
        low, high = self.interval
        return (f"{self.method}: {self.correct} of {self.songs} songs right ({self.accuracy:.0%}); "
                f"95 % sure the accuracy on songs like these is {low:.0%}-{high:.0%}")

    def to_metrics(self) -> dict[str, Any]:
        """A bundle's ``metrics["measured_accuracy"]``."""
        return {**measured_accuracy(self.correct, self.songs, self.method), "folds": self.folds}


@dataclass
class ModelResult:
    """One trained model and its scores.

    Attributes
    ----------
    name : str
        Family (``"bn_cnn"``, ...).
    title : str
        Table III name.
    test : Evaluation
        On the test split.
    validation : Evaluation
        On the validation split (used to choose what to export).
    fit : FitResult or None
        Keras models' fitting history.
    seconds : float
        Training wall time.
    model : object
        The trained model (keras.Model or XGBoostWindowClassifier).
    exportable : bool
        Whether it can be written as a bundle.
    features : PreparedFeatures or None
        The features it was trained on (its family's; the report's when None).
    cross_validation : CrossValidation or None
        A small folder's estimate (``test`` and ``validation`` are then its pooled out-of-fold scores).
    """

    name: str
    title: str
    test: Evaluation
    validation: Evaluation
    fit: FitResult | None
    seconds: float
    model: Any = None
    exportable: bool = True
    features: "PreparedFeatures | None" = None
    cross_validation: CrossValidation | None = None


@dataclass
class TrainingReport:
    """What :func:`run_training` did.

    Attributes
    ----------
    config : TrainingConfig
    scan : DatasetScan
    extraction : ExtractionStats
    split : Split
    results : list of ModelResult
        In the order trained.
    exported : str or None
        Family of the exported model.
    bundle : ModelBundle or None
        The written bundle.
    cancelled : bool
        The observer cancelled during fitting (best-so-far kept).
    stage_seconds : dict
        Wall time of each stage.
    feature_mean, feature_std : numpy.ndarray, shape (n_mfcc,)
        Standardisation (training windows; the bundle's when fine-tuning).
    warm_start : training.finetune.WarmStart or None
        What a fine-tune started from (``config.init_from``).
    """

    config: TrainingConfig
    scan: DatasetScan
    extraction: ExtractionStats
    split: Split
    results: list[ModelResult] = field(default_factory=list)
    exported: str | None = None
    bundle: ModelBundle | None = None
    cancelled: bool = False
    stage_seconds: dict[str, float] = field(default_factory=dict)
    feature_mean: np.ndarray | None = None
    feature_std: np.ndarray | None = None
    warm_start: Any = None

    @property
    def skipped_files(self) -> list:
        """Every file the run left out, with the reason: unreadable at the scan, or failed at extraction.

        Returns
        -------
        list of training.dataset.SkippedFile
            Scan skips first, then extraction failures, each file once.
        """
        return [*self.scan.skipped, *self.extraction.failed]

    def comparison_text(self) -> str:
        """Table III-style comparison of the trained models (test split)."""
        rows = [(r.title, r.test, r.seconds) for r in self.results]
        text = format_comparison(rows, split_mode=self.split.mode)
        leaked = self.split.leaked_songs().size
        if leaked:
            text += (
                f"\nnote: {leaked} held-out songs also have windows in training (the paper's leaky split); "
                "these scores are optimistic"
            )
        if self.warm_start is not None:
            text += f"\nnote: {self.warm_start.describe()}"
        for result in self.results:
            if result.cross_validation is not None:
                text += (f"\n{result.title}: a small folder, so every song trained the final model; the scores "
                         f"above are its {result.cross_validation.describe()}")
        return text

    @property
    def cross_validation(self) -> CrossValidation | None:
        """The small-folder estimate of the exported model (else of the first one trained), if any."""
        chosen = [r for r in self.results if r.name == self.exported] or self.results[:1]
        return chosen[0].cross_validation if chosen else None


def cancel_check(observer: TrainingObserver, stage: str):
    """``on_progress(done, total)`` that reports ``stage`` and raises CancelledError once the observer cancels."""

    def on_progress(done: int, total: int) -> None:
        report_stage(observer, stage, done, total)
        if observer.is_cancelled():
            raise CancelledError(f"training cancelled during {stage}")

    return on_progress


def standardisation(features: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-coefficient mean and standard deviation over the given windows and all their frames.

    Parameters
    ----------
    features : numpy.ndarray, shape (n, frames, n_mfcc), float32
    rows : numpy.ndarray, int
        Windows to measure (the clean training windows).

    Returns
    -------
    mean, std : numpy.ndarray, shape (n_mfcc,), float32
        ``std`` is at least :data:`MIN_FEATURE_STD`.
    """
    total = np.zeros(features.shape[2])
    total_sq = np.zeros(features.shape[2])
    for row in rows:  # row by row: no float64 copy of the whole set
        window = features[row].astype(np.float64)
        total += window.sum(axis=0)
        total_sq += np.square(window).sum(axis=0)
    count = max(1, rows.size * features.shape[1])
    mean = total / count
    std = np.sqrt(np.maximum(total_sq / count - mean**2, 0.0))
    return mean.astype(np.float32), np.maximum(std, MIN_FEATURE_STD).astype(np.float32)


class _FoldObserver:
    """The run's observer for a cross-validation fold: progress, log lines and cancel, but no epoch events.

    The epoch chart a view draws is the final model's; folds restarting at epoch 1 would scramble it.
    """

    def __init__(self, observer: TrainingObserver) -> None:
        self.observer = observer

    def on_event(self, event) -> None:
        if not isinstance(event, EpochEnded):
            self.observer.on_event(event)

    def is_cancelled(self) -> bool:
        return bool(self.observer.is_cancelled())

    def is_aborted(self) -> bool:
        return bool(self.observer.is_aborted())


def all_songs_split(windows, *, seed: int) -> Split:
    """A small folder's split: every window trains; a few clean ones stand in for validation; nothing is tested.

    The validation rows (:func:`training.finetune.self_validation_rows`) are
    training windows, so ``validation_songs`` is empty: no song is held out.
    """
    train = np.arange(len(windows), dtype=np.int64)
    validation = self_validation_rows(train, windows.copy == 0, len(windows), seed)
    empty = np.zeros(0, np.int64)
    return Split(mode=SPLIT_ALL_SONGS, train=train, validation=validation, test=empty,
                 train_songs=np.unique(windows.song), validation_songs=empty, test_songs=empty)


def _smallest_genre(windows) -> tuple[str, int]:
    """The genre with the fewest songs (among those with any) and its song count."""
    counts = np.bincount(windows.song_labels, minlength=len(windows.labels))
    present = np.flatnonzero(counts)
    index = int(present[np.argmin(counts[present])])
    return windows.labels[index], int(counts[index])


def cross_validate(family: ModelFamily, config: TrainingConfig, prepared: PreparedFeatures,
                   observer: TrainingObserver, warm=None) -> tuple[CrossValidation, Evaluation]:
    """Estimate how well ``family`` trained on every song of a small folder does, by k-fold cross-validation by song.

    Parameters
    ----------
    family : ModelFamily
    config : TrainingConfig
    prepared : PreparedFeatures
        Its features, with :func:`all_songs_split` (the folds are cut here).
    observer : TrainingObserver
        Progress and log lines of the folds (their epochs are not reported).
    warm : training.finetune.WarmStart, optional
        Every fold fine-tunes a fresh copy of this bundle's model.

    Returns
    -------
    CrossValidation
    Evaluation
        Every clean window scored by the fold model that did not train on its song.

    Raises
    ------
    CancelledError
        The observer cancelled during a fold.
    """
    windows = prepared.windows
    _genre, smallest = _smallest_genre(windows)
    n_folds = int(min(MAX_FOLDS, max(2, smallest)))
    fold_of = assign_folds(windows.song_labels, n_folds, seed=config.seed)[windows.song]
    clean = windows.copy == 0
    probabilities = np.zeros((len(windows), len(windows.labels)), np.float32)
    quiet = _FoldObserver(observer)
    for fold in range(n_folds):
        held = np.flatnonzero((fold_of == fold) & clean)
        train = np.flatnonzero(fold_of != fold)
        fold_split = Split(
            mode=SPLIT_SONG, train=train, validation=self_validation_rows(train, clean, len(windows), config.seed),
            test=held, train_songs=np.unique(windows.song[train]), validation_songs=np.zeros(0, np.int64),
            test_songs=np.unique(windows.song[held]),
        )
        report_log(observer, f"{family.name}: fold {fold + 1}/{n_folds} of the accuracy estimate: training on "
                             f"{fold_split.train_songs.size} songs, scoring {fold_split.test_songs.size}")
        fold_prepared = dataclasses.replace(prepared, split=fold_split)  # same windows, same cache
        model, _fit = family.train(config, fold_prepared, quiet, warm)
        if observer.is_cancelled():
            raise CancelledError("training cancelled while estimating its accuracy (cross-validation)")
        probabilities[held] = family.predict(model, fold_prepared, held)
    scored = np.flatnonzero(clean)
    evaluation = evaluate_probabilities(probabilities[scored], y_true=windows.label[scored],
                                        songs=windows.song[scored], labels=windows.labels)
    correct = int(round(evaluation.song_accuracy * evaluation.n_songs))
    estimate = CrossValidation(folds=n_folds, songs=evaluation.n_songs, correct=correct,
                               interval=wilson_interval(correct, evaluation.n_songs))
    low, high = estimate.interval
    observer.on_event(AccuracyEstimate(model=family.name, folds=n_folds, songs=estimate.songs, correct=correct,
                                       low=low, high=high))
    report_log(observer, f"{family.name}: {estimate.describe()}")
    return estimate, evaluation


def _train_one(family: ModelFamily, config: TrainingConfig, prepared: PreparedFeatures, observer: TrainingObserver,
               warm=None) -> tuple[Any, FitResult | None, float]:
    started = time.perf_counter()
    model, result = family.train(config, prepared, observer, warm)
    return model, result, time.perf_counter() - started


def run_training(config: TrainingConfig, observer: TrainingObserver | None = None, *,
                 scan: DatasetScan | None = None) -> TrainingReport:
    """Run scan -> extract -> split -> fit -> evaluate -> export (see the module docstring).

    Parameters
    ----------
    config : TrainingConfig
        What to train and where to write it.
    observer : TrainingObserver, optional
        Stage progress, epoch metrics, log lines and cancel.
    scan : DatasetScan, optional
        ``config.dataset`` already probed (the Training tab probes it when it is chosen): used instead of
        probing every song again. A scan of another folder is ignored.

    Returns
    -------
    TrainingReport

    Raises
    ------
    DatasetError
        The dataset cannot be used (no folder, < 2 genres, a genre with < 3 songs).
    TrainingConfigError, ExportNotSupportedError
        Bad options (checked before any work).
    CancelledError
        Cancelled before any model finished an epoch.
    """
    observer = observer or NullObserver()
    config.validate()
    extraction = dataclasses.replace(config.extraction, seed=config.seed)
    fit = dataclasses.replace(config.fit, seed=config.seed)
    config = dataclasses.replace(config, extraction=extraction, fit=fit)
    seconds: dict[str, float] = {}

    started = time.perf_counter()
    if scan is None or Path(scan.source).resolve() != Path(config.dataset).resolve():
        scan = scan_dataset(config.dataset, on_progress=cancel_check(observer, "scan"))
    seconds["scan"] = time.perf_counter() - started
    warm = None
    if config.init_from is not None:
        from training.finetune import begin_pipeline_warm_start

        config, scan, warm = begin_pipeline_warm_start(config, scan, observer,
                                                       family_named=tuple(config.models) != (AUTO_FAMILY,))
        REGISTRY.for_bundle(warm.bundle)  # a family this app can train (TrainingConfigError otherwise)
    report_log(observer, f"dataset: {len(scan.songs)} songs in {len(scan.labels)} genres ({', '.join(scan.labels)})")
    config, choice = resolve_models(config, scan)  # no family named: the folder's size decides
    if choice is not None:
        report_log(observer, choice.describe())
    for skipped in scan.skipped:
        report_log(observer, f"skipped {skipped.path}: {skipped.reason}")

    prepared_by_kind: dict[tuple[FeatureParams, bool], PreparedFeatures] = {}

    def prepare(family: ModelFamily) -> PreparedFeatures:
        """Extract, split and standardise the songs' windows as ``family`` reads them (once per kind)."""
        params = family.feature_params(config.feature_params)
        kind = (params, family.standardise_features)
        if kind in prepared_by_kind:
            return prepared_by_kind[kind]
        started = time.perf_counter()
        windows = extract_windows(
            scan.songs, labels=scan.labels, params=params, config=config.extraction,
            workers=config.workers, cache_dir=config.cache_dir, on_progress=cancel_check(observer, "extract"),
            is_cancelled=observer.is_cancelled,
        )
        seconds["extract"] = seconds.get("extract", 0.0) + time.perf_counter() - started
        stats = windows.stats
        report_log(
            observer,
            f"features ({params.feature}): {stats.windows} windows from {len(windows.songs)} songs "
            f"({stats.extracted} extracted, {stats.cached} from the cache, {len(stats.failed)} failed)"
        )
        for failed in stats.failed:
            report_log(observer, f"left out {failed.path}: {failed.reason}")

        report_stage(observer, "split", 0, 1)
        genre, smallest = _smallest_genre(windows) if len(windows) else ("", 0)
        if config.split == SPLIT_SONG and 0 < smallest < config.small_folder_songs:
            if smallest < 2:
                raise DatasetError(f"genre {genre!r} has only 1 song; training needs at least 2 a genre "
                                   "(one to learn from while another measures the model)")
            split = all_songs_split(windows, seed=config.seed)
            report_log(observer, f"a small folder ({smallest} songs in {genre}, under {config.small_folder_songs}): "
                                 "every song trains the final model, and cross-validation by song estimates its "
                                 "accuracy first")
        else:
            split = split_windows(windows, mode=config.split, fractions=config.fractions, seed=config.seed)
        report_stage(observer, "split", 1, 1)
        sizes = split.sizes()
        report_log(
            observer,
            f"split ({split.mode}): "
            + ", ".join(f"{side} {v['songs']} songs / {v['windows']} windows" for side, v in sizes.items())
        )
        if not family.standardise_features:
            # The family's network normalises its own input (musicnn's backbone starts with a BatchNorm).
            mean = np.zeros(params.n_features, np.float32)
            std = np.ones(params.n_features, np.float32)
        else:
            # Standardise in place with training statistics (clean windows): no second copy of the set.
            # A fine-tune keeps the bundle's standardisation: its model was trained on it.
            clean_train = split.train[windows.copy[split.train] == 0]
            mean, std = (warm.bundle.feature_mean, warm.bundle.feature_std) if warm else standardisation(
                windows.features, clean_train)
            windows.features -= mean
            windows.features /= std
        prepared_by_kind[kind] = PreparedFeatures(params, windows, split, mean, std)
        return prepared_by_kind[kind]

    def other_windows(prepared: PreparedFeatures) -> tuple[np.ndarray, np.ndarray]:
        """Clean windows of the same songs drawn afresh (``seed + 1``), standardised as ``prepared``'s."""
        other = extract_windows(
            scan.songs, labels=scan.labels, params=prepared.params,
            config=dataclasses.replace(config.extraction, seed=config.seed + 1), workers=config.workers,
            cache_dir=config.cache_dir, is_cancelled=observer.is_aborted,  # a cancelled run still exports
        )
        clean = other.copy == 0
        return (other.features[clean] - prepared.mean) / prepared.std, other.label[clean]

    first = prepare(REGISTRY.get(config.models[0]))
    stats, split = first.windows.stats, first.split
    report = TrainingReport(
        config=config, scan=scan, extraction=stats, split=split, stage_seconds=seconds,
        feature_mean=first.mean, feature_std=first.std, warm_start=warm,
    )

    seconds["fit"] = 0.0
    for index, name in enumerate(config.models):
        if report.cancelled:
            report_log(observer, f"cancelled: {name} not trained")
            continue
        report_log(observer, f"training {name} ({index + 1}/{len(config.models)})")
        family = REGISTRY.get(name)
        prepared = prepare(family)
        windows, split = prepared.windows, prepared.split
        try:
            estimate = evaluation = None
            if split.mode == SPLIT_ALL_SONGS:
                estimate, evaluation = cross_validate(family, config, prepared, observer, warm)
                report_log(observer, f"training {name} on all {split.train_songs.size} songs")
            model, fit_result, fit_seconds = _train_one(family, config, prepared, observer, warm)
        except CancelledError:
            if not report.results:
                raise
            report.cancelled = True
            report_log(observer, f"cancelled before {name} finished an epoch; it is left out")
            continue
        seconds["fit"] += fit_seconds
        report.cancelled = report.cancelled or bool(fit_result and fit_result.cancelled)
        report_stage(observer, "evaluate", index, len(config.models))
        y, song = windows.label, windows.song
        if evaluation is not None:  # a small folder: the out-of-fold scores stand for test and validation
            test = validation = evaluation
        else:
            test = evaluate_probabilities(
                family.predict(model, prepared, split.test), y_true=y[split.test], songs=song[split.test],
                labels=windows.labels,
            )
            validation = evaluate_probabilities(
                family.predict(model, prepared, split.validation), y_true=y[split.validation],
                songs=song[split.validation], labels=windows.labels,
            )
        report.results.append(
            ModelResult(
                name=name, title=family.title, test=test, validation=validation, fit=fit_result,
                seconds=fit_seconds, model=model, exportable=family.exportable, features=prepared,
                cross_validation=estimate,
            )
        )
        report_stage(observer, "evaluate", index + 1, len(config.models))
        report_log(
            observer,
            f"{name}: test song accuracy {test.song_accuracy:.1%}, window accuracy {test.window_accuracy:.1%} "
            f"({fit_seconds:.0f} s)"
        )

    if config.out is not None:
        candidates = [r for r in report.results if r.exportable]
        if candidates:
            chosen = max(candidates, key=lambda r: (r.validation.song_accuracy, r.validation.window_accuracy,
                                                   -r.validation.window_loss))
            started = time.perf_counter()
            report_stage(observer, "export", 0, 1)
            from training.calibrate import REFITTED, describe_novelty_report

            own = chosen.features or first
            windows, split = own.windows, own.split
            clean_train = split.train[windows.copy[split.train] == 0]
            family = REGISTRY.get(chosen.name)
            fitted_on = ""
            if family.novelty_unavailable:
                validation = (windows.features[:0], windows.label[:0])
            elif split.mode == SPLIT_ALL_SONGS:
                # Every song trained the model: other windows of the same songs set the check's threshold.
                validation = other_windows(own)
                fitted_on = "other windows of the songs it trained on (a small folder: none held out)"
            else:
                validation = (windows.features[split.validation], windows.label[split.validation])
            novelty, novelty_report = family.novelty_check(
                chosen.model, params=own.params, n_classes=len(windows.labels),
                train=(windows.features[clean_train], windows.label[clean_train]), validation=validation,
                fitted_on=fitted_on,
            )
            if novelty is not None and report.warm_start is not None:  # --init-from: the fine-tune's own check
                novelty_report[REFITTED] = True
            report_log(observer, describe_novelty_report(novelty_report))
            report.bundle = export_result(chosen, report, path=Path(config.out), novelty=novelty,
                                          novelty_report=novelty_report)
            report.exported = chosen.name
            report_stage(observer, "export", 1, 1)
            seconds["export"] = time.perf_counter() - started
            report_log(observer, f"wrote {config.out} ({chosen.name})")
    return report


def provenance_for(result: ModelResult, report: TrainingReport) -> dict[str, Any]:
    """Provenance stored in the bundle: data, seed, command, recipe, when and by which app version."""
    config = report.config
    fit = result.fit
    return {
        "trained_on": config.trained_on,
        "name": config.name or f"{result.title} ({config.trained_on} data)",
        "description": config.description
        or f"{result.title} trained on {len(report.scan.songs)} {config.trained_on} songs",
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "app_version": __version__,
        "seed": config.seed,
        "command": config.command,
        "dataset": report.scan.summary(),
        "split": config.split,
        "extraction": config.extraction.to_dict(),
        "fit": config.fit.to_dict(),
        "epochs_run": len(fit.history) if fit else 0,
        "best_epoch": fit.best_epoch if fit else 0,
        "training_seconds": round(result.seconds, 1),
        "cancelled": bool(fit and fit.cancelled),
        **(_warm_provenance(report) if report.warm_start is not None else {}),
    }


def _warm_provenance(report: TrainingReport) -> dict[str, Any]:
    from training.finetune import bundle_provenance

    return bundle_provenance(report.warm_start, report.config.freeze)


def metrics_for(result: ModelResult, report: TrainingReport) -> dict[str, Any]:
    """Metrics stored in the bundle: test scores, validation accuracy, split sizes."""
    metrics = result.test.to_metrics()
    metrics.update(
        {
            "split": report.split.mode,
            "split_sizes": report.split.sizes(),
            "leaked_songs": int(report.split.leaked_songs().size),
            "validation_song_accuracy": round(result.validation.song_accuracy, 6),
            "validation_window_accuracy": round(result.validation.window_accuracy, 6),
        }
    )
    if result.cross_validation is not None:
        metrics[MEASURED_ACCURACY] = result.cross_validation.to_metrics()
    return metrics


def export_result(result: ModelResult, report: TrainingReport, *, path: Path, novelty=None,
                  novelty_report: dict[str, Any] | None = None) -> ModelBundle:
    """Write one trained Keras model of a report as a bundle (with its novelty check, when fitted).

    Raises
    ------
    ExportNotSupportedError
        The model is not a Keras model (XGBoost).
    """
    if not result.exportable:
        raise ExportNotSupportedError(f"{result.name} cannot be written as a model bundle (evaluation only)")
    from training.export import export_bundle

    family = REGISTRY.get(result.name)
    own = result.features
    params = own.params if own else family.feature_params(report.config.feature_params)
    policy = report.config.window_policy or family.window_policy(params)
    return export_bundle(
        result.model,
        path,
        labels=list(report.scan.labels),
        feature_params=params,
        feature_mean=own.mean if own else report.feature_mean,
        feature_std=own.std if own else report.feature_std,
        window_policy=policy,
        architecture=result.name,
        architecture_options=family.runtime_options(result.model),
        provenance=provenance_for(result, report),
        metrics={**metrics_for(result, report), **({"novelty": novelty_report} if novelty_report else {})},
        novelty=novelty,
    )
