"""Tag writing under kill -9, hard links, extended attributes, read-only folders and a journal that cannot be written (17.10)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests import audio_factory
from urdu_genre_app.core.errors import TagWriteError
from urdu_genre_app.core.results import SongResult, WindowResult
from urdu_genre_app.library.cli_tags import write_verdict_tags
from urdu_genre_app.library.tags import read_genres, recover_interrupted_write, set_genres

REPOSITORY = Path(__file__).resolve().parents[2]
HANG_SECONDS = 240


@pytest.fixture
def song(tmp_path):
    folder = tmp_path / "music"
    folder.mkdir()
    return audio_factory.write_audio(folder / "song.mp3", audio_factory.make_sound("Tone", 3.0))


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".tagtmp", ".tagbak")))


def test_a_hard_linked_file_is_tagged_in_place_so_every_link_sees_it(song):
    """Before: the rename gave song.mp3 a new inode and the other link kept the old tag."""
    alias = song.with_name("alias.mp3")
    os.link(song, alias)
    inode = song.stat().st_ino
    set_genres(song, ["Qawwali"])
    assert read_genres(alias) == ["Qawwali"] and song.stat().st_ino == inode == alias.stat().st_ino
    assert _leftovers(song.parent) == []


def test_user_extended_attributes_survive_tagging(song):
    try:
        os.setxattr(song, "user.comment", b"from grandfather's tapes")
    except OSError:
        pytest.skip("this file system keeps no user extended attributes")
    set_genres(song, ["Ghazal"])
    assert read_genres(song) == ["Ghazal"]
    assert os.getxattr(song, "user.comment") == b"from grandfather's tapes"


def test_a_folder_with_mode_555_is_refused_even_as_root(song):
    """Before: access() says yes to root, so the folder was rewritten although the code meant to refuse."""
    before = song.read_bytes()
    song.parent.chmod(0o555)
    try:
        with pytest.raises(TagWriteError, match="read-only"):
            set_genres(song, ["Rock"])
    finally:
        song.parent.chmod(0o755)
    assert song.read_bytes() == before and _leftovers(song.parent) == []


KILLED_SCRIPT = """
import os, sys, time
from urdu_genre_app.library import tags
target = sys.argv[1]

def stop_here(*args, **kwargs):
    print("READY", flush=True)
    time.sleep(600)

if sys.argv[2] == "copy":
    os.replace = stop_here  # killed with the tagged copy written, before it replaces the song
else:
    real = tags._copy_bytes_into
    def half_then_stop(source, destination):
        if destination == target:  # the in-place rewrite of the song: half of it, then killed
            data = open(source, "rb").read()
            with open(destination, "r+b") as stream:
                stream.write(data[: len(data) // 2])
                stream.flush()
                os.fsync(stream.fileno())
            stop_here()
        real(source, destination)
    tags._copy_bytes_into = half_then_stop
tags.set_genres(target, ["Rock"])
"""


def _kill_mid_write(song: Path, where: str) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])))
    process = subprocess.Popen([sys.executable, "-c", KILLED_SCRIPT, str(song), where], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "READY", process.stderr.read()
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=HANG_SECONDS)
    finally:
        process.kill()


def test_a_tag_copy_left_by_kill_9_is_removed_on_the_next_run(song):
    """Before: ``.song.mp3.*.tagtmp`` stayed for ever beside the song."""
    before = song.read_bytes()
    _kill_mid_write(song, "copy")
    assert [name.endswith(".tagtmp") for name in _leftovers(song.parent)] == [True]
    assert song.read_bytes() == before  # the original was never touched
    set_genres(song, ["Ghazal"])
    assert read_genres(song) == ["Ghazal"] and _leftovers(song.parent) == []


def test_a_hard_linked_song_killed_mid_rewrite_is_restored_from_its_backup(song):
    os.link(song, song.with_name("alias.mp3"))
    before = song.read_bytes()
    _kill_mid_write(song, "in-place")
    assert song.read_bytes() != before  # half-written: what the backup is for
    recover_interrupted_write(song)
    assert song.read_bytes() == before and _leftovers(song.parent) == []
    set_genres(song, ["Ghazal"])
    assert read_genres(song.with_name("alias.mp3")) == ["Ghazal"]


def test_a_journal_that_cannot_be_written_is_one_line_and_no_file_is_tagged(song, tmp_path):
    """Before: a full disk or read-only home ended ``--write-tags`` in a traceback."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the journal's folder should be")
    stream = io.StringIO()
    result = SongResult(path=str(song), labels=["Ghazal", "Rock"], windows=[WindowResult(0, 0.0, 30.0, (0.1, 0.9))])
    failures = write_verdict_tags([result], quiet=True, journal_path=blocker / "tag_journal.json", stream=stream)
    lines = stream.getvalue().splitlines()
    assert failures == 1 and len(lines) == 1 and lines[0].startswith("urdu-genre: error: "), lines
    assert "tag_journal.json" in lines[0]
    assert read_genres(song) == []
