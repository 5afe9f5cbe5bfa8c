"""The Library tab's table: a Qt model over :class:`~urdu_genre_app.library.library.LibraryEntry` rows, and its filter."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from urdu_genre_app.components import library_state
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
            path = Path(entry.path)
            try:
                return path.relative_to(self._root).as_posix() if self._root else path.name
            except ValueError:
                return str(path)
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
    """Sorts by :data:`SORT_ROLE`; shows the rows a filter and a text search let through."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self._mode = FILTER_ALL
        self._text = ""

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
        return library_state.accepts(entry, self._mode)
