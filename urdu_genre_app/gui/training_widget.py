"""The Training tab: point it at a folder of labeled songs, train, evaluate, and use the new model.

A view over :class:`~urdu_genre_app.components.training_state.TrainingState`
(which words everything shown). It wraps :func:`training.pipeline.run_training`
(the same pipeline as ``urdu-genre train``): the run happens on a worker thread
of its own, and its observer only *posts* progress to the GUI thread, which
alone touches widgets. Stopping during fitting keeps the best model so far and
still evaluates and saves it, so stopping never throws away finished epochs.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from urdu_genre_app.components.training_jobs import scan_job, train_job
from urdu_genre_app.components.training_state import (
    RunChanged,
    TrainingState,
    default_output_path,
    epoch_log_line,
    stage_text,
)
from urdu_genre_app.core.clock import clock
from urdu_genre_app.gui import settings as S
from urdu_genre_app.gui.epoch_chart import EpochChartWidget
from urdu_genre_app.gui.skipped_files_view import skipped_count_text
from urdu_genre_app.gui.training_form import TrainingFormView
from urdu_genre_app.gui.training_results_view import TrainingResultsView
from urdu_genre_app.gui.widgets import BannerWidget
from urdu_genre_app.gui.workers import CancelToken, Task, run_task, serial_pool
from urdu_genre_app.paths import models_dir

if TYPE_CHECKING:
    from training.dataset import DatasetScan
    from training.pipeline import TrainingConfig, TrainingReport


class TrainingWidget(QWidget):
    """The Training tab.

    Parameters
    ----------
    settings : Settings
        Where the form's values are remembered.
    """

    #: A bundle was written and the user asked to use it (its path).
    use_model_requested = Signal(str)
    #: Training started (True) or ended (False).
    running_changed = Signal(bool)
    status_message = Signal(str)

    def __init__(self, settings: S.Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from urdu_genre_app.capabilities import training_unavailable_reason

        self.settings = settings
        self.state = TrainingState(training_unavailable_reason())
        self.training_pool = serial_pool("training")
        self.token = CancelToken()
        self.abort = CancelToken()
        self._scan_task: Task | None = None
        self._started_at = 0.0
        self._close_when_done = None

        self.banner = BannerWidget()
        self.form_view = TrainingFormView()
        self.form_view.dataset_edited.connect(self._on_dataset_edited)
        self.form_view.choose_dataset_requested.connect(self.choose_dataset)
        self.form_view.choose_output_requested.connect(self.choose_output)
        # The tests and the window read these through the tab.
        for name in ("dataset_edit", "dataset_summary", "output_edit", "model_combo", "epochs_spin", "windows_spin",
                     "window_seconds_spin", "seed_spin"):
            setattr(self, name, getattr(self.form_view, name))

        self.start_button = QPushButton("Start training")
        self.start_button.setShortcut("Ctrl+Return")
        self.start_button.setToolTip("Start training (Ctrl+Enter)")
        self.start_button.clicked.connect(self.start_training)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the current batch; the best model so far is still evaluated "
                                    "and saved (Esc)")
        self.stop_button.setShortcut("Esc")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop_training)
        self.stage_label = QLabel("Not started")
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1)
        self.elapsed_label = QLabel("")
        self.use_model_button = QPushButton("Use this model")
        self.use_model_button.setToolTip("Classify with the model just trained (it is remembered)")
        self.use_model_button.setEnabled(False)
        self.use_model_button.clicked.connect(self._on_use_model_clicked)
        controls = QHBoxLayout()
        for item in (self.start_button, self.stop_button, 12, self.stage_label, self.progress_bar, self.elapsed_label,
                     12, self.use_model_button):
            if isinstance(item, int):
                controls.addSpacing(item)
            else:
                controls.addWidget(item, 1 if item is self.progress_bar else 0)

        self.chart = EpochChartWidget()
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(5000)
        self.log_view.setPlaceholderText("What the run does shows here.")
        live = QHBoxLayout()
        live.addWidget(self.chart, 3)
        live.addWidget(self.log_view, 2)

        self.results_box = TrainingResultsView()
        for name in ("result_label", "confusion_table", "per_class_table", "skipped_view"):
            setattr(self, name, getattr(self.results_box, name))

        # The page scrolls rather than raising the window's minimum height.
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.banner)
        layout.addWidget(self.form_view, 0)
        layout.addLayout(controls)
        layout.addLayout(live, 3)
        layout.addWidget(self.results_box, 2)
        scroller = QScrollArea()
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setWidget(page)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroller)

        self._elapsed_timer = QTimer(self)
        self._elapsed_timer.setInterval(1000)
        self._elapsed_timer.timeout.connect(self._on_elapsed_tick)
        self.state.events.scan_changed.connect(self.form_view.show_scan)
        self.state.events.run_changed.connect(self._on_run_changed)
        self._restore_settings()
        if self.unavailable_reason:
            self.banner.show_message("info", self.unavailable_reason)
            self.start_button.setEnabled(False)

    # The state's answers, read through the tab by the window and the tests.
    unavailable_reason = property(lambda self: self.state.unavailable_reason)
    running = property(lambda self: self.state.running)
    report = property(lambda self: self.state.report)
    error = property(lambda self: self.state.error)
    written_path = property(lambda self: self.state.written_path)
    scan = property(lambda self: self.state.scan)

    # ------------------------------------------------------------------ settings
    def _restore_settings(self) -> None:
        # The recipe's defaults live in the training package, which a lite build lacks.
        self.form_view.restore(self.settings, with_recipe=not self.unavailable_reason)
        self.chart.reset(self.epochs_spin.value())
        self.epochs_spin.valueChanged.connect(self._on_epochs_changed)
        if self.dataset_edit.text():
            self.scan_dataset()

    def _on_epochs_changed(self, epochs: int) -> None:
        """Let an empty chart's axis follow the planned epochs."""
        if not self.running and not any(self.chart.points.values()):
            self.chart.reset(epochs)

    # ------------------------------------------------------------------ dataset and output
    def choose_dataset(self) -> None:
        """Ask for the folder of genre folders."""
        start = self.dataset_edit.text() or self.settings.get(S.LAST_FOLDER)
        folder = QFileDialog.getExistingDirectory(self, "Folder with one sub-folder per genre", start)
        if folder:
            self.set_dataset(folder)

    def set_dataset(self, path: str) -> None:
        """Use ``path`` (a folder of genre folders, or a .csv manifest) and look inside it."""
        self.dataset_edit.setText(path)
        self.settings.set(S.TRAIN_DATASET, path)
        self.scan_dataset()

    def _on_dataset_edited(self) -> None:
        """Look inside a typed dataset path."""
        if self.state.needs_scan(self.dataset_edit.text()):
            self.scan_dataset()

    def scan_dataset(self) -> None:
        """Count the songs per genre in the background (the summary line under the path)."""
        if self._scan_task is not None:
            self._scan_task.cancel()  # superseded: its outcome is dropped
        self._scan_task = None
        if self.state.begin_scan(self.dataset_edit.text()):
            self._scan_task = run_task(scan_job, self._on_dataset_scanned, dataset=self.state.dataset,
                                       cancellable=True)

    def _on_dataset_scanned(self, scan: DatasetScan | None, error: BaseException | None) -> None:
        """Hand the probe to the state (it words the summary)."""
        self.state.scan_finished(scan, error)

    def choose_output(self) -> None:
        """Ask where to save the model bundle."""
        start = self.output_edit.text() or str(default_output_path(self.dataset_edit.text() or "model", models_dir()))
        path, _ = QFileDialog.getSaveFileName(self, "Save the trained model as", start, "Model bundles (*.ugm)")
        if path:
            if not path.lower().endswith(".ugm"):
                path += ".ugm"
            self.output_edit.setText(path)
            self.state.confirmed_output = path  # the dialog asked before replacing an existing file

    # ------------------------------------------------------------------ running
    def build_config(self) -> TrainingConfig:
        """The form as a :class:`~training.pipeline.TrainingConfig` (output path filled in)."""
        return self.state.build_config(self.form_view.form(), models_dir())

    def start_training(self) -> None:
        """Check the form and start a run in the training worker."""
        if self.running or self.unavailable_reason:
            return
        if not self.dataset_edit.text().strip():
            self.banner.show_message("warning", "Choose a folder of songs first: one sub-folder per genre.")
            return
        try:
            config = self.build_config()
            Path(config.out).parent.mkdir(parents=True, exist_ok=True)
        except (ImportError, ValueError) as error:
            self.banner.show_message("error", f"Cannot train: {error}")
            return
        except OSError as error:
            where = error.filename or "the model folder"
            self.banner.show_message("error", f"Cannot save the model in {where}: {error.strerror or error}")
            return
        self.form_view.remember(self.settings)
        self.banner.dismiss()
        self.token, self.abort = CancelToken(), CancelToken()
        self.chart.reset(config.fit.epochs)
        self.log_view.clear()
        self.results_box.clear()
        self.use_model_button.setEnabled(False)
        self._append_log(f"training {self.model_combo.currentText()} on {config.dataset}; the model will be saved to "
                         f"{config.out}")
        small = self.state.small_dataset_warning()
        if small:  # said again where the run is watched: the line under the path scrolls out of sight
            self.banner.show_message("warning", f"Few songs: {small}")
            self._append_log(f"few songs: {small}")
        scan = self.state.scan_for(config)
        self.state.start()
        self._started_at = time.monotonic()
        self._elapsed_timer.start()
        self._on_elapsed_tick()
        self.stage_label.setText("Starting (loading TensorFlow)…")
        self.progress_bar.setRange(0, 0)
        run_task(train_job, self._on_training_done, on_progress=self._on_training_event,
                 pool=self.training_pool, config=config, scan=scan, token=self.token, abort=self.abort)

    def stop_training(self) -> None:
        """Stop after the current batch; the best model so far is still evaluated and saved."""
        if not self.state.request_stop():
            return
        self.token.cancel()
        self.stop_button.setEnabled(False)
        self.stage_label.setText("Stopping after this batch…")
        self._append_log("stop requested: the best model so far will be evaluated and saved")

    def _on_run_changed(self, event: RunChanged) -> None:
        """Lock the form while a run is going."""
        running = event.running
        self.start_button.setEnabled(not running and not self.unavailable_reason)
        self.stop_button.setEnabled(running)
        self.form_view.set_locked(running)
        self.running_changed.emit(running)

    def _on_training_event(self, event) -> None:
        """Show one event posted by the run (a :mod:`training.observer` event)."""
        from training.observer import EpochEnded, LogLine, StageProgress

        if isinstance(event, StageProgress):
            text, done, total = stage_text(event, self.state.stopping)
            self.stage_label.setText(text)
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(done)
        elif isinstance(event, EpochEnded):
            self.chart.add_epoch(event.epoch, dict(event.logs))
            self._append_log(epoch_log_line(event.epoch, event.logs))
        elif isinstance(event, LogLine):
            self._append_log(event.message)

    def _on_training_done(self, report: TrainingReport | None, error: BaseException | None) -> None:
        """Show the results, or why the run failed."""
        self._elapsed_timer.stop()
        self._on_elapsed_tick()
        text = self.state.finish(report, error)
        self.stage_label.setText(text)
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(0 if error is not None else 1)
        if error is not None:
            if self.state.error:
                self.banner.show_message("error", f"Training failed: {error}")
                self._append_log(f"failed: {error}")
                self._close_when_done = None  # stay open: the user has to see why
            else:
                self._append_log("stopped: nothing was saved")
            self.status_message.emit(text)
        else:
            if self.written_path:
                self.output_edit.clear()  # the next run writes a new file unless a path is chosen again
            self._show_results(report)
            self.status_message.emit(f"Training {text.lower()}: {self.written_path or 'no model written'}")
        self._finish_close_if_asked()

    def _show_results(self, report: TrainingReport) -> None:
        skipped = report.skipped_files
        self.skipped_view.set_files(skipped)
        skipped_text = f" {skipped_count_text(len(skipped))} (listed below, with the reasons)." if skipped else ""
        self.result_label.setText(self.state.result_html(skipped_text))
        result = self.state.shown_result()
        if result is None:
            self.results_box.setEnabled(bool(skipped))
            return
        self.results_box.show_evaluation(result.test)
        self.results_box.setEnabled(True)
        warning = self.state.chance_warning()
        if warning:
            self.banner.show_message("warning", warning)
            self._append_log(f"warning: {warning}")
        self.use_model_button.setText(self.state.use_model_label())
        self.use_model_button.setEnabled(self.written_path is not None)

    def _on_use_model_clicked(self) -> None:
        """Ask the window to classify with the new model; one no better than chance only after a yes."""
        if not self.written_path:
            return
        warning = self.state.chance_warning()
        if warning:
            answer = QMessageBox.question(
                self, "Use a model no better than chance?", f"{warning}\n\nUse it anyway?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.use_model_requested.emit(self.written_path)

    # ------------------------------------------------------------------ helpers
    def _append_log(self, line: str) -> None:
        self.log_view.appendPlainText(line)

    def _on_elapsed_tick(self) -> None:
        """Show the time since the run started."""
        self.elapsed_label.setText(clock(time.monotonic() - self._started_at if self._started_at else 0.0))

    # ------------------------------------------------------------------ closing
    def request_close(self, close_window) -> bool:
        """Whether the window may close now.

        While a run is going, the first request stops it after the current
        batch (the best model so far is still evaluated and saved) and closes
        the window when that is done; a second request abandons the run
        without saving.
        """
        if not self.running:
            return True
        if self._close_when_done is None:
            self._close_when_done = close_window
            self.stop_training()
            self.banner.show_message("info", "Saving the best model so far, then closing. "
                                             "Close again to quit without saving it.")
            return False
        self.abort.cancel()
        self.token.cancel()
        self._close_when_done = None
        return True

    def _finish_close_if_asked(self) -> None:
        close_window, self._close_when_done = self._close_when_done, None
        if close_window is not None:
            QTimer.singleShot(0, close_window)

    def shutdown(self, wait_ms: int = 15_000) -> None:
        """Abandon a run (no saving) and wait a little for its thread to stop."""
        self.abort.cancel()
        self.token.cancel()
        if self._scan_task is not None:
            self._scan_task.cancel()
        self._elapsed_timer.stop()
        self.training_pool.waitForDone(wait_ms)
