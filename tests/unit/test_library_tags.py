"""Genre tags: only the genre changes, crash-safely, with keep/replace, undo and clear failures."""

from __future__ import annotations

import os
import stat
import wave
from pathlib import Path

import mutagen
import numpy as np
import pytest
from mutagen.flac import FLAC
from mutagen.id3 import ID3, TCON, TIT2, TPE1
from mutagen.mp4 import MP4

from tests import audio_factory
from urdu_genre_app.core.audio_io import load_audio
from urdu_genre_app.core.errors import TagWriteError
from urdu_genre_app.library import tags
from urdu_genre_app.library.tags import TagJournal, read_genres, set_genres, undo_last_batch, write_genres

FORMATS = [".mp3", ".wav", ".flac", ".ogg", ".opus", ".m4a", ".mp4"]


def _add_other_tags(path: Path, genre: str | None = None) -> None:
    """Give a file a title and an artist (and optionally a genre) with mutagen directly."""
    audio = mutagen.File(path)
    if audio.tags is None:
        audio.add_tags()
    if isinstance(audio.tags, ID3):
        audio.tags.add(TIT2(encoding=3, text=["گانا"]))
        audio.tags.add(TPE1(encoding=3, text=["Artist"]))
        if genre:
            audio.tags.add(TCON(encoding=3, text=[genre]))
    elif isinstance(audio, MP4):
        audio.tags["\xa9nam"] = ["گانا"]
        audio.tags["\xa9ART"] = ["Artist"]
        if genre:
            audio.tags["\xa9gen"] = [genre]
    else:
        audio.tags["title"] = ["گانا"]
        audio.tags["artist"] = ["Artist"]
        if genre:
            audio.tags["genre"] = [genre]
    audio.save()


def _genre_via_mutagen(path: Path) -> list[str]:
    audio = mutagen.File(path)
    if audio.tags is None:
        return []
    if isinstance(audio.tags, ID3):
        return [g for frame in audio.tags.getall("TCON") for g in frame.genres]
    if isinstance(audio, MP4):
        return list(audio.tags.get("\xa9gen", []))
    return list(audio.tags.get("genre", []))


def _other_tags_via_mutagen(path: Path) -> dict:
    audio = mutagen.File(path)
    if isinstance(audio.tags, ID3):
        return {k: str(v) for k, v in audio.tags.items() if not k.startswith("TCON")}
    if isinstance(audio, MP4):
        return {k: str(v) for k, v in audio.tags.items() if k != "\xa9gen"}
    return {k.lower(): v for k, v in audio.tags if k.lower() != "genre"}


def _audio_payload(path: Path) -> bytes:
    """The bytes that hold the audio, where the format makes that easy to cut out."""
    data = path.read_bytes()
    if path.suffix == ".mp3":
        return data[ID3(path).size:]
    if path.suffix == ".wav":
        with wave.open(str(path)) as reader:
            return reader.readframes(reader.getnframes())
    return b""


@pytest.fixture
def song(tmp_path, request):
    suffix = getattr(request, "param", ".mp3")
    path = audio_factory.write_audio(tmp_path / f"song{suffix}", audio_factory.make_sound("Tone", 3.0, seed=4))
    _add_other_tags(path)
    return path


@pytest.mark.parametrize("song", FORMATS, indirect=True)
def test_genre_written_and_nothing_else_changes(song):
    samples_before = load_audio(song)
    payload_before = _audio_payload(song)
    others_before = _other_tags_via_mutagen(song)
    set_genres(song, ["Qawwali"])
    assert _genre_via_mutagen(song) == ["Qawwali"]
    assert read_genres(song) == ["Qawwali"]
    assert _other_tags_via_mutagen(song) == others_before
    assert _audio_payload(song) == payload_before
    samples_after = load_audio(song)
    assert np.array_equal(samples_before, samples_after)
    assert not [p for p in song.parent.iterdir() if p.name.endswith(".tagtmp")]


def test_id3v23_stays_id3v23(tmp_path):
    path = audio_factory.write_audio(tmp_path / "old.mp3", audio_factory.make_sound("Tone", 2.0))
    id3 = ID3()
    id3.add(TIT2(encoding=1, text=["Title"]))
    id3.save(path, v2_version=3)
    set_genres(path, ["Rock"])
    reread = ID3(path)
    assert reread.version[:2] == (2, 3)
    assert str(reread["TIT2"]) == "Title" and reread.getall("TCON")[0].genres == ["Rock"]


def test_keep_or_replace_an_existing_genre(tmp_path):
    tagged = audio_factory.write_audio(tmp_path / "a.flac", audio_factory.make_sound("Tone", 2.0))
    _add_other_tags(tagged, genre="Pop")
    untagged = audio_factory.write_audio(tmp_path / "b.flac", audio_factory.make_sound("Sweep", 2.0))
    before = tagged.read_bytes()
    report = write_genres({str(tagged): "Ghazal", str(untagged): "Rock"}, keep_existing=True)
    assert report.kept == [str(tagged)] and [c.path for c in report.changed] == [str(untagged)]
    assert tagged.read_bytes() == before and FLAC(untagged)["genre"] == ["Rock"]
    report = write_genres({str(tagged): "Ghazal"}, keep_existing=False)
    assert FLAC(tagged)["genre"] == ["Ghazal"] and report.changed[0].previous == ("Pop",)


def test_undo_restores_the_previous_genres(tmp_path):
    had_genre = audio_factory.write_audio(tmp_path / "a.mp3", audio_factory.make_sound("Tone", 2.0))
    _add_other_tags(had_genre, genre="Pop")
    had_none = audio_factory.write_audio(tmp_path / "b.m4a", audio_factory.make_sound("Noise", 2.0))
    _add_other_tags(had_none)
    others = {p: _other_tags_via_mutagen(p) for p in (had_genre, had_none)}
    journal = TagJournal(tmp_path / "journal.json")
    write_genres({str(had_genre): "Rock", str(had_none): "Hip-hop"}, journal=journal)
    assert _genre_via_mutagen(had_genre) == ["Rock"] and _genre_via_mutagen(had_none) == ["Hip-hop"]
    # The journal is on disk: a restarted app can still undo.
    report = undo_last_batch(TagJournal(tmp_path / "journal.json"))
    assert len(report.changed) == 2 and not report.failures
    assert report.summary() == "Undo: 2 files given back their earlier genre"  # not "2 files tagged"
    assert _genre_via_mutagen(had_genre) == ["Pop"] and _genre_via_mutagen(had_none) == []
    assert {p: _other_tags_via_mutagen(p) for p in others} == others
    assert not TagJournal(tmp_path / "journal.json").can_undo


def test_undo_leaves_a_genre_changed_since_alone(tmp_path):
    path = audio_factory.write_audio(tmp_path / "a.ogg", audio_factory.make_sound("Tone", 2.0))
    journal = TagJournal(tmp_path / "journal.json")
    write_genres({str(path): "Rock"}, journal=journal)
    set_genres(path, ["Changed elsewhere"])
    report = undo_last_batch(journal)
    assert read_genres(path) == ["Changed elsewhere"]
    assert len(report.failures) == 1 and "changed since" in str(report.failures[0])
    assert report.summary().startswith("Undo: 0 files given back their earlier genre, 1 could not be put back")


def test_read_only_file_is_named_and_the_others_are_still_tagged(tmp_path):
    locked = audio_factory.write_audio(tmp_path / "locked.mp3", audio_factory.make_sound("Tone", 2.0))
    free = audio_factory.write_audio(tmp_path / "free.mp3", audio_factory.make_sound("Noise", 2.0))
    before = locked.read_bytes()
    os.chmod(locked, stat.S_IRUSR | stat.S_IRGRP)
    try:
        journal = TagJournal(tmp_path / "journal.json")
        report = write_genres({str(locked): "Rock", str(free): "Rock"}, journal=journal)
        assert [c.path for c in report.changed] == [str(free)] and _genre_via_mutagen(free) == ["Rock"]
        assert len(report.failures) == 1
        message = str(report.failures[0])
        assert str(locked) in message and "read-only" in message
        assert locked.read_bytes() == before
        # Only the file really changed is on record for Undo.
        assert [c["path"] for c in journal.batches[-1]["changes"]] == [str(free)]
    finally:
        os.chmod(locked, stat.S_IRUSR | stat.S_IWUSR)


def test_a_crash_before_the_rename_leaves_the_original(tmp_path, monkeypatch):
    path = audio_factory.write_audio(tmp_path / "a.mp3", audio_factory.make_sound("Tone", 2.0))
    _add_other_tags(path, genre="Pop")
    before = path.read_bytes()

    def power_cut(*_args):
        raise OSError("simulated crash")

    monkeypatch.setattr(tags.os, "replace", power_cut)
    with pytest.raises(TagWriteError, match="a.mp3"):
        set_genres(path, ["Rock"])
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp3"]


def test_a_copy_that_reads_back_wrong_is_never_swapped_in(tmp_path, monkeypatch):
    path = audio_factory.write_audio(tmp_path / "a.flac", audio_factory.make_sound("Tone", 2.0))
    _add_other_tags(path)
    before = path.read_bytes()
    original_put = tags._VorbisFormat.put

    def put_and_damage(self, audio, genres):
        original_put(self, audio, genres)
        audio.tags["title"] = ["damaged"]

    monkeypatch.setattr(tags._VorbisFormat, "put", put_and_damage)
    with pytest.raises(TagWriteError, match="other tags"):
        set_genres(path, ["Rock"])
    assert path.read_bytes() == before


def test_untaggable_format_says_so(tmp_path):
    path = audio_factory.write_audio(tmp_path / "a.webm", audio_factory.make_sound("Tone", 2.0))
    with pytest.raises(TagWriteError, match="a.webm.*cannot be written"):
        set_genres(path, ["Rock"])
    assert tags.read_genre(path) is None


def test_without_the_tag_library_tagging_says_so(tmp_path, monkeypatch):
    import sys

    path = audio_factory.write_audio(tmp_path / "a.mp3", audio_factory.make_sound("Tone", 2.0))
    before = path.read_bytes()
    monkeypatch.setitem(sys.modules, "mutagen", None)  # as in a build that leaves mutagen out
    assert not tags.tags_available()
    report = write_genres({str(path): "Rock"})
    assert len(report.failures) == 1 and "mutagen" in str(report.failures[0]) and "a.mp3" in str(report.failures[0])
    assert tags.read_genre(path) is None and path.read_bytes() == before


def test_a_symbolic_link_stays_a_link(tmp_path):
    target = audio_factory.write_audio(tmp_path / "real.flac", audio_factory.make_sound("Tone", 2.0))
    link = tmp_path / "link.flac"
    link.symlink_to(target)
    set_genres(link, ["Rock"])
    assert link.is_symlink() and FLAC(target)["genre"] == ["Rock"]
