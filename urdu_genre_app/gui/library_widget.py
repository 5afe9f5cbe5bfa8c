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

import os
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QVBoxLayout, QWidget

from urdu_genre_app.components.library_jobs import (
    classify_job,
    export_job,
    open_job,
    save_corrections_job,
    set_model_job,
    undo_tags_job,
    write_tags_job,
)
from urdu_genre_app.components.library_state import (
    CONFIRM_HINT,
    FILTER_ALL,
    classified_text,
    filter_choices,
    key_hint,
    summary_text,
    tags_done_text,
    write_tags_question,
)
from urdu_genre_app.gui.library_controls import FolderDropFilter, LibraryControls, LibraryTable
from urdu_genre_app.gui.library_footer import LibraryFooter
from urdu_genre_app.gui.library_model import LibraryFilterModel, LibraryTableModel
from urdu_genre_app.gui.workers import CancelToken, run_task, serial_pool


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
        self._drop_filter = FolderDropFilter(self.open_folder, self)
        self.installEventFilter(self._drop_filter)

        self.controls = LibraryControls()
        for name in ("add_button", "classify_button", "progress", "summary_label", "filter_combo", "search_edit",
                     "export_button", "write_tags_button", "keep_existing_check", "undo_tags_button", "improve_button"):
            setattr(self, name, getattr(self.controls, name))
        self.add_button.clicked.connect(self.choose_folder)
        self.classify_button.clicked.connect(
            lambda: self.stop_classification() if self._busy == "classifying" else self.start_classification())
        self.filter_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.search_edit.textChanged.connect(lambda text: self.proxy.set_text(text))
        self.export_button.clicked.connect(lambda: self.export())
        self.write_tags_button.clicked.connect(lambda: self.write_tags())
        self.undo_tags_button.clicked.connect(self.undo_tags)
        self.improve_button.clicked.connect(self.improve_model)

        self.model = LibraryTableModel(self)
        self.proxy = LibraryFilterModel(self)
        self.proxy.setSourceModel(self.model)
        self.table = LibraryTable()
        self.table.setModel(self.proxy)
        self.table.confirm_requested.connect(self.confirm_selected)
        self.table.open_requested.connect(self.open_requested)
        self.table.stop_requested.connect(self.stop_classification)

        self.footer = LibraryFooter()  # the last job's message, skipped paths, notices, the key hint
        self.message_label, self.hint_label = self.footer.message_label, self.footer.hint_label

        layout = QVBoxLayout(self)
        layout.addWidget(self.controls)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.footer)
        self._rebuild_filters()
        self._update_controls()

    # ---------------------------------------------------------------- model
    def set_bundle(self, bundle) -> None:
        """Judge with this model (a loaded ModelBundle, or None while there is none)."""
        self.bundle = bundle
        self.table.labels = self.labels
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
        root = Path(folder).expanduser().resolve()
        self._set_busy("opening")
        self._show_message("")
        self.summary_label.setText(f"Reading {root} …")
        run_task(open_job, self._on_library_ready, pool=self._pool, root=str(root), bundle=self.bundle,
                 data_root=self.data_root)

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
        skipped = f", {len(library.skipped)} skipped (listed under the table)" if library.skipped else ""
        self.status_message.emit(f"Library {library.root}: {len(library.entries)} songs{skipped}")
        if self.auto_classify and library.pending():
            self.start_classification()

    # ---------------------------------------------------------------- classifying
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
        self.controls.show_progress(0.0, f"0 / {len(pending)} songs")
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
            self.controls.show_progress(value.fraction, f"{value.done} / {value.total} songs")

    def _on_classified(self, summary, error: BaseException | None) -> None:
        """The batch ended."""
        cancelled = self._token is not None and self._token.cancelled
        self._token = None
        self._set_busy(None)
        self._show_message(f"Classifying stopped: {error}" if error is not None else classified_text(summary, cancelled))
        self._update_summary()
        self.classification_finished.emit(summary)

    # ---------------------------------------------------------------- corrections
    def selected_entries(self):
        """Entries of the selected rows, in view order."""
        return self.table.entries(selected=True)

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

    def improve_model(self):
        """Fine-tune the current model on the confirmed songs in a dialog (gui/improve_panel.py)."""
        from urdu_genre_app.gui.improve_panel import confirmed_songs, improve_unavailable_reason, open_improve_dialog

        songs = confirmed_songs(self.model.entries())
        reason = improve_unavailable_reason(songs) if self.bundle is not None else "No model is loaded."
        if reason is not None:
            self._show_message(reason)
            return None
        self.improve_dialog = open_improve_dialog(self.improve_dialog, songs, self.bundle, fit=self.improve_fit,
                                                  parent=self, use_model=self.use_model_requested)
        return self.improve_dialog

    # ---------------------------------------------------------------- tags
    def write_tags(self, paths: list[str] | None = None) -> None:
        """Write genres into the selected (or shown) files' tags, in the background.

        Without ``paths`` the selection decides; a bulk write (several rows, or
        none selected: every shown row) says how many files and asks first.
        """
        if self.library is None or self._busy is not None:
            return
        if paths is None:
            selected = self.selected_entries()
            paths = [e.path for e in selected or self.table.entries()]
            if len(selected) != 1 and not self._confirm_bulk_write(paths):
                return
        self._set_busy("tagging")
        run_task(write_tags_job, self._on_tags_done, on_progress=self._on_tag_event, pool=self._pool,
                 library=self.library, paths=paths, keep_existing=self.keep_existing_check.isChecked())

    def _confirm_bulk_write(self, paths: list[str]) -> bool:
        """Ask before writing many files' tags; say so when none would be written."""
        plan = self.library.tag_plan(paths)
        if not plan.genres:
            skipped = plan.skipped_summary(CONFIRM_HINT)
            self._show_message("No tags to write" + (f": {skipped}." if skipped else ": no songs shown."))
            return False
        answer = QMessageBox.question(self, "Write genre tags", write_tags_question(plan),
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                      QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

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

    def _on_tags_done(self, outcome, error: BaseException | None) -> None:
        """Say what was written and what was skipped and why, naming every file that could not be written."""
        self._set_busy(None)
        # A write reports its plan too (a TagOutcome); an undo only its TagReport.
        report, plan = (outcome.report, outcome.plan) if hasattr(outcome, "plan") else (outcome, None)
        if error is not None:
            self._show_message(f"Tags were not written: {error}")
        else:
            self._show_message(tags_done_text(report, plan))
            self.status_message.emit(report.summary())
        self._update_summary()
        self.tags_finished.emit(report)

    # ---------------------------------------------------------------- export
    def export(self, path: str | None = None) -> None:
        """Save the rows shown as CSV or JSON (asks where when ``path`` is None)."""
        if self.library is None:
            return
        if path is None:
            start = str(self.library.root / "library.csv")
            path, _ = QFileDialog.getSaveFileName(self, "Export the library table", start, "CSV (*.csv);;JSON (*.json)")
            if not path:
                return
        run_task(export_job, self._on_exported, pool=self._pool, library=self.library, entries=self.table.entries(),
                 path=path)

    def _on_exported(self, path: str | None, error: BaseException | None) -> None:
        """Report the export."""
        if error is not None:
            self._show_message(f"The table could not be exported: {error}")
            return
        self.status_message.emit(f"Exported to {path}")
        self.exported.emit(path)

    # ---------------------------------------------------------------- state
    def _set_busy(self, busy: str | None) -> None:
        self._busy = busy
        if busy is None:
            self.controls.show_progress(0.0, "")
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
        from urdu_genre_app.gui.improve_panel import improve_button_state

        enabled, tip = improve_button_state(self.model.entries() if self.library else None, self.bundle)
        self.improve_button.setEnabled(enabled)
        self.improve_button.setToolTip(tip)
        self.hint_label.setText(key_hint(self.labels))

    def _rebuild_filters(self) -> None:
        self.proxy.set_mode(self.controls.set_filter_choices(filter_choices(self.labels)))

    def set_filter(self, mode: str) -> None:
        """Show only the rows of a filter (see :class:`LibraryFilterModel`)."""
        self.filter_combo.setCurrentIndex(max(0, self.filter_combo.findData(mode)))

    def _on_filter_changed(self, _index: int) -> None:
        """Apply the chosen filter."""
        self.proxy.set_mode(self.filter_combo.currentData() or FILTER_ALL)

    def _update_summary(self) -> None:
        if self.library is None:
            return
        self.summary_label.setText(summary_text(self.model.entries()))
        for notice in self.footer.show_library(self.library):  # skipped paths; each notice once
            self.status_message.emit(notice)
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
