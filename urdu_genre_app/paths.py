"""Where the app keeps its files for each user, and which model bundle it uses (Qt-free: CLI, GUI and training).

Folders
-------
One set of per-user folders, named as Qt names them for ``QSettings``
(organisation :data:`ORGANIZATION`, application :data:`APPLICATION`), so the
settings, the data, the cache and the log sit side by side. On Linux:
``~/.local/share/Urdu Genre App`` (models, recordings),
``~/.cache/Urdu Genre App`` (the feature cache), ``~/.local/state/Urdu Genre
App/log``; platformdirs picks the right places on Windows and macOS.

Earlier versions kept trained models and the feature cache in folders called
``urdu-genre-app`` (:data:`OLD_FOLDER_NAME`). The first time a folder is asked
for in a process, what the old one holds is moved into the new one
(:func:`migrate_folder`): nothing already in the new folder is replaced, and
whatever cannot move stays where it was, logged.

Model resolution
----------------
:func:`resolve_model_path` picks the bundle to classify with, first match wins:

1. the path given explicitly (``--model`` of ``classify`` or ``gui``);
2. ``$URDU_GENRE_MODEL`` (:data:`MODEL_ENV`);
3. the model the GUI remembers (``Load model…``, ``Use this model``; the CLI
   has none);
4. the bundled model (:func:`urdu_genre_app.resources.bundled_model_path`).

The environment comes before the remembered choice, as a command-line flag >
environment > stored preference > built-in default in most tools: a variable
is set for this session on purpose (a script, a test, a kiosk), while the
remembered model is a choice made in some earlier session.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

#: Organisation name of the app's folders and of its QSettings.
ORGANIZATION = "UrduGenreApp"
#: Application name of the app's folders and of its QSettings.
APPLICATION = "Urdu Genre App"
#: Name of the per-user data and cache folders of earlier versions (migrated on first use).
OLD_FOLDER_NAME = "urdu-genre-app"
#: Environment variable naming the model bundle to use.
MODEL_ENV = "URDU_GENRE_MODEL"

#: (old, new) folder pairs already migrated in this process.
_migrated: set[tuple[Path, Path]] = set()


def migrate_folder(old: Path, new: Path) -> list[Path]:
    """Move what ``old`` holds into ``new``, never replacing anything there.

    Sub-folders that exist on both sides are merged entry by entry. ``old``
    is removed once empty. Files that cannot be moved (or whose name is taken
    in ``new``) stay in ``old``; each is logged.

    Parameters
    ----------
    old, new : pathlib.Path
        The folder of an earlier version and the current one (created).

    Returns
    -------
    list of pathlib.Path
        The moved entries, at their new places.
    """
    moved: list[Path] = []
    if not old.is_dir() or old.resolve() == new.resolve():
        return moved
    new.mkdir(parents=True, exist_ok=True)
    for entry in sorted(old.iterdir()):
        target = new / entry.name
        if entry.is_dir() and not entry.is_symlink() and target.is_dir():
            moved += migrate_folder(entry, target)
            continue
        if target.exists() or target.is_symlink():
            log.warning("not moving %s: %s already exists", entry, target)
            continue
        try:
            shutil.move(os.fspath(entry), os.fspath(target))
        except OSError as error:
            log.warning("cannot move %s to %s: %s", entry, target, error)
            continue
        moved.append(target)
    try:
        old.rmdir()
    except OSError:  # something stayed behind (logged above)
        pass
    if moved:
        log.info("moved %d item(s) from %s to %s", len(moved), old, new)
    return moved


def _current(new: Path, old: Path) -> Path:
    """``new``, created, with ``old`` migrated into it the first time this process asks."""
    if (old, new) not in _migrated:
        _migrated.add((old, new))
        migrate_folder(old, new)
    new.mkdir(parents=True, exist_ok=True)
    return new


def user_data_dir() -> Path:
    """The per-user data folder (created; the old one migrated into it)."""
    import platformdirs

    return _current(Path(platformdirs.user_data_dir(APPLICATION, ORGANIZATION)),
                    Path(platformdirs.user_data_dir(OLD_FOLDER_NAME, appauthor=False)))


def user_cache_dir() -> Path:
    """The per-user cache folder (created; the old one migrated into it)."""
    import platformdirs

    return _current(Path(platformdirs.user_cache_dir(APPLICATION, ORGANIZATION)),
                    Path(platformdirs.user_cache_dir(OLD_FOLDER_NAME, appauthor=False)))


def user_log_dir() -> Path:
    """The per-user log folder (created)."""
    import platformdirs

    folder = Path(platformdirs.user_log_dir(APPLICATION, ORGANIZATION))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def models_dir() -> Path:
    """Where the Training tab saves the bundles it trains (created)."""
    return _subfolder(user_data_dir(), "models")


def recordings_dir() -> Path:
    """Where recordings are written while they are made (created; kept: closing the app loses nothing)."""
    return _subfolder(user_data_dir(), "recordings")


def feature_cache_dir() -> Path:
    """The training feature cache (``<user cache>/features``; created)."""
    return _subfolder(user_cache_dir(), "features")


def libraries_dir() -> Path:
    """Where the Library keeps each library's cache, corrections and tag journal (created)."""
    return _subfolder(user_data_dir(), "libraries")


def tag_journal_path() -> Path:
    """The journal of tag batches written from the command line (``<user data>/tag_journal.json``)."""
    return user_data_dir() / "tag_journal.json"


def user_matplotlib_dir() -> Path:
    """matplotlib's per-user config and font-cache folder of a frozen build (not created)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir(APPLICATION, ORGANIZATION)) / "matplotlib"


def _subfolder(parent: Path, name: str) -> Path:
    folder = parent / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def follow_migration(path: str | os.PathLike) -> Path:
    """Where a file named inside the old data folder is now (migrating first); any other path as given.

    A model remembered (or scripted) from before the migration keeps working.
    """
    import platformdirs

    path = Path(path)
    old = Path(platformdirs.user_data_dir(OLD_FOLDER_NAME, appauthor=False))
    try:
        relative = path.relative_to(old)
    except ValueError:
        return path
    moved = user_data_dir() / relative
    return moved if moved.exists() and not path.exists() else path


def resolve_model_path(explicit: str | os.PathLike | None = None, remembered: str | None = None) -> Path:
    """The model bundle to use, in the order of the module docstring.

    Parameters
    ----------
    explicit : str or os.PathLike, optional
        A path given on the command line.
    remembered : str, optional
        The GUI's remembered model (empty or None: none).

    Returns
    -------
    pathlib.Path
        The first one named, as given (loading it says what is wrong with
        it) except that a file moved out of the old data folder is followed
        (:func:`follow_migration`).

    Raises
    ------
    NoModelError
        None is named and the bundled model is missing.
    """
    from urdu_genre_app import resources
    from urdu_genre_app.core.errors import NoModelError

    for named in (explicit, os.environ.get(MODEL_ENV), remembered):
        if named:
            return follow_migration(named)
    bundled = resources.bundled_model_path()
    if bundled.exists():
        return bundled
    raise NoModelError(f"no model is installed (looked for {bundled})")
