"""The small callback interface a training run reports through (the GUI's Training tab implements it).

A run calls, from the thread it runs on:

* ``on_stage(name, done, total)`` -- progress of a stage: ``"scan"``,
  ``"extract"`` (songs), ``"split"``, ``"fit"`` (training steps, every batch),
  ``"evaluate"``, ``"export"``; ``done == total`` when the stage ends.
* ``on_epoch(epoch, logs)`` -- after each epoch, ``epoch`` counting from 1;
  ``logs`` holds ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy``,
  ``learning_rate``, ``seconds`` (since fitting began) and
  ``windows_per_second`` (training throughput of that epoch), all floats.
* ``on_log(message)`` -- one line of text worth showing the user.
* ``is_cancelled() -> bool`` -- polled between songs and between batches.
  When it turns True during fitting, the run stops after the current batch,
  keeps the best model so far (by validation accuracy) and still evaluates
  and exports it (``TrainingReport.cancelled`` is True); earlier it stops
  with :class:`~urdu_genre_app.core.errors.CancelledError`.

Observers are duck-typed (:class:`TrainingObserver` is a ``Protocol``);
:class:`NullObserver` does nothing and is a convenient base class. A GUI
observer must only post these calls to its own thread (they arrive on the
worker's), never touch widgets directly.
"""

from __future__ import annotations

import logging
from typing import Protocol, runtime_checkable

log = logging.getLogger(__name__)

#: Stage names, in the order a full run reports them.
STAGES = ("scan", "extract", "split", "fit", "evaluate", "export")


@runtime_checkable
class TrainingObserver(Protocol):
    """What a training run reports to (see the module docstring)."""

    def on_stage(self, name: str, done: int, total: int) -> None:
        """Progress of stage ``name``: ``done`` of ``total`` units."""

    def on_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        """An epoch (1-based) finished, with its metrics."""

    def on_log(self, message: str) -> None:
        """A line of text for the user."""

    def is_cancelled(self) -> bool:
        """True when the user asked to stop."""


class NullObserver:
    """An observer that ignores everything and never cancels (subclass it to override a few hooks)."""

    def on_stage(self, name: str, done: int, total: int) -> None:
        """Ignore stage progress."""

    def on_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        """Ignore epochs."""

    def on_log(self, message: str) -> None:
        """Send the line to the module logger."""
        log.info("%s", message)

    def is_cancelled(self) -> bool:
        """Never cancelled."""
        return False
