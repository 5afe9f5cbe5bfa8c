"""The Training tab's results: the summary line, the test songs' confusion matrix, per-genre scores, skipped files."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QGridLayout, QGroupBox, QLabel, QTableWidget, QTableWidgetItem, QWidget

from urdu_genre_app.gui.skipped_files_view import SkippedFilesView

#: Per-genre columns: the evaluation's key and the header shown.
PER_CLASS_COLUMNS = (("precision", "Precision"), ("recall", "Recall"), ("f1", "F1"), ("support", "Songs"))


def _centred(text: str, bold: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
    if bold:
        font = item.font()
        font.setBold(True)
        item.setFont(font)
    return item


class TrainingResultsView(QGroupBox):
    """The "Results" box under the live chart; disabled until a run has something to show."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Results", parent)
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        self.result_label.setTextFormat(Qt.TextFormat.RichText)
        self.confusion_table = QTableWidget()
        self.per_class_table = QTableWidget()
        for table in (self.confusion_table, self.per_class_table):
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.setMinimumHeight(100)
        grid = QGridLayout(self)
        grid.addWidget(self.result_label, 0, 0, 1, 2)
        grid.addWidget(QLabel("Test songs — true genre (rows) by predicted genre (columns):"), 1, 0)
        grid.addWidget(QLabel("Per genre, test songs:"), 1, 1)
        grid.addWidget(self.confusion_table, 2, 0)
        grid.addWidget(self.per_class_table, 2, 1)
        self.skipped_view = SkippedFilesView()
        grid.addWidget(self.skipped_view, 3, 0, 1, 2)
        self.setEnabled(False)

    def clear(self) -> None:
        """Forget the last run's results."""
        self.result_label.setText("")
        for table in (self.confusion_table, self.per_class_table):
            table.clear()
            table.setRowCount(0)
            table.setColumnCount(0)
        self.skipped_view.set_files([])
        self.setEnabled(False)

    def show_evaluation(self, test: Any) -> None:
        """Fill the tables from a test-set evaluation (:class:`training.evaluate.Evaluation`)."""
        labels = list(test.labels)
        self.confusion_table.setRowCount(len(labels))
        self.confusion_table.setColumnCount(len(labels))
        self.confusion_table.setHorizontalHeaderLabels(labels)
        self.confusion_table.setVerticalHeaderLabels(labels)
        for row in range(len(labels)):
            for column in range(len(labels)):
                self.confusion_table.setItem(row, column,
                                             _centred(str(int(test.song_confusion[row, column])), row == column))
        self.per_class_table.setRowCount(len(labels))
        self.per_class_table.setColumnCount(len(PER_CLASS_COLUMNS))
        self.per_class_table.setHorizontalHeaderLabels([title for _key, title in PER_CLASS_COLUMNS])
        self.per_class_table.setVerticalHeaderLabels(labels)
        for row, label in enumerate(labels):
            scores: dict[str, Any] = test.per_class.get(label, {})
            for column, (key, _title) in enumerate(PER_CLASS_COLUMNS):
                value = scores.get(key, 0)
                self.per_class_table.setItem(row, column,
                                             _centred(str(int(value)) if key == "support" else f"{float(value):.0%}"))
        for table in (self.confusion_table, self.per_class_table):
            table.resizeColumnsToContents()
