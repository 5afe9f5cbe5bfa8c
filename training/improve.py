"""Improve a model with the user's corrections: fine-tune, measure before and after, write a new bundle.

This is the Python API behind the GUI's "Improve the model with my corrections"::

    from training.improve import improve_model

    result = improve_model(
        [("songs/a.mp3", "Ghazal"), ("songs/b.mp3", "Rock"), ...],   # or a path,genre manifest CSV
        bundle="current.ugm", out="improved.ugm",
        observer=observer,                  # training.observer protocol: progress, log, cancel
    )
    result.before_accuracy, result.after_accuracy, result.folds, result.new_genres, result.bundle_path

How the figures are measured: the confirmed songs are split into ``k``
stratified folds (:func:`choose_folds`: every song is held out exactly once
when there are few songs). For each fold the current bundle is fine-tuned on
the other folds' songs and scored on the held-out ones; the *before* score is
the current bundle on the same held-out songs. Both are song accuracies (mean
vote of the song's windows, :mod:`training.evaluate`), pooled over folds.
Songs of a genre the current bundle lacks count as wrong *before*. Then the
bundle is fine-tuned once more on every confirmed song, and that model is
written to ``out`` (atomically: a reader sees the old file or the new one).

Fine-tuning follows :mod:`training.finetune` (the bundle's labels, features
and normalisation; new genres get a new head) with its tiny-set recipe; a
musicnn bundle's windows are embedded by its frozen backbone once and only its
head is fine-tuned (the ``embed`` stage; ``freeze`` does not apply).
Windows come from the feature pipeline (:mod:`training.extract`, cached).

Progress goes through the observer's typed events (:mod:`training.observer`):
stage progress (``scan``, ``extract``, ``evaluate`` counting folds, ``fit`` per
fine-tune, ``export``), ended epochs and log lines. Cancelling stops the current fine-tune after its batch and
raises :class:`~urdu_genre_app.core.errors.CancelledError`; nothing is
written, the current bundle is untouched.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from urdu_genre_app import __version__
from urdu_genre_app.core.bundle import MEASURED_ACCURACY, ModelBundle
from urdu_genre_app.core.errors import CancelledError
from training.calibrate import REFITTED
from training.dataset import DatasetScan, scan_dataset, scan_pairs
from training.errors import DatasetError
from training.evaluate import measured_accuracy, song_votes
from training.extract import ExtractionConfig, extract_windows
from training.families import REGISTRY
from training.finetune import (
    DEFAULT_FREEZE, TINY_SET_FIT, WarmStart, bundle_provenance, finetune_windows, load_warm_start_bundle,
    warm_start_model, warm_start_scan,
)
from training.fit import FitConfig
from training.split import assign_folds, choose_folds
from training.observer import NullObserver, TrainingObserver, report_log, report_stage

log = logging.getLogger(__name__)

#: Random windows drawn from each confirmed song (training and scoring).
DEFAULT_WINDOWS_PER_SONG = 5


@dataclass(frozen=True)
class FoldScore:
    """One fold of the cross-validation.

    The fold fine-tunes a fresh copy of the current bundle on the other
    folds' songs and scores its own held-out songs with both models, so
    ``before_correct`` and ``after_correct`` count the same songs.

    Attributes
    ----------
    fold : int
        1-based.
    held_out : int
        Songs scored in this fold (none of them trained on).
    trained_on : int
        Songs the fold's fine-tune saw.
    before_correct, after_correct : int
        Held-out songs the current bundle / the fold's fine-tuned model got right.
    seconds : float
        Wall time of the fold's fine-tune.
    """

    fold: int
    held_out: int
    trained_on: int
    before_correct: int
    after_correct: int
    seconds: float

    @property
    def before_accuracy(self) -> float:
        """Song accuracy of the current bundle on this fold, in [0, 1]."""
        return self.before_correct / self.held_out if self.held_out else 0.0

    @property
    def after_accuracy(self) -> float:
        """Song accuracy of the fold's fine-tuned model, in [0, 1]."""
        return self.after_correct / self.held_out if self.held_out else 0.0


@dataclass
class ImproveResult:
    """What :func:`improve_model` did.

    Attributes
    ----------
    before_accuracy, after_accuracy : float
        Song accuracy on held-out confirmed songs, pooled over folds, in [0, 1].
    folds : list of FoldScore
        Per-fold figures.
    n_folds : int
        Folds used (1: a single stratified hold-out of 20 %).
    songs : int
        Confirmed songs used (unreadable ones are left out: ``skipped``).
    labels : list of str
        The new model's genres, in output order.
    new_genres : list of str
        Genres the current bundle did not know (learned by a new head).
    bundle_path : pathlib.Path
        The new bundle.
    bundle : ModelBundle
        What was written.
    skipped : list of str
        ``"path: reason"`` of each confirmed song that could not be used.
    seconds : float
        Wall time of the whole call.
    novelty : (NoveltyCalibration or None, dict)
        The new model's refitted not-a-genre check and its report (``{"unavailable": reason}``
        for a family without one).
    """

    before_accuracy: float
    after_accuracy: float
    folds: list[FoldScore]
    n_folds: int
    songs: int
    labels: list[str]
    new_genres: list[str]
    bundle_path: Path
    bundle: ModelBundle
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    novelty: tuple[Any, dict[str, Any]] = field(default_factory=lambda: (None, {}))

    @property
    def has_novelty_check(self) -> bool:
        """True when the new model carries a refitted not-a-genre check."""
        return self.novelty[0] is not None

    def method(self) -> str:
        """How :attr:`after_accuracy` was measured, in words (stored with it in the bundle)."""
        if self.n_folds > 1:
            return f"{self.n_folds}-fold cross-validation of the fine-tune"
        return "a hold-out of the fine-tune's confirmed songs"

    @property
    def held_out_songs(self) -> int:
        """Songs the before/after figures are measured on."""
        return sum(f.held_out for f in self.folds)

    def describe(self) -> str:
        """A short paragraph for the user."""
        how = (f"{self.n_folds}-fold cross-validation (each song held out once)" if self.n_folds > 1
               else f"a hold-out of {self.held_out_songs} songs")
        text = (f"On {self.held_out_songs} of your confirmed songs not used to train the model scoring them "
                f"({how}): before {self.before_accuracy:.0%}, after {self.after_accuracy:.0%}.")
        if self.new_genres:
            text += f" New genres {', '.join(self.new_genres)} were learned by a new output layer."
        report = self.novelty[1]
        if self.has_novelty_check:
            text += " The not-a-genre check was refitted to the new model"
            # A family whose check has parts it keeps as they were says which (musicnn_tags: the structure check).
            text += f" (its structure check: {report['structure_check']})." if report.get("structure_check") else "."
        elif report.get("unavailable"):
            text += f" The new model has no not-a-genre check ({report['unavailable']})."
        return text

    def to_metrics(self) -> dict[str, Any]:
        """JSON-ready figures (stored in the new bundle's metrics)."""
        return {
            "before_accuracy": round(self.before_accuracy, 6),
            "after_accuracy": round(self.after_accuracy, 6),
            "folds": self.n_folds,
            "held_out_songs": self.held_out_songs,
            "per_fold": [dataclasses.asdict(f) for f in self.folds],
        }


def _scan(songs, on_progress) -> DatasetScan:
    if isinstance(songs, (str, os.PathLike)):
        return scan_dataset(songs, on_progress=on_progress)
    return scan_pairs(list(songs), source="<confirmed songs>", on_progress=on_progress)


def song_predictions(model, features: np.ndarray, rows: np.ndarray, song: np.ndarray) -> dict[int, int]:
    """Predicted label (mean vote) of every song whose windows are ``rows``."""
    if rows.size == 0:
        return {}
    probabilities = np.asarray(model.predict(features[rows][..., np.newaxis], batch_size=64, verbose=0))
    ids, mean_vote, _ = song_votes(probabilities, song[rows])
    return {int(s): int(v) for s, v in zip(ids, mean_vote)}


class _Relay:
    """Passes events on to the caller's observer; remembers a cancel."""

    def __init__(self, observer: TrainingObserver) -> None:
        self.observer = observer
        self.cancelled = False

    def on_event(self, event) -> None:
        self.observer.on_event(event)

    def is_cancelled(self) -> bool:
        self.cancelled = self.cancelled or bool(self.observer.is_cancelled())
        return self.cancelled

    def is_aborted(self) -> bool:
        return bool(self.observer.is_aborted())

    def stage(self, name: str, done: int, total: int) -> None:
        report_stage(self, name, done, total)

    def log(self, message: str) -> None:
        report_log(self, message)


class WindowModelTuner:
    """Fine-tunes a whole window model (BN-CNN and the other MFCC families) on the windows themselves.

    The default :meth:`training.families.ModelFamily.finetuner`; a family that
    fine-tunes otherwise (musicnn's head on cached embeddings) gives an object
    with the same methods.
    """

    #: What the fine-tune keeps fixed whatever the user chose (None: the user's choice holds).
    freeze_note = None
    #: Refitting the not-a-genre check needs a second draw of validation windows (False: the training windows do).
    needs_validation_windows = True

    def __init__(self, family, warm: WarmStart, windows, relay: "_Relay", freeze: str) -> None:
        self.family, self.warm, self.windows, self.relay, self.freeze = family, warm, windows, relay, freeze

    def before_model(self, current: ModelBundle):
        """The current bundle's model, as :meth:`song_predictions` scores it."""
        from training.export import keras_model_from_bundle

        return keras_model_from_bundle(current)

    def fresh(self, seed: int):
        """A new warm-started model to fine-tune."""
        return warm_start_model(self.warm, freeze=self.freeze, seed=seed)

    def fit(self, model, train_rows: np.ndarray, clean: np.ndarray, fit: FitConfig):
        """Fine-tune ``model`` on the windows ``train_rows``."""
        return run_fit(self.relay, finetune_windows, model, self.windows.features, self.windows.label,
                       train_rows=train_rows, clean=clean, fit=fit)

    def song_predictions(self, model, rows: np.ndarray) -> dict[int, int]:
        """Predicted label of every song whose windows are ``rows``."""
        return song_predictions(model, self.windows.features, rows, self.windows.song)

    def window_model(self, model):
        """The model the bundle stores."""
        return model

    def novelty_check(self, model, train, validation, *, fitted_on: str):
        """The family's not-a-genre check of the final model (``train``, ``validation``: (windows, labels))."""
        return self.family.novelty_check(model, params=self.warm.bundle.feature_params, train=train,
                                         validation=validation, n_classes=len(self.warm.labels), fitted_on=fitted_on)


def improve_model(
    songs: Iterable[tuple[str | os.PathLike, str]] | str | os.PathLike,
    *,
    bundle: str | os.PathLike | ModelBundle,
    out: str | os.PathLike,
    observer: TrainingObserver | None = None,
    folds: int | None = None,
    freeze: str = DEFAULT_FREEZE,
    fit: FitConfig = TINY_SET_FIT,
    windows_per_song: int = DEFAULT_WINDOWS_PER_SONG,
    seed: int = 0,
    workers: int | None = None,
    cache_dir: str | os.PathLike | None = None,
) -> ImproveResult:
    """Fine-tune ``bundle`` on confirmed songs, score it before and after on held-out ones, write ``out``.

    Parameters
    ----------
    songs : iterable of (path, genre), or str or os.PathLike
        Confirmed songs, or a ``path,genre`` manifest CSV (or a genre-folder dataset).
    bundle : str or os.PathLike or ModelBundle
        The current model; it must store its Keras model.
    out : str or os.PathLike
        Where to write the improved bundle (written atomically; may equal the
        current bundle's path only if the caller wants it replaced).
    observer : TrainingObserver, optional
        Progress, epochs, log lines and cancel (:mod:`training.observer`).
    folds : int, optional
        Cross-validation folds (default :func:`choose_folds`; 1 = one hold-out).
    freeze : str
        What stays fixed (:data:`training.finetune.FREEZE_CHOICES`).
    fit : FitConfig
        The fine-tune recipe (default :data:`training.finetune.TINY_SET_FIT`).
    windows_per_song : int
        Random windows per song (with the usual intro skips).
    seed : int
        Seed of windows, folds and weights.
    workers : int, optional
        Extraction processes (default: CPU cores).
    cache_dir : str or os.PathLike, optional
        Feature cache folder (default: :func:`urdu_genre_app.paths.feature_cache_dir`).

    Returns
    -------
    ImproveResult

    Raises
    ------
    DatasetError
        No readable confirmed song, or too few to hold any out (fewer than two
        in every genre).
    ModelBundleError
        The current bundle cannot be read or stores no Keras model.
    CancelledError
        The observer cancelled; nothing was written.
    """
    from training.export import export_bundle
    from urdu_genre_app.paths import feature_cache_dir

    began = time.perf_counter()
    relay = _Relay(observer or NullObserver())
    current = bundle if isinstance(bundle, ModelBundle) else load_warm_start_bundle(bundle)
    if current.keras_model is None:
        current = load_warm_start_bundle(current.path)  # loaded without its Keras half: read it again
    scan = _scan(songs, on_progress=progress_hook(relay, "scan"))
    if not scan.songs:
        raise DatasetError("none of the confirmed songs can be read: " +
                           "; ".join(f"{s.path}: {s.reason}" for s in scan.skipped[:3]))
    scan, warm = warm_start_scan(scan, current)
    relay.log(warm.describe())
    cache = feature_cache_dir() if cache_dir is None else cache_dir
    windows = extract_windows(
        scan.songs, labels=warm.labels, params=current.feature_params,
        config=ExtractionConfig(windows_per_song=windows_per_song, seed=seed), workers=workers,
        cache_dir=cache,
        on_progress=progress_hook(relay, "extract"), is_cancelled=relay.is_cancelled,
    )
    if not windows.songs:
        raise DatasetError("none of the confirmed songs could be decoded")
    windows.features -= current.feature_mean
    windows.features /= current.feature_std
    song_labels = windows.song_labels
    n_folds = choose_folds(song_labels, folds)
    fold_of = assign_folds(song_labels, n_folds, seed=seed)
    if not np.any(fold_of >= 0) or (n_folds > 1 and np.unique(fold_of).size < 2):
        raise DatasetError(
            f"{len(windows.songs)} confirmed songs are too few to measure an improvement; "
            "confirm at least two songs of a genre"
        )
    fold_of_window = fold_of[windows.song]
    clean = windows.copy == 0
    family = REGISTRY.for_bundle(current)
    tuner = family.finetuner(warm, windows, relay, freeze) or WindowModelTuner(family, warm, windows, relay, freeze)
    freeze = tuner.freeze_note or freeze
    before_model = tuner.before_model(current)
    known = len(current.labels)

    fold_scores: list[FoldScore] = []
    for fold in range(n_folds):
        held = np.flatnonzero((fold_of_window == fold) & clean)
        train = np.flatnonzero((fold_of_window != fold))
        held_songs = np.unique(windows.song[held])
        relay.stage("evaluate", fold, n_folds)
        relay.log(f"fold {fold + 1}/{n_folds}: fine-tuning on {np.unique(windows.song[train]).size} songs, "
                     f"scoring {held_songs.size}")
        before = tuner.song_predictions(before_model, held)
        model = tuner.fresh(seed + fold)
        started = time.perf_counter()
        tuner.fit(model, train, clean, dataclasses.replace(fit, seed=seed + fold))
        seconds = time.perf_counter() - started
        after = tuner.song_predictions(model, held)
        truth = {int(s): int(song_labels[s]) for s in held_songs}
        fold_scores.append(FoldScore(
            fold=fold + 1, held_out=len(truth), trained_on=int(np.unique(windows.song[train]).size),
            before_correct=sum(truth[s] < known and before[s] == truth[s] for s in truth),
            after_correct=sum(after[s] == truth[s] for s in truth), seconds=round(seconds, 1),
        ))
        relay.log(f"fold {fold + 1}/{n_folds}: before {fold_scores[-1].before_accuracy:.0%}, "
                     f"after {fold_scores[-1].after_accuracy:.0%} ({seconds:.0f} s)")
    relay.stage("evaluate", n_folds, n_folds)

    relay.log(f"fine-tuning on all {len(windows.songs)} confirmed songs")
    model = tuner.fresh(seed)
    final_fit = tuner.fit(model, np.arange(len(windows)), clean, dataclasses.replace(fit, seed=seed))
    held_total = sum(f.held_out for f in fold_scores)
    result = ImproveResult(
        before_accuracy=sum(f.before_correct for f in fold_scores) / held_total,
        after_accuracy=sum(f.after_correct for f in fold_scores) / held_total,
        folds=fold_scores, n_folds=n_folds, songs=len(windows.songs), labels=list(warm.labels),
        new_genres=list(warm.new_labels), bundle_path=Path(out), bundle=None,  # type: ignore[arg-type]
        skipped=[f"{s.path}: {s.reason}" for s in [*scan.skipped, *windows.stats.failed]],
    )
    relay.stage("export", 0, 1)
    window_model = tuner.window_model(model)
    result.novelty = _refit_novelty(
        tuner, window_model, windows, clean, scan, warm, current, relay=relay, seed=seed,
        windows_per_song=windows_per_song, workers=workers, cache_dir=cache,
    )
    novelty, novelty_report = result.novelty
    if novelty is not None:
        novelty_report[REFITTED] = True
    from training.calibrate import describe_novelty_report

    relay.log(describe_novelty_report(novelty_report))
    after_correct = sum(f.after_correct for f in fold_scores)
    result.bundle = export_bundle(
        window_model, out, labels=warm.labels, feature_params=current.feature_params,
        feature_mean=current.feature_mean, feature_std=current.feature_std, window_policy=current.window_policy,
        architecture=current.architecture, architecture_options=tuner.family.runtime_options(window_model),
        provenance=_provenance(current, warm, scan, freeze, fit, seed, windows_per_song, final_fit),
        metrics={"improvement": result.to_metrics(),
                 MEASURED_ACCURACY: measured_accuracy(after_correct, held_total, result.method()),
                 "novelty": novelty_report},
        novelty=novelty,
    )
    relay.stage("export", 1, 1)
    result.seconds = time.perf_counter() - began
    relay.log(result.describe())
    return result


def _refit_novelty(tuner, model, windows, clean: np.ndarray, scan: DatasetScan, warm: WarmStart,
                   current: ModelBundle, *, relay: "_Relay", seed: int, windows_per_song: int, workers,
                   cache_dir) -> tuple[Any, dict[str, Any]]:
    """The fine-tuned model's own not-a-genre check (its family's :meth:`~training.families.ModelFamily.novelty_check`).

    Every confirmed song trained the final model, so no song is left to hold
    out: its class means and covariance come from the clean windows it was
    fine-tuned on, and its threshold, scale and temperature from other random
    windows of the same songs (a second draw, ``seed + 1``), which the report
    says. Returns ``(None, {"unavailable": reason})`` for a family without the check.
    """
    if tuner.family.novelty_unavailable:
        return None, {"unavailable": tuner.family.novelty_unavailable}
    relay.log("refitting the not-a-genre check to the fine-tuned model")
    if not tuner.needs_validation_windows:  # e.g. a head refitted on tagger outputs (musicnn_tags)
        empty = (windows.features[:0], windows.label[:0])
        return tuner.novelty_check(model, (windows.features[clean], windows.label[clean]), empty,
                                   fitted_on=f"the {len(windows.songs)} confirmed songs it was fine-tuned on")

    def cancel_only(_done: int, _total: int) -> None:
        _raise_if_cancelled(relay)

    other = extract_windows(
        scan.songs, labels=warm.labels, params=current.feature_params,
        config=ExtractionConfig(windows_per_song=windows_per_song, seed=seed + 1), workers=workers,
        cache_dir=cache_dir, on_progress=cancel_only, is_cancelled=relay.is_cancelled,
    )
    other.features -= current.feature_mean
    other.features /= current.feature_std
    other_clean = other.copy == 0
    return tuner.novelty_check(
        model, (windows.features[clean], windows.label[clean]), (other.features[other_clean], other.label[other_clean]),
        fitted_on=f"other windows of the {len(windows.songs)} confirmed songs it was fine-tuned on (none held out)",
    )


def progress_hook(relay: _Relay, stage: str):
    """``on_progress(done, total)`` that reports ``stage`` and raises when the run was cancelled."""
    def on_progress(done: int, total: int) -> None:
        relay.stage(stage, done, total)
        _raise_if_cancelled(relay)

    return on_progress


def run_fit(relay: _Relay, finetune, model, inputs, labels, **kwargs):
    """One fine-tune; a cancel (even one that kept a part-trained model) aborts the whole improvement."""
    try:
        result = finetune(model, inputs, labels, observer=relay, **kwargs)
    except CancelledError:
        relay.cancelled = True
    _raise_if_cancelled(relay)
    return result


def _raise_if_cancelled(relay: _Relay) -> None:
    if relay.is_cancelled():
        raise CancelledError("improving the model was cancelled; the current model is unchanged")


def _provenance(current: ModelBundle, warm: WarmStart, scan: DatasetScan, freeze: str, fit: FitConfig, seed: int,
                windows_per_song: int, final_fit) -> dict[str, Any]:
    return {
        "trained_on": "user",
        "name": f"{current.display_name}, improved with {len(scan.songs)} confirmed songs",
        "description": f"{current.display_name} fine-tuned on {len(scan.songs)} songs confirmed by the user "
                       f"(base model trained on {current.provenance.get('trained_on', 'unknown')} data)",
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "app_version": __version__,
        "seed": seed,
        "command": "improve_model",
        "dataset": scan.summary(),
        "extraction": {"windows_per_song": windows_per_song},
        "fit": dataclasses.replace(fit, seed=seed).to_dict(),
        "epochs_run": len(final_fit.history),
        "training_seconds": round(final_fit.seconds, 1),
        **bundle_provenance(warm, freeze),
    }
