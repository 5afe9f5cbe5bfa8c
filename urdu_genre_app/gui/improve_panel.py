""""Improve the model with my corrections": fine-tune the current model on the Library's confirmed songs.

The dialog wraps :func:`training.improve.improve_model`: it runs on a worker
thread of its own (:func:`~urdu_genre_app.gui.workers.run_task`), whose
observer only *posts* events to the GUI thread; the progress bar counts the
cross-validation folds (the ``evaluate`` stage), then the final fine-tune.
Stop cancels: ``improve_model`` then writes nothing and the current model is
unchanged. When it ends the dialog shows the before/after song accuracy on
held-out confirmed songs and offers "Use the new model" (the
:attr:`ImproveDialog.use_model_requested` signal, which the main window turns
into loading and remembering the bundle) or "Keep the current one".
"""

from __future__ import annotations

import datetime as _dt
import html
import logging
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from urdu_genre_app.core.atomic import unused_path
from urdu_genre_app.gui.workers import CancelToken, run_task, serial_pool

log = logging.getLogger(__name__)

#: Confirmed songs a genre needs to count towards an improvement (one to train on, one to hold out).
MIN_SONGS_PER_GENRE = 2
#: Genres that must reach :data:`MIN_SONGS_PER_GENRE`.
MIN_GENRES = 2


def confirmed_songs(entries: Iterable[Any]) -> list[tuple[str, str]]:
    """``(path, genre)`` of every library entry the user confirmed, in the order given."""
    return [(entry.path, entry.confirmed) for entry in entries if entry.confirmed]


def improve_unavailable_reason(songs: list[tuple[str, str]]) -> str | None:
    """Why the model cannot be improved from these confirmed songs now (None when it can).

    Parameters
    ----------
    songs : list of (str, str)
        Confirmed ``(path, genre)`` pairs.
    """
    from urdu_genre_app.capabilities import training_unavailable_reason

    missing = training_unavailable_reason()
    if missing is not None:
        return missing.replace("Training needs", "Improving the model needs", 1)
    counts = Counter(genre for _path, genre in songs)
    ready = sorted(genre for genre, count in counts.items() if count >= MIN_SONGS_PER_GENRE)
    if len(ready) < MIN_GENRES:
        have = ", ".join(f"{genre} {count}" for genre, count in sorted(counts.items())) or "none yet"
        return (f"Confirm at least {MIN_SONGS_PER_GENRE} songs in each of at least {MIN_GENRES} genres "
                f"(confirmed so far: {have}); some are held out to measure the improvement.")
    return None


def improve_button_state(entries, bundle) -> tuple[bool, str]:
    """Whether the Library's *Improve the model…* is enabled, and its tooltip (the reason when it is not).

    ``entries`` are the library's rows (None while no folder is open).
    """
    if entries is None:
        reason = "Open a folder of songs and confirm their genres first."
    else:
        reason = improve_unavailable_reason(confirmed_songs(entries))
    return (reason is None and bundle is not None,
            reason or "Improve the model with my corrections: fine-tune it on the confirmed songs, see accuracy "
                      "before and after, then choose")


def open_improve_dialog(previous, songs, bundle, *, fit, parent, use_model):
    """Show the Improve dialog on ``songs``: ``previous`` again while it runs, else a new one, started.

    ``use_model`` (a signal or callable) receives the path of a model the user chose to use.
    """
    if previous is not None and previous.running:
        previous.raise_()
        return previous
    if previous is not None:
        previous.deleteLater()  # the last run's dialog, finished
    dialog = ImproveDialog(songs, bundle, fit=fit, parent=parent)
    dialog.use_model_requested.connect(use_model)
    dialog.show()
    dialog.start()
    return dialog


def improved_bundle_path(current: str | Path) -> Path:
    """A new, unused bundle path in the user's models folder, named after the current model and the time."""
    from urdu_genre_app.paths import models_dir

    stem = Path(current).stem.split("-improved-")[0] or "model"
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return unused_path(models_dir() / f"{stem}-improved-{stamp}.ugm")


def _improve_job(songs: list[tuple[str, str]], bundle_path: str, out: str, fit, token: CancelToken, report):
    """One improvement (runs in the dialog's worker); events are only posted to the GUI thread."""
    from training.finetune import TINY_SET_FIT
    from training.improve import improve_model
    from training.observer import ForwardingObserver

    return improve_model(songs, bundle=bundle_path, out=out, fit=fit or TINY_SET_FIT,
                         observer=ForwardingObserver(report, is_cancelled=token))


class ImproveDialog(QDialog):
    """Runs one improvement and shows its outcome.

    Parameters
    ----------
    songs : list of (str, str)
        Confirmed ``(path, genre)`` pairs.
    bundle : ModelBundle
        The current model (loaded from a file).
    fit : training.fit.FitConfig, optional
        The fine-tune recipe (tests pass a tiny one; default: the tiny-set recipe).
    out : str or pathlib.Path, optional
        Where to write the new bundle (default :func:`improved_bundle_path`).
    """

    #: The user chose the new bundle (its path).
    use_model_requested = Signal(str)
    #: The run ended: the ImproveResult, or None when it was stopped or failed.
    finished_run = Signal(object)

    def __init__(self, songs: list[tuple[str, str]], bundle, *, fit=None, out: str | Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Improve the model with my corrections")
        self.songs = list(songs)
        self.bundle = bundle
        self.fit = fit
        self.out = Path(out) if out is not None else improved_bundle_path(bundle.path)
        self.result = None
        self.error: BaseException | None = None
        self.running = False
        self._token = CancelToken()
        self._pool = serial_pool("improve")
        self._folds = 0

        genres = Counter(genre for _path, genre in self.songs)
        self.intro_label = QLabel(
            f"Fine-tuning <b>{html.escape(bundle.display_name)}</b> on {len(self.songs)} confirmed songs ("
            + ", ".join(f"{html.escape(g)} {n}" for g, n in sorted(genres.items()))
            + "). Each song is held out once to measure the model before and after.")
        self.intro_label.setWordWrap(True)
        self.stage_label = QLabel("Starting…")
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(True)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.setVisible(False)
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(500)
        self.log_view.setMinimumHeight(90)

        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop; nothing is written and the current model stays")
        self.stop_button.clicked.connect(self.stop)
        self.use_button = QPushButton("Use the new model")
        self.use_button.setToolTip("Switch the whole app to the improved model (remembered)")
        self.use_button.clicked.connect(self._on_use_clicked)
        self.keep_button = QPushButton("Keep the current one")
        self.keep_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.stop_button, self.use_button, self.keep_button):
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro_label)
        layout.addWidget(self.stage_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.result_label)
        layout.addWidget(self.log_view, 1)
        layout.addLayout(buttons)
        self.resize(560, 360)
        self._set_running(False)
        self.use_button.setVisible(False)

    # ---------------------------------------------------------------- run
    def start(self) -> None:
        """Start the improvement in the background."""
        if self.running:
            return
        self._token = CancelToken()
        self._set_running(True)
        run_task(_improve_job, self._on_done, on_progress=self._on_event, pool=self._pool, owner=self,
                 songs=self.songs, bundle_path=str(self.bundle.path), out=str(self.out), fit=self.fit,
                 token=self._token)

    def stop(self) -> None:
        """Ask the run to stop (after the current batch); nothing is written."""
        if self.running:
            self._token.cancel()
            self.stop_button.setEnabled(False)
            self.stage_label.setText("Stopping…")

    def _on_event(self, event) -> None:
        """A training event, on the GUI thread."""
        from training.observer import LogLine, StageProgress

        if isinstance(event, LogLine):
            self.log_view.appendPlainText(event.message)
        elif isinstance(event, StageProgress):
            if event.stage == "evaluate":
                self._folds = event.total
                # One step per fold, and one for the final fine-tune on every song.
                self.progress.setRange(0, event.total + 1)
                self.progress.setValue(event.done)
                self.progress.setFormat(f"fold {min(event.done + 1, event.total)} of {event.total}"
                                        if event.done < event.total else "final fine-tune")
                self.stage_label.setText("Measuring before and after on held-out songs…"
                                         if event.done < event.total else "Fine-tuning on every confirmed song…")
            elif event.stage == "fit" and event.epoch is not None and not self._token.cancelled:
                self.stage_label.setText(self.stage_label.text().split(" (epoch")[0]
                                         + f" (epoch {event.epoch} of {event.epochs})")
            elif event.stage == "export":
                self.progress.setValue(self.progress.maximum())
                self.stage_label.setText("Saving the new model…")
            elif event.stage in ("scan", "extract", "embed") and not self._folds:
                self.stage_label.setText(f"{event.title}: {event.done} of {event.total} {event.unit}")

    def _on_done(self, result, error: BaseException | None) -> None:
        """Show the outcome."""
        from urdu_genre_app.core.errors import CancelledError

        self._set_running(False)
        self.result, self.error = result, error
        self.progress.setRange(0, 1)
        if isinstance(error, CancelledError):
            self.progress.setValue(0)
            self.progress.setFormat("stopped")
            self.stage_label.setText("Stopped. Nothing was written; the current model is unchanged.")
            self.keep_button.setText("Close")
        elif error is not None:
            self.progress.setValue(0)
            self.progress.setFormat("failed")
            self.stage_label.setText(f"The model could not be improved: {error}")
            self.keep_button.setText("Close")
        else:
            self.progress.setValue(1)
            self.progress.setFormat("done")
            self.stage_label.setText(f"Done in {result.seconds:.0f} s. New model: {result.bundle_path.name}")
            self.result_label.setText(result_html(result))
            self.result_label.setVisible(True)
            self.use_button.setVisible(True)
            self.use_button.setDefault(True)
        self.finished_run.emit(result)

    def _on_use_clicked(self) -> None:
        if self.result is not None:
            self.use_model_requested.emit(str(self.result.bundle_path))
            self.accept()

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.stop_button.setVisible(running)
        self.stop_button.setEnabled(running)
        self.keep_button.setVisible(not running)

    # ---------------------------------------------------------------- closing
    def reject(self) -> None:
        """Closing while it runs stops the run (nothing is written)."""
        self.stop()
        super().reject()

    def shutdown(self, wait_ms: int = 15_000) -> None:
        """Stop and wait for the worker (the window is closing)."""
        self.stop()
        self._pool.waitForDone(wait_ms)


def result_html(result) -> str:
    """The before/after figures of an ImproveResult, for the dialog."""
    held = result.held_out_songs
    how = (f"{result.n_folds}-fold cross-validation, each song held out once" if result.n_folds > 1
           else f"a hold-out of {held} songs")
    text = (f"<p>On <b>{held}</b> confirmed songs the fine-tune did not see ({how}):</p>"
            f"<p style='font-size:large'>before <b>{result.before_accuracy:.0%}</b> &rarr; "
            f"after <b>{result.after_accuracy:.0%}</b></p>")
    if result.after_accuracy < result.before_accuracy:
        text += ("<p><b>The new model did worse on these songs</b>; keeping the current one is advised "
                 "(confirm more songs and try again).</p>")
    if result.new_genres:
        text += (f"<p>New genres {html.escape(', '.join(result.new_genres))} get a new head "
                 "(an output layer of their own).</p>")
    if result.skipped:
        text += f"<p>{len(result.skipped)} confirmed songs could not be used (see the log).</p>"
    # The same words the window's header shows once the new model is used: both read the bundle.
    accuracy = getattr(result.bundle, "accuracy_text", None)
    if accuracy:
        text += f"<p>The new model records {html.escape(accuracy)}.</p>"
    calibration, report = result.novelty
    if calibration is not None:
        text += "<p>Its not-a-genre check was refitted to the new model.</p>"
    elif report.get("unavailable"):
        text += f"<p>It has no not-a-genre check ({html.escape(str(report['unavailable']))}).</p>"
    return text
