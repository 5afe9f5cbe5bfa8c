"""The model in use: named at the top of the window, loaded in the background, chosen in the Model menu.

:class:`ModelBar` owns the active model's life: it loads a bundle off the GUI
thread, hands it to the :class:`~urdu_genre_app.components.classify_state.ClassifyState`
(which re-analyses the song shown), and when a bundle cannot be loaded it
says so once (a dialog for a model the user picked, the banner otherwise),
puts the header back to the model still in use and keeps classifying with it.
"""

from __future__ import annotations

import html
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from urdu_genre_app.components.classify_state import ClassifyState
from urdu_genre_app.gui import settings as S
from urdu_genre_app.gui.classify_widget import LEFT_ALIGNED
from urdu_genre_app.gui.model_menu import ModelMenu
from urdu_genre_app.gui.widgets import BannerWidget, show_message_box
from urdu_genre_app.gui.workers import run_task

if TYPE_CHECKING:
    from urdu_genre_app.core.bundle import ModelBundle
    from urdu_genre_app.core.classifier import Classifier


def _load_classifier(path: str) -> Classifier:
    """Read, check and prepare a model bundle (runs in a worker)."""
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.core.classifier import Classifier

    return Classifier(load_bundle(path))


class ModelBar(QWidget):
    """The header row (the model's name and how it measured, *Model details…*, *Load model…*) and the Model menu.

    Parameters
    ----------
    settings : Settings
        Remembers the model chosen and the recent ones.
    state : ClassifyState
        Holds the active model.
    banner : BannerWidget
        Where a model that fails to load at start-up is reported.
    explicit_model_path : str, optional
        ``--model``: used instead of the remembered or bundled one.

    Signals
    -------
    model_changed()
        A model is in use, or none can be.
    status_message(str, int)
        A message for the status bar and for how many milliseconds (0: until replaced).
    """

    model_changed = Signal()
    status_message = Signal(str, int)

    def __init__(self, settings: S.Settings, state: ClassifyState, banner: BannerWidget,
                 explicit_model_path: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.state = state
        self.banner = banner
        self.explicit_model_path = explicit_model_path
        #: The bundle in use, once one loaded.
        self.path: str | None = None
        #: Why the last bundle could not be loaded (None: it could).
        self.error: str | None = None
        self.loading = False
        self.model_label = QLabel("Model: loading…")
        self.model_label.setTextFormat(Qt.TextFormat.RichText)
        self.model_label.setWordWrap(True)
        self.model_label.setAlignment(LEFT_ALIGNED)
        self.details_button = QPushButton("Model details…")
        self.details_button.setEnabled(False)
        self.details_button.clicked.connect(self.show_details)
        self.load_button = QPushButton("Load model…")
        self.load_button.setToolTip("Use another model bundle (.ugm); the Model menu lists the bundled ones")
        self.load_button.clicked.connect(self.choose_model)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 6, 8, 0)
        row.addWidget(self.model_label, 1)
        row.addWidget(self.details_button)
        row.addWidget(self.load_button)

    def create_menu(self, window: QWidget) -> ModelMenu:
        """Make the Model menu (its actions belong to ``window``, so their shortcuts work everywhere)."""
        self.details_action = QAction("Model &details…", window)
        self.details_action.setStatusTip("What the active model is and how it was measured")
        self.details_action.triggered.connect(self.show_details)
        window.addAction(self.details_action)
        self.menu = ModelMenu(self.settings, self.details_action, window)
        self.menu.load_requested.connect(self._on_model_requested)
        return self.menu

    @property
    def bundle(self) -> ModelBundle | None:
        """The active model's bundle (the last one loaded while another loads)."""
        model = self.state.last_classifier
        return model.bundle if model is not None else None

    def initial_model_path(self) -> str | None:
        """The model to start with, in :func:`urdu_genre_app.paths.resolve_model_path`'s order; None: none."""
        from urdu_genre_app.core.errors import NoModelError
        from urdu_genre_app.paths import resolve_model_path

        try:
            return str(resolve_model_path(self.explicit_model_path, remembered=self.settings.get(S.MODEL_PATH)))
        except NoModelError:
            return None

    def load_model(self, path: str | None, remember: bool = False, chosen: bool | None = None) -> None:
        """Load a bundle in the background; None means no model is installed.

        ``remember``: use it at the next start too; ``chosen``: the user asked for
        it (a failure is then told in a dialog; default: as ``remember``).
        """
        if path is None:
            self.set_no_model()
            return
        self.loading = True
        self.model_label.setText(f"Model: loading {html.escape(Path(path).name)}…")
        self.state.set_model_loading()
        chosen = remember if chosen is None else chosen
        run_task(_load_classifier, partial(self._on_model_loaded, path, remember, chosen), path=path)

    def set_no_model(self) -> None:
        from urdu_genre_app.resources import bundled_model_path

        self.loading = False
        self.error = None
        self.model_label.setText(
            "<b>No model installed</b> — the bundled model was not found "
            f"(<code>{bundled_model_path()}</code>). Load a model bundle (.ugm) with "
            "<i>Load model…</i>, or train one.")
        self.details_button.setEnabled(False)
        self.state.set_no_model()
        self.status_message.emit("No model installed", 0)
        self.model_changed.emit()

    def _on_model_loaded(self, path: str, remember: bool, chosen: bool, classifier: Classifier | None,
                         error: BaseException | None) -> None:
        """Use the loaded model, or say why it cannot be used (once) and go back to the one in use."""
        self.loading = False
        if error is not None:
            self.error = message = str(error)
            had_model = self.state.load_failed()  # back to the previous model, if any
            if had_model:
                self._show_model_header(self.bundle)
                still = f" Songs are still classified with {self.bundle.display_name}."
            else:
                self.model_label.setText(f"<b>No usable model</b> — {html.escape(Path(path).name)} "
                                         "could not be loaded.")
                self.details_button.setEnabled(False)
                still = ""
            self.status_message.emit(f"Cannot load the model: {message}.{still}", 0)
            # One place tells it: a dialog for a model the user picked, else the banner.
            if chosen:
                show_message_box(self.window(), QMessageBox.Icon.Warning, "Cannot load the model", f"{message}.{still}")
            else:
                self.banner.show_message("error", f"Cannot load the model {message}.{still}")
            self.model_changed.emit()
            return
        bundle = classifier.bundle
        self.path = self.menu.active_path = path
        self.error = None
        if remember:
            self.settings.set(S.MODEL_PATH, path)
        if chosen:
            self.settings.add_recent_model(path)
        self._show_model_header(bundle)
        if self.banner.text.startswith("Error: Cannot load the model"):
            self.banner.dismiss()
        self.state.set_classifier(classifier)
        self.status_message.emit(f"Model ready: {bundle.describe()}", 8000)
        self.model_changed.emit()

    def _show_model_header(self, bundle: ModelBundle) -> None:
        """Name ``bundle`` at the top as the model in use."""
        from urdu_genre_app.gui.model_dialog import model_summary_html

        self.model_label.setText("Model: " + model_summary_html(bundle))
        self.model_label.setToolTip(bundle.describe())
        self.details_button.setEnabled(True)

    def choose_model(self) -> None:
        """Ask for a model bundle (in the models folder) and load it."""
        self.menu.choose_model()

    def _on_model_requested(self, path: str, is_default: bool) -> None:
        """Load the bundle picked in the Model menu (the default one: forget the remembered choice)."""
        if is_default:
            self.use_bundled_model()
        else:
            self.load_model(path, remember=True)

    def use_bundled_model(self) -> None:
        """Forget the user's model and use the bundled one."""
        self.settings.set(S.MODEL_PATH, "")
        self.explicit_model_path = None
        self.load_model(self.initial_model_path(), chosen=True)

    def show_details(self) -> None:
        """Show the active model's metadata."""
        if self.bundle is None:
            return
        from urdu_genre_app.gui.model_dialog import ModelInfoDialog

        dialog = ModelInfoDialog(self.bundle, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
