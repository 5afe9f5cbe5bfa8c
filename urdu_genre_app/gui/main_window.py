"""The main window: menus and shortcuts, the active model, and the Classify and Training tabs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QRect, QSize, Qt, QThreadPool, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QTabWidget, QVBoxLayout, QWidget

from urdu_genre_app.gui import settings as S
from urdu_genre_app.gui.classify_widget import ClassifyWidget
from urdu_genre_app.gui.model_bar import ModelBar
from urdu_genre_app.gui.workers import run_task

if TYPE_CHECKING:
    from urdu_genre_app.core.bundle import ModelBundle
    from urdu_genre_app.core.classifier import Classifier
    from urdu_genre_app.gui.library_widget import LibraryWidget
    from urdu_genre_app.gui.training_widget import TrainingWidget

#: Position of the Training tab.
TRAIN_TAB_INDEX = 1
LIBRARY_TAB_INDEX = 2

log = logging.getLogger(__name__)

APP_TITLE = "Urdu Genre App"
#: Delay after the window is shown before the input devices are listed (ms).
DEVICE_SCAN_DELAY_MS = 400
#: The window's size on first start, shrunk to the screen's available area when that is smaller.
DEFAULT_SIZE = QSize(1280, 860)
#: Smallest size the window can be made (it stays usable down to 1024 x 700: see the tests).
MINIMUM_SIZE = QSize(640, 480)


def fit_to_screen(geometry: QRect, available: QRect) -> QRect:
    """``geometry`` moved and shrunk so that the whole of it lies within ``available`` (a screen's free area)."""
    size = geometry.size().boundedTo(available.size())
    left = min(max(geometry.left(), available.left()), available.right() - size.width() + 1)
    top = min(max(geometry.top(), available.top()), available.bottom() - size.height() + 1)
    return QRect(left, top, size.width(), size.height())


def _preload_charts() -> None:
    """Import matplotlib and its Qt canvas off the GUI thread."""
    import urdu_genre_app.gui.feature_chart  # noqa: F401  (and the charts it builds on)


class MainWindow(QMainWindow):
    """The app's window.

    Parameters
    ----------
    settings : Settings, optional
        Where options are remembered (the user's settings by default).
    model_path : str, optional
        A bundle to use instead of the remembered or bundled one (``--model``).
    """

    def __init__(self, settings: S.Settings | None = None, model_path: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or S.Settings()
        self._started = False
        self._closing_now = False
        self._help = None
        self.setWindowTitle(APP_TITLE)
        self.setAcceptDrops(True)
        self.setMinimumSize(MINIMUM_SIZE)
        self.resize(DEFAULT_SIZE)

        self.classify_widget = ClassifyWidget(self.settings)
        self.state = self.classify_widget.state  # holds the active model
        self.model_bar = ModelBar(self.settings, self.state, self.classify_widget.banner, model_path)
        self.model_bar.status_message.connect(self.statusBar().showMessage)
        # The window's names for the model bar's parts (tests and the tabs use them).
        self.model_label, self.model_details_button = self.model_bar.model_label, self.model_bar.details_button
        self.load_model, self.choose_model = self.model_bar.load_model, self.model_bar.choose_model
        self.use_bundled_model, self.show_model_details = self.model_bar.use_bundled_model, self.model_bar.show_details
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.classify_widget, "Classify")
        # The Training and Library tabs are built the first time they are shown: the window opens faster.
        self._training_widget: TrainingWidget | None = None
        self._library_widget: LibraryWidget | None = None
        self.tabs.addTab(QWidget(), "Training")
        self.tabs.addTab(QWidget(), "Library")
        self.model_bar.model_changed.connect(self._on_model_changed_for_library)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.model_bar)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self.statusBar().showMessage("Starting…")

        self.classify_widget.file_opened.connect(self._on_file_opened)
        self.classify_widget.folder_used.connect(self._on_folder_used)
        self.classify_widget.status_message.connect(self.statusBar().showMessage)
        self.classify_widget.result_changed.connect(self._on_result_changed)
        self.classify_widget.recording_changed.connect(self._on_recording_changed)
        self._create_actions()
        self._restore_geometry()

    @property
    def classifier(self) -> Classifier | None:
        """The active model (None while one loads, or without one); held by the Classify state."""
        return self.state.classifier

    @property
    def bundle(self) -> ModelBundle | None:
        """The active model's bundle (the last one loaded while another loads)."""
        return self.model_bar.bundle

    @property
    def model_loading(self) -> bool:
        """A bundle is being loaded."""
        return self.model_bar.loading

    @property
    def model_path(self) -> str | None:
        """The bundle in use."""
        return self.model_bar.path

    # ------------------------------------------------------------------ actions
    def _create_actions(self) -> None:
        widget = self.classify_widget

        def action(text: str, slot, shortcut=None, tip: str = "") -> QAction:
            item = QAction(text, self)
            if shortcut is not None:
                item.setShortcut(QKeySequence(shortcut))
            item.setStatusTip(tip)
            item.triggered.connect(slot)
            self.addAction(item)
            return item

        self.open_action = action("&Open…", widget.choose_file, QKeySequence.StandardKey.Open, "Open an audio file")
        self.export_action = action("&Export results…", widget.export, "Ctrl+E",
                                    "Save the results as CSV or JSON, or the MFCC image as PNG")
        self.save_recording_action = action("&Save recording…", widget.record_bar.choose_recording_destination, None,
                                            "Save the last recording as WAV or FLAC")
        self.model_menu = self.model_bar.create_menu(self)
        self.model_details_action, self.load_model_action = self.model_bar.details_action, self.model_menu.load_action
        self.quit_action = action("&Quit", self.close, "Ctrl+Q", "Quit the app")
        self.play_action = action("&Play / Pause", widget.playback.toggle_playback, Qt.Key.Key_Space, "Play or pause")
        self.play_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.stop_action = action("&Stop", widget.playback.stop_playback, None, "Stop playback")
        self.record_action = action("&Record", widget.record_bar.toggle_recording, "Ctrl+R", "Start or stop recording")
        self.show_classify_action = action("&Classify", lambda: self.tabs.setCurrentWidget(self.classify_widget),
                                           "Ctrl+1", "Show the Classify tab")
        self.show_training_action = action("&Training", lambda: self.tabs.setCurrentWidget(self.training_widget),
                                           "Ctrl+2", "Show the Training tab: train a model on your own songs")

        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.open_action)
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.aboutToShow.connect(self._rebuild_recent_menu)
        file_menu.addMenu(self.recent_menu)
        self.add_folder_action = action("Add &folder…", self._on_add_folder, "Ctrl+Shift+O",
                                        "Open a folder of songs in the Library tab")
        file_menu.addAction(self.add_folder_action)
        file_menu.addSeparator()
        file_menu.addAction(self.export_action)
        file_menu.addAction(self.save_recording_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        self.menuBar().addMenu(self.model_menu)
        audio_menu = self.menuBar().addMenu("&Audio")
        audio_menu.addAction(self.play_action)
        audio_menu.addAction(self.stop_action)
        audio_menu.addSeparator()
        audio_menu.addAction(self.record_action)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction(self.show_classify_action)
        view_menu.addAction(self.show_training_action)
        view_menu.addAction(action("&Library", lambda: self.tabs.setCurrentWidget(self.library_widget), "Ctrl+3",
                                   "Show the Library tab: classify, correct and tag a whole folder"))
        help_menu = self.menuBar().addMenu("&Help")
        self.help_action = action("&Help…", lambda: self.show_help("How to"), QKeySequence.StandardKey.HelpContents,
                                  "How to use the app, shortcuts, model cards, licences, folders")
        help_menu.addAction(self.help_action)
        for text, tab in (("&Keyboard shortcuts", "Shortcuts"), ("Model &cards", "Model cards"),
                          ("&Where files are kept", "Folders"), ("&Licences", "Licences")):
            help_menu.addAction(action(text, lambda _checked=False, t=tab: self.show_help(t)))
        self._rebuild_recent_menu()
        self._on_result_changed()

    def _rebuild_recent_menu(self) -> None:
        """List the remembered files."""
        self.recent_menu.clear()
        recent = self.settings.get(S.RECENT_FILES)
        for number, path in enumerate(recent, start=1):
            item = self.recent_menu.addAction(f"&{number % 10} {Path(path).name}")
            item.setToolTip(path)
            item.setStatusTip(path)
            item.triggered.connect(lambda _checked=False, p=path: self.classify_widget.open_file(p))
        if not recent:
            self.recent_menu.addAction("(no recent files)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list", lambda: (self.settings.set(S.RECENT_FILES, []),
                                                              self._rebuild_recent_menu()))

    # ------------------------------------------------------------------ start-up
    def start(self, files: list[str] | None = None) -> None:
        """Begin the background start-up (model, charts, devices) once the window is shown."""
        if self._started:
            return
        self._started = True
        self.fit_to_screen()  # now that the frame is known
        QTimer.singleShot(0, lambda: self._start_background(list(files or [])))

    def _start_background(self, files: list[str]) -> None:
        self.load_model(self.model_bar.initial_model_path())
        run_task(_preload_charts, self._on_charts_loaded)
        QTimer.singleShot(DEVICE_SCAN_DELAY_MS, self.classify_widget.record_bar.refresh_devices)
        self.classify_widget.recovery_bar.check()  # offer a recording the app never closed
        if files:
            self.classify_widget.open_file(files[0])
            if len(files) > 1:
                self.statusBar().showMessage(f"Opened {Path(files[0]).name}; one song at a time, "
                                             f"{len(files) - 1} other file(s) ignored")

    def _on_charts_loaded(self, _result, error: BaseException | None) -> None:
        """Put the charts in place once matplotlib is imported."""
        if error is not None:
            self.classify_widget.banner.show_message("error", f"The charts cannot be shown: {error}")
            return
        self.classify_widget.charts.ensure_charts()

    # ------------------------------------------------------------------ model
    def show_help(self, tab: str = "How to") -> None:
        """Open the Help window (one at a time) at ``tab``."""
        from urdu_genre_app.gui.help_dialog import HelpDialog

        if self._help is None:
            self._help = HelpDialog(self.actions(), self.settings.store.fileName(), self)
            self._help.finished.connect(lambda _result: setattr(self, "_help", None))
            self._help.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._help.show_tab(tab)
        self._help.show()
        self._help.raise_()

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept dragged local files."""
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    dragMoveEvent = dragEnterEvent  # keep accepting local files while dragging over the window

    def dropEvent(self, event: QDropEvent) -> None:
        """Open the first dropped file."""
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.classify_widget.open_file(paths[0])
        if len(paths) > 1:
            self.statusBar().showMessage(f"Opened {Path(paths[0]).name}; {len(paths) - 1} other file(s) ignored")

    # ------------------------------------------------------------------ view updates
    def _on_file_opened(self, path: str) -> None:
        """Remember an opened file."""
        self.settings.add_recent_file(path)
        self.setWindowTitle(f"{Path(path).name} — {APP_TITLE}")

    def _on_folder_used(self, folder: str) -> None:
        """Remember the last folder."""
        self.settings.set(S.LAST_FOLDER, folder)

    def _on_result_changed(self) -> None:
        """Enable export when there is something to export."""
        self.export_action.setEnabled(self.state.result is not None)

    @property
    def training_widget(self) -> TrainingWidget:
        """The Training tab's widget, built on first use."""
        if self._training_widget is None:
            from urdu_genre_app.gui.training_widget import TrainingWidget

            widget = TrainingWidget(self.settings)
            widget.use_model_requested.connect(self._on_trained_model_chosen)
            widget.status_message.connect(self.statusBar().showMessage)
            self._replace_placeholder(TRAIN_TAB_INDEX, widget, "Training")
            self._training_widget = widget
        return self._training_widget

    @property
    def library_widget(self) -> LibraryWidget:
        """The Library tab's widget, built on first use."""
        if self._library_widget is None:
            from urdu_genre_app.gui.library_widget import LibraryWidget

            widget = LibraryWidget()
            widget.open_requested.connect(
                lambda path: (self.classify_widget.open_file(path), self.tabs.setCurrentWidget(self.classify_widget)))
            widget.status_message.connect(self.statusBar().showMessage)
            widget.use_model_requested.connect(lambda path: self.load_model(path, remember=True))
            if self.bundle is not None:
                widget.set_bundle(self.bundle)
            self._replace_placeholder(LIBRARY_TAB_INDEX, widget, "Library")
            self._library_widget = widget
        return self._library_widget

    def _replace_placeholder(self, index: int, widget: QWidget, title: str) -> None:
        current = self.tabs.currentIndex()
        self.tabs.blockSignals(True)
        placeholder = self.tabs.widget(index)
        self.tabs.removeTab(index)
        placeholder.deleteLater()
        self.tabs.insertTab(index, widget, title)
        self.tabs.setCurrentIndex(current)
        self.tabs.blockSignals(False)

    def _on_model_changed_for_library(self) -> None:
        """Give the Library the new model (when it has been built; it takes the model then otherwise)."""
        if self._library_widget is not None:
            self._library_widget.set_bundle(self.bundle)

    def _on_add_folder(self) -> None:
        """File > Add folder: show the Library and ask for a folder."""
        self.tabs.setCurrentWidget(self.library_widget)
        self.library_widget.choose_folder()

    def _on_tab_changed(self, index: int) -> None:
        """Build the Training or Library tab when it is first shown."""
        if index == TRAIN_TAB_INDEX and self._training_widget is None:
            self.tabs.setCurrentWidget(self.training_widget)
        elif index == LIBRARY_TAB_INDEX and self._library_widget is None:
            self.tabs.setCurrentWidget(self.library_widget)

    def _on_trained_model_chosen(self, path: str) -> None:
        """Classify with the model the Training tab just wrote."""
        self.load_model(path, remember=True)
        self.tabs.setCurrentWidget(self.classify_widget)

    def _on_recording_changed(self, recording: bool) -> None:
        """Follow recording state in the menu."""
        self.record_action.setText("Stop &recording" if recording else "&Record")
        if recording:
            self.setWindowTitle(f"Recording — {APP_TITLE}")

    # ------------------------------------------------------------------ geometry and exit
    def _restore_geometry(self) -> None:
        """The remembered place and size, or the default one, always within the screen's available area."""
        geometry = self.settings.get(S.WINDOW_GEOMETRY)
        if geometry:
            self.restoreGeometry(QByteArray(geometry))
        state = self.settings.get(S.WINDOW_STATE)
        if state:
            self.restoreState(QByteArray(state))
        self.fit_to_screen()

    def fit_to_screen(self) -> None:
        """Move and shrink the window (frame included) into its screen's available geometry."""
        screen = self.screen()
        if screen is None or self.isMaximized() or self.isFullScreen():
            return
        available = screen.availableGeometry()
        frame = self.frameGeometry()
        fitted = fit_to_screen(frame, available)
        if fitted != frame:
            extra_w, extra_h = frame.width() - self.width(), frame.height() - self.height()
            self.resize(max(1, fitted.width() - extra_w), max(1, fitted.height() - extra_h))
            self.move(fitted.topLeft())

    def close_now(self) -> None:
        """Close without waiting for a training run to save its model (termination signals)."""
        self._closing_now = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Finalise a recording, stop sound and work, remember the window."""
        training = self._training_widget
        if training is not None and not self._closing_now and not training.request_close(self.close):
            event.ignore()  # the run saves its best model first, then closes the window
            return
        if training is not None:
            training.shutdown()
        self.classify_widget.shutdown()
        if self._library_widget is not None:
            self._library_widget.shutdown()
        QThreadPool.globalInstance().waitForDone(3000)  # model loading, decoding, file writes
        self.settings.set(S.WINDOW_GEOMETRY, bytes(self.saveGeometry().data()))
        self.settings.set(S.WINDOW_STATE, bytes(self.saveState().data()))
        self.settings.sync()
        event.accept()
