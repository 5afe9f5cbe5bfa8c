"""Start the desktop app: ``run_app(files=[...], model=...)``.

Only Qt and the window's own light modules are imported before the window is
shown; the model, matplotlib and the audio library load in the background
right after, so the window is interactive at once.
"""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from urdu_genre_app.gui.settings import APPLICATION, ORGANIZATION

log = logging.getLogger(__name__)


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, named so QSettings and platformdirs agree on where things live."""
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    from urdu_genre_app.resources import resource_path

    icon = resource_path("icons", "app.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def run_app(files: list[str] | None = None, model: str | None = None) -> int:
    """Open the main window on ``files`` (the first is classified) with ``model`` (a bundle path).

    Returns
    -------
    int
        The event loop's exit status.
    """
    app = create_application()
    from urdu_genre_app.gui.excepthook import ExceptionHandler, configure_file_logging

    try:
        log_path = configure_file_logging()
    except OSError as error:  # a read-only home: log to stderr only
        log.warning("cannot write a log file: %s", error)
        from pathlib import Path

        log_path = Path("(no log file)")
    handler = ExceptionHandler(log_path)
    handler.install()
    from urdu_genre_app.gui.main_window import MainWindow

    window = MainWindow(model_path=model)
    window.show()
    window.start(files)
    log.info("window shown")
    _close_on_termination_signals(app, window)
    return app.exec()


def _close_on_termination_signals(app: QApplication, window) -> None:
    """Close the window on Ctrl+C or SIGTERM: a recording is finalised, a training run abandoned."""
    import signal

    def close(*_args) -> None:
        log.info("termination signal: closing")
        window.close_now()
        app.closeAllWindows()
        app.quit()

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, close)
    # Python runs signal handlers between bytecodes; the Qt loop runs none
    # while idle, so wake it regularly.
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(250)
