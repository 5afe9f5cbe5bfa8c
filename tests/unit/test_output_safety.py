"""Names and labels from outside cannot drive a terminal, break UTF-8 output or run in a spreadsheet (17.8, 17.9)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import audio_factory
from urdu_genre_app.core.bundle import load_bundle
from urdu_genre_app.core.results import SongResult, WindowResult, results_to_csv
from urdu_genre_app.core.safe_text import spreadsheet_safe, terminal_safe, unicode_path
from urdu_genre_app.library.corrections import CorrectionsManifest
from urdu_genre_app.library.export import entries_to_csv, entries_to_json
from urdu_genre_app.library.library import Library, LibraryEntry
from urdu_genre_app.resources import bundled_model_path

REPOSITORY = Path(__file__).resolve().parents[2]
#: A file name whose bytes are not UTF-8 (Latin-1 "é" and a stray 0xff), as old archives hold.
LATIN1_NAME = b"caf\xe9 \xff song.wav"
#: A file name that tries to recolour the terminal and forge a second output line.
FORGING_NAME = "evil\x1b[31m\rRock\tforged\nline.wav"


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY), env.get("PYTHONPATH")]))
    env["LC_ALL"] = env["LANG"] = "C.UTF-8"  # a strict UTF-8 stdout, where a raw surrogate cannot be printed
    return env


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "urdu_genre_app.cli", *args], capture_output=True,
                          env=_environment(), timeout=300)


@pytest.fixture
def odd_names(tmp_path):
    folder = tmp_path / "music"
    folder.mkdir()
    sound = audio_factory.make_sound("Tone", 4.0)
    audio_factory.write_audio(folder / "plain.wav", sound)
    latin1 = os.path.join(os.fsencode(folder), LATIN1_NAME)
    audio_factory.write_audio(folder / "tmp.wav", sound).rename(os.fsdecode(latin1))
    audio_factory.write_audio(folder / FORGING_NAME, sound)
    return folder


@pytest.mark.parametrize("text, shown", [
    ("\x1b[2J\x1b[31mRock", "\\x1b[2J\\x1b[31mRock"),
    ("Rock\r\nQawwali 99%", "Rock\\r\\nQawwali 99%"),
    ("bell\x07 del\x7f c1\x9b", "bell\\x07 del\\x7f c1\\x9b"),
    ("\u202eevil", "\\u202eevil"),
    ("غزل قوالی", "غزل قوالی"),
    (os.fsdecode(b"caf\xe9"), "caf\\xe9"),
])
def test_terminal_safe_escapes_what_could_act_on_a_terminal(text, shown):
    assert terminal_safe(text) == shown


@pytest.mark.parametrize("cell, safe", [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
    ("+1+cmd", "'+1+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-0.25", "-0.25"), ("/music/a.mp3", "/music/a.mp3"), (0.5, 0.5), (None, None),
])
def test_spreadsheet_safe_neutralises_formula_cells(cell, safe):
    assert spreadsheet_safe(cell) == safe


def test_every_csv_writer_neutralises_formulas():
    labels = ["=HYPERLINK(\"http://evil\")", "Rock"]
    result = SongResult(path="=cmd|' /C calc'!A0", labels=labels,
                        windows=[WindowResult(0, 0.0, 30.0, (0.9, 0.1))], duration_seconds=30.0)
    texts = [results_to_csv([result]), results_to_csv([result], include_windows=True),
             entries_to_csv([LibraryEntry(result.path, result=result, tag_genre="@bad")], labels)]
    for text in texts:
        cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
        assert cells and not any(cell.startswith(("=", "+", "@")) for cell in cells), text


def test_corrections_neutralise_formulas_and_read_back_what_was_confirmed(tmp_path):
    manifest = CorrectionsManifest(tmp_path / "corrections.csv")
    manifest.set("/music/a.mp3", "=HYPERLINK(\"http://evil\")")
    rows = list(csv.reader(io.StringIO(manifest.path.read_text(encoding="utf-8"))))
    assert rows[1] == ["/music/a.mp3", "'=HYPERLINK(\"http://evil\")"]
    assert CorrectionsManifest(manifest.path).get("/music/a.mp3") == "=HYPERLINK(\"http://evil\")"


def test_classify_text_output_cannot_forge_lines_or_send_escapes(odd_names):
    done = _cli("classify", "-q", str(odd_names / FORGING_NAME))
    out = done.stdout.decode("utf-8")
    assert done.returncode == 0, done.stderr.decode()
    assert "\x1b" not in out and "\r" not in out
    verdicts = [line for line in out.splitlines() if not line.startswith("  warning:")]
    assert len(verdicts) == 1 and "evil\\x1b[31m\\rRock\\tforged\\nline.wav" in out


def test_classify_json_with_a_non_utf8_name_is_valid_utf8_json(odd_names):
    """Before: the raw bytes (or a crash) made the whole output unreadable to any JSON reader."""
    done = _cli("classify", "-q", "--json", str(odd_names))
    assert done.returncode == 0, done.stderr.decode()
    payload = json.loads(done.stdout.decode("utf-8"))  # strict UTF-8
    names = sorted(Path(record["path"]).name for record in payload)
    assert names == sorted(["caf\\xe9 \\xff song.wav", FORGING_NAME, "plain.wav"])
    assert unicode_path(os.fsdecode(LATIN1_NAME)) == "caf\\xe9 \\xff song.wav"


def test_classify_text_and_csv_with_a_non_utf8_name(odd_names):
    for arguments in (["-q"], ["-q", "--csv"]):
        done = _cli("classify", *arguments, str(odd_names))
        assert done.returncode == 0, done.stderr.decode()
        assert "caf\\xe9 \\xff song.wav" in done.stdout.decode("utf-8")


def test_a_non_utf8_name_leaves_the_library_whole(odd_names, tmp_path):
    """Before: one such name emptied the Library ("surrogates not allowed")."""
    library = Library(odd_names, load_bundle(bundled_model_path(), with_keras=False), data_dir=tmp_path / "data")
    entries = library.refresh()
    latin1 = os.fsdecode(os.path.join(os.fsencode(odd_names), LATIN1_NAME))
    assert sorted(e.path for e in entries) == sorted([latin1, str(odd_names / FORGING_NAME),
                                                      str(odd_names / "plain.wav")])
    summary = library.classify_pending(workers=1)
    assert all(outcome.result is not None for outcome in summary.outcomes), summary.outcomes
    library.confirm([latin1], "Ghazal")
    reopened = Library(odd_names, library.bundle, data_dir=tmp_path / "data")
    by_path = {e.path: e for e in reopened.refresh()}
    assert by_path[latin1].confirmed == "Ghazal" and by_path[latin1].from_cache
    json.loads(entries_to_json(list(by_path.values())).encode("utf-8"))
    library.close()
    reopened.close()
