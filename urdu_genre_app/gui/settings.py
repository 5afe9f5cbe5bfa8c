"""Every setting the app stores, declared once: key, type, default and title.

Values live in :class:`~PySide6.QtCore.QSettings`; lists are stored as JSON
text so that a one-item list does not come back as a plain string (a QSettings
quirk with INI files).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

# The app's folders carry QSettings' organisation and application names (re-exported here).
from urdu_genre_app.paths import APPLICATION, ORGANIZATION

log = logging.getLogger(__name__)


#: Most recent files kept in File > Open Recent.
MAX_RECENT_FILES = 10
#: Most recent model bundles kept in the Model menu.
MAX_RECENT_MODELS = 5


@dataclass(frozen=True)
class Setting:
    """One stored option.

    Attributes
    ----------
    key : str
        QSettings key.
    type : type
        ``str``, ``int``, ``float``, ``bool``, ``list`` (of str) or ``bytes``.
    default : Any or callable
        Value when nothing (or something unreadable) is stored; a function is
        called for it when needed, so a default owned by ``training`` or
        ``core`` (their config dataclasses) is read from there, never restated.
    title : str
        What it is, in words.
    """

    key: str
    type: type
    default: Any
    title: str

    def default_value(self) -> Any:
        """The default (a fresh copy of a list)."""
        return _copy(self.default() if callable(self.default) else self.default)


def _fit_epochs() -> int:
    from training.fit import FitConfig

    return FitConfig.epochs


def _default_model() -> str:
    from training.families import AUTO_FAMILY

    return AUTO_FAMILY  # the folder decides (training.families.default_family_for)


def _windows_per_song() -> int:
    from training.extract import ExtractionConfig

    return ExtractionConfig.windows_per_song


def _window_seconds() -> float:
    from urdu_genre_app.core.features import FeatureParams

    return FeatureParams.window_seconds


def _seed() -> int:
    from training.pipeline import TrainingConfig

    return TrainingConfig.seed


RECENT_FILES = Setting("files/recent", list, [], "Recently opened audio files, newest first")
LAST_FOLDER = Setting("files/last_folder", str, "", "Folder of the last opened or saved file")
MODEL_PATH = Setting("model/path", str, "", "Model bundle to use; empty means the bundled model")
RECENT_MODELS = Setting("model/recent", list, [], "Model bundles loaded lately, newest first")
INPUT_DEVICE = Setting("recording/input_device", str, "", "Name of the input device to record from")
WINDOW_GEOMETRY = Setting("window/geometry", bytes, b"", "Main window position and size")
WINDOW_STATE = Setting("window/state", bytes, b"", "Main window toolbars and docks")
SPLITTER_STATE = Setting("window/splitter", bytes, b"", "Sizes of the chart panes")
TRAIN_DATASET = Setting("training/dataset", str, "", "Folder of genre folders (or .csv manifest) last trained on")
# Training defaults live in training's and core's config dataclasses (read when first needed:
# a lite build without the training package never asks for them).
# A new key, not "training/model": every run stored the list's choice there, so a user who trained once
# before "Automatic" (2026-12-03) had the old default, "bn_cnn", saved as if chosen and would never see it.
TRAIN_MODEL = Setting("training/model_family", str, _default_model, "Model family the Training tab trains")
TRAIN_EPOCHS = Setting("training/epochs", int, _fit_epochs, "Most epochs a training run fits")
TRAIN_WINDOWS_PER_SONG = Setting("training/windows_per_song", int, _windows_per_song,
                                 "Random windows drawn from each song")
TRAIN_WINDOW_SECONDS = Setting("training/window_seconds", float, _window_seconds, "Length of one window in seconds")
TRAIN_SEED = Setting("training/seed", int, _seed, "Seed of the split, windows and weights")


class Settings:
    """Typed access to the declared settings.

    Parameters
    ----------
    store : QSettings, optional
        Where values live; the user's settings for this app by default.
        Tests pass an INI file in a temporary folder.
    """

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings(ORGANIZATION, APPLICATION)

    def get(self, setting: Setting) -> Any:
        """The stored value of ``setting``, or its default."""
        raw = self.store.value(setting.key, None)
        if raw is None:
            return setting.default_value()
        try:
            return _decode(setting, raw)
        except (TypeError, ValueError) as error:
            log.warning("ignoring unreadable setting %s=%r (%s)", setting.key, raw, error)
            return setting.default_value()

    def set(self, setting: Setting, value: Any) -> None:
        """Store ``value`` for ``setting``."""
        if setting.type is list:
            self.store.setValue(setting.key, json.dumps([str(v) for v in value]))
        elif setting.type is bytes:
            self.store.setValue(setting.key, QByteArray(bytes(value)))
        elif setting.type is bool:
            self.store.setValue(setting.key, bool(value))
        else:
            self.store.setValue(setting.key, setting.type(value))

    def add_recent_file(self, path: str) -> list[str]:
        """Put ``path`` first in the recent files and return the new list."""
        return self._add_recent(RECENT_FILES, path, MAX_RECENT_FILES)

    def add_recent_model(self, path: str) -> list[str]:
        """Put ``path`` first in the recent model bundles and return the new list."""
        return self._add_recent(RECENT_MODELS, path, MAX_RECENT_MODELS)

    def _add_recent(self, setting: Setting, path: str, keep: int) -> list[str]:
        recent = [p for p in self.get(setting) if p != path]
        recent.insert(0, path)
        del recent[keep:]
        self.set(setting, recent)
        return recent

    def sync(self) -> None:
        """Write pending values to disk."""
        self.store.sync()


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _decode(setting: Setting, raw: Any) -> Any:
    if setting.type is list:
        value = json.loads(raw) if isinstance(raw, str) else list(raw)
        if not isinstance(value, list):
            raise ValueError("not a list")
        return [str(v) for v in value]
    if setting.type is bytes:
        return bytes(raw.data()) if isinstance(raw, QByteArray) else bytes(raw)
    if setting.type is bool:
        return raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes")
    return setting.type(raw)
