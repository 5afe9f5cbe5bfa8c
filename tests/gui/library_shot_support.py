"""What the Library screenshot scripts share: the real window on a folder, classified."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable


def wait_until(app, condition: Callable[[], bool], seconds: float) -> None:
    """Process Qt events until ``condition()`` holds; exit the script after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        app.processEvents()
        if time.monotonic() > deadline:
            raise SystemExit("timed out")


def save_shot(app, widget, out: Path, name: str) -> Path:
    """Let pending paints land, then write ``widget`` as the PNG ``out / name`` and print its path."""
    for _ in range(20):
        app.processEvents()
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    widget.grab().save(str(path), "PNG")
    print(path)
    return path


def classified_library(work: Path, folder: Path, *, seconds: float, size: tuple[int, int] | None = (1280, 720)):
    """The real MainWindow with the bundled model, its Library tab showing ``folder`` classified.

    ``size``: the window's size; None leaves the size the app opens with (fitted to the screen).
    Returns ``(app, window, library)``; settings live in ``work``.
    """
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from urdu_genre_app.gui.app import create_application
    from urdu_genre_app.gui.main_window import MainWindow
    from urdu_genre_app.gui.settings import Settings
    from urdu_genre_app.resources import bundled_model_path

    app = QApplication.instance() or create_application([])
    settings = Settings(QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings=settings, model_path=str(bundled_model_path()))
    if size is not None:
        window.resize(*size)
    window.show()
    window.start([])
    library = window.library_widget
    wait_until(app, lambda: window.bundle is not None, seconds)
    window.tabs.setCurrentWidget(library)
    finished = []
    library.classification_finished.connect(finished.append)
    library.open_folder(folder)
    wait_until(app, lambda: finished, seconds)
    return app, window, library
