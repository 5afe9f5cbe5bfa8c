"""Playback moves the cursor over both charts, in step with what is heard."""

from __future__ import annotations

import pytest

from tests.gui.test_classify_window import open_and_wait_for_audio

pytestmark = pytest.mark.gui


@pytest.fixture(params=["pulseaudio", "fake"])
def audio_output(request, pulse_audio):
    """A real output (PulseAudio null sink) where one can be started, and the lowest-layer fake."""
    if request.param == "pulseaudio":
        if pulse_audio is None:
            pytest.skip("PulseAudio is not available here; the fake-stream variant covers playback")
        return "pulseaudio"
    request.getfixturevalue("fake_audio")
    return "fake"


def test_playback_moves_the_cursor(make_window, tiny_bundle_path, song_path, qtbot, audio_output):
    window = make_window(tiny_bundle_path)
    widget = open_and_wait_for_audio(qtbot, window, song_path)
    assert widget.playback.play_button.isEnabled()
    assert widget.charts.cursor_seconds == 0.0

    window.play_action.trigger()  # Space
    assert widget.playback.player.state == "playing", widget.banner.text
    qtbot.waitUntil(lambda: widget.charts.cursor_seconds > 0.6, timeout=120_000)
    assert widget.charts.mfcc_view.cursor_seconds == pytest.approx(widget.charts.segment_chart.cursor_seconds, abs=0.05)
    assert widget.charts.segment_chart.highlighted is not None
    assert widget.playback.play_button.text() == "Pause"

    window.play_action.trigger()  # pause
    assert widget.playback.player.state == "paused"
    paused_at = widget.charts.cursor_seconds
    qtbot.wait(200)
    assert widget.charts.cursor_seconds == pytest.approx(paused_at, abs=0.05)

    widget.playback.seek(8.0)
    assert widget.charts.cursor_seconds == pytest.approx(8.0, abs=0.05)
    window.play_action.trigger()
    qtbot.waitUntil(lambda: widget.charts.cursor_seconds > 8.3, timeout=120_000)
    assert widget.charts.segment_chart.highlighted == len(widget.charts.segment_chart.spans) - 1 or widget.charts.cursor_seconds < widget.charts.segment_chart.spans[-1][0]

    window.stop_action.trigger()
    assert widget.playback.player.state == "stopped"
    assert widget.charts.cursor_seconds == 0.0
