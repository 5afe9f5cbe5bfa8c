"""Find the audio files below a folder."""

from __future__ import annotations

import os
from pathlib import Path

from urdu_genre_app.core.audio_io import is_audio_path
from urdu_genre_app.core.errors import LibraryError


def scan_folder(folder: str | os.PathLike) -> list[Path]:
    """Every audio file below ``folder`` (by extension), in path order.

    Hidden files and folders (a leading dot: temporary tag copies, ``.git``)
    are left out; symbolic links to folders are not followed, so a link
    loop cannot make the scan endless.

    Parameters
    ----------
    folder : str or os.PathLike
        The library's root folder.

    Returns
    -------
    list of pathlib.Path
        Absolute paths, sorted.

    Raises
    ------
    LibraryError
        ``folder`` does not exist or is not a folder.
    """
    root = Path(folder).expanduser().resolve()
    if not root.is_dir():
        raise LibraryError(f"{root}: {'is not a folder' if root.exists() else 'no such folder'}")
    found: list[Path] = []
    for current, folders, files in os.walk(root):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in files:
            if not name.startswith(".") and is_audio_path(name):
                found.append(Path(current) / name)
    return sorted(found)
