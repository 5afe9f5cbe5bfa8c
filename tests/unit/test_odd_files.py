"""Odd files and folders: FIFOs, links to /dev/zero, unreadable or too-deep folders, non-UTF-8 names.

Every case uses the real thing (``os.mkfifo``, a symbolic link to
``/dev/zero``, a mode-000 folder read by an unprivileged process) and runs
the app in a real process with a generous timeout, so a hang fails the test
instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import audio_factory
from urdu_genre_app.library.scan import NOT_REGULAR_FILE, path_max, walk_audio

REPOSITORY = Path(__file__).resolve().parents[2]
#: Seconds a process may take before it counts as hung: far above any run on a busy machine.
HANG_SECONDS = 240
#: Run as root, a process reads a mode-000 folder; without these two capabilities root obeys mode bits too.
WITHOUT_DAC_OVERRIDE = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
                        "--bounding-set=-dac_override,-dac_read_search", "--"]


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY), env.get("PYTHONPATH")]))
    return env


def _cli(*args: str, obey_modes: bool = False) -> subprocess.CompletedProcess:
    """``urdu-genre ARGS`` in a fresh process; ``obey_modes`` makes a root process obey mode bits."""
    prefix = WITHOUT_DAC_OVERRIDE if obey_modes and os.geteuid() == 0 else []
    return subprocess.run(
        [*prefix, sys.executable, "-m", "urdu_genre_app.cli", *args], capture_output=True, timeout=HANG_SECONDS,
        env=_environment(), cwd=REPOSITORY,
    )


@pytest.fixture
def odd_folder(tmp_path):
    """One real song, a FIFO and a link to /dev/zero with audio names, and a link to the song."""
    root = tmp_path / "odd"
    root.mkdir()
    audio_factory.write_audio(root / "song.wav", audio_factory.make_sound("Tone", 4.0))
    os.mkfifo(root / "pipe.mp3")
    (root / "zero.flac").symlink_to("/dev/zero")
    (root / "link.wav").symlink_to(root / "song.wav")
    return root


def test_the_walk_takes_regular_files_and_reports_fifos_and_devices(odd_folder):
    scan = walk_audio(odd_folder)
    assert [p.name for p in scan.files] == ["link.wav", "song.wav"]
    assert {Path(s.path).name: s.reason for s in scan.skipped} == {
        "pipe.mp3": NOT_REGULAR_FILE, "zero.flac": NOT_REGULAR_FILE,
    }


LIBRARY_SCRIPT = """
import json, sys
from urdu_genre_app.core.bundle import load_bundle
from urdu_genre_app.library.library import Library
from urdu_genre_app.resources import bundled_model_path
library = Library(sys.argv[1], load_bundle(bundled_model_path(), with_keras=False), data_dir=sys.argv[2])
entries = library.refresh(read_tags=True)
print(json.dumps({"entries": [e.path for e in entries], "skipped": [s.path for s in library.skipped]}))
"""


def test_a_library_with_a_fifo_and_dev_zero_opens_and_lists_the_songs(odd_folder, tmp_path):
    """Before: the scan hung at "Reading..." for ever (the FIFO's open, /dev/zero's hash never ended)."""
    done = subprocess.run([sys.executable, "-c", LIBRARY_SCRIPT, str(odd_folder), str(tmp_path / "data")],
                          capture_output=True, text=True, timeout=HANG_SECONDS, env=_environment())
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert [Path(p).name for p in seen["entries"]] == ["link.wav", "song.wav"]
    assert sorted(Path(p).name for p in seen["skipped"]) == ["pipe.mp3", "zero.flac"]


def test_classify_names_a_fifo_and_dev_zero_and_classifies_the_rest(odd_folder):
    done = _cli("classify", "-q", str(odd_folder), str(odd_folder / "pipe.mp3"), str(odd_folder / "zero.flac"))
    err = done.stderr.decode()
    assert done.returncode == 1, err
    assert err.count("pipe.mp3: is not a regular file") == 2
    assert err.count("zero.flac: is not a regular file") == 2
    assert done.stdout.decode().count("song.wav") == 1 and "link.wav" in done.stdout.decode()


def test_classify_folder_reports_an_unreadable_subfolder_and_goes_on(tmp_path):
    """Before: a mode-000 subfolder was skipped without a word."""
    root = tmp_path / "music"
    (root / "locked").mkdir(parents=True)
    audio_factory.write_audio(root / "song.wav", audio_factory.make_sound("Tone", 4.0))
    audio_factory.write_audio(root / "locked" / "hidden.wav", audio_factory.make_sound("Tone", 4.0))
    os.chmod(root / "locked", 0o000)
    try:
        done = _cli("classify", "-q", str(root), obey_modes=True)
    finally:
        os.chmod(root / "locked", 0o755)
    err = done.stderr.decode()
    assert done.returncode == 1, err
    assert f"{root / 'locked'}: permission denied" in err
    assert "Traceback" not in err
    assert "song.wav" in done.stdout.decode()


def test_classify_folder_reports_a_path_longer_than_path_max_and_goes_on(tmp_path, monkeypatch):
    """Before: one path over PATH_MAX ended the run with a traceback before any file."""
    root = tmp_path / "music"
    root.mkdir()
    audio_factory.write_audio(root / "song.wav", audio_factory.make_sound("Tone", 4.0))
    deep = root
    monkeypatch.chdir(root)  # build the deep chain relative to the current folder: absolute paths would be refused
    component = "d" * 200
    depth = path_max() // (len(component) + 1) + 2
    for _ in range(depth):
        os.mkdir(component)
        os.chdir(component)
    audio_factory.write_audio(Path("deep.wav"), audio_factory.make_sound("Tone", 4.0))
    monkeypatch.chdir(tmp_path)
    done = _cli("classify", "-q", str(deep))
    err = done.stderr.decode()
    assert done.returncode == 1, err
    assert "Traceback" not in err
    assert "longer than this system allows" in err
    assert "song.wav" in done.stdout.decode()
