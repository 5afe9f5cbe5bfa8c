"""The window a user meets: it fits the screen, works at 1024 x 700, says why Play is off, has real Help."""

from __future__ import annotations

import shutil
import types

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor

from tests.gui import fake_sounddevice
from tests.gui.test_classify_window import wait_for_verdict

pytestmark = pytest.mark.gui


@pytest.mark.parametrize("geometry, available", [
    (QRect(0, 0, 1280, 860), QRect(0, 0, 1024, 700)),      # the default size on a small screen
    (QRect(900, 500, 800, 600), QRect(0, 30, 1920, 1050)),  # remembered half off a big screen
    (QRect(-300, -50, 800, 600), QRect(1920, 0, 1280, 1024)),  # a screen to the right of the primary
])
def test_fit_to_screen_keeps_the_whole_window_inside(geometry, available):
    from urdu_genre_app.gui.main_window import fit_to_screen

    fitted = fit_to_screen(geometry, available)
    assert available.contains(fitted)
    assert fitted.width() == min(geometry.width(), available.width())
    assert fitted.height() == min(geometry.height(), available.height())


def _inside(widget, window) -> bool:
    """The whole of ``widget`` is shown inside the window's client area."""
    top_left = widget.mapTo(window, QPoint(0, 0))
    return widget.isVisible() and window.rect().contains(QRect(top_left, widget.size()))


def test_the_window_opens_within_the_screen_and_works_at_1024x700(make_window, tiny_bundle_path, song_path, qtbot):
    window = make_window(tiny_bundle_path)
    available = window.screen().availableGeometry()
    assert available.contains(window.frameGeometry()), (available, window.frameGeometry())
    window.resize(1024, 700)
    widget = window.classify_widget
    widget.open_file(str(song_path))
    wait_for_verdict(qtbot, window)
    qtbot.waitUntil(lambda: window.size().width() == 1024 and window.size().height() == 700)
    qtbot.wait(50)  # let the layout settle
    reachable = {
        "Open": widget.open_button, "Load model": window.model_bar.load_button,
        "Play": widget.playback.play_button, "Seek": widget.playback.seek_slider,
        "Record": widget.record_bar.record_button, "Input": widget.record_bar.device_combo,
    }
    for name, control in reachable.items():
        assert _inside(control, window), name
        assert control.width() >= control.minimumSizeHint().width() - 1, name  # not squeezed unreadable
    assert widget.charts.segment_chart.height() >= 120 and widget.charts.mfcc_view.height() >= 120
    widget.banner.show_message("error", "Cannot classify a long reason that takes the banner's whole width " * 2)
    qtbot.wait(50)
    for chart in (widget.charts.segment_chart, widget.charts.mfcc_view):  # squeezed, never clipped
        assert chart.canvas.height() <= chart.height() and _inside(chart, window)
    widget.banner.dismiss()
    qtbot.wait(50)
    # The colour bar's label and ticks fit in the figure at this width (never clipped).
    mfcc = widget.charts.mfcc_view
    mfcc.canvas.draw()
    renderer = mfcc.canvas.get_renderer()
    figure_box = mfcc.figure.bbox
    texts = [mfcc.colorbar.ax.yaxis.label, *mfcc.colorbar.ax.get_yticklabels()]
    for text in texts:
        if text.get_visible() and text.get_text():
            box = text.get_window_extent(renderer)
            assert box.x1 <= figure_box.x1 + 0.5 and box.x0 >= figure_box.x0, text.get_text()


def test_an_urdu_file_name_stays_at_the_left_of_the_header(make_window, tiny_bundle_path, song_path, tmp_path, qtbot):
    urdu = shutil.copy(song_path, tmp_path / "آج جانے کی ضد نہ کرو.wav")
    window = make_window(tiny_bundle_path)
    widget = window.classify_widget
    widget.open_file(str(urdu))
    wait_for_verdict(qtbot, window)
    label = widget.file_label
    assert label.text().startswith("آج")
    image = label.grab().toImage()
    background = QColor(image.pixel(label.width() - 1, label.height() // 2)).lightness()
    inked = [x for x in range(image.width()) for y in range(0, image.height(), 2)
             if abs(QColor(image.pixel(x, y)).lightness() - background) > 60]
    assert inked, "the name was not drawn"
    assert min(inked) < label.width() // 4 and max(inked) < label.width() // 2  # left, not right-aligned


@pytest.mark.parametrize("outputs, default_output, words", [
    (False, -1, "no sound output device"),
    (True, -1, "no default output device"),
])
def test_play_is_disabled_and_says_why_without_an_output(make_window, tiny_bundle_path, song_path, qtbot, monkeypatch,
                                                         outputs, default_output, words):
    module = fake_sounddevice.install(monkeypatch)
    devices = [d for d in fake_sounddevice.device_list() if outputs or d["max_output_channels"] == 0]
    monkeypatch.setattr(module, "query_devices", lambda: devices)
    monkeypatch.setattr(module, "default", types.SimpleNamespace(device=[1, default_output]))
    window = make_window(tiny_bundle_path)
    widget = window.classify_widget
    widget.open_file(str(song_path))
    wait_for_verdict(qtbot, window)
    playback = widget.playback
    qtbot.waitUntil(lambda: playback.has_audio and playback.output_problem is not None, timeout=120_000)
    assert not playback.play_button.isEnabled() and words in playback.play_button.toolTip()
    window.play_action.trigger()
    assert playback.player.state == "stopped" and not fake_sounddevice.FakeOutputStream.instances
    assert words in widget.banner.text and "device -1" not in widget.banner.text


def test_play_stays_enabled_with_an_output(make_window, tiny_bundle_path, song_path, qtbot, fake_audio):
    window = make_window(tiny_bundle_path)
    widget = window.classify_widget
    widget.open_file(str(song_path))
    wait_for_verdict(qtbot, window)
    qtbot.waitUntil(lambda: widget.playback.has_audio and bool(widget.record_bar.devices), timeout=120_000)
    qtbot.wait(200)  # the output check runs after the devices are listed
    assert widget.playback.output_problem is None and widget.playback.play_button.isEnabled()


def test_help_has_shortcuts_how_to_model_cards_licences_and_folders(make_window, tiny_bundle_path, qtbot):
    from urdu_genre_app import paths
    from urdu_genre_app.components import about
    from urdu_genre_app.gui.help_dialog import TABS

    window = make_window(tiny_bundle_path, wait_charts=False)
    window.help_action.trigger()
    dialog = window._help
    qtbot.waitUntil(lambda: dialog.isVisible())
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == list(TABS)
    keys = dict(dialog.shortcuts)
    assert window.open_action.shortcut().toString() in keys and "Space" in keys
    assert "Ctrl+R" in keys and "Ctrl+L" in keys  # recording and Load model…
    shortcuts_text = dialog.tabs.widget(TABS.index("Shortcuts")).toPlainText()
    assert "Ctrl+E" in shortcuts_text and "Export results" in shortcuts_text
    how_to = dialog.tabs.widget(TABS.index("How to")).toPlainText()
    assert "Open" in how_to and "Model" in how_to
    cards = dialog.tabs.widget(TABS.index("Model cards"))
    assert cards.count() == len(about.model_cards()) >= 1
    assert "Trained on synthetic audio" in cards.widget(0).toPlainText()
    licences = dialog.tabs.widget(TABS.index("Licences")).toPlainText()
    assert "mutagen" in licences and "GPL" in licences and "MIT" in licences
    folders = dialog.tabs.widget(TABS.index("Folders")).toPlainText()
    assert str(paths.user_log_dir()) in folders and str(paths.models_dir()) in folders
    assert window.settings.store.fileName() in folders
    window.show_help("Licences")  # one Help window, brought to the asked tab
    assert window._help is dialog and dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Licences"
    dialog.close()


def test_silence_is_said_once_and_shows_no_noise_image(make_window, tiny_bundle_path, tmp_path, qtbot):
    from tests import audio_factory

    quiet = audio_factory.write_audio(tmp_path / "quiet.wav", np.zeros(10 * audio_factory.SR, np.float32))
    window = make_window(tiny_bundle_path)
    widget = window.classify_widget
    widget.open_file(str(quiet))
    result = wait_for_verdict(qtbot, window)
    assert result.status == "silence"
    verdict = widget.verdict_view.verdict
    shown = (verdict.verdict.text() + "\n" + verdict.notes.text()).lower()
    # The verdict says it, and one note gives the reason (the threshold), not a second "no music".
    assert "silence" in verdict.verdict.text() and shown.count("no music") == 1
    assert len([line for line in verdict.notes.text().splitlines() if line]) == 1
    mfcc = widget.charts.mfcc_view
    assert mfcc.pieces and all(mfcc.silent) and not mfcc.axes.images  # hatched, not an image of rounding noise
    assert not mfcc.colorbar_axes.get_visible()


LONG_INPUT_NAME = "HDA Intel PCH: ALC3246 Analog (hw:0,0) with a USB headset's very long name"


def test_a_long_input_device_name_fits_the_record_panel_at_1024x700(make_window, tiny_bundle_path, qtbot,
                                                                    monkeypatch):
    """The device menu keeps a readable width, shows the name cut with "…", and says it whole in its tooltip."""
    module = fake_sounddevice.install(monkeypatch)
    devices = fake_sounddevice.device_list()
    devices[1]["name"] = LONG_INPUT_NAME
    monkeypatch.setattr(module, "query_devices", lambda: devices)
    window = make_window(tiny_bundle_path, wait_charts=False)
    record = window.classify_widget.record_bar
    qtbot.waitUntil(lambda: bool(record.devices), timeout=120_000)
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.size().width() == 1024 and window.size().height() == 700)
    qtbot.wait(50)
    combo = record.device_combo
    full = f"{LONG_INPUT_NAME} (default)"
    assert combo.currentText() == full
    for control in (combo, record.refresh_devices_button, record.record_button, record.save_recording_button):
        assert _inside(control, window)
    shown = combo.shown_text()
    assert shown != full and shown.endswith("…") and full.startswith(shown[:-1])
    assert len(shown) >= 12, shown  # enough of the name to recognise it
    assert combo.fontMetrics().horizontalAdvance(shown) <= combo.width()
    assert full in combo.toolTip()
    window.resize(1400, 900)  # with room, more of the name shows
    qtbot.waitUntil(lambda: window.size().width() == 1400)
    qtbot.wait(50)
    assert len(combo.shown_text()) > len(shown)
