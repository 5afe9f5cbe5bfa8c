"""The offer, at start-up, to recover a recording the app never closed (killed, crashed, power cut).

On start the recordings folder is searched off the GUI thread
(:func:`~urdu_genre_app.core.recording.find_unfinished`); each unfinished
WAV has its header repaired so it holds every sample on disk. The bar then
offers, one recording at a time and without blocking anything: open it in
Classify, save a copy elsewhere, discard it (only after the user confirms),
or decide later (it is offered again next start). Nothing is deleted unless
the user says so.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from urdu_genre_app.core.recording import RECOVERED, RecordingJournal
from urdu_genre_app.components.formatting import clock
from urdu_genre_app.gui.workers import run_task

log = logging.getLogger(__name__)


def find_and_repair(folder: str | None = None) -> list[tuple[RecordingJournal, float]]:
    """Unfinished recordings in ``folder`` (the recordings folder by default), headers repaired:
    (journal, seconds of audio it holds) each. A file that cannot be repaired is logged and left alone."""
    from urdu_genre_app.core.recording import find_unfinished, repair_wav_header
    from urdu_genre_app.paths import recordings_dir

    found = []
    for journal in find_unfinished(folder or recordings_dir()):
        try:
            frames = repair_wav_header(journal.audio_path)
        except (OSError, ValueError) as error:
            log.warning("cannot repair the unfinished recording %s: %s", journal.audio_path, error)
            continue
        log.info("unfinished recording %s: %d frames after repair", journal.audio_path, frames)
        found.append((journal, frames / journal.sample_rate if journal.sample_rate else 0.0))
    return found


def _mark_recovered(journal: RecordingJournal) -> None:
    journal.state = RECOVERED
    journal.save()


def _discard(journal: RecordingJournal) -> None:
    for path in (journal.audio_path, journal.path):
        Path(path).unlink(missing_ok=True)


class RecoveryBar(QWidget):
    """"A recording was not finished": open / save as / discard / later, one recording at a time.

    Parameters
    ----------
    open_file : callable
        ``open_file(path)``: classify a file in the Classify tab.
    write_file : callable
        ``write_file(what, func, **kwargs)``: a file write off the GUI thread, reported.

    Signals
    -------
    handled(str, str)
        The user chose (``"open"``, ``"save"``, ``"discard"`` or ``"later"``) for a recording (its path).
    """

    handled = Signal(str, str)

    def __init__(self, open_file: Callable[[str], None], write_file: Callable[..., None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._open_file = open_file
        self._write_file = write_file
        self.pending: list[tuple[RecordingJournal, float]] = []
        self.setObjectName("banner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#banner { background: #fff4ce; border: 1px solid #e0b000; border-radius: 4px; }")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.open_button = QPushButton("Open in Classify")
        self.open_button.clicked.connect(self.recover)
        self.save_button = QPushButton("Save as…")
        self.save_button.clicked.connect(self.choose_destination)
        self.discard_button = QPushButton("Discard…")
        self.discard_button.clicked.connect(self.discard)
        self.later_button = QPushButton("Later")
        self.later_button.setToolTip("Keep it; you will be asked again next time the app starts")
        self.later_button.clicked.connect(self.later)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        for button in (self.open_button, self.save_button, self.discard_button, self.later_button):
            layout.addWidget(button)
        self.hide()

    @property
    def current(self) -> RecordingJournal | None:
        """The recording offered now."""
        return self.pending[0][0] if self.pending else None

    def check(self, folder: str | None = None) -> None:
        """Look for unfinished recordings (off the GUI thread) and offer the first."""
        run_task(find_and_repair, self._on_found, folder=folder)

    def _on_found(self, found: Any, error: BaseException | None) -> None:
        if error is not None:
            log.warning("cannot look for unfinished recordings: %s", error)
            return
        self.pending = list(found or [])
        self._show_next()

    def _show_next(self) -> None:
        if not self.pending:
            self.hide()
            return
        journal, seconds = self.pending[0]
        more = f" ({len(self.pending) - 1} more after this one)" if len(self.pending) > 1 else ""
        started = journal.started.replace("T", " ")[:16]
        lost = f", {len(journal.gaps)} gap(s) in it" if journal.gaps else ""
        self.label.setText(f"<b>A recording was not finished</b> — the app closed while recording "
                           f"“{journal.audio_path.name}” (started {started} UTC, {clock(seconds)} kept{lost}). "
                           f"Recover it?{more}")
        self.label.setToolTip(str(journal.audio_path))
        self.show()

    def _done(self, choice: str) -> RecordingJournal | None:
        if not self.pending:
            return None
        journal, _seconds = self.pending.pop(0)
        self.handled.emit(choice, str(journal.audio_path))
        self._show_next()
        return journal

    def recover(self) -> None:
        """Open the recording in Classify; it is not offered again."""
        journal = self._done("open")
        if journal is not None:
            run_task(_mark_recovered, None, journal=journal)
            self._open_file(os.fspath(journal.audio_path))

    def choose_destination(self) -> None:
        """Ask where to save a copy of the recording, then save it there."""
        journal = self.current
        if journal is None:
            return
        path, chosen = QFileDialog.getSaveFileName(self, "Save the recovered recording",
                                                   str(Path.home() / journal.audio_path.name),
                                                   "WAV audio (*.wav);;FLAC audio (*.flac)")
        if path:
            if not Path(path).suffix:
                path += ".flac" if "FLAC" in chosen else ".wav"
            self.save_to(path)

    def save_to(self, path: str) -> None:
        """Copy the recording to ``path`` (WAV or FLAC by suffix); it is not offered again."""
        from urdu_genre_app.core.recording import save_recording_as

        journal = self._done("save")
        if journal is not None:
            run_task(_mark_recovered, None, journal=journal)
            self._write_file("Recovered recording", save_recording_as, source=journal.audio_path, destination=path)

    def discard(self) -> None:
        """Delete the recording and its journal, once the user confirms."""
        journal = self.current
        if journal is None:
            return
        answer = QMessageBox.question(self, "Discard the recording?",
                                      f"Delete “{journal.audio_path.name}” for good? This cannot be undone.",
                                      QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Discard:
            self._done("discard")
            run_task(_discard, None, journal=journal)

    def later(self) -> None:
        """Keep the recording as it is; it is offered again next start."""
        self._done("later")
