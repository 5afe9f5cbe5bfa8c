"""The Library says what it could not take: a FIFO, an unreadable or too-deep folder, a damaged cache (issue 17)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests import audio_factory
from urdu_genre_app.gui.library_widget import LibraryWidget
from urdu_genre_app.library.library import library_data_dir
from urdu_genre_app.library.scan import NOT_REGULAR_FILE, path_max

pytestmark = pytest.mark.gui


@pytest.fixture
def widget(qtbot, tmp_path, bundled_model):
    view = LibraryWidget(data_root=tmp_path / "library-data")
    view.workers = 1
    view.set_bundle(bundled_model)
    qtbot.addWidget(view)
    view.show()
    yield view
    view.shutdown()


def _too_deep(root, monkeypatch) -> None:
    """A chain of folders below ``root`` whose path is longer than the system opens (made relative to each)."""
    monkeypatch.chdir(root)
    component = "d" * 200
    for _ in range(path_max() // (len(component) + 1) + 2):
        os.mkdir(component)
        os.chdir(component)
    audio_factory.write_audio(Path("deep.wav"), audio_factory.make_sound("Tone", 2.0))
    monkeypatch.chdir(root.parent)


def test_skipped_paths_are_listed_under_the_table(qtbot, widget, tmp_path, monkeypatch):
    root = tmp_path / "music"
    (root / "locked").mkdir(parents=True)
    audio_factory.write_audio(root / "song.wav", audio_factory.make_sound("Tone", 4.0))
    audio_factory.write_audio(root / "locked" / "hidden.wav", audio_factory.make_sound("Tone", 4.0))
    os.mkfifo(root / "pipe.mp3")  # read, it would block the scan for ever
    _too_deep(root, monkeypatch)
    os.chmod(root / "locked", 0o000)
    locked_skipped = not os.access(root / "locked", os.R_OK)  # root reads a mode-000 folder all the same
    statuses: list[str] = []
    widget.status_message.connect(statuses.append)
    try:
        with qtbot.waitSignal(widget.classification_finished, timeout=60_000):
            widget.open_folder(root)
    finally:
        os.chmod(root / "locked", stat.S_IRWXU)
    assert [os.path.basename(e.path) for e in widget.model.entries()] == \
        ["hidden.wav", "song.wav"][locked_skipped:]
    view = widget.footer.skipped_view
    reasons = view.reasons()
    assert reasons[str(root / "pipe.mp3")] == NOT_REGULAR_FILE
    assert any("longer than this system allows" in reason for reason in reasons.values())
    if locked_skipped:
        assert reasons[str(root / "locked")].startswith("permission denied")
    count = 2 + locked_skipped
    # One folded line says how many and offers the details; unfolded, each path with its reason.
    assert view.isVisible() and view.toggle.text() == f"{count} files or folders skipped — not read (details…)"
    assert not view.table.isVisible()
    view.toggle.click()
    assert view.table.isVisible() and view.table.rowCount() == count
    assert {view.table.item(row, 0).text() for row in range(count)} >= {"pipe.mp3"}
    assert any(f"{count} skipped" in status for status in statuses)

    # A clean folder: no skipped line.
    clean = tmp_path / "clean"
    clean.mkdir()
    audio_factory.write_audio(clean / "one.wav", audio_factory.make_sound("Tone", 4.0))
    with qtbot.waitSignal(widget.classification_finished, timeout=60_000):
        widget.open_folder(clean)
    assert view.isHidden() and not widget.footer.notice_label.isVisible()


def test_a_damaged_cache_is_set_aside_and_said_once(qtbot, widget, tmp_path):
    root = tmp_path / "music"
    root.mkdir()
    audio_factory.write_audio(root / "song.wav", audio_factory.make_sound("Tone", 4.0))
    data = tmp_path / "library-data" / library_data_dir(root.resolve()).name
    data.mkdir(parents=True)
    (data / "results.sqlite3").write_bytes(b"this is not a database " * 200)
    statuses: list[str] = []
    widget.status_message.connect(statuses.append)
    with qtbot.waitSignal(widget.classification_finished, timeout=60_000):
        widget.open_folder(root)
    notice = widget.footer.notice_label
    assert notice.isVisible() and "results cache could not be used" in notice.text() and "set aside" in notice.text()
    # Said once, though the table was summed up again after the open and after classifying.
    assert notice.text().count("results cache") == 1
    assert sum("results cache could not be used" in status for status in statuses) == 1
    assert widget.model.entries()[0].result is not None  # rebuilt: the song was classified again
