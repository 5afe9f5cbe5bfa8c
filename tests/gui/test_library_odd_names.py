"""The Library tab with a non-UTF-8 file name and a FIFO beside real songs (issue 17.2, 17.8)."""

from __future__ import annotations

import os

import pytest

from tests import audio_factory
from urdu_genre_app.gui.library_model import COLUMN_INDEX, ENTRY_ROLE
from urdu_genre_app.gui.library_widget import LibraryWidget

pytestmark = pytest.mark.gui

LATIN1_NAME = b"caf\xe9 song.wav"


def test_every_song_shows_with_its_odd_bytes_escaped_and_a_fifo_is_not_read(qtbot, tmp_path):
    """Before: one such name emptied the table ("surrogates not allowed"), and a FIFO hung it at "Reading..."."""
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.resources import bundled_model_path

    music = tmp_path / "music"
    music.mkdir()
    sound = audio_factory.make_sound("Tone", 4.0)
    audio_factory.write_audio(music / "plain.wav", sound)
    audio_factory.write_audio(music / "tmp.wav", sound).rename(os.fsdecode(os.path.join(os.fsencode(music), LATIN1_NAME)))
    os.mkfifo(music / "pipe.mp3")
    widget = LibraryWidget(data_root=tmp_path / "library-data")
    widget.workers = 1
    widget.set_bundle(load_bundle(bundled_model_path(), with_keras=False))
    qtbot.addWidget(widget)
    widget.show()
    try:
        with qtbot.waitSignal(widget.classification_finished, timeout=120_000):
            widget.open_folder(music)
        shown = sorted(widget.proxy.index(row, COLUMN_INDEX["file"]).data()
                       for row in range(widget.proxy.rowCount()))
        assert shown == ["caf\\xe9 song.wav", "plain.wav"]
        entries = [widget.proxy.index(row, 0).data(ENTRY_ROLE) for row in range(widget.proxy.rowCount())]
        assert all(entry.result is not None for entry in entries), [entry.error for entry in entries]
    finally:
        widget.shutdown()
