"""Recovery finds unfinished recordings whose pid now belongs to another live process, and one bad sidecar hides none (17.12)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
import soundfile

from urdu_genre_app.core.recording import RecordingJournal, find_unfinished, process_start


@pytest.fixture
def unrelated_process():
    """A live process that never recorded anything (as pid 1 is after a reboot)."""
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    yield process
    process.communicate(b"", timeout=60)


def _recording(folder, name, **fields):
    audio = folder / f"{name}.wav"
    soundfile.write(audio, np.zeros(800, dtype=np.int16), 8000, format="WAV", subtype="PCM_16")
    journal = RecordingJournal.begin(audio, sample_rate=8000, device="mic", flush_seconds=0.25)
    for key, value in fields.items():
        setattr(journal, key, value)
    journal.save()
    return journal


def test_a_pid_reused_by_an_unrelated_process_does_not_hide_the_recording(tmp_path, unrelated_process):
    """Before: any live process with the sidecar's pid made the recording look still open."""
    an_hour_ago = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat(timespec="seconds")
    # A sidecar from before process identities were stored: told apart by start time.
    _recording(tmp_path, "old-style", pid=unrelated_process.pid, process_start="", started=an_hour_ago)
    # A sidecar with an identity: the same pid, but not the process that wrote it (another boot).
    _recording(tmp_path, "other-boot", pid=unrelated_process.pid, process_start="another-boot/12345")
    assert [j.audio_path.name for j in find_unfinished(tmp_path)] == ["old-style.wav", "other-boot.wav"]


def test_a_recorder_that_still_runs_is_left_alone(tmp_path, unrelated_process):
    identity = process_start(unrelated_process.pid)
    if identity is None:
        pytest.skip("process start times are not readable here (no /proc)")
    _recording(tmp_path, "live", pid=unrelated_process.pid, process_start=identity)
    assert find_unfinished(tmp_path) == []


@pytest.mark.parametrize("poison", ["1e400", "-5", "\"fast\"", "[1, 2]"])
def test_one_sidecar_with_an_impossible_sample_rate_hides_no_other(tmp_path, poison):
    """Before: ``sample_rate: 1e400`` raised OverflowError out of the search, hiding every unfinished recording."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    good = _recording(tmp_path, "b-good", pid=int(dead.stdout))
    bad = _recording(tmp_path, "a-bad", pid=int(dead.stdout))
    text = json.dumps(bad.to_dict()).replace('"sample_rate": 8000', f'"sample_rate": {poison}')
    bad.path.write_text(text)
    assert [j.audio_path for j in find_unfinished(tmp_path)] == [good.audio_path]
