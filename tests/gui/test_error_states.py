"""Error states: each shows a clear message in the window, and nothing crashes or freezes."""

from __future__ import annotations

import importlib.abc
import sys

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox

from tests import audio_factory
from tests.gui import fake_sounddevice
from tests.gui.test_classify_window import open_and_wait_for_audio, wait_for_verdict

pytestmark = pytest.mark.gui


def _message_boxes():
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def _close_message_boxes():
    for box in _message_boxes():
        box.close()


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_model_file(make_window, tiny_bundle_path, tmp_path, song_path, qtbot, damage):
    bad = tmp_path / "bad.ugm"
    good = open(tiny_bundle_path, "rb").read()
    bad.write_bytes(b"this is not a model" if damage == "garbage" else good[: len(good) // 2])
    window = make_window(str(bad))
    widget = window.classify_widget
    assert widget.state.classifier is None and widget.state.model_state == "error"
    assert "Cannot load the model" in widget.banner.text and "bad.ugm" in widget.banner.text
    assert "No usable model" in window.model_label.text()
    assert not window.model_details_button.isEnabled()
    widget.open_file(str(song_path))
    assert widget.banner.kind == "warning" and "could not be loaded" in widget.banner.text
    assert not widget.record_bar.record_button.isEnabled()


def test_loading_a_corrupt_model_keeps_the_working_one(make_window, tiny_bundle_path, tmp_path, song_path, qtbot):
    from urdu_genre_app.gui import settings as S

    bad = tmp_path / "broken.ugm"
    bad.write_bytes(b"PK\x03\x04 broken")
    window = make_window(tiny_bundle_path)
    working = window.classifier
    window.load_model(str(bad), remember=True)
    qtbot.waitUntil(lambda: not window.model_loading and bool(_message_boxes()), timeout=120_000)
    assert "broken.ugm" in _message_boxes()[0].text()
    _close_message_boxes()
    assert window.classifier is working and window.classify_widget.state.classifier is working
    assert window.settings.get(S.MODEL_PATH) == ""  # a failed load is not remembered
    window.classify_widget.open_file(str(song_path))
    wait_for_verdict(qtbot, window)


def test_no_model_installed(make_window, tmp_path, song_path, monkeypatch):
    import urdu_genre_app.resources as resources

    monkeypatch.setattr(resources, "bundled_model_path", lambda: tmp_path / "models" / "missing.ugm")
    window = make_window(None)
    widget = window.classify_widget
    assert widget.state.model_state == "none"
    assert "No model installed" in window.model_label.text()
    assert widget.verdict_view.verdict.heading.text() == "No model installed"
    widget.open_file(str(song_path))
    assert "No model is installed" in widget.banner.text


@pytest.mark.parametrize("content, reason", [
    (b"ID3 but really just text, not audio at all" * 20, "not a recognised audio"),
    (b"", "empty"),
])
def test_undecodable_file(make_window, tiny_bundle_path, tmp_path, qtbot, content, reason):
    path = tmp_path / "broken song.mp3"
    path.write_bytes(content)
    window = make_window(tiny_bundle_path)
    widget = window.classify_widget
    with qtbot.waitSignal(widget.analysis_failed, timeout=120_000) as blocker:
        widget.open_file(str(path))
    assert reason in blocker.args[0]
    assert widget.banner.kind == "error"
    assert str(path) in widget.banner.text and reason in widget.banner.text
    assert widget.verdict_view.verdict.verdict.text() == "Cannot classify this file"
    assert widget.verdict_view.progress.format() == "Failed"
    assert reason in window.statusBar().currentMessage()
    chart = widget.charts.segment_chart  # no "Decoding…" left behind
    assert chart.bar_count == 0 and "cannot be classified" in chart.empty_text


def test_too_short_file(make_window, tiny_bundle_path, tmp_path, qtbot):
    path = audio_factory.write_audio(tmp_path / "blip.wav", audio_factory.make_sound("Tone", 0.3))
    window = make_window(tiny_bundle_path)
    with qtbot.waitSignal(window.classify_widget.analysis_failed, timeout=120_000) as blocker:
        window.classify_widget.open_file(str(path))
    assert "at least" in blocker.args[0]


def test_no_input_device(make_window, tiny_bundle_path, qtbot, monkeypatch):
    fake_sounddevice.install(monkeypatch, with_input=False)
    window = make_window(tiny_bundle_path)
    widget = window.classify_widget
    qtbot.waitUntil(lambda: widget.record_bar.device_combo.currentText() == "No input device", timeout=120_000)
    window.record_action.trigger()
    assert not widget.record_bar.recorder_is_active()
    assert widget.banner.kind == "error" and "No input device found" in widget.banner.text


class _NoPortAudio(importlib.abc.MetaPathFinder):
    """Importing sounddevice fails as it does when libportaudio is missing."""

    def find_spec(self, name, path=None, target=None):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return None


def test_portaudio_missing(make_window, tiny_bundle_path, song_path, qtbot, monkeypatch):
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_NoPortAudio(), *sys.meta_path])
    window = make_window(tiny_bundle_path)
    widget = window.classify_widget
    qtbot.waitUntil(lambda: widget.record_bar.device_combo.currentText() == "No input device", timeout=120_000)
    assert "PortAudio" in widget.record_bar.device_combo.toolTip()
    window.record_action.trigger()
    assert "PortAudio" in widget.banner.text
    open_and_wait_for_audio(qtbot, window, song_path)  # classification still works
    # Play is disabled and says why; Space says it again instead of failing.
    play = widget.playback.play_button
    assert not play.isEnabled() and "PortAudio" in play.toolTip()
    window.play_action.trigger()
    assert widget.playback.player.state == "stopped"
    assert widget.banner.kind == "warning" and "PortAudio" in widget.banner.text


def test_output_and_input_refused(make_window, tiny_bundle_path, song_path, qtbot, monkeypatch):
    module = fake_sounddevice.install(monkeypatch)

    class Refused(Exception):
        pass

    def refuse_output(**_kwargs):
        raise Refused("Device unavailable [PaErrorCode -9985]")

    def refuse_input(**_kwargs):
        raise Refused("Error opening InputStream: Permission denied")

    monkeypatch.setattr(module, "OutputStream", refuse_output)
    monkeypatch.setattr(module, "InputStream", refuse_input)
    window = make_window(tiny_bundle_path)
    widget = open_and_wait_for_audio(qtbot, window, song_path)
    window.play_action.trigger()
    assert widget.playback.player.state == "stopped" and "Cannot play" in widget.banner.text
    qtbot.waitUntil(lambda: widget.record_bar.selected_device() is not None, timeout=120_000)
    window.record_action.trigger()
    assert not widget.record_bar.recorder_is_active()
    assert "permission" in widget.banner.text.lower() and "Fake microphone" in widget.banner.text
