"""The Library tab: a folder in, verdicts, corrections by key, tags written and undone, cache on reopening."""

from __future__ import annotations

import csv
import os
import stat

import mutagen
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests import audio_factory
from urdu_genre_app.gui.library_model import COLUMN_INDEX, ENTRY_ROLE, FILTER_ALL, FILTER_REVIEW
from urdu_genre_app.gui.library_widget import LibraryWidget
from urdu_genre_app.library.tags import read_genres

pytestmark = pytest.mark.gui


@pytest.fixture
def music(tmp_path):
    root = tmp_path / "music"
    (root / "disc 2").mkdir(parents=True)
    kinds = ["Tone", "Noise", "Clicks", "Sweep", "Tone"]
    for i, name in enumerate(["a.mp3", "b.flac", "disc 2/c.ogg", "disc 2/d.m4a", "e.wav"]):
        audio_factory.write_audio(root / name, audio_factory.make_sound(kinds[i], 6.0, seed=i))
    return root


@pytest.fixture
def make_widget(qtbot, tmp_path, bundled_model):
    widgets = []

    def make(workers=1):
        widget = LibraryWidget(data_root=tmp_path / "library-data")
        widget.workers = workers
        widget.set_bundle(bundled_model)
        qtbot.addWidget(widget)
        widget.show()
        widgets.append(widget)
        return widget

    yield make
    for widget in widgets:
        widget.shutdown()


def _open_and_classify(qtbot, widget, folder, timeout=60_000):
    with qtbot.waitSignal(widget.classification_finished, timeout=timeout) as blocker:
        widget.open_folder(folder)
    return blocker.args[0]


def _row_of(widget, name):
    for row in range(widget.proxy.rowCount()):
        if widget.proxy.index(row, 0).data(ENTRY_ROLE).path.endswith(name):
            return row
    raise AssertionError(name)


def _select(qtbot, widget, *names):
    widget.table.clearSelection()
    for name in names:
        widget.table.selectionModel().select(
            widget.proxy.index(_row_of(widget, name), 0),
            widget.table.selectionModel().SelectionFlag.Select | widget.table.selectionModel().SelectionFlag.Rows)
    widget.table.selectionModel().setCurrentIndex(widget.proxy.index(_row_of(widget, names[-1]), 0),
                                                  widget.table.selectionModel().SelectionFlag.NoUpdate)
    widget.table.setFocus()


def _answer_questions(monkeypatch, answer) -> list[str]:
    """Answer every QMessageBox.question with ``answer``; returns the texts asked."""
    asked: list[str] = []

    def question(_parent, _title, text, *_args, **_kwargs):
        asked.append(text)
        return answer

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def test_folder_to_verdicts_corrections_tags_and_undo(qtbot, make_widget, music, bundled_model, monkeypatch):
    widget = make_widget(workers=2)  # the real process pool
    summary = _open_and_classify(qtbot, widget, music)
    assert len(summary.outcomes) == 5 and not summary.cancelled
    entries = widget.model.entries()
    assert len(entries) == 5 and all(e.verdict in bundled_model.labels for e in entries)
    assert widget.proxy.index(_row_of(widget, "c.ogg"), 0).data() == "disc 2/c.ogg"
    assert widget.proxy.index(_row_of(widget, "a.mp3"), COLUMN_INDEX["duration"]).data() == "0:06"

    # Keys: "1" confirms the first genre, the initial of the last genre confirms that one.
    _select(qtbot, widget, "a.mp3", "b.flac")
    qtbot.keyClick(widget.table, Qt.Key.Key_1)
    _select(qtbot, widget, "e.wav")
    qtbot.keyClick(widget.table, bundled_model.labels[-1][0].lower())
    confirmed = {e.path.rsplit("/", 1)[-1]: e.confirmed for e in widget.model.entries() if e.confirmed}
    labels = bundled_model.labels
    assert confirmed == {"a.mp3": labels[0], "b.flac": labels[0], "e.wav": labels[-1]}
    widget._corrections_pool.waitForDone(5000)
    with open(widget.library.manifest_path, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["path", "genre"] and sorted(r[0].rsplit("/", 1)[-1] for r in rows[1:]) == \
        ["a.mp3", "b.flac", "e.wav"]

    # Tags for every row (nothing selected): it says how many files and asks first; read back with mutagen.
    widget.table.clearSelection()
    plan = widget.library.tag_plan()
    questions = _answer_questions(monkeypatch, QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(widget.tags_finished, timeout=120_000) as blocker:
        widget.write_tags_button.click()
    assert len(questions) == 1 and f"tags of {len(plan.genres)} file" in questions[0]
    report = blocker.args[0]
    assert len(report.changed) == len(plan.genres) and not report.failures
    assert list(mutagen.File(music / "a.mp3").tags.getall("TCON")[0].genres) == [bundled_model.labels[0]]
    assert mutagen.File(music / "b.flac")["genre"] == [bundled_model.labels[0]]
    for entry in widget.model.entries():  # confirmed genres, and verdicts only when the model is sure
        assert read_genres(entry.path) == ([plan.genres[entry.path]] if entry.path in plan.genres else [])
        assert entry.path in plan.genres or not entry.confirmed
    if plan.skipped:
        assert f"{len(plan.skipped)} skipped" in widget.message_label.text()
    assert widget.proxy.index(_row_of(widget, "b.flac"), COLUMN_INDEX["tag"]).data() == bundled_model.labels[0]

    statuses: list[str] = []
    widget.status_message.connect(statuses.append)
    with qtbot.waitSignal(widget.tags_finished, timeout=120_000):
        widget.undo_tags_button.click()
    assert all(read_genres(e.path) == [] for e in widget.model.entries())
    # It says what the undo did, not what the write before it did.
    one = len(plan.genres) == 1
    undone = f"Undo: {len(plan.genres)} file{'' if one else 's'} given back {'its' if one else 'their'} earlier genre"
    assert widget.message_label.text().startswith(undone) and "tagged" not in widget.message_label.text()
    assert statuses[-1] == undone
    assert widget.proxy.index(_row_of(widget, "b.flac"), COLUMN_INDEX["tag"]).data() == ""


def test_reopening_fills_from_the_cache_at_once(qtbot, make_widget, music):
    first = make_widget()
    _open_and_classify(qtbot, first, music)
    verdicts = {e.path: e.verdict for e in first.model.entries()}
    first.shutdown()

    second = make_widget()
    finished = []
    second.classification_finished.connect(finished.append)
    with qtbot.waitSignal(second.library_opened, timeout=120_000):
        second.open_folder(music)
    assert {e.path: e.verdict for e in second.model.entries()} == verdicts
    assert all(e.from_cache for e in second.model.entries())
    qtbot.wait(100)
    assert second.busy is None and not finished  # nothing left to classify


def test_cancel_mid_library_keeps_what_finished(qtbot, make_widget, tmp_path):
    root = tmp_path / "long"
    root.mkdir()
    for i in range(5):
        audio_factory.write_audio(root / f"{i}.wav", audio_factory.make_sound("Noise", 120.0, seed=i))
    widget = make_widget()
    widget.auto_classify = True
    assert widget.progress.isHidden()  # idle: no empty bar that looks like a text field
    with qtbot.waitSignal(widget.classification_finished, timeout=120_000) as blocker:
        widget.open_folder(root)
        qtbot.waitUntil(lambda: any(e.result is not None for e in widget.model.entries()), timeout=60_000)
        assert widget.progress.isVisible() and widget.progress.format().endswith(" / 5 songs")
        qtbot.keyClick(widget.table, Qt.Key.Key_Escape)
    assert widget.progress.isHidden()
    summary = blocker.args[0]
    assert summary.cancelled and 1 <= len(summary.outcomes) < 5
    assert widget.classify_button.text() == "Classify"
    assert "Stopped" in widget.message_label.text()
    assert len(widget.library.pending()) == 5 - len(summary.outcomes)


def test_read_only_file_named_while_the_others_are_tagged(qtbot, make_widget, music, bundled_model, monkeypatch):
    widget = make_widget()
    _open_and_classify(qtbot, widget, music)
    _select(qtbot, widget, "a.mp3", "b.flac")
    qtbot.keyClick(widget.table, Qt.Key.Key_1)  # confirmed: their tags are written whatever the verdicts
    widget.table.clearSelection()
    planned = len(widget.library.tag_plan().genres)
    _answer_questions(monkeypatch, QMessageBox.StandardButton.Yes)
    locked = music / "b.flac"
    os.chmod(locked, stat.S_IRUSR)
    try:
        with qtbot.waitSignal(widget.tags_finished, timeout=120_000) as blocker:
            widget.write_tags()
        report = blocker.args[0]
        assert len(report.changed) == planned - 1 and len(report.failures) == 1
        assert str(locked) in widget.message_label.text() and "read-only" in widget.message_label.text()
        assert read_genres(locked) == [] and read_genres(music / "a.mp3")
    finally:
        os.chmod(locked, stat.S_IRUSR | stat.S_IWUSR)


def test_enter_opens_the_song_and_needs_review_filters(qtbot, make_widget, music, bundled_model):
    widget = make_widget()
    _open_and_classify(qtbot, widget, music)
    _select(qtbot, widget, "c.ogg")
    with qtbot.waitSignal(widget.open_requested, timeout=120_000) as blocker:
        qtbot.keyClick(widget.table, Qt.Key.Key_Return)
    assert blocker.args[0] == str(music / "disc 2" / "c.ogg")

    # A tag that disagrees with the verdict puts the row up for review.
    entry = next(e for e in widget.model.entries() if e.path.endswith("a.mp3"))
    entry.tag_genre = next(label for label in bundled_model.labels if label != entry.verdict)
    widget.model.entry_changed(entry)
    widget.set_filter(FILTER_REVIEW)
    shown = [widget.proxy.index(r, 0).data(ENTRY_ROLE) for r in range(widget.proxy.rowCount())]
    assert entry in shown and all(e.needs_review for e in shown)
    widget.set_filter(f"verdict:{entry.verdict}")
    assert all(widget.proxy.index(r, 0).data(ENTRY_ROLE).verdict == entry.verdict
               for r in range(widget.proxy.rowCount()))


def test_export_writes_the_rows_shown(qtbot, make_widget, music, tmp_path):
    widget = make_widget()
    _open_and_classify(qtbot, widget, music)
    widget.search_edit.setText("disc 2")
    with qtbot.waitSignal(widget.exported, timeout=120_000):
        widget.export(str(tmp_path / "out.csv"))
    with open(tmp_path / "out.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["path"].rsplit("/", 1)[-1] for r in rows) == ["c.ogg", "d.m4a"]


def test_the_real_window_has_the_tab_and_enter_opens_in_classify(qtbot, make_window, music):
    from urdu_genre_app.resources import bundled_model_path

    window = make_window(str(bundled_model_path()), wait_charts=False)
    assert window._library_widget is None  # built when first shown: the window opens faster
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    library = window.library_widget
    assert window.tabs.currentWidget() is library and window.tabs.tabText(window.tabs.currentIndex()) == "Library"
    library.workers = 1
    assert library.bundle is window.bundle and window.add_folder_action.shortcut().toString() == "Ctrl+Shift+O"
    with qtbot.waitSignal(library.classification_finished, timeout=60_000):
        library.open_folder(music)
    assert all(e.verdict for e in library.model.entries())
    _select(qtbot, library, "b.flac")
    qtbot.keyClick(library.table, Qt.Key.Key_Return)
    assert window.tabs.currentWidget() is window.classify_widget
    qtbot.waitUntil(lambda: window.classify_widget.state.result is not None, timeout=120_000)
    assert window.classify_widget.state.result.path == str(music / "b.flac")


def test_a_bulk_write_asks_first_and_no_writes_nothing(qtbot, make_widget, music, monkeypatch):
    widget = make_widget()
    _open_and_classify(qtbot, widget, music)
    _select(qtbot, widget, "a.mp3", "b.flac", "e.wav")
    qtbot.keyClick(widget.table, Qt.Key.Key_1)
    questions = _answer_questions(monkeypatch, QMessageBox.StandardButton.No)
    widget.write_tags()  # three rows selected: asked, and the answer is no
    assert len(questions) == 1 and "tags of 3 files" in questions[0]
    qtbot.wait(100)
    assert widget.busy is None and all(read_genres(e.path) == [] for e in widget.model.entries())
    _select(qtbot, widget, "a.mp3")  # one row: written without a question
    with qtbot.waitSignal(widget.tags_finished, timeout=120_000) as blocker:
        widget.write_tags_button.click()
    assert len(questions) == 1 and len(blocker.args[0].changed) == 1 and read_genres(music / "a.mp3")


def test_a_song_that_is_not_a_genre_reads_as_such_and_is_not_tagged(qtbot, make_widget, tmp_path, monkeypatch):
    """White noise: the Verdict column says "Not one of the genres (closest: …)", the filter finds it, tags skip it."""
    root = tmp_path / "noise"
    root.mkdir()
    audio_factory.write_audio(root / "noise.wav", audio_factory.make_sound("Noise", 6.0, seed=3))
    widget = make_widget()
    _open_and_classify(qtbot, widget, root)
    entry = widget.model.entries()[0]
    assert entry.result.unknown, "the bundled model's check no longer flags white noise"
    row = _row_of(widget, "noise.wav")
    verdict = widget.proxy.index(row, COLUMN_INDEX["verdict"]).data()
    assert verdict == f"Not one of the genres (closest: {entry.verdict})"
    tooltip = widget.proxy.index(row, COLUMN_INDEX["verdict"]).data(Qt.ItemDataRole.ToolTipRole)
    assert f"Not one of {', '.join(widget.labels)}" in tooltip  # the genres named
    assert f"{entry.confidence:.0%}" in tooltip  # the closest genre's share
    assert widget.proxy.index(row, COLUMN_INDEX["confidence"]).data() == ""
    flags = widget.proxy.index(row, COLUMN_INDEX["flags"]).data()
    assert "needs review" in flags and "not a known genre" not in flags  # the Verdict says it already
    metrics = widget.table.fontMetrics()
    for key, text in (("verdict", verdict), ("flags", flags)):  # read whole, not cut off
        assert widget.table.columnWidth(COLUMN_INDEX[key]) >= metrics.horizontalAdvance(text), key
    widget.set_filter("unknown")
    assert widget.filter_combo.currentText() == "Not one of the genres" and widget.proxy.rowCount() == 1
    widget.set_filter(f"verdict:{entry.verdict}")
    assert widget.proxy.rowCount() == 0
    widget.set_filter("all")
    questions = _answer_questions(monkeypatch, QMessageBox.StandardButton.Yes)
    widget.write_tags()
    assert not questions and "not a known genre" in widget.message_label.text()  # nothing to write: nothing asked
    assert read_genres(root / "noise.wav") == []


def test_a_row_confirmed_in_needs_review_stays_in_place_until_the_filter_changes(qtbot, make_widget, music,
                                                                                 bundled_model):
    """Confirming under *Needs review* keeps the row (greyed, confirmed), so the rows under the cursor do not shift."""
    from urdu_genre_app.gui.library_model import HELD_FOREGROUND, HELD_TOOLTIP

    widget = make_widget()
    _open_and_classify(qtbot, widget, music)
    for entry in widget.model.entries():  # a tag that disagrees with the verdict: every row needs review
        entry.tag_genre = next(label for label in bundled_model.labels if label != entry.verdict)
        widget.model.entry_changed(entry)
    widget.set_filter(FILTER_REVIEW)
    before = [widget.proxy.index(r, 0).data(ENTRY_ROLE).path for r in range(widget.proxy.rowCount())]
    assert len(before) == 5
    _select(qtbot, widget, before[1].rsplit("/", 1)[-1])
    qtbot.keyClick(widget.table, Qt.Key.Key_1)
    confirmed = widget.proxy.index(1, 0).data(ENTRY_ROLE)
    assert confirmed.confirmed == bundled_model.labels[0] and not confirmed.needs_review
    # Same rows in the same places; the confirmed one is marked: its genre in Confirmed, greyed, and says why.
    assert [widget.proxy.index(r, 0).data(ENTRY_ROLE).path for r in range(widget.proxy.rowCount())] == before
    assert widget.proxy.index(1, COLUMN_INDEX["confirmed"]).data() == bundled_model.labels[0]
    assert widget.proxy.index(1, 0).data(Qt.ItemDataRole.ForegroundRole).color() == HELD_FOREGROUND
    assert widget.proxy.index(1, 0).data(Qt.ItemDataRole.ToolTipRole) == HELD_TOOLTIP
    assert widget.proxy.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is None
    assert widget.table.selectionModel().selectedRows()[0].row() == 1  # the cursor stayed on it
    qtbot.keyClick(widget.table, Qt.Key.Key_Down)  # and moves on to the next song to review
    qtbot.keyClick(widget.table, Qt.Key.Key_2)
    assert widget.proxy.index(2, 0).data(ENTRY_ROLE).confirmed == bundled_model.labels[1]
    assert widget.proxy.rowCount() == 5
    # Choosing the filter again lets go of the rows that no longer match.
    widget.set_filter(FILTER_ALL)
    widget.set_filter(FILTER_REVIEW)
    assert sorted(widget.proxy.index(r, 0).data(ENTRY_ROLE).path for r in range(widget.proxy.rowCount())) == \
        sorted(set(before) - {before[1], before[2]})
