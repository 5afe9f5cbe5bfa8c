"""Where bundled files live: a checkout, an editable install, a wheel, a PyInstaller build.

The source tree keeps them in the top-level ``resources/`` folder (the
design card's layout). Building a wheel copies that folder into the package
as ``urdu_genre_app/_resources`` (``setup.py``'s build step), and
``build.spec`` puts it at the same place in a frozen build, so an installed
copy finds it through :mod:`importlib.resources`. A checkout, or an editable
install of one, has no ``_resources`` inside the package and uses
``resources/`` beside it.
"""

from __future__ import annotations

import sys
from importlib import resources as importlib_resources
from pathlib import Path

#: File name of the model the app ships with, under ``resources/models/``.
BUNDLED_MODEL_NAME = "bn_cnn_synthetic.ugm"
#: Name of the copy of ``resources/`` inside the installed (or frozen) package.
PACKAGED_RESOURCES = "_resources"
#: The self-test's sample and its expected verdict, under ``resources/samples/``.
SELFTEST_SAMPLE_MANIFEST = "selftest.json"


def resources_root() -> Path:
    """The folder that holds ``models/``, ``icons/``, ``samples/`` and ``MODEL_CARD.md``.

    Looked for, in order: inside a PyInstaller build (``sys._MEIPASS``), in
    the installed package (:func:`importlib.resources.files`), then beside
    the package in a checkout. Returns the last candidate when none exists,
    so error messages name where a checkout would keep it.
    """
    candidates = []
    frozen_base = getattr(sys, "_MEIPASS", None)
    if frozen_base:
        candidates.append(Path(frozen_base) / "urdu_genre_app" / PACKAGED_RESOURCES)
    # A wheel installs real files, so the Traversable is a filesystem path.
    packaged = importlib_resources.files("urdu_genre_app") / PACKAGED_RESOURCES
    candidates.append(Path(str(packaged)))
    candidates.append(Path(__file__).resolve().parent.parent / "resources")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[-1]


def resource_path(*parts: str) -> Path:
    """Path of a file under ``resources/``, wherever the app is installed."""
    return resources_root().joinpath(*parts)


def bundled_model_path() -> Path:
    """The model bundle shipped with the app (may not exist in a bare checkout)."""
    return resource_path("models", BUNDLED_MODEL_NAME)


def selftest_manifest_path() -> Path:
    """The JSON file naming the self-test's sample and the verdict it must get."""
    return resource_path("samples", SELFTEST_SAMPLE_MANIFEST)


def bundled_models() -> list[Path]:
    """Every model bundle shipped with the app (``resources/models/*.ugm``), the default one first."""
    default = bundled_model_path()
    found = sorted(default.parent.glob("*.ugm")) if default.parent.is_dir() else []
    return sorted(found, key=lambda path: path.name != default.name)


def bundle_title(path: Path) -> str:
    """The name a bundle gives itself (``provenance.name`` of its ``bundle.json``), else its file stem.

    Cheap (reads only the small metadata member), for menus; a damaged file
    gets its stem, and loading it says what is wrong.
    """
    import json
    import zipfile

    from urdu_genre_app.core.bundle import METADATA_NAME

    try:
        with zipfile.ZipFile(path) as archive:
            name = json.loads(archive.read(METADATA_NAME)).get("provenance", {}).get("name")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        name = None
    return str(name) if name else Path(path).stem
