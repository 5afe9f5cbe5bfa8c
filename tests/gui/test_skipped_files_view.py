"""The list of files a training run left out (without training: the long run in test_training_tab checks it end to end)."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.dataset import SkippedFile
from urdu_genre_app.gui.skipped_files_view import SkippedFilesView, skipped_count_text

pytestmark = pytest.mark.gui


def test_lists_each_file_with_its_reason_and_folds_away(qtbot, tmp_path):
    from PySide6.QtWidgets import QVBoxLayout, QWidget

    page = QWidget()  # as under the Training tab's results: shown with its page
    qtbot.addWidget(page)
    view = SkippedFilesView()
    QVBoxLayout(page).addWidget(view)
    page.show()
    assert view.isHidden()  # nothing skipped: no empty table
    files = [SkippedFile(tmp_path / "Rock" / "empty.mp3", "the file is empty (0 bytes)"),
             SkippedFile(tmp_path / "Ghazal" / "notes.m4a", "not audio: no audio stream")]
    view.set_files(files)
    assert view.isVisible() and view.table.isVisible() and view.toggle.isChecked()
    assert view.table.rowCount() == 2
    rows = [tuple(view.table.item(r, c).text() for c in range(3)) for r in range(2)]
    assert rows == [("empty.mp3", "the file is empty (0 bytes)", str(tmp_path / "Rock")),
                    ("notes.m4a", "not audio: no audio stream", str(tmp_path / "Ghazal"))]
    assert view.reasons() == {str(Path(f.path)): f.reason for f in files}
    assert view.toggle.text().startswith("2 files skipped")
    view.toggle.click()
    assert not view.table.isVisible() and view.isVisible()
    view.set_files([])
    assert view.isHidden() and view.table.rowCount() == 0


def test_count_wording():
    assert skipped_count_text(1) == "1 file skipped" and skipped_count_text(3) == "3 files skipped"
