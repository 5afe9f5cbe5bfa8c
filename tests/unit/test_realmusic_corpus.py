"""The open-music corpus: its manifest, sha256-checked loading and splits that keep an artist on one side.

Every test runs on a fake manifest and tiny generated files in ``tmp_path`` (CI has no corpus folder),
except the checks of the shipped ``open_music.tsv``'s text itself.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from tests import audio_factory
from training.errors import DatasetError
from training.realmusic import corpus, rebuild
from training.realmusic.corpus import (
    COLUMNS,
    artist_key,
    leave_artist_out,
    load_entry,
    read_manifest,
    split_by_artist,
    verified_path,
)


def _write_corpus(root, songs):
    """Generated files under ``root`` and a manifest describing them; ``songs`` is (genre, artist, kind) rows."""
    rows = []
    for number, (genre, artist, kind) in enumerate(songs):
        path = root / genre / f"song{number}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        audio_factory.write_audio(path, audio_factory.make_sound(kind, 1.0, seed=number))
        rows.append({"path": f"{genre}/song{number}.wav", "genre": genre, "artist": artist, "licence": "CC0-1.0",
                     "attribution": f"{artist}, \"song {number}\"", "source": "generated in the test",
                     "licence_stated_at": "-", "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                     "duration_seconds": "1.00", "genre_confidence": "high", "notes": ""})
    manifest = root / "open_music.tsv"
    with open(manifest, "w", encoding="utf-8", newline="") as out:
        corpus.write_rows(rows, out)
    return manifest


SONGS = [("rock", "ann", "Chords"), ("rock", "ann", "Clicks"), ("rock", "bo", "Noise"), ("rock", "cy", "Tone"),
         ("other", "dee", "Sweep"), ("other", "eve", "Tone"), ("other", "bo", "Chords"), ("hiphop", "fay", "Clicks"),
         ("hiphop", "gus", "Noise")]


def test_manifest_reads_and_files_verify(tmp_path):
    manifest = _write_corpus(tmp_path, SONGS)
    entries = read_manifest(manifest)
    assert [e.artist for e in entries] == [a for _, a, _ in SONGS]
    assert read_manifest(manifest, genres=["hiphop"]) == entries[-2:]
    assert verified_path(entries[0], tmp_path) == tmp_path / "rock" / "song0.wav"
    signal = load_entry(entries[0], tmp_path, sample_rate=16_000)
    assert signal.dtype == np.float32 and abs(signal.size - 16_000) <= 16


def test_a_changed_or_missing_file_is_refused_by_name(tmp_path):
    manifest = _write_corpus(tmp_path, SONGS)
    entries = read_manifest(manifest)
    changed = tmp_path / entries[1].path
    data = changed.read_bytes()
    changed.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))  # one bit pattern changed, same size
    with pytest.raises(DatasetError, match=r"song1\.wav: its sha256"):
        verified_path(entries[1], tmp_path)
    (tmp_path / entries[2].path).unlink()
    with pytest.raises(DatasetError, match=r"song2\.wav: missing"):
        load_entry(entries[2], tmp_path, sample_rate=16_000)


def test_the_root_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(corpus.ROOT_VARIABLE, str(tmp_path))
    assert corpus.corpus_root() == tmp_path
    monkeypatch.delenv(corpus.ROOT_VARIABLE)
    assert corpus.corpus_root().parts[-2:] == ("shared", "open-music")


@pytest.mark.parametrize("column, value, message", [
    ("licence", "All rights reserved", "not an open one"),
    ("sha256", "abc", "no valid sha256"),
    ("artist", "", "needs a path, a genre and an artist"),
    ("duration_seconds", "long", "not a number"),
])
def test_bad_rows_are_refused_with_their_line(tmp_path, column, value, message):
    manifest = _write_corpus(tmp_path, SONGS[:2])
    lines = manifest.read_text(encoding="utf-8").splitlines()
    cells = lines[2].split("\t")
    cells[COLUMNS.index(column)] = value
    lines[2] = "\t".join(cells)
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=f"line 3: .*{message}"):
        read_manifest(manifest)


def test_a_file_listed_twice_or_a_foreign_table_is_refused(tmp_path):
    manifest = _write_corpus(tmp_path, SONGS[:2])
    lines = manifest.read_text(encoding="utf-8").splitlines()
    manifest.write_text("\n".join(lines + [lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="listed twice"):
        read_manifest(manifest)
    manifest.write_text("path\tgenre\nx.wav\trock\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="missing columns"):
        read_manifest(manifest)


def test_leave_artist_out_holds_each_artist_out_whole(tmp_path):
    entries = read_manifest(_write_corpus(tmp_path, SONGS))
    folds = list(leave_artist_out(entries))
    assert [artist for artist, _, _ in folds] == sorted({a for _, a, _ in SONGS})
    for artist, train, held in folds:
        assert {entries[i].artist for i in held} == {artist}
        assert artist not in {entries[i].artist for i in train}
        assert len(train) + len(held) == len(entries)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_split_by_artist_never_puts_an_artist_on_both_sides(tmp_path, seed):
    entries = read_manifest(_write_corpus(tmp_path, SONGS))
    train, held = split_by_artist(entries, held_out_fraction=0.4, seed=seed)
    assert sorted(np.concatenate([train, held]).tolist()) == list(range(len(entries)))
    assert not {entries[i].artist for i in train} & {entries[i].artist for i in held}
    # A genre with several artists keeps one of them to train on.
    assert {"rock", "other", "hiphop"} <= {entries[i].genre for i in train}


def test_artist_names_come_from_the_attribution():
    assert artist_key('Hyde (David Hyde), "Acoustic"') == "hyde"
    assert artist_key('Keith Baylis aka Vim, "Boom boom boom"') == "keith baylis"
    assert artist_key('Derek "JoJo" Stegall, Red Eclipse soundtrack') == "derek jojo stegall"
    # One artist under two credits is one group.
    assert artist_key('0zone0ne and Krobonil, "Scottish bagpipes"') == artist_key('Chris Leutwyler (Krobonil), "West"')


def test_the_shipped_manifest_lists_open_licences_and_unique_files():
    entries = read_manifest()
    assert len({e.sha256 for e in entries}) == len(entries)
    music = [e for e in entries if e.genre in corpus.MUSIC_GENRES]
    assert {e.genre for e in music} == {"rock", "hiphop", "other"}
    assert all(e.attribution and e.source for e in entries)
    # Every row says where to fetch it again.
    assert all(rebuild.parse_source(e.source) is not None for e in entries)


def test_rebuild_fetches_each_source_kind_and_checks_its_sha256(tmp_path):
    import io
    import zipfile

    ogg, mp3, inner = b"OggS real bytes", b"ID3 beat bytes", b"OggS member bytes"
    package = tmp_path / "unpacked"
    (package / "usr/share/game").mkdir(parents=True)
    (package / "usr/share/game/song.ogg").write_bytes(ogg)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("music/track.ogg", inner)
    (package / "usr/share/game/data.pk3").write_bytes(buffer.getvalue())

    def entry(path, source, data):
        return corpus.CorpusEntry(path=path, genre="rock", artist="a", licence="CC0-1.0", attribution="a",
                                  source=source, sha256=hashlib.sha256(data).hexdigest(), duration_seconds=1.0)

    entries = [
        entry("rock/a.ogg", "Debian package game-data 1.0-1: /usr/share/game/song.ogg", ogg),
        entry("rock/b.ogg", "Debian package game-data (bookworm): /usr/share/game/data.pk3 -> music/track.ogg", inner),
        entry("hiphop/c.mp3", "github someone/beats @ 813e550b89cd: 2023/c.mp3", mp3),
        entry("hiphop/d.mp3", "github someone/beats @ 813e550b89cd: 2023/d.mp3", b"expected other bytes"),
    ]
    asked = []

    def get(url):
        asked.append(url)
        return mp3  # d.mp3's source serves other bytes than the manifest's: refused

    target = tmp_path / "corpus"
    failures = rebuild.rebuild(entries, target, workdir=tmp_path, log=lambda _: None,
                               unpack=lambda name, version, workdir: package, get=get)
    assert (target / "rock/a.ogg").read_bytes() == ogg
    assert (target / "rock/b.ogg").read_bytes() == inner
    assert (target / "hiphop/c.mp3").read_bytes() == mp3
    assert not (target / "hiphop/d.mp3").exists()
    assert failures == ["hiphop/d.mp3: the source's file has another sha256; not written"]
    assert asked[0] == "https://raw.githubusercontent.com/someone/beats/813e550b89cd/2023/c.mp3"
