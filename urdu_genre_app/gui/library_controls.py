"""The Library tab's parts: its two rows of controls, and the table that confirms genres by key."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
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

from urdu_genre_app.gui.library_model import ENTRY_ROLE

#: Range of the classification progress bar (per mille, so its steps look smooth).
PROGRESS_STEPS = 1000


class LibraryControls(QWidget):
    """Add folder, Classify, progress and summary; then Show, search, Export, tags and Improve.

    The tab connects the buttons; this widget only builds and lays them out.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.add_button = QPushButton("Add folder…")
        self.add_button.setToolTip("Open a folder of songs (Ctrl+Shift+O), or drop one here")
        self.classify_button = QPushButton("Classify")
        self.classify_button.setToolTip("Classify the songs without a verdict, on every core (Esc stops)")
        self.progress = QProgressBar()
        self.progress.setRange(0, PROGRESS_STEPS)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.progress.hide()  # shown only while a batch runs: empty, it looks like a text field
        self.summary_label = QLabel("Add a folder of songs (Ctrl+Shift+O) or drop one here.")
        self.filter_combo = QComboBox()
        self.filter_combo.setToolTip("Show only some rows")
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search file names")
        self.search_edit.setClearButtonEnabled(True)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the table (the rows shown) as CSV or JSON")
        self.write_tags_button = QPushButton("Write tags")
        self.write_tags_button.setToolTip(
            "Write the confirmed genre (else a sure verdict; doubtful ones are skipped) into the selected files' "
            "genre tags (all shown rows when none is selected; asks first when that is more than one)")
        self.keep_existing_check = QCheckBox("Keep existing genres")
        self.keep_existing_check.setToolTip("Leave files that already have a genre tag as they are")
        self.undo_tags_button = QPushButton("Undo tags")
        self.undo_tags_button.setToolTip("Put back the genre tags the last write replaced")
        self.improve_button = QPushButton("Improve the model…")

        top = QHBoxLayout()
        for widget, stretch in ((self.add_button, 0), (self.classify_button, 0), (self.progress, 1)):
            top.addWidget(widget, stretch)
        top.addStretch(0)
        top.addWidget(self.summary_label)
        second = QHBoxLayout()
        second.addWidget(QLabel("Show:"))
        second.addWidget(self.filter_combo)
        second.addWidget(self.search_edit, 1)
        for widget in (self.export_button, self.write_tags_button, self.keep_existing_check, self.undo_tags_button,
                       self.improve_button):
            second.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(second)

    def set_filter_choices(self, choices: Sequence[tuple[str, str]]) -> str:
        """Fill the Show menu with ``(text, mode)`` pairs, keeping the chosen one where it still is; returns it."""
        current = self.filter_combo.currentData() or choices[0][1]
        self.filter_combo.blockSignals(True)  # one filter change, announced by the caller
        self.filter_combo.clear()
        for text, mode in choices:
            self.filter_combo.addItem(text, mode)
        self.filter_combo.setCurrentIndex(max(0, self.filter_combo.findData(current)))
        self.filter_combo.blockSignals(False)
        return self.filter_combo.currentData()

    def show_progress(self, fraction: float, text: str) -> None:
        """Show how far a classification batch is."""
        self.progress.setValue(int(round(fraction * PROGRESS_STEPS)))
        self.progress.setFormat(text)


class LibraryTable(QTableView):
    """The rows: sortable, several selectable; keys and a menu confirm genres, Enter opens a song.

    Keys: 1-9 or a genre's initial confirm the selected rows' genre, 0 /
    Delete / Backspace clear it, Enter opens the current row, Esc asks to stop
    classifying.
    """

    #: Confirm this genre for the selected rows (None: clear the confirmation).
    confirm_requested = Signal(object)
    #: Open this row's song (its path).
    open_requested = Signal(str)
    #: Esc: stop what runs.
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels: Sequence[str] = ()
        self.setSortingEnabled(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        # One line a row; a long path loses its start ("…01 Song name.mp3"): the file name tells the songs apart,
        # sorting keeps a folder's songs together, and the tooltip holds the whole path.
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideLeft)
        self.verticalHeader().setVisible(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._show_context_menu)
        self.doubleClicked.connect(self._open)

    def setModel(self, model) -> None:  # noqa: N802 - Qt's name
        """Show ``model``, sorted by file name, with the long columns read whole."""
        super().setModel(model)
        self.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # Every other column as wide as its contents or heading: "Not one of Ghazal, …, Rock (closest: Rock)" and
        # "uncertain, needs review" are read whole, never cut off, and "0:53" or "98%" take no more than their
        # heading, so the file names get the rest.
        for column in range(1, model.columnCount()):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

    def entries(self, *, selected: bool = False) -> list:
        """The LibraryEntry of every shown row (or of the selected ones), in view order."""
        model = self.model()
        rows = (sorted({index.row() for index in self.selectionModel().selectedRows()}) if selected
                else range(model.rowCount()))
        return [model.index(row, 0).data(ENTRY_ROLE) for row in rows]

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        """Confirm, clear or open by key; anything else moves around the table as usual."""
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._open(self.currentIndex())
            return
        if key == Qt.Key.Key_Escape:
            self.stop_requested.emit()
            return
        if not event.modifiers() & ~(Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier):
            if key in (Qt.Key.Key_0, Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.confirm_requested.emit(None)
                return
            from urdu_genre_app.library.library import genre_for_key

            genre = genre_for_key(event.text(), self.labels)
            if genre is not None:
                self.confirm_requested.emit(genre)
                return
        super().keyPressEvent(event)

    def _show_context_menu(self, position) -> None:
        """Confirm, clear or open from a menu."""
        if not self.selectionModel().selectedRows():
            return
        menu = QMenu(self)
        confirm = menu.addMenu("Confirm genre")
        for number, label in enumerate(self.labels, start=1):
            confirm.addAction(f"&{number} {label}", lambda g=label: self.confirm_requested.emit(g))
        menu.addAction("Clear confirmation", lambda: self.confirm_requested.emit(None))
        menu.addSeparator()
        menu.addAction("Open in Classify", lambda: self._open(self.currentIndex()))
        menu.exec(self.viewport().mapToGlobal(position))

    def _open(self, index: QModelIndex) -> None:
        """Ask to show the row's song in the Classify tab."""
        if index.isValid():
            self.open_requested.emit(index.data(ENTRY_ROLE).path)


class FolderDropFilter(QObject):
    """Lets a folder be dropped on the widget it filters: ``open_folder(path)`` is called with it."""

    def __init__(self, open_folder: Callable[[str], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._open_folder = open_folder

    @staticmethod
    def _folders(event) -> list[str]:
        data = event.mimeData()
        urls = data.urls() if data.hasUrls() else []
        return [url.toLocalFile() for url in urls if Path(url.toLocalFile()).is_dir()]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Accept a folder dragged over; open it when dropped."""
        if event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if self._folders(event):
                event.acceptProposedAction()
            else:
                event.ignore()
            return True
        if event.type() == QEvent.Type.Drop:
            folders = self._folders(event)
            if folders:
                self._open_folder(folders[0])
                event.acceptProposedAction()
            return True
        return super().eventFilter(watched, event)
