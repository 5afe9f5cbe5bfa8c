"""The Classify tab, driven through the real MainWindow with real model bundles."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from tests import audio_factory
from urdu_genre_app.gui import settings as S

pytestmark = pytest.mark.gui


def classify_directly(model_path, path):
    """What the core classifier says about ``path``, without the GUI."""
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.core.classifier import Classifier

    return Classifier(load_bundle(model_path)).classify_file(path)


def wait_for_verdict(qtbot, window, timeout=120_000):
    widget = window.classify_widget
    with qtbot.waitSignal(widget.analysis_finished, timeout=timeout) as blocker:
        pass
    return blocker.args[0]


def open_and_wait_for_audio(qtbot, window, path):
    """Open ``path`` in the Classify tab; return its widget once the verdict is shown and the audio loaded to play."""
    widget = window.classify_widget
    widget.open_file(str(path))
    wait_for_verdict(qtbot, window)
    qtbot.waitUntil(lambda: widget.playback._player is not None and widget.playback.player.has_audio, timeout=120_000)
    return widget


def assert_window_shows(window, expected):
    widget = window.classify_widget
    verdict = widget.verdict_view.verdict
    if expected.unknown:  # "Not one of …" with the closest genre on its own line
        flags = f" [{', '.join(expected.flag_words)}]" if expected.flag_words else ""
        assert verdict.verdict.text() == f"Not one of {', '.join(expected.labels)}{flags}"
        assert verdict.closest.isVisible()
        assert verdict.closest.text() == f"closest: {expected.genre} {expected.confidence:.0%}"
    else:
        assert verdict.verdict.text() == expected.verdict_text() and not verdict.closest.isVisible()
    assert widget.charts.segment_chart.bar_count == len(expected.windows)
    assert [w.start_seconds for w in widget.charts.segment_chart.windows] == [w.start_seconds for w in expected.windows]
    for label, value in expected.probabilities.items():
        assert widget.verdict_view.verdict.bars.values[label] == pytest.approx(value, abs=1e-6)
    # The MFCC image is the windows' own features, each up to the next window's start.
    image = widget.charts.mfcc_view.image()
    params = widget.state.classifier.bundle.feature_params
    frame_seconds = params.hop_length / params.sample_rate
    assert image.shape[1] == params.n_features  # MFCC coefficients, or log-mel bands
    assert image.shape[0] == pytest.approx(expected.duration_seconds / frame_seconds, abs=len(expected.windows) + 1)


def test_file_to_verdict_and_full_chart(make_window, tiny_bundle_path, song_path, qtbot):
    window = make_window(tiny_bundle_path)
    widget = window.classify_widget
    seen = []
    widget.charts.segment_chart.bars_drawn.connect(seen.append)
    widget.open_file(str(song_path))
    result = wait_for_verdict(qtbot, window)
    expected = classify_directly(tiny_bundle_path, song_path)
    assert result.verdict_text() == expected.verdict_text()
    assert_window_shows(window, expected)
    drawn = [n for n in seen if n]  # 0: the chart cleared for the new song
    assert drawn[0] == 1 and drawn[-1] == len(expected.windows)  # the first bar showed alone, at once
    assert widget.verdict_view.progress.value() == 100
    assert window.export_action.isEnabled()
    assert window.settings.get(S.RECENT_FILES)[0] == str(song_path)
    assert "tiny test model" in window.model_label.text()


def test_bundled_model_end_to_end(make_window, tmp_path, qtbot):
    from urdu_genre_app.resources import bundled_model_path

    bundled = bundled_model_path()
    if not bundled.exists():
        pytest.skip(f"the bundled model is not shipped yet ({bundled})")
    signal = np.concatenate([audio_factory.make_sound(kind, 16.0, seed=i) for i, kind in enumerate(("Tone", "Clicks", "Sweep"))])
    path = audio_factory.write_audio(tmp_path / "long.mp3", signal)
    window = make_window(None)  # nothing remembered, no --model: the bundled one
    assert window.model_path == str(bundled)
    assert "real and synthetic" in window.model_label.text()
    window.classify_widget.open_file(str(path))
    wait_for_verdict(qtbot, window, timeout=60_000)
    assert_window_shows(window, classify_directly(bundled, path))


def _drop(window, paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    position = QPointF(window.width() / 2, window.height() / 2)
    # QDragEnterEvent takes an integer QPoint (PySide6 6.11), QDropEvent a QPointF.
    enter = QDragEnterEvent(position.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    drop = QDropEvent(position, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    window.dropEvent(drop)
    return enter, drop


def test_drop_a_file_on_the_window(make_window, tiny_bundle_path, song_path, qtbot):
    window = make_window(tiny_bundle_path)
    enter, drop = _drop(window, [song_path])
    assert enter.isAccepted() and drop.isAccepted()
    wait_for_verdict(qtbot, window)
    assert_window_shows(window, classify_directly(tiny_bundle_path, song_path))
    assert window.windowTitle().startswith("song.wav")


def test_open_recent_and_remembered_folder(make_window, tiny_bundle_path, song_path, settings, qtbot):
    settings.add_recent_file(str(song_path))
    settings.set(S.LAST_FOLDER, str(song_path.parent))
    window = make_window(tiny_bundle_path)
    window._rebuild_recent_menu()
    entries = [a for a in window.recent_menu.actions() if a.toolTip() == str(song_path)]
    assert len(entries) == 1
    entries[0].trigger()
    wait_for_verdict(qtbot, window)
    assert window.classify_widget.state.source == str(song_path)


def test_opening_another_file_cancels_the_running_one(make_window, tiny_bundle_path, song_path, tmp_path, qtbot):
    long_signal = np.tile(audio_factory.make_sound("Noise", 3.0, seed=5), 40)  # 2 minutes
    long_path = audio_factory.write_audio(tmp_path / "long.wav", long_signal)
    window = make_window(tiny_bundle_path)
    widget = window.classify_widget
    widget.open_file(str(long_path))
    qtbot.waitUntil(lambda: len(widget.state.windows) >= 1, timeout=120_000)
    widget.open_file(str(song_path))
    result = wait_for_verdict(qtbot, window)
    assert result.path == str(song_path)
    qtbot.wait(200)  # a late answer from the cancelled job must change nothing
    assert widget.banner.isHidden()
    assert_window_shows(window, classify_directly(tiny_bundle_path, song_path))


def test_export_csv_json_png_atomically(make_window, tiny_bundle_path, song_path, tmp_path, qtbot):
    from urdu_genre_app.core.results import results_to_csv

    window = make_window(tiny_bundle_path)
    widget = window.classify_widget
    widget.open_file(str(song_path))
    result = wait_for_verdict(qtbot, window)
    out = tmp_path / "out"
    out.mkdir()
    for name, kind in (("r.csv", "csv"), ("w.csv", "csv-windows"), ("r.json", "json"), ("mfcc.png", "png")):
        widget.export_to(str(out / name), kind)
    # Each export is written aside and renamed into place: wait for the four final names (a temporary
    # file of the last one would also make four), then nothing else may be left.
    final = ["mfcc.png", "r.csv", "r.json", "w.csv"]
    qtbot.waitUntil(lambda: all((out / name).exists() for name in final), timeout=120_000)
    qtbot.waitUntil(lambda: sorted(p.name for p in out.iterdir()) == final, timeout=120_000)
    assert (out / "r.csv").read_text() == results_to_csv([result])
    assert (out / "w.csv").read_text() == results_to_csv([result], include_windows=True)
    assert json.loads((out / "r.json").read_text()) == json.loads(json.dumps(result.to_dict()))
    assert (out / "mfcc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in out.iterdir()) == ["mfcc.png", "r.csv", "r.json", "w.csv"]  # no temp files left


def test_clicking_a_chart_seeks_and_highlights_the_segment(make_window, tiny_bundle_path, song_path, qtbot, fake_audio):
    window = make_window(tiny_bundle_path)
    widget = open_and_wait_for_audio(qtbot, window, song_path)
    for chart in (widget.charts.mfcc_view, widget.charts.segment_chart):
        chart.canvas.draw()
        axes = chart.figure.axes[0]
        target = 7.2
        x, y = axes.transData.transform((target, axes.get_ylim()[0] + 0.5 * (axes.get_ylim()[1] - axes.get_ylim()[0])))
        ratio = chart.canvas.device_pixel_ratio
        point = QPoint(int(round(x / ratio)), int(round(chart.canvas.height() - y / ratio)))
        qtbot.mouseClick(chart.canvas, Qt.MouseButton.LeftButton, pos=point)
        qtbot.waitUntil(lambda: widget.charts.cursor_seconds is not None and abs(widget.charts.cursor_seconds - target) < 0.1)
        assert widget.playback.player.position() == pytest.approx(target, abs=0.1)
    from urdu_genre_app.components.chart_spans import span_at

    spans = widget.charts.segment_chart.spans
    assert widget.charts.segment_chart.highlighted == span_at(spans, widget.charts.cursor_seconds)
    start, end = spans[widget.charts.segment_chart.highlighted]
    assert start <= widget.charts.cursor_seconds < end


def test_synthetic_model_is_marked_and_described(make_window, tiny_bundle_path, tmp_path, qtbot):
    from PySide6.QtWidgets import QApplication

    from urdu_genre_app.core.bundle import load_bundle, save_bundle
    from urdu_genre_app.gui.model_dialog import ModelInfoDialog

    bundle = load_bundle(tiny_bundle_path)
    bundle.provenance.update(trained_on="synthetic", name="synthetic demo")
    bundle.metrics["song_accuracy"] = 0.875
    synthetic = save_bundle(bundle, tmp_path / "synthetic.ugm")
    window = make_window(str(synthetic), wait_charts=False)
    text = window.model_label.text()
    assert "TRAINED ON SYNTHETIC AUDIO" in text and "87.5%" in text and "synthetic demo" in text
    window.model_details_action.trigger()
    qtbot.waitUntil(lambda: any(isinstance(w, ModelInfoDialog) and w.isVisible() for w in QApplication.topLevelWidgets()))
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, ModelInfoDialog))
    assert "Tone, Noise, Clicks, Sweep" in dialog.findChildren(type(window.model_label))[2].text()
    dialog.close()


def test_space_plays_and_pauses_wherever_the_focus_is(make_window, tiny_bundle_path, song_path, qtbot, fake_audio):
    window = make_window(tiny_bundle_path)
    widget = open_and_wait_for_audio(qtbot, window, song_path)
    window.activateWindow()
    for focus in (widget.playback.seek_slider, widget.playback.play_button, widget.open_button):
        focus.setFocus()
        qtbot.keyClick(focus, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: widget.playback.player.state == "playing", timeout=120_000)
        qtbot.keyClick(focus, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: widget.playback.player.state == "paused", timeout=120_000)
    qtbot.keyClick(widget.open_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: widget.charts.cursor_seconds > 0.3, timeout=120_000)
    qtbot.keyClick(widget.open_button, Qt.Key.Key_Space)
    assert widget.playback.player.state == "paused"
