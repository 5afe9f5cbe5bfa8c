"""The Model menu: the models that come with the app, the ones used lately, Load…, details.

The menu is rebuilt each time it opens, so it always ticks the model in use
and lists what is on disk now. Choosing an entry asks the window to load
that bundle (:meth:`ModelMenu.load_requested`); the window owns loading.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from urdu_genre_app.gui import settings as S

#: File-dialog filter for model bundles.
BUNDLE_FILTER = "Model bundles (*.ugm);;All files (*)"


def _same_file(a: str | Path | None, b: str | Path | None) -> bool:
    if not a or not b:
        return False
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


class ModelMenu(QMenu):
    """Bundled models, recent models, *Load model…*, *Model details…*.

    Parameters
    ----------
    settings : Settings
        Where the recent models are remembered.
    details_action : QAction
        *Model details…* (the window's, enabled while a model is in use).

    Signals
    -------
    load_requested(str, bool)
        Load this bundle; True: it is the default bundled model (forget the
        remembered choice rather than remember this path).
    """

    load_requested = Signal(str, bool)

    def __init__(self, settings: S.Settings, details_action: QAction, parent: QWidget | None = None) -> None:
        super().__init__("&Model", parent)
        self.settings = settings
        self.details_action = details_action
        #: The bundle in use (ticked), set by the window.
        self.active_path: str | None = None
        # Owned by the window, not the menu: rebuilding (clear()) deletes the menu's own actions,
        # and the window keeps its shortcut working while the menu is closed.
        self.load_action = QAction("&Load model…", parent or self)
        if parent is not None:
            parent.addAction(self.load_action)
        self.load_action.setShortcut("Ctrl+L")
        self.load_action.setStatusTip("Use another model bundle (.ugm); the models folder opens first")
        self.load_action.triggered.connect(self.choose_model)
        self.aboutToShow.connect(self.rebuild)
        self.rebuild()

    def rebuild(self) -> None:
        """List the bundled and recent models, ticking the one in use."""
        from urdu_genre_app.resources import bundle_title, bundled_model_path, bundled_models

        self.clear()
        self.addSection("Models that come with the app")
        default = bundled_model_path()
        bundled = bundled_models()
        for path in bundled:
            suffix = " (default)" if path.name == default.name else ""
            self._add_model(f"{bundle_title(path)}{suffix}", path, is_default=bool(suffix))
        if not bundled:
            self.addAction(f"(none found in {default.parent})").setEnabled(False)
        recent = [p for p in self.settings.get(S.RECENT_MODELS)
                  if not any(_same_file(p, b) for b in bundled)]
        self.addSection("Used lately")
        for number, path in enumerate(recent, start=1):
            exists = Path(path).is_file()
            item = self._add_model(f"&{number % 10} {Path(path).name}" + ("" if exists else " (missing)"),
                                   Path(path), is_default=False)
            item.setEnabled(exists)
        if not recent:
            self.addAction("(no other model used yet)").setEnabled(False)
        self.addSeparator()
        self.addAction(self.load_action)
        self.addAction(self.details_action)

    def _add_model(self, text: str, path: Path, *, is_default: bool) -> QAction:
        item = self.addAction(text)
        item.setCheckable(True)
        item.setChecked(_same_file(path, self.active_path))
        item.setToolTip(str(path))
        item.setStatusTip(str(path))
        item.setData(str(path))
        item.triggered.connect(lambda _checked=False, p=str(path), d=is_default: self.load_requested.emit(p, d))
        return item

    def model_actions(self) -> list[QAction]:
        """The entries that load a model (bundled, then recent)."""
        return [a for a in self.actions() if a.isCheckable()]

    def choose_model(self) -> None:
        """Ask for a bundle, starting in the folder the Training tab saves models to."""
        from urdu_genre_app.paths import models_dir

        path, _ = QFileDialog.getOpenFileName(self.parentWidget(), "Load a model bundle", str(models_dir()),
                                              BUNDLE_FILTER)
        if path:
            self.load_requested.emit(path, False)
