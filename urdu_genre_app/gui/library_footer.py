"""Below the Library's table: what the last job said, what the scan could not take, notices, the key hint."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from urdu_genre_app.gui.skipped_files_view import SkippedFilesView


def skipped_paths_text(count: int) -> str:
    """The folded line over the paths a scan skipped: ``"3 files or folders skipped — not read (details…)"``."""
    return f"{count} file{'s' if count != 1 else ''} or folder{'s' if count != 1 else ''} skipped — not read " \
           "(details…)"


class LibraryFooter(QWidget):
    """The message of the last job, the notices of the library's data files, the paths skipped, the key hint.

    The scan's skipped paths (FIFOs, unreadable folders, paths too long:
    :attr:`~urdu_genre_app.library.library.Library.skipped`) fold into one
    line; a notice (a damaged cache or journal set aside:
    :attr:`~urdu_genre_app.library.library.Library.notices`) is shown once per
    opened library, however often :meth:`show_library` is called.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice_label = QLabel()
        self.notice_label.setWordWrap(True)
        self.notice_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice_label.setStyleSheet("color: #8a4b00;")
        self.notice_label.hide()
        self.skipped_view = SkippedFilesView(describe=skipped_paths_text, unfold=False,
                                             tooltip="Show or hide the files and folders this folder's scan left "
                                                     "out, and why")
        self.hint_label = QLabel()
        self.hint_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.skipped_view, self.notice_label, self.message_label, self.hint_label):
            layout.addWidget(widget)
        self._library = None
        self._shown: list[str] = []

    def show_library(self, library) -> list[str]:
        """Show what ``library`` skipped and its notices not shown yet; returns those notices."""
        if library is not self._library:  # another folder (or the same one read again): its own notices
            self._library, self._shown = library, []
        self.skipped_view.set_files(library.skipped)
        new = [notice for notice in library.notices if notice not in self._shown]
        self._shown.extend(new)
        self.notice_label.setText("\n".join(f"Note: {notice}." for notice in self._shown))
        self.notice_label.setVisible(bool(self._shown))
        return new
