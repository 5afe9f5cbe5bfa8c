"""The one folder walk: the audio files below a folder, and what was skipped and why.

The command line (``urdu-genre classify FOLDER``), the Library and training's
dataset scan all walk folders through :func:`walk_audio`, so they agree on
what counts as a song:

* only regular files are taken (a symbolic link counts as what it points
  to): a FIFO or a link to ``/dev/zero`` named ``song.mp3`` would block or
  never end a read, so it is skipped and reported;
* hidden files and folders (a leading dot: temporary tag copies, ``.git``)
  are left out without a word;
* symbolic links to folders are not followed, so a link loop cannot make
  the walk endless;
* a subfolder that cannot be opened (no permission, a path longer than the
  system allows) is skipped and reported, never the end of the walk.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from urdu_genre_app.core.audio_io import is_audio_path
from urdu_genre_app.core.errors import LibraryError

#: Why an entry that is not a regular file is skipped.
NOT_REGULAR_FILE = "is not a regular file (a FIFO, device, or a link to one), so it is not read"


@dataclass(frozen=True)
class SkippedPath:
    """A path the walk could not use.

    The walk goes on without it. ``reason`` names no path, so the lists of
    skipped files (the CLI's, the Library's) show it beside ``path``.

    Attributes
    ----------
    path : str
        The file or folder.
    reason : str
        Why, in words (names no path).
    """

    path: str
    reason: str


@dataclass
class FolderScan:
    """What :func:`walk_audio` found.

    Attributes
    ----------
    files : list of pathlib.Path
        Regular audio files, sorted.
    skipped : list of SkippedPath
        Audio-named entries that are not regular files, and folders that
        could not be opened, in the order met.
    """

    files: list[Path] = field(default_factory=list)
    skipped: list[SkippedPath] = field(default_factory=list)


def path_max() -> int:
    """The longest path (in bytes) the system opens; 4096 where it does not say."""
    try:
        return int(os.pathconf("/", "PC_PATH_MAX"))
    except (AttributeError, OSError, ValueError):  # pragma: no cover - not POSIX
        return 4096


def os_error_reason(error: OSError) -> str:
    """An :class:`OSError` in words a user understands (names no path)."""
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied: it cannot be read"
    if error.errno == errno.ENAMETOOLONG:
        return "its path is longer than this system allows"
    if error.errno == errno.ELOOP:
        return "it is a loop of symbolic links"
    if error.errno == errno.ENOENT:
        return "no such file or folder (a broken link, or it was removed)"
    return error.strerror or str(error)


def regular_file_problem(path: str | os.PathLike) -> str | None:
    """Why ``path`` must not be read as a song, or None when it is a regular file.

    Follows symbolic links; never opens the file (opening a FIFO blocks).
    """
    try:
        if len(os.fsencode(path)) >= path_max():
            return "its path is longer than this system allows"
        mode = os.stat(path).st_mode
    except OSError as error:
        return os_error_reason(error)
    except ValueError as error:  # e.g. an embedded NUL
        return f"its name cannot be used ({error})"
    return None if stat.S_ISREG(mode) else NOT_REGULAR_FILE


def walk_audio(folder: str | os.PathLike) -> FolderScan:
    """Every regular audio file below ``folder`` (by extension), and what was skipped.

    Parameters
    ----------
    folder : str or os.PathLike
        The folder to walk (see the module notes for the rules).

    Returns
    -------
    FolderScan
        ``files`` as absolute paths, sorted.

    Raises
    ------
    LibraryError
        ``folder`` does not exist or is not a folder.
    """
    root = Path(folder).expanduser().resolve()
    if not root.is_dir():
        raise LibraryError(f"{root}: {'is not a folder' if root.exists() else 'no such folder'}")
    scan = FolderScan()

    def unreadable(error: OSError) -> None:
        scan.skipped.append(SkippedPath(os.fspath(error.filename or root), os_error_reason(error)))

    for current, folders, files in os.walk(root, onerror=unreadable):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or not is_audio_path(name):
                continue
            path = os.path.join(current, name)
            problem = regular_file_problem(path)
            if problem is None:
                scan.files.append(Path(path))
            else:
                scan.skipped.append(SkippedPath(path, problem))
    scan.files.sort()
    return scan


def scan_folder(folder: str | os.PathLike) -> list[Path]:
    """Every regular audio file below ``folder``, sorted (:func:`walk_audio`'s ``files``)."""
    return walk_audio(folder).files
