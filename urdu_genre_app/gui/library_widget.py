"""The Library tab: a folder of songs classified at once, corrected by key, tagged, exported.

Everything heavy runs through :func:`~urdu_genre_app.gui.workers.run_task` on
this tab's own single-thread pool (opening a library, classifying, tagging,
exporting), so those jobs queue instead of overlapping; classifying spreads
the songs over a process pool inside that job
(:mod:`urdu_genre_app.library.batch`). Corrections are saved on a second
serial pool, so confirming rows never waits behind a classification. The GUI
thread only updates the table from what the jobs report.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from urdu_genre_app.components.library_jobs import (
    classify_job,
    export_job,
    open_job,
    save_corrections_job,
    set_model_job,
    undo_tags_job,
    write_tags_job,
)
from urdu_genre_app.gui.library_model import (
    ENTRY_ROLE,
    FILTER_ALL,
    FILTER_CONFIRMED,
    FILTER_FAILED,
    FILTER_REVIEW,
    FILTER_UNCONFIRMED,
    LibraryFilterModel,
    LibraryTableModel,
)
from urdu_genre_app.gui.workers import CancelToken, run_task, serial_pool

log = logging.getLogger(__name__)


class LibraryWidget(QWidget):
    """The Library tab.

    Parameters
    ----------
    data_root : str or os.PathLike, optional
        Folder under which each library keeps its data (one sub-folder per
        library); the app's data folder by default.
    parent : QWidget, optional
    """

    #: A song to show in the Classify tab (double-click or Enter).
    open_requested = Signal(str)
    status_message = Signal(str)
    #: A folder's rows are in the table (cached verdicts included).
    library_opened = Signal()
    #: A classification batch ended (its BatchSummary, or None on failure).
    classification_finished = Signal(object)
    #: A tag write or undo ended (its TagReport, or None on failure).
    tags_finished = Signal(object)
    #: An export was written (its path).
    exported = Signal(str)
    #: The user chose a model improved from the corrections (its path).
    use_model_requested = Signal(str)

    def __init__(self, data_root: str | os.PathLike | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_root = Path(data_root) if data_root is not None else None
        self.bundle = None
        self.library = None
        self.workers: int | None = None  # processes for classifying: one per CPU
        self.auto_classify = True
        self._busy: str | None = None
        self._token: CancelToken | None = None
        self._pool = serial_pool("library")
        self._corrections_pool = serial_pool("library-corrections")
        self.improve_fit = None  # the fine-tune recipe of "Improve"; None: training's tiny-set recipe
        self.improve_dialog = None
        self.setAcceptDrops(True)

        self.add_button = QPushButton("Add folder…")
        self.add_button.setToolTip("Open a folder of songs (Ctrl+Shift+O), or drop one here")
        self.add_button.clicked.connect(self.choose_folder)
        self.classify_button = QPushButton("Classify")
        self.classify_button.setToolTip("Classify the songs without a verdict, on every core (Esc stops)")
        self.classify_button.clicked.connect(self._on_classify_clicked)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.summary_label = QLabel("Add a folder of songs (Ctrl+Shift+O) or drop one here.")
        top = QHBoxLayout()
        top.addWidget(self.add_button)
        top.addWidget(self.classify_button)
        top.addWidget(self.progress, 1)
        top.addStretch(0)
        top.addWidget(self.summary_label)

        self.filter_combo = QComboBox()
        self.filter_combo.setToolTip("Show only some rows")
        self.filter_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search file names")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(lambda text: self.proxy.set_text(text))
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the table (the rows shown) as CSV or JSON")
        self.export_button.clicked.connect(lambda: self.export())
        self.write_tags_button = QPushButton("Write tags")
        self.write_tags_button.setToolTip("Write the confirmed genre (else the verdict) into the selected files' "
                                          "genre tags (all shown rows when none is selected)")
        self.write_tags_button.clicked.connect(lambda: self.write_tags())
        self.keep_existing_check = QCheckBox("Keep existing genres")
        self.keep_existing_check.setToolTip("Leave files that already have a genre tag as they are")
        self.undo_tags_button = QPushButton("Undo tags")
        self.undo_tags_button.setToolTip("Put back the genre tags the last write replaced")
        self.undo_tags_button.clicked.connect(self.undo_tags)
        second = QHBoxLayout()
        second.addWidget(QLabel("Show:"))
        second.addWidget(self.filter_combo)
        second.addWidget(self.search_edit, 1)
        second.addWidget(self.export_button)
        second.addWidget(self.write_tags_button)
        second.addWidget(self.keep_existing_check)
        second.addWidget(self.undo_tags_button)
        self.improve_button = QPushButton("Improve the model…")
        self.improve_button.clicked.connect(self.improve_model)
        second.addWidget(self.improve_button)

        self.model = LibraryTableModel(self)
        self.proxy = LibraryFilterModel(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._show_context_menu)
        self.table.doubleClicked.connect(self._on_row_activated)
        self.table.installEventFilter(self)

        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint_label = QLabel()
        self.hint_label.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(second)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message_label)
        layout.addWidget(self.hint_label)
        self._rebuild_filters()
        self._update_controls()

    # ---------------------------------------------------------------- model
    def set_bundle(self, bundle) -> None:
        """Judge with this model (a loaded ModelBundle, or None while there is none)."""
        self.bundle = bundle
        self._rebuild_filters()
        if bundle is not None and self.library is not None and self._busy is None:
            self._set_busy("opening")
            run_task(set_model_job, self._on_library_ready, pool=self._pool, library=self.library, bundle=bundle)
        self._update_controls()

    @property
    def labels(self) -> list[str]:
        """The model's genres (empty without a model)."""
        return list(self.bundle.labels) if self.bundle is not None else []

    # ---------------------------------------------------------------- opening
    def choose_folder(self) -> None:
        """Ask for a folder and open it."""
        if self.bundle is None or self._busy == "tagging":
            self._show_message("No model is loaded yet; the library opens once one is." if self.bundle is None
                               else "Wait for the tags to be written, then add the folder.")
            return
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of songs",
                                                  str(self.library.root) if self.library else "")
        if folder:
            self.open_folder(folder)

    def open_folder(self, folder: str | os.PathLike) -> None:
        """Show the songs below ``folder``: cached verdicts at once, the rest classified in the background."""
        if self.bundle is None:
            self._show_message("No model is loaded yet; the library opens once one is.")
            return
        if self._busy == "classifying":
            self.stop_classification()
        from urdu_genre_app.library.library import library_data_dir

        root = Path(folder).expanduser().resolve()
        data_dir = None
        if self.data_root is not None:
            data_dir = str(self.data_root / library_data_dir(root).name)
        self._set_busy("opening")
        self._show_message("")
        self.summary_label.setText(f"Reading {root} …")
        run_task(open_job, self._on_library_ready, pool=self._pool, root=str(root), bundle=self.bundle,
                 data_dir=data_dir)

    def _on_library_ready(self, library, error: BaseException | None) -> None:
        """Fill the table from a freshly opened (or re-modelled) library."""
        self._set_busy(None)
        if error is not None:
            self._show_message(str(error))
            self.summary_label.setText("")
            return
        if self.library is not None and self.library is not library:
            self.library.close()
        self.library = library
        self.model.set_entries(list(library.entries.values()), library.root)
        self._update_summary()
        self.library_opened.emit()
        self.status_message.emit(f"Library {library.root}: {len(library.entries)} songs")
        if self.auto_classify and library.pending():
            self.start_classification()

    # ---------------------------------------------------------------- classifying
    def _on_classify_clicked(self) -> None:
        if self._busy == "classifying":
            self.stop_classification()
        else:
            self.start_classification()

    def start_classification(self) -> None:
        """Classify the rows without a verdict, in the background."""
        if self.library is None or self._busy is not None:
            return
        pending = self.library.pending()
        if not pending:
            self.summary_label.setText("Every song has a verdict.")
            return
        self._token = CancelToken()
        self._set_busy("classifying")
        self.progress.setValue(0)
        self.progress.setFormat(f"0 / {len(pending)} songs")
        run_task(classify_job, self._on_classified, on_progress=self._on_classify_event, pool=self._pool,
                 library=self.library, token=self._token, workers=self.workers)

    def stop_classification(self) -> None:
        """Stop classifying; finished songs keep their verdicts."""
        if self._token is not None:
            self._token.cancel()
            self.summary_label.setText("Stopping…")

    def _on_classify_event(self, event: tuple) -> None:
        """A song finished, or the batch moved on."""
        kind, value = event
        if kind == "entry":
            self.model.entry_changed(value)
        elif kind == "progress":
            self.progress.setValue(int(round(value.fraction * 1000)))
            self.progress.setFormat(f"{value.done} / {value.total} songs")

    def _on_classified(self, summary, error: BaseException | None) -> None:
        """The batch ended."""
        cancelled = self._token is not None and self._token.cancelled
        self._token = None
        self._set_busy(None)
        if error is not None:
            self._show_message(f"Classifying stopped: {error}")
        else:
            failed = [o for o in summary.outcomes if o.result is None]
            done = len(summary.outcomes)
            text = (f"Stopped after {done} songs." if summary.cancelled or cancelled
                    else f"Classified {done} songs in {summary.seconds:.1f} s.")
            if failed:
                text += f" {len(failed)} could not be read (hover a row for why)."
            self._show_message(text)
        self._update_summary()
        self.classification_finished.emit(summary)

    # ---------------------------------------------------------------- corrections
    def selected_entries(self):
        """Entries of the selected rows, in view order."""
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.proxy.index(row, 0).data(ENTRY_ROLE) for row in rows]

    def confirm_selected(self, genre: str | None) -> None:
        """Set (or, with None, clear) the confirmed genre of the selected rows; saved at once."""
        entries = self.selected_entries()
        if self.library is None or not entries:
            return
        for entry in entries:
            entry.confirmed = genre
            self.model.entry_changed(entry)
        run_task(save_corrections_job, self._on_corrections_saved, pool=self._corrections_pool,
                 owner=self, library=self.library, genre_by_path={e.path: genre for e in entries})
        what = f"confirmed as {genre}" if genre else "no longer confirmed"
        self.status_message.emit(f"{len(entries)} song{'s' if len(entries) != 1 else ''} {what}")
        self._update_summary()

    def _on_corrections_saved(self, _result, error: BaseException | None) -> None:
        """Say so when the manifest could not be written."""
        if error is not None:
            self._show_message(f"The corrections could not be saved: {error}")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Keys on the table: 1-4 or a genre's initial confirm, 0/Delete clear, Enter opens."""
        if watched is self.table and event.type() == QEvent.Type.KeyPress:
            key_event: QKeyEvent = event
            if key_event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._on_row_activated(self.table.currentIndex())
                return True
            if key_event.key() == Qt.Key.Key_Escape and self._busy == "classifying":
                self.stop_classification()
                return True
            if key_event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier):
                return False
            if key_event.key() in (Qt.Key.Key_0, Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.confirm_selected(None)
                return True
            from urdu_genre_app.library.library import genre_for_key

            genre = genre_for_key(key_event.text(), self.labels)
            if genre is not None:
                self.confirm_selected(genre)
                return True
        return super().eventFilter(watched, event)

    def _show_context_menu(self, position) -> None:
        """Confirm, clear or open from a menu."""
        if not self.selected_entries():
            return
        menu = QMenu(self)
        confirm = menu.addMenu("Confirm genre")
        for number, label in enumerate(self.labels, start=1):
            confirm.addAction(f"&{number} {label}", lambda g=label: self.confirm_selected(g))
        menu.addAction("Clear confirmation", lambda: self.confirm_selected(None))
        menu.addSeparator()
        menu.addAction("Open in Classify", lambda: self._on_row_activated(self.table.currentIndex()))
        menu.exec(self.table.viewport().mapToGlobal(position))

    def _on_row_activated(self, index: QModelIndex) -> None:
        """Show the row's song in the Classify tab."""
        if index.isValid():
            self.open_requested.emit(index.data(ENTRY_ROLE).path)

    def improve_model(self):
        """Fine-tune the current model on the confirmed songs in a dialog (gui/improve_panel.py)."""
        from urdu_genre_app.gui.improve_panel import ImproveDialog, confirmed_songs, improve_unavailable_reason

        songs = confirmed_songs(self.model.entries())
        reason = improve_unavailable_reason(songs) if self.bundle is not None else "No model is loaded."
        if reason is not None:
            self._show_message(reason)
            return None
        if self.improve_dialog is not None and self.improve_dialog.running:
            self.improve_dialog.raise_()
            return self.improve_dialog
        if self.improve_dialog is not None:
            self.improve_dialog.deleteLater()  # the last run's dialog, finished
        self.improve_dialog = ImproveDialog(songs, self.bundle, fit=self.improve_fit, parent=self)
        self.improve_dialog.use_model_requested.connect(self.use_model_requested)
        self.improve_dialog.show()
        self.improve_dialog.start()
        return self.improve_dialog

    # ---------------------------------------------------------------- tags
    def _rows_for_action(self) -> list[str]:
        selected = self.selected_entries()
        if selected:
            return [e.path for e in selected]
        return [self.proxy.index(row, 0).data(ENTRY_ROLE).path for row in range(self.proxy.rowCount())]

    def write_tags(self, paths: list[str] | None = None) -> None:
        """Write genres into the selected (or shown) files' tags, in the background."""
        if self.library is None or self._busy is not None:
            return
        self._set_busy("tagging")
        run_task(write_tags_job, self._on_tags_done, on_progress=self._on_tag_event, pool=self._pool,
                 library=self.library, paths=paths if paths is not None else self._rows_for_action(),
                 keep_existing=self.keep_existing_check.isChecked())

    def undo_tags(self) -> None:
        """Put back the genre tags the last write replaced."""
        if self.library is None or self._busy is not None or not self.library.journal.can_undo:
            return
        self._set_busy("tagging")
        run_task(undo_tags_job, self._on_tags_done, on_progress=self._on_tag_event, pool=self._pool,
                 library=self.library)

    def _on_tag_event(self, event: tuple) -> None:
        """A file's tags changed."""
        self.model.entry_changed(event[1])

    def _on_tags_done(self, report, error: BaseException | None) -> None:
        """Say what was written, naming every file that could not be."""
        self._set_busy(None)
        if error is not None:
            self._show_message(f"Tags were not written: {error}")
        else:
            lines = [report.summary() + "."]
            lines += [str(failure) for failure in report.failures]
            self._show_message("\n".join(lines))
            self.status_message.emit(report.summary())
        self._update_summary()
        self.tags_finished.emit(report)

    # ---------------------------------------------------------------- export
    def export(self, path: str | None = None) -> None:
        """Save the rows shown as CSV or JSON (asks where when ``path`` is None)."""
        if self.library is None:
            return
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export the library table",
                                                  str(self.library.root / "library.csv"),
                                                  "CSV (*.csv);;JSON (*.json)")
            if not path:
                return
        entries = [self.proxy.index(row, 0).data(ENTRY_ROLE) for row in range(self.proxy.rowCount())]
        run_task(export_job, self._on_exported, pool=self._pool, library=self.library, entries=entries, path=path)

    def _on_exported(self, path: str | None, error: BaseException | None) -> None:
        """Report the export."""
        if error is not None:
            self._show_message(f"The table could not be exported: {error}")
            return
        self.status_message.emit(f"Exported to {path}")
        self.exported.emit(path)

    # ---------------------------------------------------------------- drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept a dropped folder."""
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if any(Path(url.toLocalFile()).is_dir() for url in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        """Keep accepting a folder while it is dragged over."""
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        """Open the dropped folder."""
        for url in event.mimeData().urls():
            if Path(url.toLocalFile()).is_dir():
                self.open_folder(url.toLocalFile())
                event.acceptProposedAction()
                return

    # ---------------------------------------------------------------- state
    def _set_busy(self, busy: str | None) -> None:
        self._busy = busy
        if busy is None:
            self.progress.setFormat("")
            self.progress.setValue(0)
        # Shown only while there is progress to show (empty, it looks like a text field).
        self.progress.setVisible(busy == "classifying")
        self._update_controls()
        if busy is None and self.library is not None and self.bundle is not None \
                and self.library.bundle is not self.bundle:
            # The model changed while a job ran: judge with the new one now.
            self.set_bundle(self.bundle)

    @property
    def busy(self) -> str | None:
        """``"opening"``, ``"classifying"``, ``"tagging"`` or None."""
        return self._busy

    def _update_controls(self) -> None:
        has_library = self.library is not None
        idle = self._busy is None
        self.add_button.setEnabled(self.bundle is not None and self._busy != "tagging")
        self.classify_button.setText("Stop" if self._busy == "classifying" else "Classify")
        self.classify_button.setEnabled(has_library and (idle or self._busy == "classifying"))
        self.write_tags_button.setEnabled(has_library and idle)
        self.undo_tags_button.setEnabled(has_library and idle and self.library.journal.can_undo)
        self.export_button.setEnabled(has_library)
        self._update_improve_button()
        labels = self.labels
        keys = "/".join(str(i) for i in range(1, len(labels) + 1))
        initials = "/".join(label[:1].upper() for label in labels)
        self.hint_label.setText(f"Keys {keys} or {initials} confirm the selected rows' genre "
                                f"({', '.join(labels)}); 0 or Delete clears it; Enter or double-click opens the "
                                "song in Classify." if labels else "")

    def _update_improve_button(self) -> None:
        from urdu_genre_app.gui.improve_panel import confirmed_songs, improve_unavailable_reason

        reason = improve_unavailable_reason(confirmed_songs(self.model.entries())) if self.library else \
            "Open a folder of songs and confirm their genres first."
        self.improve_button.setEnabled(reason is None and self.bundle is not None)
        self.improve_button.setToolTip(reason or "Improve the model with my corrections: fine-tune it on the "
                                       "confirmed songs, see accuracy before and after, then choose")

    def _rebuild_filters(self) -> None:
        current = self.filter_combo.currentData() or FILTER_ALL
        self.filter_combo.blockSignals(True)
        self.filter_combo.clear()
        for text, mode in [("All songs", FILTER_ALL), ("Needs review", FILTER_REVIEW),
                           ("Unconfirmed", FILTER_UNCONFIRMED), ("Confirmed", FILTER_CONFIRMED),
                           *((f"Verdict: {label}", f"verdict:{label}") for label in self.labels),
                           ("Cannot read", FILTER_FAILED)]:
            self.filter_combo.addItem(text, mode)
        position = self.filter_combo.findData(current)
        self.filter_combo.setCurrentIndex(max(0, position))
        self.filter_combo.blockSignals(False)
        self.proxy.set_mode(self.filter_combo.currentData())

    def set_filter(self, mode: str) -> None:
        """Show only the rows of a filter (see :class:`LibraryFilterModel`)."""
        self.filter_combo.setCurrentIndex(max(0, self.filter_combo.findData(mode)))

    def _on_filter_changed(self, _index: int) -> None:
        """Apply the chosen filter."""
        self.proxy.set_mode(self.filter_combo.currentData() or FILTER_ALL)

    def _update_summary(self) -> None:
        if self.library is None:
            return
        entries = self.model.entries()
        done = sum(e.result is not None for e in entries)
        review = sum(e.needs_review for e in entries)
        confirmed = sum(bool(e.confirmed) for e in entries)
        self.summary_label.setText(f"{len(entries)} songs: {done} classified, {review} to review, "
                                   f"{confirmed} confirmed")
        self._update_controls()

    def _show_message(self, text: str) -> None:
        self.message_label.setText(text)

    def shutdown(self) -> None:
        """Stop classifying and wait for the tab's jobs (the window is closing)."""
        self.stop_classification()
        if self.improve_dialog is not None:
            self.improve_dialog.shutdown()
        self._pool.waitForDone(10_000)
        self._corrections_pool.waitForDone(3000)
        if self.library is not None:
            self.library.close()
