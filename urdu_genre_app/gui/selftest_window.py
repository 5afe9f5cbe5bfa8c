"""The self-test's window check (``urdu-genre self-test``): the part of it that needs Qt."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


class WindowCheckError(Exception):
    """The window did not open, load its model or draw its charts; the message says which."""


def open_and_close_window(timeout_seconds: float) -> str:
    """Open the main window offscreen, wait for its model and charts, close it.

    Raises
    ------
    WindowCheckError
        It did not open, load the model or draw the charts within ``timeout_seconds``.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QSettings

    from urdu_genre_app.gui.app import create_application
    from urdu_genre_app.gui.main_window import MainWindow
    from urdu_genre_app.gui.settings import Settings
    from urdu_genre_app.resources import bundled_model_path

    app = create_application([sys.argv[0] if sys.argv else "urdu-genre"])
    platform = app.platformName()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="urdu-genre-selftest-") as folder:
        # Settings of its own: the self-test never changes what the user's app remembers.
        settings = Settings(QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat))
        window = MainWindow(settings=settings, model_path=str(bundled_model_path()))
        window.show()
        window.start([])
        deadline = started + timeout_seconds
        widget = window.classify_widget
        while time.perf_counter() < deadline and (
            window.model_loading or window.classifier is None or widget.charts.segment_chart is None
        ):
            if window.model_error:
                break
            QCoreApplication.processEvents()
            time.sleep(0.01)
        loaded, charts = window.classifier is not None, widget.charts.segment_chart is not None
        error = window.model_error
        window.close_now()
        QCoreApplication.processEvents()
        window.deleteLater()
        QCoreApplication.processEvents()
    if error:
        raise WindowCheckError(f"the window could not load the model: {error}")
    if not (loaded and charts):
        missing = " and ".join(what for what, ok in (("the model", loaded), ("the charts", charts)) if not ok)
        raise WindowCheckError(f"the window did not show {missing} within {timeout_seconds:.0f} s")
    return f"opened and closed on the {platform!r} platform with model and charts ({time.perf_counter() - started:.1f} s)"
