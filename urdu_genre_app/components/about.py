"""What the Help window tells (Qt-free): a short how-to, the model cards, the licences, the app's folders.

Everything is read from where it is kept, never restated: the folders from
:mod:`urdu_genre_app.paths`, the model cards from ``resources/``
(:mod:`urdu_genre_app.resources`), and each library's licence from its
installed package metadata.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

log = logging.getLogger(__name__)

#: The app's distribution (its version and licence come from its metadata; importlib normalises the name).
APP_DISTRIBUTION = "urdu_genre_app"
#: The libraries the app runs on, as installed (training's are listed when present).
RUNTIME_DISTRIBUTIONS = ("numpy", "av", "soxr", "soundfile", "sounddevice", "ai-edge-litert",
                         "PySide6-Essentials", "matplotlib", "platformdirs", "mutagen")
TRAINING_DISTRIBUTIONS = ("tensorflow-cpu", "tensorflow", "scikit-learn", "xgboost")
#: Licences worth a word to whoever ships a build (see the README's "Licences").
LICENCE_NOTES = {
    "mutagen": "writes genre tags; GPL-2.0-or-later: a build that bundles it is distributed under the GPL",
    "PySide6-Essentials": "Qt for Python; LGPL-3.0: a build must let its user replace Qt",
}

#: A few steps a new user needs, in Markdown.
HOW_TO = """\
**Classify a song.** *File ▸ Open…* (Ctrl+O), *Open Recent*, or drop a file on the window.
Each 30 s segment's genre probabilities appear as a bar the moment it is scored; the verdict
above them is the vote so far. Grey bars sound like no genre the model knows; hatched bars
are silence; a shaded stretch was not analysed (some models score a window every 90 s).

**Listen.** Space plays and pauses; clicking either chart seeks there, and the segment
under the cursor is outlined.

**Record.** Pick the input in the *Record* box and press *Record* (Ctrl+R): a provisional
verdict comes within seconds, the final one when you stop. *Save…* keeps the recording.

**Change the model.** The *Model* menu lists the models that come with the app, the ones you
used lately, and *Load model…* for any `.ugm` file (models you train are saved in the models
folder). The song shown is analysed again with the new model.

**Train your own.** The *Training* tab takes a folder with one sub-folder of songs per genre.
Its *Automatic* model trains musicnn transfer when a genre has only a few songs (it learns best
from a few real songs) and the BN-CNN otherwise; the entry names the one it picked.
The *Library* tab classifies a whole folder, lets you confirm genres and writes tags.
"""


@dataclass(frozen=True)
class Licence:
    """One component the app is built from, and its licence."""

    name: str
    version: str
    licence: str
    note: str = ""


def _licence_of(meta: metadata.PackageMetadata) -> str:
    """The licence a distribution's metadata declares (expression, field, or classifiers), or "not stated"."""
    expression = meta.get("License-Expression")
    if expression:
        return str(expression)
    field = (meta.get("License") or "").strip()
    if field and "\n" not in field and len(field) <= 60:  # some packages paste the whole text here
        return field
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    if classifiers:
        return ", ".join(classifiers)
    return field.splitlines()[0][:60] if field else "not stated"


def licences() -> list[Licence]:
    """The app and the installed libraries it uses, each with the licence its package declares.

    Returns
    -------
    list of Licence
        The app first, then the runtime libraries, then the training ones that
        are installed, then the bundled musicnn weights (ISC) when present.
        A library that is not installed is left out.
    """
    found = []
    for name in (APP_DISTRIBUTION, *RUNTIME_DISTRIBUTIONS, *TRAINING_DISTRIBUTIONS):
        try:
            meta = metadata.metadata(name)
        except metadata.PackageNotFoundError:
            continue
        shown = str(meta.get("Name") or name) if name == APP_DISTRIBUTION else name  # the app: its own spelling
        found.append(Licence(shown, str(meta.get("Version", "")), _licence_of(meta), LICENCE_NOTES.get(name, "")))
    weights = musicnn_licence_path()
    if weights.exists():
        found.append(Licence("musicnn weights (MTG, Pons and Serra 2019)", "0.1.0", "ISC",
                             f"used by the musicnn model; licence text: {weights}"))
    return found


def musicnn_licence_path() -> Path:
    """The licence of the bundled musicnn weights (``resources/musicnn/LICENSE.md``)."""
    from urdu_genre_app.resources import resource_path

    return resource_path("musicnn", "LICENSE.md")


@dataclass(frozen=True)
class ModelCard:
    """A model card shipped with the app: its title (first heading) and Markdown text."""

    path: Path
    title: str
    text: str


def model_cards() -> list[ModelCard]:
    """The model cards under ``resources/`` (``MODEL_CARD*.md``), the default model's first."""
    from urdu_genre_app.resources import resources_root

    cards = []
    for path in sorted(resources_root().glob("MODEL_CARD*.md")):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            log.warning("cannot read the model card %s: %s", path, error)
            continue
        heading = next((line for line in text.splitlines() if line.startswith("# ")), path.stem)
        title = re.sub(r"^#\s*(Model card:\s*)?", "", heading).replace("`", "").strip()
        cards.append(ModelCard(path, title or path.stem, text))
    return cards


def folders() -> list[tuple[str, Path]]:
    """Where the app keeps its files for this user, as ``(what, folder)`` (:mod:`urdu_genre_app.paths`)."""
    from urdu_genre_app import paths

    return [
        ("Log (unexpected errors are written here)", paths.user_log_dir()),
        ("Models you train or improve", paths.models_dir()),
        ("Recordings (kept until you discard them)", paths.recordings_dir()),
        ("Library data (confirmed genres, cached verdicts, tag undo)", paths.libraries_dir()),
        ("All data", paths.user_data_dir()),
        ("Training feature cache (safe to delete)", paths.feature_cache_dir()),
    ]
