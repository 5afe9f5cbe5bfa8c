"""The Training tab: point it at a folder of labeled songs, train, evaluate, and use the new model.

It wraps :func:`training.pipeline.run_training` (the same pipeline as
``urdu-genre train``): the run happens on a worker thread of its own, and its
observer only *posts* progress to the GUI thread, which alone touches widgets.
Stopping during fitting keeps the best model so far and still evaluates and
saves it, so stopping never throws away finished epochs.
"""

from __future__ import annotations

import datetime as _dt
import html
import logging
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from urdu_genre_app.core.clock import clock
from urdu_genre_app.gui import settings as S
from urdu_genre_app.gui.epoch_chart import EpochChartWidget
from urdu_genre_app.core.atomic import unused_path
from urdu_genre_app.gui.skipped_files_view import SkippedFilesView, skipped_count_text
from urdu_genre_app.gui.widgets import BannerWidget
from urdu_genre_app.gui.workers import CancelToken, run_task, serial_pool
from urdu_genre_app.paths import models_dir

if TYPE_CHECKING:
    from training.dataset import DatasetScan
    from training.pipeline import TrainingConfig, TrainingReport

log = logging.getLogger(__name__)


def offered_model_families() -> tuple:
    """The :class:`~training.models.ModelFamily` entries the tab offers, in menu order (none without training)."""
    try:
        from training.models import MODEL_FAMILIES
    except ImportError:  # a lite build: the tab only says why it cannot train
        return ()
    return tuple(family for family in MODEL_FAMILIES if family.in_app)



def default_output_path(dataset: str) -> Path:
    """A new bundle path in the user's data folder, named after the dataset and the time (never overwrites)."""
    folder = models_dir()
    stem = Path(dataset).stem or "model"
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return unused_path(folder / f"{stem}-{stamp}.ugm")


def training_unavailable_reason() -> str | None:
    """Why this installation cannot train (a lite build, or no training extras), or None when it can."""
    import importlib.util

    for module, what in (("training", "the training package"), ("tensorflow", "TensorFlow")):
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            return (f"Training needs {what}, which this installation leaves out. Install it with "
                    "pip install 'urdu-genre-app[train]' (bash scripts/run-app.sh does), or use the full build. "
                    "Classifying works without it.")
    return None


def _scan_job(dataset: str, token: CancelToken) -> DatasetScan:
    """Probe a dataset (runs in a worker): songs per genre and skipped files; stops when ``token`` is set."""
    from training.dataset import scan_dataset
    from urdu_genre_app.core.errors import CancelledError

    def on_progress(_done: int, _total: int) -> None:
        if token.cancelled:
            raise CancelledError(f"{dataset}: scan cancelled")

    return scan_dataset(dataset, on_progress=on_progress)


def _train_job(config: TrainingConfig, token: CancelToken, abort: CancelToken, report) -> TrainingReport:
    """One training run (runs in the training worker)."""
    try:
        from training.pipeline import run_training
    except ImportError as error:  # a runtime-only install: no TensorFlow / training extras
        raise RuntimeError(
            f"training is not installed here ({error}); install it with: pip install 'urdu-genre-app[train]'"
        ) from error
    from training.observer import ForwardingObserver

    # Events arrive here, on the worker's thread: they are only posted to the GUI thread.
    return run_training(config, observer=ForwardingObserver(report, is_cancelled=token, is_aborted=abort))


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
        self.settings = settings
        self.training_pool = serial_pool("training")
        self.token = CancelToken()
        self.abort = CancelToken()
        self.running = False
        self.report: TrainingReport | None = None
        self.error: str | None = None
        self.written_path: str | None = None
        self.scan: DatasetScan | None = None
        self._scan_generation = 0
        self._scan_token = CancelToken()
        self._confirmed_output: str | None = None
        self._started_at = 0.0
        self._close_when_done = None

        self.banner = BannerWidget()
        self.dataset_edit = QLineEdit()
        self.dataset_edit.setPlaceholderText("A folder with one sub-folder per genre (or a .csv manifest)")
        self.dataset_edit.editingFinished.connect(self._on_dataset_edited)
        dataset_button = QPushButton("Choose folder…")
        dataset_button.clicked.connect(self.choose_dataset)
        self.dataset_summary = QLabel("")
        self.dataset_summary.setWordWrap(True)
        self.dataset_summary.setTextFormat(Qt.TextFormat.RichText)
        self.dataset_summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dataset_summary.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.output_edit = QLineEdit()
        self.output_edit.setPlaceholderText("A new file in the app's model folder")
        output_button = QPushButton("Save as…")
        output_button.clicked.connect(self.choose_output)
        self.model_combo = QComboBox()
        for family in offered_model_families():
            self.model_combo.addItem(family.label, family.name)
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 1000)
        self.epochs_spin.setToolTip("Most epochs; training stops earlier when validation stops improving")
        self.windows_spin = QSpinBox()
        self.windows_spin.setRange(1, 100)
        self.windows_spin.setToolTip("Random windows drawn from each song (the paper: 5)")
        self.window_seconds_spin = QDoubleSpinBox()
        self.window_seconds_spin.setRange(1.0, 120.0)
        self.window_seconds_spin.setDecimals(1)
        self.window_seconds_spin.setSuffix(" s")
        self.window_seconds_spin.setToolTip("Length of one MFCC window (the paper: 30 s); stored in the model")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setToolTip("One seed drives the split, the windows and the weights")

        dataset_row = QHBoxLayout()
        dataset_row.addWidget(self.dataset_edit, 1)
        dataset_row.addWidget(dataset_button)
        output_row = QHBoxLayout()
        output_row.addWidget(self.output_edit, 1)
        output_row.addWidget(output_button)
        form = QFormLayout()
        dataset_column = QVBoxLayout()
        dataset_column.setSpacing(2)
        dataset_column.addLayout(dataset_row)
        dataset_column.addWidget(self.dataset_summary)
        form.addRow("Songs:", dataset_column)
        form.addRow("Model:", self.model_combo)
        numbers = QHBoxLayout()
        for label, spin in (("Epochs", self.epochs_spin), ("Windows per song", self.windows_spin),
                            ("Window", self.window_seconds_spin), ("Seed", self.seed_spin)):
            numbers.addWidget(QLabel(label + ":"))
            numbers.addWidget(spin)
            numbers.addSpacing(12)
        numbers.addStretch(1)
        form.addRow("Recipe:", numbers)
        form.addRow("Save to:", output_row)
        setup_box = QGroupBox("What to train")
        setup_box.setLayout(form)

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
        self.progress_bar.setValue(0)
        self.elapsed_label = QLabel("")
        self.use_model_button = QPushButton("Use this model")
        self.use_model_button.setToolTip("Classify with the model just trained (it is remembered)")
        self.use_model_button.setEnabled(False)
        self.use_model_button.clicked.connect(self._on_use_model_clicked)
        controls = QHBoxLayout()
        controls.addWidget(self.start_button)
        controls.addWidget(self.stop_button)
        controls.addSpacing(12)
        controls.addWidget(self.stage_label)
        controls.addWidget(self.progress_bar, 1)
        controls.addWidget(self.elapsed_label)
        controls.addSpacing(12)
        controls.addWidget(self.use_model_button)

        self.chart = EpochChartWidget()
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setMaximumBlockCount(5000)
        self.log_view.setPlaceholderText("What the run does shows here.")
        live = QHBoxLayout()
        live.addWidget(self.chart, 3)
        live.addWidget(self.log_view, 2)

        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(Qt.TextFormat.RichText)
        self.confusion_table = QTableWidget()
        self.per_class_table = QTableWidget()
        for table in (self.confusion_table, self.per_class_table):
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.setMinimumHeight(100)
        results_grid = QGridLayout()
        results_grid.addWidget(self.result_label, 0, 0, 1, 2)
        results_grid.addWidget(QLabel("Test songs — true genre (rows) by predicted genre (columns):"), 1, 0)
        results_grid.addWidget(QLabel("Per genre, test songs:"), 1, 1)
        results_grid.addWidget(self.confusion_table, 2, 0)
        results_grid.addWidget(self.per_class_table, 2, 1)
        self.skipped_view = SkippedFilesView()
        results_grid.addWidget(self.skipped_view, 3, 0, 1, 2)
        self.results_box = QGroupBox("Results")
        self.results_box.setLayout(results_grid)
        self.results_box.setEnabled(False)

        # The page scrolls rather than raising the window's minimum height.
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.banner)
        layout.addWidget(setup_box, 0)
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
        self.unavailable_reason = training_unavailable_reason()
        self._restore_settings()
        if self.unavailable_reason:
            self.banner.show_message("info", self.unavailable_reason)
            self.start_button.setEnabled(False)

    # ------------------------------------------------------------------ settings
    def _restore_settings(self) -> None:
        self.dataset_edit.setText(self.settings.get(S.TRAIN_DATASET))
        # The recipe's defaults live in the training package, which a lite build lacks.
        if not self.unavailable_reason:
            index = self.model_combo.findData(self.settings.get(S.TRAIN_MODEL))
            self.model_combo.setCurrentIndex(max(0, index))
            self.epochs_spin.setValue(self.settings.get(S.TRAIN_EPOCHS))
            self.windows_spin.setValue(self.settings.get(S.TRAIN_WINDOWS_PER_SONG))
            self.window_seconds_spin.setValue(self.settings.get(S.TRAIN_WINDOW_SECONDS))
            self.seed_spin.setValue(self.settings.get(S.TRAIN_SEED))
        self.chart.reset(self.epochs_spin.value())
        self.epochs_spin.valueChanged.connect(self._on_epochs_changed)
        if self.dataset_edit.text():
            self.scan_dataset()

    def _on_epochs_changed(self, epochs: int) -> None:
        """Let an empty chart's axis follow the planned epochs."""
        if not self.running and not any(self.chart.points.values()):
            self.chart.reset(epochs)

    def _remember_settings(self) -> None:
        self.settings.set(S.TRAIN_DATASET, self.dataset_edit.text().strip())
        self.settings.set(S.TRAIN_MODEL, self.model_combo.currentData())
        self.settings.set(S.TRAIN_EPOCHS, self.epochs_spin.value())
        self.settings.set(S.TRAIN_WINDOWS_PER_SONG, self.windows_spin.value())
        self.settings.set(S.TRAIN_WINDOW_SECONDS, self.window_seconds_spin.value())
        self.settings.set(S.TRAIN_SEED, self.seed_spin.value())

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
        if self.dataset_edit.text().strip() != (str(self.scan.source) if self.scan else ""):
            self.scan_dataset()

    def scan_dataset(self) -> None:
        """Count the songs per genre in the background (the summary line under the path)."""
        path = self.dataset_edit.text().strip()
        self._scan_generation += 1
        self._scan_token.cancel()
        self._scan_token = CancelToken()
        self.scan = None
        if not path or self.unavailable_reason:
            self.dataset_summary.setText("")
            return
        self.dataset_summary.setText("Looking inside…")
        run_task(_scan_job, partial(self._on_dataset_scanned, self._scan_generation), dataset=path,
                 token=self._scan_token)

    def _on_dataset_scanned(self, generation: int, scan: DatasetScan | None, error: BaseException | None) -> None:
        """Show songs per genre, or why the dataset cannot be used."""
        from urdu_genre_app.core.errors import CancelledError

        if generation != self._scan_generation or isinstance(error, CancelledError):
            return
        if error is not None:
            self.dataset_summary.setText(f"<span style='color:#a4262c'>{html.escape(str(error))}</span>")
            return
        self.scan = scan
        counts = scan.songs_per_genre()
        parts = ", ".join(f"{label} {count}" for label, count in counts.items())
        minutes = sum(s.duration_seconds for s in scan.songs) / 60
        text = f"{len(scan.songs)} songs in {len(counts)} genres ({parts}), {minutes:.0f} min of audio"
        if scan.skipped:
            text += f"; {len(scan.skipped)} file(s) will be skipped (listed under the results after the run)"
        self.dataset_summary.setText(html.escape(text))

    def choose_output(self) -> None:
        """Ask where to save the model bundle."""
        start = self.output_edit.text() or str(default_output_path(self.dataset_edit.text() or "model"))
        path, _ = QFileDialog.getSaveFileName(self, "Save the trained model as", start,
                                              "Model bundles (*.ugm)")
        if path:
            if not path.lower().endswith(".ugm"):
                path += ".ugm"
            self.output_edit.setText(path)
            self._confirmed_output = path  # the dialog asked before replacing an existing file

    # ------------------------------------------------------------------ running
    def build_config(self) -> TrainingConfig:
        """The form as a :class:`~training.pipeline.TrainingConfig` (output path filled in)."""
        from training.extract import ExtractionConfig
        from training.fit import FitConfig
        from training.models import model_family
        from training.pipeline import TrainingConfig
        from urdu_genre_app.core.features import FeatureParams

        dataset = self.dataset_edit.text().strip()
        out = self.output_edit.text().strip() or str(default_output_path(dataset))
        if out != self._confirmed_output:
            out = str(unused_path(Path(out)))  # never replace a bundle the user did not confirm
        return TrainingConfig(
            dataset=dataset,
            out=out,
            models=(self.model_combo.currentData(),),
            feature_params=FeatureParams(window_seconds=self.window_seconds_spin.value()),
            extraction=ExtractionConfig(windows_per_song=self.windows_spin.value()),
            fit=FitConfig(epochs=self.epochs_spin.value()),
            seed=self.seed_spin.value(),
            trained_on="user",
            name=f"{model_family(self.model_combo.currentData()).title} on {Path(dataset).name}",
            command="Training tab",
        )

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
        self._remember_settings()
        self.banner.dismiss()
        self.report = self.error = self.written_path = None
        self.token, self.abort = CancelToken(), CancelToken()
        self.chart.reset(config.fit.epochs)
        self.log_view.clear()
        self._clear_results()
        self._append_log(f"training {config.models[0]} on {config.dataset}; the model will be saved to {config.out}")
        self._set_running(True)
        self._started_at = time.monotonic()
        self._elapsed_timer.start()
        self._on_elapsed_tick()
        self.stage_label.setText("Starting (loading TensorFlow)…")
        self.progress_bar.setRange(0, 0)
        run_task(_train_job, self._on_training_done, on_progress=self._on_training_event,
                 pool=self.training_pool, config=config, token=self.token, abort=self.abort)

    def stop_training(self) -> None:
        """Stop after the current batch; the best model so far is still evaluated and saved."""
        if not self.running or self.token.cancelled:
            return
        self.token.cancel()
        self.stop_button.setEnabled(False)
        self.stage_label.setText("Stopping after this batch…")
        self._append_log("stop requested: the best model so far will be evaluated and saved")

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.start_button.setEnabled(not running and not self.unavailable_reason)
        self.stop_button.setEnabled(running)
        for widget in (self.dataset_edit, self.output_edit, self.model_combo, self.epochs_spin, self.windows_spin,
                       self.window_seconds_spin, self.seed_spin):
            widget.setEnabled(not running)
        self.running_changed.emit(running)

    def _on_training_event(self, event) -> None:
        """Show one event posted by the run (a :mod:`training.observer` event)."""
        from training.observer import EpochEnded, LogLine, StageProgress

        if isinstance(event, StageProgress):
            title = event.title
            if event.epoch is not None:
                title = f"Training, epoch {event.epoch} of at most {event.epochs}"
            if self.token.cancelled and event.stage == "fit":
                title = "Stopping after this batch…"
            text = f"{title}: {event.done}/{event.total} {event.unit}".rstrip() if event.total > 1 else title
            self.stage_label.setText(text)
            self.progress_bar.setRange(0, max(1, event.total))
            self.progress_bar.setValue(min(event.done, max(1, event.total)))
        elif isinstance(event, EpochEnded):
            logs = event.logs
            self.chart.add_epoch(event.epoch, dict(logs))
            self._append_log(
                f"epoch {event.epoch}: accuracy {logs.get('accuracy', float('nan')):.1%}, "
                f"validation accuracy {logs.get('val_accuracy', float('nan')):.1%}, "
                f"loss {logs.get('loss', float('nan')):.3f} ({logs.get('windows_per_second', 0):.0f} windows/s)"
            )
        elif isinstance(event, LogLine):
            self._append_log(event.message)

    def _on_training_done(self, report: TrainingReport | None, error: BaseException | None) -> None:
        """Show the results, or why the run failed."""
        from urdu_genre_app.core.errors import CancelledError

        self._elapsed_timer.stop()
        self._on_elapsed_tick()
        self._set_running(False)
        self.progress_bar.setRange(0, 1)
        if error is not None:
            self.progress_bar.setValue(0)
            if isinstance(error, CancelledError):
                self.stage_label.setText("Stopped before any epoch finished: nothing was saved")
                self._append_log("stopped: nothing was saved")
            else:
                self.error = str(error)
                self.stage_label.setText("Failed")
                self.banner.show_message("error", f"Training failed: {error}")
                self._append_log(f"failed: {error}")
                self._close_when_done = None  # stay open: the user has to see why
            self.status_message.emit(self.stage_label.text())
            self._finish_close_if_asked()
            return
        self.progress_bar.setValue(1)
        self.report = report
        self.written_path = str(report.config.out) if report.bundle is not None else None
        if self.written_path:
            # The next run writes a new file unless a path is chosen again.
            self.output_edit.clear()
            self._confirmed_output = None
        done = "Stopped early; best model so far saved" if report.cancelled else "Done"
        self.stage_label.setText(done)
        self._show_results(report)
        self.status_message.emit(f"Training {done.lower()}: {self.written_path or 'no model written'}")
        self._finish_close_if_asked()

    # ------------------------------------------------------------------ results
    def _clear_results(self) -> None:
        self.result_label.setText("")
        self.confusion_table.clear()
        self.confusion_table.setRowCount(0)
        self.confusion_table.setColumnCount(0)
        self.per_class_table.clear()
        self.per_class_table.setRowCount(0)
        self.per_class_table.setColumnCount(0)
        self.skipped_view.set_files([])
        self.use_model_button.setEnabled(False)
        self.results_box.setEnabled(False)

    def _show_results(self, report: TrainingReport) -> None:
        skipped = report.skipped_files
        self.skipped_view.set_files(skipped)
        skipped_text = f" {skipped_count_text(len(skipped))} (listed below, with the reasons)." if skipped else ""
        if not report.results:
            self.result_label.setText("No model finished training." + skipped_text)
            self.results_box.setEnabled(bool(skipped))
            return
        result = next((r for r in report.results if r.name == report.exported), report.results[-1])
        test = result.test
        sizes = report.split.sizes()
        text = (
            f"<b>{html.escape(result.title)}</b>: <b>{test.song_accuracy:.1%}</b> of {test.n_songs} held-out test "
            f"songs right (mean of every window's probabilities), {test.window_accuracy:.1%} of {test.n_windows} "
            f"test windows. Trained on {sizes['train']['songs']} songs, checked on "
            f"{sizes['validation']['songs']} validation songs; no song is in two sets.{skipped_text}"
        )
        if report.cancelled:
            text += " <i>Stopped early: this is the best model before stopping.</i>"
        if self.written_path:
            text += f"<br>Saved to <code>{html.escape(self.written_path)}</code>."
        self.result_label.setText(text)
        labels = list(test.labels)
        self.confusion_table.setRowCount(len(labels))
        self.confusion_table.setColumnCount(len(labels))
        self.confusion_table.setHorizontalHeaderLabels(labels)
        self.confusion_table.setVerticalHeaderLabels(labels)
        for row in range(len(labels)):
            for column in range(len(labels)):
                item = QTableWidgetItem(str(int(test.song_confusion[row, column])))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if row == column:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.confusion_table.setItem(row, column, item)
        columns = ("precision", "recall", "f1", "support")
        self.per_class_table.setRowCount(len(labels))
        self.per_class_table.setColumnCount(len(columns))
        self.per_class_table.setHorizontalHeaderLabels(["Precision", "Recall", "F1", "Songs"])
        self.per_class_table.setVerticalHeaderLabels(labels)
        for row, label in enumerate(labels):
            scores: dict[str, Any] = test.per_class.get(label, {})
            for column, key in enumerate(columns):
                value = scores.get(key, 0)
                text = str(int(value)) if key == "support" else f"{float(value):.0%}"
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.per_class_table.setItem(row, column, item)
        for table in (self.confusion_table, self.per_class_table):
            table.resizeColumnsToContents()
        self.results_box.setEnabled(True)
        self.use_model_button.setEnabled(self.written_path is not None)

    def _on_use_model_clicked(self) -> None:
        """Ask the window to classify with the new model."""
        if self.written_path:
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
        self._scan_token.cancel()
        self._elapsed_timer.stop()
        self.training_pool.waitForDone(wait_ms)
