"""What a training run reports, as typed events, and the observer protocol it reports them to.

A run (:func:`training.pipeline.run_training`, :func:`training.fit.fit_keras_model`)
calls, from the thread it runs on:

* ``observer.on_event(event)`` with one of

  - :class:`StageProgress` -- progress of a stage (:data:`STAGES`):
    ``"scan"`` (files probed), ``"extract"`` (songs), ``"split"``, ``"fit"``
    (training steps, every batch; with the current epoch), ``"evaluate"``
    (models), ``"export"``; ``done == total`` when the stage ends;
  - :class:`EpochEnded` -- after each epoch, ``epoch`` counting from 1;
    ``logs`` holds ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``,
    ``learning_rate``, ``seconds`` (since fitting began) and
    ``windows_per_second`` (training throughput of that epoch), all floats;
  - :class:`LogLine` -- one line of text worth showing the user;
  - :class:`AccuracyEstimate` -- a small folder's cross-validated song
    accuracy and its 95 % interval, once per family trained that way;

* ``observer.is_cancelled()`` -- polled between songs and between batches.
  When it turns True during fitting, the run stops after the current batch,
  keeps the best model so far (by validation accuracy) and still evaluates
  and exports it (``TrainingReport.cancelled`` is True); earlier it stops
  with :class:`~urdu_genre_app.core.errors.CancelledError`;
* ``observer.is_aborted()`` -- *abort* is a harder stop: the run also skips
  evaluating and exporting, raising ``CancelledError`` when it would enter
  those stages (the rule lives in :func:`report_stage`). An aborting observer
  cancels too, so fitting stops first.

Observers are duck-typed (:class:`TrainingObserver` is a ``Protocol``);
:class:`NullObserver` does nothing and is the base class to subclass (one
hook per event type), and
:class:`ForwardingObserver` hands every event to a function (the GUI posts
them to its own thread with it; a GUI must never touch widgets from the
worker thread the events arrive on).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, Union, runtime_checkable

log = logging.getLogger(__name__)

#: Stage names, in the order a full run reports them.
STAGES = ("scan", "extract", "embed", "split", "fit", "evaluate", "export")
#: What each stage is called where a user sees it.
STAGE_TITLES = {
    "scan": "Reading the dataset",
    "extract": "Extracting MFCC windows",
    "embed": "Embedding windows with the musicnn backbone",
    "split": "Splitting by song",
    "fit": "Training",
    "evaluate": "Evaluating on the test songs",
    "export": "Saving the model bundle",
}
#: Units counted by each stage's progress ("" where it is one step).
STAGE_UNITS = {"scan": "files", "extract": "songs", "embed": "windows", "fit": "steps", "evaluate": "models"}
#: Stages an aborted run never enters.
SKIPPED_WHEN_ABORTED = ("evaluate", "export")


@dataclass(frozen=True)
class StageProgress:
    """``done`` of ``total`` units of ``stage``; while fitting, also the epoch under way.

    Attributes
    ----------
    stage : str
        One of :data:`STAGES`.
    done, total : int
        Units finished and planned (:data:`STAGE_UNITS`).
    epoch : int or None
        While fitting a Keras model: the epoch under way, from 1.
    epochs : int or None
        While fitting: the most epochs planned.
    """

    stage: str
    done: int
    total: int
    epoch: int | None = None
    epochs: int | None = None

    @property
    def title(self) -> str:
        """The stage's title (:data:`STAGE_TITLES`)."""
        return STAGE_TITLES.get(self.stage, self.stage)

    @property
    def unit(self) -> str:
        """What ``done`` and ``total`` count (may be empty)."""
        return STAGE_UNITS.get(self.stage, "")


@dataclass(frozen=True)
class EpochEnded:
    """An epoch (from 1) finished, with its metrics (see the module docstring)."""

    epoch: int
    logs: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class LogLine:
    """A line of text for the user."""

    message: str


@dataclass(frozen=True)
class AccuracyEstimate:
    """How well a model trained on every song of a small folder should do, and how sure that is.

    Attributes
    ----------
    model : str
        The family (``"bn_cnn"``, ...).
    folds : int
        Cross-validation folds by song.
    songs, correct : int
        Songs scored, each by a fold model that never trained on it, and songs right.
    low, high : float
        95 % Wilson interval of the song accuracy, in [0, 1].
    """

    model: str
    folds: int
    songs: int
    correct: int
    low: float
    high: float

    @property
    def accuracy(self) -> float:
        """Song accuracy in [0, 1]."""
        return self.correct / self.songs if self.songs else 0.0


#: Everything a run reports through :meth:`TrainingObserver.on_event`.
TrainingEvent = Union[StageProgress, EpochEnded, LogLine, AccuracyEstimate]


@runtime_checkable
class TrainingObserver(Protocol):
    """What a training run reports to (see the module docstring)."""

    def on_event(self, event: TrainingEvent) -> None:
        """One event of the run."""

    def is_cancelled(self) -> bool:
        """True when the user asked to stop (the best model so far is still evaluated and saved)."""

    def is_aborted(self) -> bool:
        """True when the run must also skip evaluating and saving."""


class NullObserver:
    """An observer that ignores everything and never cancels.

    It is also the base class to subclass: :meth:`on_event` hands each event
    to the hook of its type (:meth:`on_stage`, :meth:`on_epoch`,
    :meth:`on_log`, :meth:`on_estimate`), so a subclass overrides only the hooks it needs.
    """

    def on_event(self, event: TrainingEvent) -> None:
        """Hand the event to the hook of its type."""
        if isinstance(event, StageProgress):
            self.on_stage(event)
        elif isinstance(event, EpochEnded):
            self.on_epoch(event)
        elif isinstance(event, LogLine):
            self.on_log(event)
        elif isinstance(event, AccuracyEstimate):
            self.on_estimate(event)

    def on_stage(self, progress: StageProgress) -> None:
        """Ignore stage progress."""

    def on_epoch(self, ended: EpochEnded) -> None:
        """Ignore epochs."""

    def on_log(self, line: LogLine) -> None:
        """Send the line to the module logger."""
        log.info("%s", line.message)

    def on_estimate(self, estimate: AccuracyEstimate) -> None:
        """Ignore accuracy estimates (a log line says the same)."""

    def is_cancelled(self) -> bool:
        """Never cancelled."""
        return False

    def is_aborted(self) -> bool:
        """Never aborted."""
        return False


class ForwardingObserver:
    """Hands every event to ``forward``; cancel and abort come from two checks.

    Parameters
    ----------
    forward : callable
        Called with each :data:`TrainingEvent`, on the run's thread.
    is_cancelled, is_aborted : callable
        Polled by the run; ``is_aborted`` defaults to never.
    """

    def __init__(self, forward: Callable[[TrainingEvent], None], *, is_cancelled: Callable[[], bool],
                 is_aborted: Callable[[], bool] = lambda: False) -> None:
        self._forward = forward
        self._is_cancelled = is_cancelled
        self._is_aborted = is_aborted

    def on_event(self, event: TrainingEvent) -> None:
        """Forward the event."""
        self._forward(event)

    def is_cancelled(self) -> bool:
        """The cancel check (an abort cancels too)."""
        return bool(self._is_cancelled() or self._is_aborted())

    def is_aborted(self) -> bool:
        """The abort check."""
        return bool(self._is_aborted())


def report_stage(observer: TrainingObserver, stage: str, done: int, total: int, *,
                 epoch: int | None = None, epochs: int | None = None) -> None:
    """Report stage progress, applying the abort rule.

    Raises
    ------
    CancelledError
        The observer aborted and ``stage`` is one an aborted run skips
        (:data:`SKIPPED_WHEN_ABORTED`).
    """
    if stage in SKIPPED_WHEN_ABORTED and observer.is_aborted():
        from urdu_genre_app.core.errors import CancelledError

        raise CancelledError("training aborted")
    observer.on_event(StageProgress(stage, done, total, epoch=epoch, epochs=epochs))


def report_log(observer: TrainingObserver, message: str) -> None:
    """Report a line of text."""
    observer.on_event(LogLine(message))
