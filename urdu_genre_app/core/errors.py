"""The app's exception tree.

Every message names the file it is about and says what went wrong in words a
user understands; the CLI prints ``str(error)`` and the GUI shows it as is.
"""

from __future__ import annotations

import os


class UrduGenreError(Exception):
    """Base of every error this project raises on purpose.

    Attributes
    ----------
    path : str or None
        The file it is about, where there is one.
    reason : str
        Why, in words, without the path: what a list of failures shows beside
        each file. Subclasses that take ``(path, reason)`` set both; for the
        others it is the whole message.
    """

    path: str | None = None

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        if "reason" not in self.__dict__:  # set first by subclasses that take (path, reason)
            self.reason = str(args[0]) if args else ""


def failure_reason(error: BaseException) -> str:
    """One failure as the sentence shown beside its file: the rule the CLI, the Library and training share.

    Parameters
    ----------
    error : BaseException
        What stopped one file.

    Returns
    -------
    str
        An :class:`UrduGenreError`'s ``reason`` (it names no file: the list
        does); anything else as ``"unexpected error: <type>: <message>"``.
    """
    if isinstance(error, UrduGenreError):
        return error.reason or str(error)
    return f"unexpected error: {type(error).__name__}: {error}"


class AudioDecodeError(UrduGenreError):
    """A file could not be read as audio.

    Parameters
    ----------
    path : str or os.PathLike
        The file that failed.
    reason : str
        Why, in plain words ("it is empty", "it has no audio track", ...).
    """

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class AudioTooShortError(AudioDecodeError):
    """The file decodes but holds too little audio to classify."""


class ModelBundleError(UrduGenreError):
    """A model bundle is missing, corrupt, foreign or unsafe.

    Parameters
    ----------
    path : str or os.PathLike
        The bundle file.
    reason : str
        Why it was refused.
    """

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class SaveError(UrduGenreError, OSError):
    """A file could not be written (disk full, read-only, no permission, ...).

    Also an :class:`OSError` (with the original ``errno``), so code that
    tolerates a failed write, e.g. of a cache entry, still catches it.

    Parameters
    ----------
    path : str or os.PathLike
        The file that was being written.
    reason : str
        Why, in plain words; says that the previous file, if any, is unchanged.
    errno : int, optional
        The operating system's error number.
    """

    def __init__(self, path: str | os.PathLike, reason: str, errno: int | None = None) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: cannot be saved: {reason}")
        self.errno = errno


class NoModelError(UrduGenreError):
    """No model bundle is installed or given."""


class FeatureParameterError(UrduGenreError, ValueError):
    """Feature or window parameters that make no sense."""


class CancelledError(UrduGenreError):
    """Work stopped because its caller asked it to."""


class TagWriteError(UrduGenreError):
    """A file's genre tag could not be read or written (the file is left as it was).

    Parameters
    ----------
    path : str or os.PathLike
        The audio file.
    reason : str
        Why ("it is read-only", "its format holds no tags this app writes", ...).
    """

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class LibraryError(UrduGenreError):
    """A library folder, its results cache or its corrections cannot be used."""
