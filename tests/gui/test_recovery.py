"""A recording the app never closed is offered for recovery at the next start, repaired, and classified."""

from __future__ import annotations

import struct
import subprocess
import sys

import numpy as np
import pytest
import soundfile
from PySide6.QtWidgets import QMessageBox

from tests import audio_factory
from tests.gui.test_classify_window import classify_directly

pytestmark = pytest.mark.gui


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def leftover(tmp_path):
    """A killed recording: the WAV's header counts 1 s of the 7.5 s on disk; its journal says "recording"."""
    from urdu_genre_app.core.recording import RecordingJournal
    from urdu_genre_app.paths import recordings_dir

    signal = np.concatenate([audio_factory.make_sound("Sweep", 4.0, seed=21), audio_factory.make_sound("Tone", 3.5, seed=22)])
    reference = audio_factory.write_audio(tmp_path / "reference.wav", signal)
    path = recordings_dir() / "recording-20261201-235900.wav"
    soundfile.write(path, soundfile.read(reference, dtype="int16")[0], 22_050, format="WAV", subtype="PCM_16")
    raw = bytearray(path.read_bytes())
    data_at = raw.index(b"data")
    struct.pack_into("<I", raw, data_at + 4, 22_050 * 2)  # the last header update the killed app made
    struct.pack_into("<I", raw, 4, data_at + 8 + 22_050 * 2 - 8)
    path.write_bytes(bytes(raw))
    assert soundfile.info(path).frames == 22_050
    journal = RecordingJournal.begin(path, sample_rate=22_050, device="Fake microphone", flush_seconds=0.25)
    journal.pid = _dead_pid()
    journal.save()
    return path, reference, signal.size


def test_an_unfinished_recording_is_offered_repaired_and_classified(make_window, tiny_bundle_path, leftover, qtbot):
    from urdu_genre_app.core.recording import journal_for

    path, reference, frames = leftover
    window = make_window(tiny_bundle_path)
    widget = window.classify_widget
    bar = widget.recovery_bar
    qtbot.waitUntil(bar.isVisible, timeout=120_000)  # non-blocking: the window works meanwhile
    assert path.name in bar.label.text() and "not finished" in bar.label.text()
    assert soundfile.info(path).frames == frames  # repaired: every sample on disk counts
    with qtbot.waitSignal(widget.analysis_finished, timeout=120_000) as blocker:
        bar.open_button.click()
    assert bar.isHidden()
    expected = classify_directly(tiny_bundle_path, reference)
    assert blocker.args[0].verdict_text() == expected.verdict_text()
    assert widget.verdict_view.verdict.verdict.text() == expected.verdict_text()
    qtbot.waitUntil(lambda: journal_for(path).state == "recovered", timeout=120_000)
    # Taken back: not offered at the next start.
    again = make_window(tiny_bundle_path)
    qtbot.wait(500)
    assert again.classify_widget.recovery_bar.isHidden() and not again.classify_widget.recovery_bar.pending


def test_later_keeps_it_and_discard_deletes_only_when_confirmed(make_window, tiny_bundle_path, leftover, qtbot,
                                                                 monkeypatch):
    path, _reference, _frames = leftover
    window = make_window(tiny_bundle_path)
    bar = window.classify_widget.recovery_bar
    qtbot.waitUntil(bar.isVisible, timeout=120_000)
    bar.later_button.click()
    assert bar.isHidden() and path.exists()
    window2 = make_window(tiny_bundle_path)  # offered again
    bar = window2.classify_widget.recovery_bar
    qtbot.waitUntil(bar.isVisible, timeout=120_000)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    bar.discard_button.click()
    assert bar.isVisible() and path.exists()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    bar.discard_button.click()
    qtbot.waitUntil(lambda: not path.exists() and not path.with_name(path.name + ".json").exists(), timeout=120_000)
    assert bar.isHidden()
