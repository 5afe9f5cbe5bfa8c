"""The Library engine: scan, results cache, corrections manifest, batch classification, export."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os

import pytest

from tests import audio_factory
from urdu_genre_app.core.bundle import load_bundle, save_bundle
from urdu_genre_app.core.classifier import Classifier
from urdu_genre_app.core.errors import LibraryError
from urdu_genre_app.library import batch, cache as cache_module
from urdu_genre_app.library.cache import ResultsCache, model_checksum
from urdu_genre_app.library.corrections import CorrectionsManifest
from urdu_genre_app.library.export import export_entries
from urdu_genre_app.library.library import Library, genre_for_key
from urdu_genre_app.library.result_codec import song_result_from_dict
from urdu_genre_app.library.scan import scan_folder
from urdu_genre_app.library.tags import read_genres


@pytest.fixture
def other_bundle(bundled_model, tmp_path):
    """Same weights, other normalisation: a different model as far as verdicts go."""
    changed = dataclasses.replace(bundled_model, feature_mean=bundled_model.feature_mean + 1.0, path=None)
    path = save_bundle(changed, tmp_path / "other.ugm")
    return load_bundle(path, with_keras=False)


@pytest.fixture
def music(tmp_path):
    """Mixed formats, nested, with a hidden file and a non-audio file that must be ignored."""
    root = tmp_path / "music"
    (root / "album").mkdir(parents=True)
    kinds = ["Tone", "Noise", "Clicks", "Sweep"]
    for i, name in enumerate(["a.mp3", "album/b.flac", "album/c.ogg", "d.m4a"]):
        audio_factory.write_audio(root / name, audio_factory.make_sound(kinds[i], 8.0, seed=i))
    (root / "notes.txt").write_text("not audio")
    (root / ".hidden.mp3").write_bytes(b"")
    return root


def test_scan_finds_audio_below_the_folder(music):
    found = scan_folder(music)
    assert [p.relative_to(music).as_posix() for p in found] == ["a.mp3", "album/b.flac", "album/c.ogg", "d.m4a"]
    with pytest.raises(LibraryError, match="no such folder"):
        scan_folder(music / "missing")


def test_result_round_trips_through_its_dict(bundled_model, music):
    result = Classifier(bundled_model).classify_file(music / "a.mp3")
    back = song_result_from_dict(json.loads(json.dumps(result.to_dict())), result.labels)
    assert back.to_dict() == result.to_dict()
    assert back.genre == result.genre and back.uncertain == result.uncertain
    # The bundled model carries the novelty check: its verdict on the song survives the cache too.
    assert result.novelty is not None and back.novelty == pytest.approx(result.novelty, abs=1e-4)
    assert back.unknown == result.unknown


def test_cache_hits_only_for_the_same_content_and_model(bundled_model, other_bundle, music, tmp_path):
    results = ResultsCache(tmp_path / "cache.sqlite3")
    song = music / "a.mp3"
    result = Classifier(bundled_model).classify_file(song)
    key = model_checksum(bundled_model)
    assert key != model_checksum(other_bundle)
    assert results.lookup(song, key) is None
    results.store(song, key, result)
    assert results.lookup(song, key).probabilities == pytest.approx(result.probabilities, abs=1e-6)
    assert results.lookup(song, model_checksum(other_bundle)) is None
    # Reopened from disk, the entry is still there.
    assert ResultsCache(tmp_path / "cache.sqlite3").lookup(song, key) is not None
    # A changed file misses.
    audio_factory.write_audio(song, audio_factory.make_sound("Sweep", 8.0, seed=9))
    assert results.lookup(song, key) is None


def test_cache_hashes_a_file_only_when_its_size_or_time_changes(bundled_model, music, tmp_path, monkeypatch):
    results = ResultsCache(tmp_path / "cache.sqlite3")
    song = music / "a.mp3"
    hashed = []
    real = cache_module.content_checksum
    monkeypatch.setattr(cache_module, "content_checksum", lambda path: hashed.append(path) or real(path))
    first = results.fingerprint(song)
    results.fingerprint(song)
    assert len(hashed) == 1
    stat = song.stat()
    os.utime(song, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert results.fingerprint(song).content_sha256 == first.content_sha256 and len(hashed) == 2


def test_corrections_manifest_survives_a_restart_and_trains(tmp_path, music):
    manifest = CorrectionsManifest(tmp_path / "data" / "corrections.csv")
    songs = [str(p) for p in scan_folder(music)]
    manifest.set_many({songs[0]: "Rock", songs[1]: "Rock", songs[2]: "Ghazal", songs[3]: "Ghazal"})
    manifest.set(songs[1], None)
    reopened = CorrectionsManifest(tmp_path / "data" / "corrections.csv")
    assert reopened.items() == sorted([(songs[0], "Rock"), (songs[2], "Ghazal"), (songs[3], "Ghazal")])
    rows = list(csv.reader(io.StringIO((tmp_path / "data" / "corrections.csv").read_text())))
    assert rows[0] == ["path", "genre"]
    dataset = pytest.importorskip("training.dataset")
    scan = dataset.scan_manifest(tmp_path / "data" / "corrections.csv")
    assert sorted((str(s.path), s.genre) for s in scan.songs) == reopened.items()


def test_batch_on_two_processes_matches_classifying_one_by_one(bundled_model, music, tmp_path):
    broken = music / "broken.mp3"
    broken.write_text("not an mp3")
    paths = [str(p) for p in scan_folder(music)]
    progress = []
    summary = batch.classify_files(paths, bundled_model.path, workers=2, on_progress=progress.append)
    assert not summary.cancelled and sorted(o.path for o in summary.outcomes) == sorted(paths)
    by_path = {o.path: o for o in summary.outcomes}
    assert by_path[str(broken)].result is None and by_path[str(broken)].error
    classifier = Classifier(bundled_model)
    for path in paths:
        if path != str(broken):
            expected = classifier.classify_file(path).probabilities
            assert by_path[path].result.probabilities == pytest.approx(expected, abs=1e-4)
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions)
    assert progress[-1].done == progress[-1].total == len(paths) and fractions[-1] == 1.0


def test_every_worker_starts_with_one_blas_thread(bundled_model, monkeypatch):
    # OpenBLAS reads its thread count once, as NumPy loads in the worker: a worker started after the
    # variables were put back ran OpenBLAS's spinning threads, 4x slower on two cores.
    for name in batch.WORKER_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    pool = batch._start_pool(context, 2, (str(bundled_model.path), context.Event(), context.Queue(),
                                          context.SimpleQueue()))
    try:
        seen = {pool.submit(batch._worker_environment).result(timeout=60)["OPENBLAS_NUM_THREADS"]
                for _ in range(8)}
        pids = {pool.submit(os.getpid).result(timeout=60) for _ in range(8)}
    finally:
        pool.shutdown(wait=True)
    assert seen == {"1"}
    assert len(pids) <= 2
    assert all(name not in os.environ for name in batch.WORKER_ENVIRONMENT)  # this process is left as it was


def test_batch_cancel_stops_early_and_keeps_what_finished(bundled_model, tmp_path):
    root = tmp_path / "long"
    root.mkdir()
    for i in range(6):
        audio_factory.write_audio(root / f"{i}.wav", audio_factory.make_sound("Noise", 90.0, seed=i))
    paths = [str(p) for p in scan_folder(root)]
    outcomes = []
    summary = batch.classify_files(paths, bundled_model.path, workers=2, on_outcome=outcomes.append,
                                   is_cancelled=lambda: len(outcomes) >= 1)
    assert summary.cancelled
    assert 1 <= len(summary.outcomes) < len(paths)
    assert all(o.result is not None for o in summary.outcomes)


def test_library_reopens_from_the_cache_and_reclassifies_for_another_model(bundled_model, other_bundle, music, tmp_path,
                                                                          monkeypatch):
    library = Library(music, bundled_model, data_dir=tmp_path / "data")
    assert len(library.refresh()) == 4 and len(library.pending()) == 4
    library.classify_pending(workers=1)
    verdicts = {p: e.verdict for p, e in library.entries.items()}
    assert all(verdicts.values()) and not library.pending()

    def must_not_classify(*_args, **_kwargs):
        raise AssertionError("a reopened library classified again")

    reopened = Library(music, bundled_model, data_dir=tmp_path / "data")
    monkeypatch.setattr("urdu_genre_app.library.library.classify_files", must_not_classify)
    entries = reopened.refresh()
    assert all(e.from_cache for e in entries) and {e.path: e.verdict for e in entries} == verdicts
    reopened.set_model(other_bundle)
    assert len(reopened.pending()) == 4


def test_corrections_tags_and_export_through_the_library(bundled_model, music, tmp_path):
    library = Library(music, bundled_model, data_dir=tmp_path / "data")
    library.refresh()
    library.classify_pending(workers=1)
    first, second, *rest = library.entries
    library.confirm([first, second], "Ghazal")
    assert CorrectionsManifest(library.manifest_path).get(first) == "Ghazal"
    plan = library.tag_plan()
    for path, entry in library.entries.items():  # the confirmed genre, else only a verdict the model is sure of
        doubtful = entry.result.unknown or entry.result.uncertain
        assert plan.genres.get(path) == (entry.confirmed or (None if doubtful else entry.verdict)), path
    assert set(plan.genres) | set(plan.skipped) == set(library.entries)
    report = library.write_tags(include_doubtful=True)  # asked explicitly: every verdict is written
    assert not report.failures and len(report.changed) + len(report.kept) == 4
    assert read_genres(first) == ["Ghazal"] and read_genres(rest[0]) == [library.entries[rest[0]].verdict]
    # Tagging changed the bytes, not the audio: the verdicts are still cached.
    reopened = Library(music, bundled_model, data_dir=tmp_path / "data")
    entries = {e.path: e for e in reopened.refresh()}
    assert not reopened.pending() and entries[first].confirmed == "Ghazal" and entries[first].tag_genre == "Ghazal"
    library.undo_tags()
    assert read_genres(first) == []
    for name in ("table.json", "table.csv"):
        export_entries(list(library.entries.values()), tmp_path / name, library.labels)
    records = json.loads((tmp_path / "table.json").read_text())
    rows = list(csv.DictReader(io.StringIO((tmp_path / "table.csv").read_text())))
    assert [r["path"] for r in records] == [r["path"] for r in rows] == list(library.entries)
    assert records[0]["confirmed_genre"] == rows[0]["confirmed_genre"] == "Ghazal"
    for record, row, entry in zip(records, rows, library.entries.values(), strict=True):  # the CLI's columns too
        assert record["unknown"] == entry.result.unknown and row["unknown"] == ("" if entry.result.unknown is None
                                                                               else str(entry.result.unknown))
        assert record["novelty_score"] == (None if entry.result.novelty is None
                                           else pytest.approx(entry.result.novelty, abs=1e-4))
    assert float(rows[2][library.labels[0]]) == pytest.approx(records[2]["probabilities"][library.labels[0]])


def test_needs_review_when_uncertain_unknown_or_the_tag_disagrees(bundled_model, music, tmp_path):
    library = Library(music, bundled_model, data_dir=tmp_path / "data")
    library.refresh()
    library.classify_pending(workers=1)
    entry = next(iter(library.entries.values()))
    other = next(label for label in library.labels if label != entry.verdict)
    entry.tag_genre = other
    assert entry.needs_review
    entry.tag_genre = entry.verdict.upper().replace("-", " ")
    assert entry.needs_review == (entry.result.uncertain or bool(entry.result.unknown))
    library.confirm([entry.path], other)
    assert not entry.needs_review


@pytest.mark.parametrize("key, genre", [("1", "Ghazal"), ("4", "Rock"), ("q", "Qawwali"), ("H", "Hip-hop"),
                                        ("5", None), ("x", None), ("", None)])
def test_keys_name_genres(key, genre):
    assert genre_for_key(key, ["Ghazal", "Qawwali", "Hip-hop", "Rock"]) == genre


#: Put on the workers' path (PYTHONPATH), it makes every song named "killer..." end its worker process
#: at once, as a decoder crash or the out-of-memory killer would; spawn workers import it at start-up.
_KILLER = '''
from urdu_genre_app.library import batch as _batch

_real_classify_one = _batch.classify_one


def _dies_on_a_killer(classifier, path, *args, **kwargs):
    import os

    if os.path.basename(path).startswith("killer"):
        os._exit(1)
    return _real_classify_one(classifier, path, *args, **kwargs)


_batch.classify_one = _dies_on_a_killer
'''


def test_a_song_that_kills_its_worker_is_an_error_and_the_batch_goes_on(bundled_model, music, tmp_path, monkeypatch):
    """The caller (the app) never runs such a song itself: it would take the app down with it."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(_KILLER)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(hooks), os.environ.get("PYTHONPATH", "")]))
    good = sorted(str(p) for p in scan_folder(music))
    killer = music / "killer.wav"
    killer.write_bytes(open(good[0], "rb").read())
    paths = [good[0], str(killer), *good[1:]]
    here = []
    real_classify_one = batch.classify_one
    monkeypatch.setattr(batch, "classify_one", lambda *a, **k: here.append(a[1]) or real_classify_one(*a, **k))

    summary = batch.classify_files(paths, bundled_model.path, workers=2)
    by_path = {o.path: o for o in summary.outcomes}
    assert sorted(by_path) == sorted(paths) and len(summary.outcomes) == len(paths) and not summary.cancelled
    assert by_path[str(killer)].result is None and by_path[str(killer)].error == batch.WORKER_DIED_REASON
    assert all(by_path[p].result is not None for p in good)
    assert here == []  # every song, the killer too, was classified in a worker, never in this process


#: Like :data:`_KILLER`, but a song named "flaky..." ends its worker only the first time it is read
#: (a marker file beside it remembers), as a transient crash would.
_FLAKY = '''
from urdu_genre_app.library import batch as _batch

_real_classify_one = _batch.classify_one


def _dies_once_on_a_flaky(classifier, path, *args, **kwargs):
    import os

    marker = path + ".crashed"
    if os.path.basename(path).startswith("flaky") and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return _real_classify_one(classifier, path, *args, **kwargs)


_batch.classify_one = _dies_once_on_a_flaky
'''


def test_a_last_song_that_crashes_its_worker_once_is_retried_alone(bundled_model, music, tmp_path, monkeypatch):
    """A one-process pool reads the flaky song last, so when the pool breaks it is the only song pending.

    It is still owed its retry alone (the pool is driven directly: ``classify_files`` runs a
    one-worker batch in the caller's process).
    """
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(_FLAKY)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(hooks), os.environ.get("PYTHONPATH", "")]))
    good = sorted(str(p) for p in scan_folder(music))[0]
    flaky = music / "flaky.wav"
    flaky.write_bytes(open(good, "rb").read())
    outcomes, here = [], []
    summary = batch.BatchSummary()

    batch._run_pool([good, str(flaky)], os.fspath(bundled_model.path), 1, outcomes.append, lambda *a: None,
                    lambda: False, summary, here.extend)
    by_path = {o.path: o for o in outcomes}
    assert (music / "flaky.wav.crashed").exists()  # its first worker did die
    assert sorted(by_path) == sorted([good, str(flaky)]) and len(outcomes) == 2 and not summary.cancelled
    assert by_path[str(flaky)].error is None and by_path[str(flaky)].result is not None
    assert by_path[good].result is not None
    assert here == []  # nothing was run in this process
