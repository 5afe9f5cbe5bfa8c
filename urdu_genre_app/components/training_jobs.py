"""The Training tab's jobs: each runs on a worker thread through ``run_task`` and reports back (Qt-free).

``token`` and ``abort`` (the tab's cancel tokens) answer "stop?" when called:
``token`` stops after the current batch and keeps the best model so far,
``abort`` drops the run without saving. ``report`` carries the run's
:mod:`training.observer` events to the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from training.dataset import DatasetScan
    from training.pipeline import TrainingConfig, TrainingReport


def scan_job(dataset: str, token: Callable[[], bool]) -> DatasetScan:
    """Probe a dataset (runs in a worker): songs per genre and skipped files; stops when ``token`` is set."""
    from training.dataset import scan_dataset
    from urdu_genre_app.core.errors import CancelledError

    def on_progress(_done: int, _total: int) -> None:
        if token():
            raise CancelledError(f"{dataset}: scan cancelled")

    return scan_dataset(dataset, on_progress=on_progress)


def train_job(config: TrainingConfig, scan: DatasetScan | None, token: Callable[[], bool], abort: Callable[[], bool],
              report) -> TrainingReport:
    """One training run (runs in the training worker); ``scan`` is the tab's probe of the dataset, if it has one."""
    from training.observer import ForwardingObserver
    from training.pipeline import run_training

    # Events arrive here, on the worker's thread: they are only posted to the GUI thread.
    return run_training(config, observer=ForwardingObserver(report, is_cancelled=token, is_aborted=abort), scan=scan)
