"""Atomic file writes: readers see the old file or the new one, never half of one.

A writer killed mid-write (``kill -9``, a crash, power loss) cannot remove its
temporary file; the temporary's name carries the writer's process id, so the
next write of the same file removes those whose writer is gone. A write that
fails (a full disk, a read-only folder) raises :class:`SaveError`, which says
so in words and that the previous file is unchanged.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from urdu_genre_app.core.errors import SaveError

log = logging.getLogger(__name__)

#: Where the process id of a temporary's writer cannot be checked (not POSIX),
#: a temporary file older than this is taken to be a dead writer's.
STALE_TEMPORARY_SECONDS = 24 * 3600

_REASONS = {
    number: reason
    for name, reason in (
        ("ENOSPC", "the disk is full (no space left on the device)"),
        ("EDQUOT", "the disk quota is used up"),
        ("EROFS", "the disk or folder is read-only"),
        ("EACCES", "permission denied"),
        ("EPERM", "permission denied"),
        ("EFBIG", "the file would be too big for this disk"),
    )
    if (number := getattr(errno, name, None)) is not None  # not every platform has every code
}


def _temporary_prefix(path: Path) -> str:
    return f".{path.name}.{os.getpid()}."


def _writer_is_gone(pid: int, temporary: Path) -> bool:
    if pid == os.getpid():
        return False  # this process's own write in another thread
    if os.name == "posix":
        try:
            os.kill(pid, 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            return True
        except OSError:  # exists, owned by another user
            return False
        return False
    try:
        return time.time() - temporary.stat().st_mtime > STALE_TEMPORARY_SECONDS
    except OSError:
        return False


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Delete temporary files that writers of ``path`` killed mid-write left beside it.

    Parameters
    ----------
    path : str or os.PathLike
        The destination file.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    path = Path(path)
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(\d+)\.[^.]+\.tmp$")
    removed = []
    try:
        candidates = list(path.parent.iterdir())
    except OSError:
        return removed
    for candidate in candidates:
        match = pattern.match(candidate.name)
        if match and _writer_is_gone(int(match.group(1)), candidate):
            try:
                candidate.unlink()
            except OSError:
                continue
            removed.append(candidate)
    if removed:
        log.info("removed %d temporary file(s) of an interrupted save of %s", len(removed), path)
    return removed


def _save_error(path: Path, error: OSError) -> SaveError:
    reason = _REASONS.get(error.errno) or (error.strerror or str(error))
    return SaveError(path, f"{reason}; the previous file, if any, is unchanged", errno=error.errno)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Write ``path`` through a temporary file beside it, renamed into place on success.

    The data is flushed to disk before the rename, so a crash or power cut
    leaves either the previous file or the complete new one; on an error the
    temporary file is removed and the previous file is untouched. The new
    file gets ordinary permissions (``0o666`` less the umask), not
    ``mkstemp``'s private ``0o600``.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; its folder is created if needed.

    Yields
    ------
    BinaryIO
        The temporary file, open for binary writing.

    Raises
    ------
    SaveError
        The file could not be written (an :class:`OSError` too): a full disk,
        a read-only folder, no permission. The message names the file and says
        why in words.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path)
        handle, temp_name = tempfile.mkstemp(prefix=_temporary_prefix(path), suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise _save_error(path, error) from error
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(temp_name, 0o666 & ~umask)
        with os.fdopen(handle, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except SaveError:
        Path(temp_name).unlink(missing_ok=True)
        raise
    except OSError as error:
        Path(temp_name).unlink(missing_ok=True)
        raise _save_error(path, error) from error
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def write_atomic(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` so that a crash leaves either the old file or the new one.

    Parameters
    ----------
    path : str or os.PathLike
        Destination; its folder must exist.
    data : bytes or str
        Content; text is written as UTF-8.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_write(path) as stream:
        stream.write(payload)
    return path


def unused_path(path: Path) -> Path:
    """``path`` if nothing is there, else ``name-2.ext``, ``name-3.ext``, ...: the first free one."""
    candidate, number = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
        number += 1
    return candidate
