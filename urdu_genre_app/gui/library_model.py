"""The Library tab's table: a Qt model over :class:`~urdu_genre_app.library.library.LibraryEntry` rows, and its filter."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from urdu_genre_app.components import library_state
from urdu_genre_app.core.safe_text import unicode_path
from urdu_genre_app.components.library_state import (  # noqa: F401 - the filters, for the widget and the tests
    FILTER_ALL,
    FILTER_CONFIRMED,
    FILTER_FAILED,
    FILTER_REVIEW,
    FILTER_UNCONFIRMED,
    FILTER_UNKNOWN,
)

if TYPE_CHECKING:  # the library engine (numpy, sqlite) loads with the first folder, not with the window
    from urdu_genre_app.library.library import LibraryEntry

#: Columns, in order: (key, header).
COLUMNS = (
    ("file", "File"),
    ("duration", "Duration"),
    ("verdict", "Verdict"),
    ("confidence", "Confidence"),
    ("flags", "Flags"),
    ("tag", "Genre in tags"),
    ("confirmed", "Confirmed"),
)
COLUMN_INDEX = {key: i for i, (key, _header) in enumerate(COLUMNS)}
#: Role that carries the value a column sorts by (numbers for duration and confidence).
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
#: Role that carries the row's LibraryEntry.
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 2
REVIEW_BACKGROUND = QColor(255, 243, 205)
#: Text colour of a row that no longer matches the Show filter but stays until the filter changes.
HELD_FOREGROUND = QColor(128, 128, 128)
HELD_TOOLTIP = ("No longer matches the Show filter (confirmed, say); it stays in place until you choose another "
                "filter or search, or add the folder again")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


class LibraryTableModel(QAbstractTableModel):
    """Rows of a library; the entries are the library's own objects, shown as they change."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._entries: list[LibraryEntry] = []
        self._row_of: dict[str, int] = {}
        self._root: Path | None = None

    def set_entries(self, entries: list[LibraryEntry], root: Path | None) -> None:
        """Show these rows (file names relative to ``root``)."""
        self.beginResetModel()
        self._entries = list(entries)
        self._row_of = {entry.path: row for row, entry in enumerate(self._entries)}
        self._root = root
        self.endResetModel()

    def entries(self) -> list[LibraryEntry]:
        """Every row's entry, in model order."""
        return list(self._entries)

    def entry(self, row: int) -> LibraryEntry:
        """The entry of a model row."""
        return self._entries[row]

    def entry_changed(self, entry: LibraryEntry) -> None:
        """Redraw the row of ``entry`` (its object may be a new one for the same path)."""
        row = self._row_of.get(entry.path)
        if row is None:
            return
        self._entries[row] = entry
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        entry = self._entries[index.row()]
        key = COLUMNS[index.column()][0]
        if role == ENTRY_ROLE:
            return entry
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(entry, key)
        if role == SORT_ROLE:
            return self._sort_value(entry, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "file":
                return entry.path
            if key == "verdict":
                return library_state.verdict_tooltip(entry)
            if key == "flags":  # the whole text, should the column still be too narrow for it
                return library_state.flags_text(entry) or None
            return None
        if role == Qt.ItemDataRole.BackgroundRole and entry.needs_review:
            return QBrush(REVIEW_BACKGROUND)
        if role == Qt.ItemDataRole.FontRole and key == "confirmed" and entry.confirmed:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and key in ("duration", "confidence"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, entry: LibraryEntry, key: str) -> str:
        if key == "file":
            # unicode_path: a name that is not UTF-8 shows its odd bytes as \\xNN (Qt would drop them).
            path = Path(entry.path)
            try:
                return unicode_path(path.relative_to(self._root).as_posix() if self._root else path.name)
            except ValueError:
                return unicode_path(path)
        if key == "duration":
            return _clock(entry.duration_seconds) if entry.duration_seconds is not None else ""
        if key == "verdict":
            return library_state.verdict_text(entry)
        if key == "confidence":
            return library_state.confidence_text(entry)
        if key == "flags":
            return library_state.flags_text(entry)
        if key == "tag":
            return entry.tag_genre or ""
        if key == "confirmed":
            return entry.confirmed or ""
        return ""

    def _sort_value(self, entry: LibraryEntry, key: str):
        if key == "duration":
            return entry.duration_seconds if entry.duration_seconds is not None else -1.0
        if key == "confidence":
            return entry.confidence if library_state.confidence_text(entry) else -1.0
        return self._display(entry, key).casefold()


class LibraryFilterModel(QSortFilterProxyModel):
    """Sorts by :data:`SORT_ROLE`; shows the rows a filter and a text search let through.

    A row shown once stays while the filter and search stay as they are, greyed
    once it no longer matches (as a mail client keeps a message just read in
    its "Unread" view): confirming a row of *Needs review* does not pull it
    out from under the cursor and shift the rows below it. Choosing a filter,
    typing a search or a new set of rows (the folder read again) lets go of them.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self._mode = FILTER_ALL
        self._text = ""
        self._held: set[str] = set()  # paths shown since the filter was chosen

    def setSourceModel(self, model) -> None:  # noqa: N802 - Qt's name
        """Filter ``model``; its resets (a folder read again) let go of the rows held."""
        super().setSourceModel(model)
        model.modelAboutToBeReset.connect(self._held.clear)

    def is_held(self, source_row: int) -> bool:
        """The row is shown only because it was when the filter was chosen (it no longer matches)."""
        return not library_state.accepts(self.sourceModel().entry(source_row), self._mode)

    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole):
        if role in (Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.ToolTipRole) and index.isValid() \
                and self.is_held(self.mapToSource(index).row()):
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(HELD_FOREGROUND)
            if index.column() == COLUMN_INDEX["file"]:
                return HELD_TOOLTIP
        return super().data(index, role)

    @property
    def mode(self) -> str:
        """The active filter."""
        return self._mode

    def set_mode(self, mode: str) -> None:
        """Show all rows, the ones needing review, (un)confirmed, not a genre, failed, or ``"verdict:<genre>"``."""
        self._refilter(lambda: setattr(self, "_mode", mode))

    def set_text(self, text: str) -> None:
        """Show only rows whose file name contains ``text`` (any case)."""
        self._refilter(lambda: setattr(self, "_text", text.casefold()))

    def _refilter(self, change) -> None:
        # Qt 6.10 replaced invalidateFilter() with begin/endFilterChange().
        self._held.clear()  # a new choice of filter: rows that no longer match go
        if hasattr(self, "beginFilterChange"):
            self.beginFilterChange()
            change()
            self.endFilterChange()
        else:  # pragma: no cover - Qt before 6.10
            change()
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        entry: LibraryEntry = self.sourceModel().entry(source_row)
        if self._text and self._text not in entry.path.casefold():
            return False
        if library_state.accepts(entry, self._mode):
            self._held.add(entry.path)
            return True
        return entry.path in self._held
