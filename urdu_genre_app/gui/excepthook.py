"""Unhandled exceptions: logged with their traceback to the user log dir, one dialog at a time.

As Friture does it: the hook logs everything, and shows a dialog only when
none is open and the last one was not shown moments ago, so a failure that
repeats on every timer tick cannot bury the user in message boxes.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
import time
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QApplication, QMessageBox

from urdu_genre_app.paths import user_log_dir

log = logging.getLogger(__name__)

LOG_FILE_NAME = "urdu-genre-app.log"
#: Seconds after a dialog closes during which further errors are only logged.
DIALOG_QUIET_SECONDS = 10.0


def configure_file_logging(folder: Path | None = None) -> Path:
    """Send the app's log (INFO and up) to a rotating file; return its path."""
    folder = folder or user_log_dir()
    path = folder / LOG_FILE_NAME
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    if root.level > logging.INFO or root.level == logging.NOTSET:
        # Lower the root level for the file only: handlers already there (the
        # CLI's stderr, at ERROR unless --verbose) keep what they showed.
        previous = root.level or logging.WARNING
        for existing in root.handlers:
            if existing.level == logging.NOTSET:
                existing.setLevel(previous)
        root.setLevel(logging.INFO)
    root.addHandler(handler)
    return path


class ExceptionHandler(QObject):
    """Installed as ``sys.excepthook`` and ``threading.excepthook``.

    Parameters
    ----------
    log_path : pathlib.Path
        Named in the dialog so the user can find the details.
    """

    _raised = Signal(str)

    def __init__(self, log_path: Path) -> None:
        super().__init__()
        self.log_path = log_path
        self.dialog: QMessageBox | None = None
        self.suppressed = 0
        self._quiet_until = 0.0
        self._raised.connect(self._show_dialog, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        """Take over ``sys.excepthook`` and ``threading.excepthook``."""
        sys.excepthook = self.handle
        threading.excepthook = lambda args: self.handle(args.exc_type, args.exc_value, args.exc_traceback)

    def handle(self, kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        """Log an unhandled exception and ask the GUI thread for one dialog."""
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        log.critical("unhandled exception:\n%s", "".join(traceback.format_exception(kind, value, tb)))
        self._raised.emit(f"{kind.__name__}: {value}")

    @Slot(str)
    def _show_dialog(self, summary: str) -> None:
        """Show the error dialog unless one is open or was just closed."""
        if self.dialog is not None or time.monotonic() < self._quiet_until or QApplication.instance() is None:
            self.suppressed += 1
            return
        box = QMessageBox(QMessageBox.Icon.Critical, "Unexpected error", "Something went wrong inside the app.")
        box.setInformativeText(f"{summary}\n\nThe details were written to:\n{self.log_path}")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._on_dialog_finished)
        self.dialog = box
        box.open()

    @Slot()
    def _on_dialog_finished(self) -> None:
        """Allow another dialog after a quiet spell."""
        self.dialog = None
        self._quiet_until = time.monotonic() + DIALOG_QUIET_SECONDS
