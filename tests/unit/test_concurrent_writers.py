"""Two real processes writing the same journal or manifest keep each other's records (issue 17.3, 17.4)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import audio_factory
from urdu_genre_app.library.corrections import CorrectionsManifest
from urdu_genre_app.library.tags import TagJournal, read_genres, undo_last_batch

REPOSITORY = Path(__file__).resolve().parents[2]
#: Files each process handles: enough that unlocked writers interleave and lose records.
FILES_EACH = 12
HANG_SECONDS = 300


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY), env.get("PYTHONPATH")]))
    return env


def _run_together(script: str, *argument_lists: list[str]) -> None:
    """Start one process per argument list at once and wait for all; each must succeed."""
    processes = [subprocess.Popen([sys.executable, "-c", script, *arguments], env=_environment(),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for arguments in argument_lists]
    for process in processes:
        out, err = process.communicate(timeout=HANG_SECONDS)
        assert process.returncode == 0, err.decode()


TAG_SCRIPT = """
import sys
from urdu_genre_app.library.tags import TagJournal, write_genres
journal_path, genre, *paths = sys.argv[1:]
for path in paths:  # one batch a file, as many short --write-tags runs would
    report = write_genres({path: genre}, journal=TagJournal(journal_path))
    assert not report.failures, report.summary()
"""


@pytest.fixture
def songs(tmp_path):
    folder = tmp_path / "songs"
    folder.mkdir()
    sound = audio_factory.make_sound("Tone", 1.0)
    return [audio_factory.write_audio(folder / f"song{index:02d}.wav", sound) for index in range(2 * FILES_EACH)]


def test_two_concurrent_tag_runs_keep_both_journals_and_undo_restores_every_file(songs, tmp_path):
    """Before: each run rewrote the whole journal, so the last writer won and files could not be restored."""
    from urdu_genre_app.paths import tag_journal_path

    journal_path = tag_journal_path()  # the CLI's journal (the test's own data folder: see conftest)
    first, second = songs[:FILES_EACH], songs[FILES_EACH:]
    _run_together(TAG_SCRIPT, [str(journal_path), "Rock", *map(str, first)],
                  [str(journal_path), "Qawwali", *map(str, second)])
    journal = TagJournal(journal_path)
    recorded = [change["path"] for batch in journal.batches for change in batch["changes"]]
    assert sorted(recorded) == sorted(map(str, songs))
    # `urdu-genre tags undo` from another folder restores the newest batch's file (absolute paths) ...
    newest = Path(journal.batches[-1]["changes"][0]["path"])
    done = subprocess.run([sys.executable, "-m", "urdu_genre_app.cli", "tags", "undo"], env=_environment(),
                          cwd=tmp_path, capture_output=True, text=True, timeout=HANG_SECONDS)
    assert done.returncode == 0, done.stderr
    assert "tags: Undo: 1 file given back its earlier genre" in done.stderr and read_genres(newest) == []
    # ... and undoing the rest restores every file of both runs.
    while TagJournal(journal_path).can_undo:
        assert not undo_last_batch(TagJournal(journal_path)).failures
    assert all(read_genres(song) == [] for song in songs)


CONFIRM_SCRIPT = """
import sys
from urdu_genre_app.library.corrections import CorrectionsManifest
manifest_path, genre, *paths = sys.argv[1:]
manifest = CorrectionsManifest(manifest_path)  # opened once, as an app window keeps it
for path in paths:
    manifest.set(path, genre)
"""


def test_two_app_processes_confirming_genres_keep_each_others_confirmations(tmp_path):
    """Before: ``corrections.csv`` kept one process's confirmations (8 of 16 in the issue)."""
    manifest_path = tmp_path / "corrections.csv"
    first = [f"/music/a{index:02d}.mp3" for index in range(FILES_EACH)]
    second = [f"/music/b{index:02d}.mp3" for index in range(FILES_EACH)]
    _run_together(CONFIRM_SCRIPT, [str(manifest_path), "Ghazal", *first], [str(manifest_path), "Rock", *second])
    manifest = CorrectionsManifest(manifest_path)
    assert dict(manifest.items()) == {**{p: "Ghazal" for p in first}, **{p: "Rock" for p in second}}


def test_clearing_a_confirmation_is_not_undone_by_another_process(tmp_path):
    manifest_path = tmp_path / "corrections.csv"
    mine, theirs = CorrectionsManifest(manifest_path), CorrectionsManifest(manifest_path)
    mine.set("/music/a.mp3", "Rock")
    theirs.set("/music/b.mp3", "Ghazal")  # theirs never saw a.mp3 in memory
    mine.set("/music/b.mp3", None)
    assert dict(CorrectionsManifest(manifest_path).items()) == {"/music/a.mp3": "Rock"}
    assert json.dumps(dict(theirs.items()))  # theirs still works
