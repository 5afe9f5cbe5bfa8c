"""Help: a short how-to, the keyboard shortcuts, the model cards, the licences, the app's folders.

The content comes from :mod:`urdu_genre_app.components.about` (Qt-free); the
shortcuts are read from the window's own actions, so the list cannot drift
from what the keys do.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTabWidget, QTextBrowser, QVBoxLayout, QWidget

from urdu_genre_app.components import about

#: Keys that are not menu shortcuts, as (key, what it does).
EXTRA_KEYS = (
    ("Drop a file", "Open it in Classify (drop a folder on the Library tab)"),
    ("Click a chart", "Seek playback there"),
)

#: Tab titles, in order.
TABS = ("How to", "Shortcuts", "Model cards", "Licences", "Folders")


def shortcut_rows(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """``(keys, what)`` for each action with a shortcut, in the order given, then :data:`EXTRA_KEYS`."""
    rows = []
    for action in actions:
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys:
            what = action.text().replace("&", "").rstrip("…")
            tip = action.statusTip()
            rows.append((keys, f"{what}: {tip}" if tip and tip.lower() != what.lower() else what))
    return rows + list(EXTRA_KEYS)


def _table(rows: Iterable[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><td style='padding:2px 14px 2px 0'><b>{html.escape(a)}</b></td><td>{html.escape(b)}</td></tr>"
                    for a, b in rows)
    return f"<table>{cells}</table>"


def _browser(parent: QWidget) -> QTextBrowser:
    browser = QTextBrowser(parent)
    browser.setOpenExternalLinks(True)
    return browser


class HelpDialog(QDialog):
    """The Help window, one tab per topic.

    Parameters
    ----------
    actions : iterable of QAction
        The window's actions; those with a shortcut are listed.
    settings_file : str, optional
        Where the settings are stored (shown with the folders).
    """

    def __init__(self, actions: Iterable[QAction], settings_file: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from urdu_genre_app import __version__

        self.setWindowTitle("Urdu Genre App: help")
        self.resize(760, 560)
        self.tabs = QTabWidget()
        how = _browser(self)
        how.setMarkdown(about.HOW_TO)
        self.tabs.addTab(how, TABS[0])
        self.shortcuts = shortcut_rows(actions)
        keys = _browser(self)
        keys.setHtml(_table(self.shortcuts))
        self.tabs.addTab(keys, TABS[1])
        self.tabs.addTab(self._model_cards(), TABS[2])
        self.licences = about.licences()
        licences = _browser(self)
        licences.setHtml(_table((f"{item.name} {item.version}", item.licence + (f" — {item.note}" if item.note else ""))
                                for item in self.licences)
                         + "<p>The app's own code is MIT. See the README's “Licences” for what a packaged "
                           "build must honour.</p>")
        self.tabs.addTab(licences, TABS[3])
        self.folders = about.folders()
        if settings_file:
            self.folders.append(("Settings file", Path(settings_file)))
        places = _browser(self)
        places.setHtml("".join(
            f"<p><b>{html.escape(what)}</b><br><a href='{QUrl.fromLocalFile(str(folder)).toString()}'>"
            f"{html.escape(str(folder))}</a></p>" for what, folder in self.folders))
        self.tabs.addTab(places, TABS[4])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>Urdu Genre App {html.escape(__version__)}</b> — tells the genre of an Urdu "
                                "song (Ghazal, Qawwali, Hip-hop, Rock), after Mughal et al., “Urdu Music Genre "
                                "Classification Using Convolution Neural Networks”."))
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)

    def _model_cards(self) -> QWidget:
        """One tab per model card (the cards are Markdown)."""
        self.cards = about.model_cards()
        if not self.cards:
            browser = _browser(self)
            browser.setPlainText("No model card was found next to the bundled models.")
            return browser
        cards = QTabWidget()
        for card in self.cards:
            browser = _browser(cards)
            browser.setMarkdown(card.text)
            cards.addTab(browser, card.title if len(card.title) <= 40 else card.title[:39] + "…")
            cards.setTabToolTip(cards.count() - 1, str(card.path))
        return cards

    def show_tab(self, title: str) -> None:
        """Bring the tab ``title`` (one of :data:`TABS`) to the front."""
        self.tabs.setCurrentIndex(TABS.index(title))
