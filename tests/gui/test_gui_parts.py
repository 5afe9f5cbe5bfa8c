"""The window's parts on their own: settings, the worker helper, the excepthook, the ring buffer, live scoring."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QSettings, QThread

from urdu_genre_app.gui import settings as S

pytestmark = pytest.mark.gui


def test_settings_round_trip(tmp_path):
    store = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings = S.Settings(store)
    assert settings.get(S.RECENT_FILES) == [] and settings.get(S.MODEL_PATH) == ""
    settings.add_recent_file("/music/one.mp3")
    settings.set(S.WINDOW_GEOMETRY, b"\x01\x02")
    settings.sync()
    again = S.Settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    assert again.get(S.RECENT_FILES) == ["/music/one.mp3"]  # a one-item list stays a list
    assert again.get(S.WINDOW_GEOMETRY) == b"\x01\x02"
    for i in range(15):
        again.add_recent_file(f"/music/{i}.mp3")
    assert len(again.get(S.RECENT_FILES)) == S.MAX_RECENT_FILES
    assert again.get(S.RECENT_FILES)[0] == "/music/14.mp3"


def test_window_geometry_is_remembered(make_window, tiny_bundle_path, settings, qtbot):
    window = make_window(tiny_bundle_path, wait_charts=False)
    window.resize(780, 700)
    window.close()
    again = make_window(tiny_bundle_path, wait_charts=False)
    assert (again.width(), again.height()) == (780, 700)


def test_run_task_posts_result_and_error_to_the_gui_thread(qtbot):
    from urdu_genre_app.gui.workers import run_task

    gui_thread = QThread.currentThread()
    outcomes, threads = [], []

    def work(value, report):
        threads.append(threading.current_thread())
        report(value / 2)
        if value < 0:
            raise ValueError("negative")
        return value * 2

    def done(result, error):
        outcomes.append((result, error, QThread.currentThread() is gui_thread))

    progress = []
    run_task(work, done, on_progress=lambda v: progress.append((v, QThread.currentThread() is gui_thread)), value=4)
    run_task(work, done, on_progress=lambda v: None, value=-1)
    qtbot.waitUntil(lambda: len(outcomes) == 2, timeout=120_000)
    outcomes.sort(key=lambda o: o[1] is not None)
    assert outcomes[0] == (8, None, True)
    assert outcomes[1][0] is None and isinstance(outcomes[1][1], ValueError) and outcomes[1][2]
    assert progress == [(2.0, True)]
    assert all(t is not threading.main_thread() for t in threads)


def test_a_cancelled_task_stops_and_its_outcome_is_dropped(qtbot):
    from urdu_genre_app.gui.workers import run_task

    started, release = threading.Event(), threading.Event()
    delivered, stopped = [], []

    def work(token, report):
        report("before")
        started.set()
        release.wait(5)
        stopped.append(token.cancelled)
        report("after")
        return "superseded"

    superseded = run_task(work, lambda *outcome: delivered.append(outcome), on_progress=delivered.append,
                          cancellable=True)
    assert started.wait(5) and superseded.running
    superseded.cancel()
    current = run_task(lambda: "current", lambda *outcome: delivered.append(outcome))
    release.set()
    qtbot.waitUntil(lambda: superseded.done and current.done, timeout=120_000)
    qtbot.wait(50)
    assert stopped == [True]  # the job saw its token cancelled
    assert not superseded.running and superseded.cancelled
    assert ("superseded", None) not in delivered and "after" not in delivered
    assert ("current", None) in delivered


def test_excepthook_logs_and_shows_one_dialog(qtbot, tmp_path):
    from urdu_genre_app.gui.excepthook import ExceptionHandler, configure_file_logging

    log_path = configure_file_logging(tmp_path)
    handler = ExceptionHandler(log_path)
    for i in range(5):
        try:
            raise RuntimeError(f"boom {i}")
        except RuntimeError as error:
            handler.handle(type(error), error, error.__traceback__)
    qtbot.waitUntil(lambda: handler.dialog is not None, timeout=120_000)
    qtbot.wait(50)
    assert handler.suppressed == 4
    assert str(log_path) in handler.dialog.informativeText()
    handler.dialog.close()
    qtbot.waitUntil(lambda: handler.dialog is None)
    try:
        raise RuntimeError("right after")
    except RuntimeError as error:
        handler.handle(type(error), error, error.__traceback__)
    qtbot.wait(50)
    assert handler.dialog is None and handler.suppressed == 5  # quiet spell after a dialog
    text = log_path.read_text()
    assert "boom 0" in text and "Traceback" in text


def test_emitting_from_python_keeps_true_alive():
    """PySide6 6.12.0's emit() dropped a reference to True on Python 3.11; the pinned binding must not."""
    import sys

    from PySide6.QtCore import QObject, Signal

    class Source(QObject):
        changed = Signal(object)

    source, seen = Source(), []
    source.changed.connect(seen.append)
    before = sys.getrefcount(True)
    for i in range(5000):
        source.changed.emit(i)
    assert len(seen) == 5000
    assert abs(sys.getrefcount(True) - before) < 50


def test_a_loaded_model_is_remembered(make_window, tiny_bundle_path, tmp_path, settings, qtbot, monkeypatch):
    import shutil

    import urdu_genre_app.resources as resources

    monkeypatch.setattr(resources, "bundled_model_path", lambda: tmp_path / "none" / "missing.ugm")
    copy = shutil.copy(tiny_bundle_path, tmp_path / "mine.ugm")
    window = make_window(None, wait_charts=False)
    assert window.classifier is None
    window.load_model(str(copy), remember=True)
    qtbot.waitUntil(lambda: window.classifier is not None, timeout=120_000)
    assert settings.get(S.MODEL_PATH) == str(copy)
    window.close()
    again = make_window(None, wait_charts=False)
    assert again.model_path == str(copy) and again.classify_widget.state.classifier is not None


def test_a_not_a_genre_verdict_of_a_model_with_many_genres_wraps_instead_of_widening_the_window(qtbot):
    """A user's model may know ten genres: "Not one of …" then takes two lines, not a 1,000-pixel-wide window."""
    from urdu_genre_app.core.results import SongResult, WindowResult
    from urdu_genre_app.gui.widgets import VerdictWidget

    labels = ["Ghazal", "Qawwali", "Hip-hop", "Rock", "Pop", "Classical", "Jazz", "Folk", "Sufi", "Bhangra"]
    probabilities = (0.3, *([0.7 / 9] * 9))
    result = SongResult("/m/air.mp3", labels, [WindowResult(0, 0.0, 30.0, probabilities, novelty=3.0)])
    view = VerdictWidget()
    qtbot.addWidget(view)
    view.resize(600, 200)
    view.show()
    view.show_result(result)
    assert view.verdict.text() == f"Not one of {', '.join(labels)}"
    assert view.closest.text() == "closest: Ghazal 30%"
    assert view.verdict.fontMetrics().horizontalAdvance(view.verdict.text()) > 600  # it would not fit on one line
    qtbot.wait(20)  # let the layout take the new text in
    assert view.minimumSizeHint().width() <= 600
