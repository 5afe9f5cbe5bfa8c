"""`urdu-genre classify` as a user runs it: formats, folders, failures, exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from tests import audio_factory
from urdu_genre_app.cli import main


@pytest.fixture
def library(tmp_path):
    """A folder of good files in several formats, plus broken ones beside it."""
    songs = tmp_path / "songs"
    (songs / "nested").mkdir(parents=True)
    audio_factory.write_audio(songs / "tone.mp3", audio_factory.make_sound("Tone", 6.0, seed=1))
    audio_factory.write_audio(songs / "nested" / "sweep.m4a", audio_factory.make_sound("Sweep", 6.0, seed=2))
    audio_factory.write_audio(songs / "کلک.ogg", audio_factory.make_sound("Clicks", 6.0, seed=3))
    (songs / "notes.txt").write_text("ignored: not an audio extension")
    return songs


def test_folder_to_json(library, tiny_bundle_path, capsys):
    assert main(["classify", "--model", tiny_bundle_path, "--json", "--windows", str(library)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert {r["path"].rsplit("/", 1)[-1]: r["genre"] for r in payload} == {
        "tone.mp3": "Tone", "sweep.m4a": "Sweep", "کلک.ogg": "Clicks"}
    assert all(r["windows"] and r["status"] == "ok" for r in payload)


def test_csv_output(library, tiny_bundle_path, capsys):
    assert main(["classify", "--model", tiny_bundle_path, "--csv", str(library / "tone.mp3")]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 1 and rows[0]["genre"] == "Tone" and float(rows[0]["Tone"]) > 0.5


def test_text_output_with_windows(library, tiny_bundle_path, capsys):
    assert main(["classify", "--model", tiny_bundle_path, "--windows", str(library / "tone.mp3")]) == 0
    out = capsys.readouterr().out
    assert "tone.mp3\tTone" in out and "0:00-0:03" in out


def test_bad_files_fail_one_line_each_and_do_not_stop_others(library, tiny_bundle_path, tmp_path, capsys):
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    fake = tmp_path / "fake.m4a"
    fake.write_text("hello")
    folder_like_song = tmp_path / "album.mp3"
    folder_like_song.mkdir()
    code = main(["classify", "--model", tiny_bundle_path, "--json", str(empty), str(library / "tone.mp3"),
                 str(fake), str(tmp_path / "missing.wav"), str(folder_like_song)])
    captured = capsys.readouterr()
    assert code == 1
    assert [r["genre"] for r in json.loads(captured.out)] == ["Tone"]
    errors = captured.err.strip().splitlines()
    assert len(errors) == 4, errors
    assert "empty.mp3: the file is empty" in errors[0]
    assert "fake.m4a: not a recognised audio" in errors[1]
    assert "missing.wav: no such file" in errors[2]
    assert "album.mp3: is a folder with no audio files" in errors[3]
    assert "Traceback" not in captured.err


def test_no_model_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("urdu_genre_app.resources.bundled_model_path", lambda: tmp_path / "absent.ugm")
    monkeypatch.delenv("URDU_GENRE_MODEL", raising=False)
    assert main(["classify", str(tmp_path)]) == 2
    assert "no model is installed" in capsys.readouterr().err


def test_corrupt_model_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "broken.ugm"
    bad.write_bytes(b"garbage")
    assert main(["classify", "--model", str(bad), str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "broken.ugm" in err and "not a model bundle" in err and "Traceback" not in err


def test_installed_command_runs(library, tiny_bundle_path):
    """The console script itself (as a newcomer runs it), in a fresh process."""
    completed = subprocess.run(
        [sys.executable, "-m", "urdu_genre_app", "classify", "--model", tiny_bundle_path, str(library / "tone.mp3")],
        capture_output=True, text=True, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "Tone" in completed.stdout


def test_write_tags_is_opt_in_and_keeps_existing_when_asked(library, tmp_path, monkeypatch, capsys):
    from urdu_genre_app.library.tags import read_genres, set_genres
    from urdu_genre_app.resources import bundled_model_path

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # where the CLI's tag journal goes
    model = str(bundled_model_path())
    tone, sweep = library / "tone.mp3", library / "nested" / "sweep.m4a"
    assert main(["classify", "--model", model, "--json", str(tone)]) == 0
    assert read_genres(tone) == []
    capsys.readouterr()
    set_genres(sweep, ["Pop"])
    assert main(["classify", "--model", model, "--json", "--write-tags", "--include-doubtful", "--keep-existing",
                 str(library)]) == 0
    verdicts = {r["path"]: r["genre"] for r in json.loads(capsys.readouterr().out)}
    assert read_genres(tone) == [verdicts[str(tone)]] and read_genres(sweep) == ["Pop"]
    assert main(["classify", "--model", model, "-q", "--write-tags", "--include-doubtful", str(sweep)]) == 0
    assert read_genres(sweep) == [verdicts[str(sweep)]]
    from urdu_genre_app.paths import tag_journal_path

    assert tag_journal_path().exists() and str(tmp_path / "data") in str(tag_journal_path())


def test_write_tags_skips_doubtful_verdicts_and_says_why(tmp_path, monkeypatch, capsys):
    """Noise is not a genre: its "Pop" stays; only sure verdicts are written unless --include-doubtful."""
    from urdu_genre_app.library.tag_policy import SKIP_UNCERTAIN, SKIP_UNKNOWN
    from urdu_genre_app.library.tags import read_genres, set_genres
    from urdu_genre_app.resources import bundled_model_path

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    songs = tmp_path / "songs"
    songs.mkdir()
    for i, kind in enumerate(("Noise", "Tone", "Sweep", "Clicks")):
        audio_factory.write_audio(songs / f"{kind.lower()}.mp3", audio_factory.make_sound(kind, 6.0, seed=40 + i))
    noise = songs / "noise.mp3"
    set_genres(noise, ["Pop"])
    model = str(bundled_model_path())
    assert main(["classify", "--model", model, "--json", "--write-tags", str(songs)]) == 0
    captured = capsys.readouterr()
    results = {r["path"]: r for r in json.loads(captured.out)}
    assert results[str(noise)]["unknown"], "the bundled model's check no longer flags white noise"
    reasons = {path: SKIP_UNKNOWN if r["unknown"] else SKIP_UNCERTAIN if r["uncertain"] else None
               for path, r in results.items()}
    for path, reason in reasons.items():
        before = ["Pop"] if path == str(noise) else []
        assert read_genres(path) == (before if reason else [results[path]["genre"]]), path
    counts = {reason: sum(r == reason for r in reasons.values()) for reason in (SKIP_UNKNOWN, SKIP_UNCERTAIN)}
    skipped = sum(counts.values())
    assert f"{skipped} skipped: " in captured.err and f"{counts[SKIP_UNKNOWN]} {SKIP_UNKNOWN}" in captured.err
    assert "--include-doubtful" in captured.err
    assert main(["classify", "--model", model, "-q", "--write-tags", "--include-doubtful", str(noise)]) == 0
    assert read_genres(noise) == [results[str(noise)]["genre"]]  # asked explicitly: the nearest genre
