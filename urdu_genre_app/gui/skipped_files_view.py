"""The files a training run (or a Library scan) left out, each with its reason, in a list that folds away."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)


def skipped_count_text(count: int) -> str:
    """``"3 files skipped"``, in words for the results summary."""
    return f"{count} file{'s' if count != 1 else ''} skipped"


class SkippedFilesView(QWidget):
    """A header button ("▸ 3 files skipped") that unfolds a table of file name, folder and reason.

    Hidden while there is nothing to list, so a clean run shows no empty table.
    """

    COLUMNS = ("File", "Reason", "Folder")
    #: Widest the folder column grows to fit its paths.
    FOLDER_MAX_PIXELS = 320

    def __init__(self, parent: QWidget | None = None, *, describe: Callable[[int], str] | None = None,
                 unfold: bool = True, tooltip: str = "Show or hide the files this run left out, and why") -> None:
        """``describe(count)`` words the header (training's by default); ``unfold``: open it when filled."""
        super().__init__(parent)
        self.files: list = []
        self._describe = describe or (lambda count: skipped_count_text(count) + " — left out of training")
        self._unfold = unfold
        self.toggle = QToolButton()
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolTip(tooltip)
        self.toggle.toggled.connect(self._on_toggled)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(90)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.table)
        self.set_files([])

    def set_files(self, files: Sequence) -> None:
        """List these :class:`training.dataset.SkippedFile` or library ``SkippedPath`` (``path`` and ``reason``)."""
        self.files = list(files)
        self.table.setRowCount(len(self.files))
        for row, skipped in enumerate(self.files):
            path = Path(skipped.path)
            for column, text in enumerate((path.name, str(skipped.reason), str(path.parent))):
                item = QTableWidgetItem(text)
                item.setToolTip(str(path) if column != 1 else text)
                self.table.setItem(row, column, item)
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(2)
        # A deep folder would push the reasons out of sight; its tooltip holds the full path.
        self.table.setColumnWidth(2, min(self.table.columnWidth(2), self.FOLDER_MAX_PIXELS))
        self.setVisible(bool(self.files))
        # Training opens it when there is something to see: the user should not have to hunt for why songs are
        # missing. The Library keeps it to one line above its table (unfolded on a click).
        self.toggle.setChecked(bool(self.files) and self._unfold)
        self._on_toggled(self.toggle.isChecked())

    def _on_toggled(self, shown: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.toggle.setText(self._describe(len(self.files)) if self.files else skipped_count_text(0))
        self.table.setVisible(shown)

    def reasons(self) -> dict[str, str]:
        """Full path -> reason, as listed (for tests and export)."""
        return {str(Path(s.path)): str(s.reason) for s in self.files}
