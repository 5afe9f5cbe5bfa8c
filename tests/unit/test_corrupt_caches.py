"""Damaged caches are moved aside, rebuilt, and the user is told once (issue 17.11).

Real files throughout: a SQLite cache with garbage written over its pages, a
foreign database, a lock held by another process, a row of deeply nested
JSON, a tag journal whose ``batches`` is 5, and feature-cache entries that
are truncated, wrong-shaped or hold NaN.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests import audio_factory
from training.dataset import scan_folder
from training.extract import ExtractionConfig, extract_windows
from urdu_genre_app.core.features import FeatureParams
from urdu_genre_app.core.results import SongResult, WindowResult
from urdu_genre_app.library.cache import ResultsCache
from urdu_genre_app.library.tag_journal import TagChange, TagJournal

LABELS = ["Ghazal", "Rock"]


@pytest.fixture
def song(tmp_path):
    return audio_factory.write_audio(tmp_path / "song.wav", audio_factory.make_sound("Tone", 2.0))


def _result(path: Path) -> SongResult:
    return SongResult(path=str(path), labels=LABELS, windows=[WindowResult(0, 0.0, 30.0, (0.2, 0.8))],
                      duration_seconds=30.0)


def _aside(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.broken-*"))


def _still_works(cache: ResultsCache, song: Path) -> None:
    cache.store(song, "m" * 64, _result(song))
    assert cache.lookup(song, "m" * 64).genre == "Rock"


def _filled_cache(path: Path, rows: int = 400) -> None:
    cache = ResultsCache(path)
    with cache._db:
        cache._db.executemany("INSERT INTO results VALUES (?, ?, ?, ?)",
                              [(f"{i:064x}", "m" * 64, json.dumps(LABELS), "x" * 500) for i in range(rows)])
    cache.close()


def test_a_cache_with_garbage_pages_is_set_aside_and_rebuilt(tmp_path, song):
    path = tmp_path / "results.sqlite3"
    _filled_cache(path)
    data = bytearray(path.read_bytes())
    page = 4096
    data[2 * page: 20 * page] = b"\xde\xad\xbe\xef" * (18 * page // 4)  # garbage over the table's pages
    path.write_bytes(bytes(data))
    cache = ResultsCache(path)
    assert cache.notice and "set aside" in cache.notice and len(_aside(path)) == 1
    _still_works(cache, song)


@pytest.mark.parametrize("content", [
    b"this is not a database at all" * 100,
    "foreign",
])
def test_a_foreign_or_non_database_file_is_set_aside_and_rebuilt(tmp_path, song, content):
    path = tmp_path / "results.sqlite3"
    if content == "foreign":
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE results (x, y)")
            db.execute("INSERT INTO results VALUES (1, 2)")
        db.close()
    else:
        path.write_bytes(content)
    cache = ResultsCache(path)
    assert cache.notice and len(_aside(path)) == 1
    _still_works(cache, song)


LOCK_SCRIPT = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("LOCKED", flush=True)
sys.stdin.readline()
"""


def test_a_cache_locked_by_another_process_does_not_stop_the_library(tmp_path, song):
    """Before: the Library failed to open after 5 s ("database is locked")."""
    path = tmp_path / "results.sqlite3"
    _filled_cache(path, rows=1)
    holder = subprocess.Popen([sys.executable, "-c", LOCK_SCRIPT, str(path)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "LOCKED"
        cache = ResultsCache(path)
        assert cache.notice and "locked" in cache.notice
        assert cache.lookup(song, "m" * 64) is None
        cache.store(song, "m" * 64, _result(song))  # kept in memory meanwhile, no error
    finally:
        holder.communicate("done\n", timeout=60)
    assert _aside(path) == []  # a busy cache is not damaged: left as it is
    assert len(ResultsCache(path)._run("SELECT * FROM results")) == 1


def test_a_nested_json_row_is_a_miss_not_a_recursion_error(tmp_path, song):
    cache = ResultsCache(tmp_path / "results.sqlite3")
    content = cache.fingerprint(song).content_sha256
    with cache._db:
        cache._db.execute("INSERT INTO results VALUES (?, ?, ?, ?)",
                          (content, "m" * 64, json.dumps(LABELS), "[" * 100_000 + "]" * 100_000))
    assert cache.lookup(song, "m" * 64) is None
    _still_works(cache, song)


@pytest.mark.parametrize("batches", [5, [5], [{"changes": 5}], [{"changes": [{"path": 1}]}]])
def test_a_journal_of_the_wrong_shape_is_set_aside_and_started_afresh(tmp_path, batches):
    path = tmp_path / "tag_journal.json"
    path.write_text(json.dumps({"format": "urdu-genre-tag-journal", "version": 1, "batches": batches}))
    journal = TagJournal(path)
    assert not journal.can_undo and journal.notice and len(_aside(path)) == 1
    journal.begin_batch()
    journal.add(TagChange("/music/a.mp3", (), ("Rock",)))
    assert TagJournal(path).pop_batch() == [TagChange("/music/a.mp3", (), ("Rock",))]


PARAMS = FeatureParams(window_seconds=2.0)


def test_damaged_feature_cache_entries_are_set_aside_and_extracted_again(tmp_path):
    """Before: a truncated entry raised BadZipFile, a wrong-shaped one a broadcast error, NaN trained at chance."""
    root = audio_factory.write_labeled_folder(tmp_path / "songs", songs_per_genre=1, seconds=3.0)
    scan = scan_folder(root)
    cache = tmp_path / "cache"
    config = ExtractionConfig(windows_per_song=1)
    first = extract_windows(scan.songs, labels=scan.labels, params=PARAMS, config=config, workers=1, cache_dir=cache)
    entries = sorted(cache.rglob("*.npz"))
    assert first.stats.extracted == len(entries) == 4
    entries[0].write_bytes(entries[0].read_bytes()[:100])  # truncated
    with np.load(entries[1]) as data:
        arrays = dict(data)
    np.savez(entries[1], **{**arrays, "features": arrays["features"][:, :5]})  # wrong shape
    np.savez(entries[2], **{**arrays, "features": np.full_like(arrays["features"], np.nan)})  # NaN
    again = extract_windows(scan.songs, labels=scan.labels, params=PARAMS, config=config, workers=1, cache_dir=cache)
    assert (again.stats.cached, again.stats.extracted, again.stats.failed) == (1, 3, [])
    assert np.array_equal(again.features, first.features)
    assert sorted(p.name.split(".broken-")[0] for p in cache.rglob("*.broken-*")) == sorted(e.name for e in entries[:3])
