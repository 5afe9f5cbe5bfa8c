"""Genre tags, written so that nothing else in the file changes and no crash damages it.

Where the genre lives, by format (read and written with mutagen):

========================  ==========================
MP3, WAV, AIFF            ID3v2 ``TCON`` frame
FLAC, Ogg Vorbis, Opus    Vorbis comment ``GENRE``
M4A, MP4                  MP4 atom ``\\xa9gen``
========================  ==========================

Only that field is touched: mutagen rewrites the metadata block and leaves
the audio frames as they are; an ID3 tag keeps its version (2.3 stays 2.3).

How a file is changed (:func:`set_genres`):

1. a file that is read-only (or in a read-only folder, by its mode bits, so
   also for root) is refused with
   :class:`~urdu_genre_app.core.errors.TagWriteError` naming it;
2. the file is copied beside itself (a hidden ``.name.<pid>.*.tagtmp``), and the
   copy is tagged;
3. the copy is read back: its genre must be the one written and every other
   tag must equal the original's, or the copy is deleted and the original
   kept;
4. the copy is flushed to disk and renamed over the original (atomic), so a
   crash at any moment leaves the original or the complete new file; the
   original's ``user.*`` extended attributes are given to the copy first. A
   file with other hard links is instead rewritten in place, after a flushed
   backup of its bytes beside it (``.name.*.tagbak``), so every link sees the
   new tag;
5. leftovers of a writer killed mid-way (its process id is in their names)
   are cleaned up the next time the file is tagged: a copy is deleted, a
   backup is copied back into the file (:func:`recover_interrupted_write`).

Every batch of changes is first written to a :class:`TagJournal` (the genre
each file had before), so :func:`undo_last_batch` can put it back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from urdu_genre_app.core.errors import SaveError, TagWriteError
from urdu_genre_app.library.scan import regular_file_problem
from urdu_genre_app.library.tag_journal import TagChange, TagJournal

log = logging.getLogger(__name__)



class _TagFormat:
    """Where one family of formats keeps its genre."""

    name = ""

    def get(self, audio) -> list[str]:
        raise NotImplementedError

    def put(self, audio, genres: list[str]) -> None:
        raise NotImplementedError

    def others(self, audio) -> dict[str, Any]:
        """Every tag except the genre, in a form that compares by value."""
        raise NotImplementedError

    def save(self, audio, path: str) -> None:
        audio.save(path)


class _Id3Format(_TagFormat):
    name = "ID3 (TCON)"

    def get(self, audio) -> list[str]:
        if audio.tags is None:
            return []
        return [genre for frame in audio.tags.getall("TCON") for genre in frame.genres]

    def put(self, audio, genres: list[str]) -> None:
        from mutagen.id3 import TCON

        if audio.tags is None:
            audio.add_tags()
        audio.tags.delall("TCON")
        if genres:
            audio.tags.add(TCON(encoding=3, text=list(genres)))

    def others(self, audio) -> dict[str, Any]:
        if audio.tags is None:
            return {}
        return {key: repr(frame) for key, frame in audio.tags.items() if not key.startswith("TCON")}

    def save(self, audio, path: str) -> None:
        version = audio.tags.version if audio.tags is not None else (2, 4, 0)
        audio.save(path, v2_version=3 if tuple(version[:2]) == (2, 3) else 4)


class _VorbisFormat(_TagFormat):
    name = "Vorbis comment (GENRE)"

    def get(self, audio) -> list[str]:
        return list(audio.tags.get("genre", [])) if audio.tags is not None else []

    def put(self, audio, genres: list[str]) -> None:
        if audio.tags is None:
            audio.add_tags()
        if "genre" in audio.tags:
            del audio.tags["genre"]
        if genres:
            audio.tags["genre"] = list(genres)

    def others(self, audio) -> dict[str, Any]:
        if audio.tags is None:
            return {}
        pairs = sorted((key.lower(), value) for key, value in audio.tags if key.lower() != "genre")
        return {"comments": pairs, "vendor": getattr(audio.tags, "vendor", None)}


class _Mp4Format(_TagFormat):
    name = "MP4 (\\xa9gen)"
    key = "\xa9gen"

    def get(self, audio) -> list[str]:
        return [str(v) for v in audio.tags.get(self.key, [])] if audio.tags is not None else []

    def put(self, audio, genres: list[str]) -> None:
        if audio.tags is None:
            audio.add_tags()
        audio.tags.pop(self.key, None)
        if genres:
            audio.tags[self.key] = list(genres)

    def others(self, audio) -> dict[str, Any]:
        if audio.tags is None:
            return {}
        return {key: repr(value) for key, value in audio.tags.items() if key != self.key}


#: Why tags cannot be written when mutagen is missing (e.g. a build that leaves
#: the GPL library out: see the README's "Licences").
NO_TAG_LIBRARY = "genre tags cannot be read or written here: the tag library (mutagen) is not installed"


def tags_available() -> bool:
    """True when the tag library is installed."""
    try:
        import mutagen  # noqa: F401
    except ImportError:
        return False
    return True


def _open(path: str):
    """The mutagen file object and our format adapter for it."""
    try:
        import mutagen
    except ImportError as error:
        raise TagWriteError(path, NO_TAG_LIBRARY) from error
    from mutagen.aiff import AIFF
    from mutagen.flac import FLAC
    from mutagen.mp3 import MP3
    from mutagen.mp4 import MP4
    from mutagen.oggopus import OggOpus
    from mutagen.oggvorbis import OggVorbis
    from mutagen.wave import WAVE

    problem = regular_file_problem(path)
    if problem is not None:
        raise TagWriteError(path, problem)
    try:
        audio = mutagen.File(path)
    except (mutagen.MutagenError, OSError) as error:
        raise TagWriteError(path, f"its tags cannot be read ({error})") from error
    for kinds, adapter in (
        ((MP3, WAVE, AIFF), _Id3Format()),
        ((FLAC, OggVorbis, OggOpus), _VorbisFormat()),
        ((MP4,), _Mp4Format()),
    ):
        if isinstance(audio, kinds):
            return audio, adapter
    kind = type(audio).__name__ if audio is not None else Path(path).suffix or "this"
    raise TagWriteError(path, f"genre tags cannot be written to {kind} files (MP3, WAV, AIFF, FLAC, Ogg, Opus, "
                              "M4A and MP4 can be tagged)")


def read_genres(path: str | os.PathLike) -> list[str]:
    """The genres in a file's tags (empty when it has none).

    Raises
    ------
    TagWriteError
        The format holds no genre tag this module knows, or the file cannot be read.
    """
    path = os.fspath(path)
    problem = regular_file_problem(path)
    if problem is not None:  # opening a FIFO or /dev/zero would block or never end
        raise TagWriteError(path, problem)
    if path.lower().endswith(".mp3"):
        # Only the ID3 header is read: opening the file as MP3 would also scan
        # its frames for the stream's length (~10-20 ms a song; a re-opened
        # library reads every song's genre).
        try:
            from mutagen.id3 import ID3, ID3NoHeaderError

            try:
                tags = ID3(path)
            except ID3NoHeaderError:
                return []
            return [genre for frame in tags.getall("TCON") for genre in frame.genres]
        except ImportError as error:
            raise TagWriteError(path, NO_TAG_LIBRARY) from error
        except Exception:  # noqa: BLE001 - not a plain ID3-tagged MP3: let the full reader judge
            pass
    audio, adapter = _open(path)
    return adapter.get(audio)


def read_genre(path: str | os.PathLike) -> str | None:
    """The file's genre tag as one string (several joined by "; "), or None when absent or unreadable."""
    try:
        genres = read_genres(path)
    except TagWriteError:
        return None
    return "; ".join(genres) if genres else None


#: Suffix of the tagged copy written beside a file (``.<name>.<pid>.<random>.tagtmp``).
COPY_SUFFIX = ".tagtmp"
#: Suffix of the original's backup kept while a hard-linked file is rewritten in place.
BACKUP_SUFFIX = ".tagbak"
_ANY_WRITE = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


def _refuse_unwritable(path: str) -> None:
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        raise TagWriteError(path, f"cannot be opened ({error.strerror or error})") from error
    # The mode bits are checked, not only access(): a root process may write
    # anything, but a file or folder the user marked read-only must stay as it is.
    if not (mode & _ANY_WRITE) or not os.access(path, os.W_OK):
        raise TagWriteError(path, "is read-only, so its genre tag was not written")
    folder = os.path.dirname(os.path.abspath(path))
    try:
        folder_mode = os.stat(folder).st_mode
    except OSError as error:
        raise TagWriteError(path, f"its folder cannot be opened ({error.strerror or error})") from error
    if not (folder_mode & _ANY_WRITE) or not os.access(folder, os.W_OK):
        raise TagWriteError(path, f"its folder {folder} is read-only, so its genre tag was not written")


def _copy_bytes_into(source: str, target: str) -> None:
    """Overwrite ``target``'s bytes with ``source``'s in place (same inode: hard links and xattrs stay), flushed."""
    with open(source, "rb") as reader, open(target, "r+b") as writer:
        shutil.copyfileobj(reader, writer, 1 << 20)
        writer.truncate()
        writer.flush()
        os.fsync(writer.fileno())


def _copy_user_xattrs(source: str, target: str) -> None:
    """Give ``target`` the ``user.*`` extended attributes of ``source`` (a rename would lose them)."""
    if not hasattr(os, "listxattr"):
        return
    try:
        names = os.listxattr(source)
    except OSError:
        return
    for name in names:
        if name.startswith("user."):
            try:
                os.setxattr(target, name, os.getxattr(source, name))
            except OSError as error:
                log.warning("%s: extended attribute %s could not be kept (%s)", target, name, error)


def recover_interrupted_write(path: str | os.PathLike) -> None:
    """Undo what a tag writer killed mid-way left beside ``path``.

    A ``.tagtmp`` copy of a dead writer is deleted (the original was never
    touched). A ``.tagbak`` backup means the writer died while rewriting a
    hard-linked file in place: the backup holds the original's bytes, so it
    is copied back into the file, then deleted.
    """
    from urdu_genre_app.core.atomic import remove_stale_temporaries, stale_temporaries

    path = os.fspath(path)
    for backup in stale_temporaries(path, BACKUP_SUFFIX):
        try:
            _copy_bytes_into(os.fspath(backup), path)
            backup.unlink()
            log.warning("%s: a tag write was interrupted; the file was restored from its backup", path)
        except OSError as error:
            log.warning("%s: a tag write was interrupted and its backup %s could not be restored (%s)",
                        path, backup, error)
    remove_stale_temporaries(path, COPY_SUFFIX)


def set_genres(path: str | os.PathLike, genres: list[str]) -> None:
    """Replace a file's genre tag (an empty list removes it), crash-safely.

    See the module notes for the steps. A file with other hard links is
    rewritten in place (after a backup beside it), so every link sees the new
    tag; any other file is replaced by its tagged copy, which first gets the
    original's ``user.*`` extended attributes.

    Parameters
    ----------
    path : str or os.PathLike
        The audio file.
    genres : list of str
        The new genre values.

    Raises
    ------
    TagWriteError
        The file is read-only, its format has no genre tag, or the written
        copy did not read back as expected; the file is then unchanged.
    """
    shown = os.fspath(path)
    # A symbolic link is followed: the song it points to is rewritten, the link stays a link.
    path = os.path.realpath(shown)
    _refuse_unwritable(path)
    recover_interrupted_write(path)
    original, adapter = _open(path)
    import mutagen  # present: _open succeeded
    expected_others = adapter.others(original)
    folder, name = os.path.split(os.path.abspath(path))
    # The writer's pid in the name lets the next run tell a dead writer's leftovers from a live one's.
    prefix = f".{name}.{os.getpid()}."
    handle, copy = tempfile.mkstemp(prefix=prefix, suffix=COPY_SUFFIX, dir=folder)
    os.close(handle)
    backup = None
    try:
        shutil.copyfile(path, copy)
        shutil.copymode(path, copy)
        owner = os.stat(path)
        if hasattr(os, "chown") and (owner.st_uid, owner.st_gid) != (os.stat(copy).st_uid, os.stat(copy).st_gid):
            try:  # keep the file its owner's (possible for root, or for a group the user is in)
                os.chown(copy, owner.st_uid, owner.st_gid)
            except OSError:
                pass
        audio, _ = _open(copy)
        adapter.put(audio, list(genres))
        adapter.save(audio, copy)
        check, _ = _open(copy)
        if adapter.get(check) != list(genres):
            raise TagWriteError(path, f"the genre read back from the written copy was {adapter.get(check)}, "
                                      f"not {list(genres)}; the file was left as it was")
        if adapter.others(check) != expected_others:
            raise TagWriteError(path, "writing the genre would have changed other tags; the file was left as it was")
        with open(copy, "rb+") as stream:
            os.fsync(stream.fileno())
        if owner.st_nlink > 1:
            # Renaming would leave the other links on the old bytes: write in place, with
            # the original's bytes in a backup that recover_interrupted_write puts back
            # should this process die half-way.
            handle, backup = tempfile.mkstemp(prefix=prefix, suffix=BACKUP_SUFFIX, dir=folder)
            os.close(handle)
            shutil.copyfile(path, backup)
            with open(backup, "rb+") as stream:
                os.fsync(stream.fileno())
            _copy_bytes_into(copy, path)
        else:
            _copy_user_xattrs(path, copy)
            os.replace(copy, path)
    except mutagen.MutagenError as error:
        raise TagWriteError(path, f"its tags could not be written ({error}); the file was left as it was") from error
    except OSError as error:
        if backup is not None:  # the in-place write failed part-way: put the original back
            with contextlib.suppress(OSError):
                _copy_bytes_into(backup, path)
        raise TagWriteError(path, f"its tags could not be written ({error.strerror or error}); "
                                  "the file was left as it was") from error
    finally:
        Path(copy).unlink(missing_ok=True)
        if backup is not None:
            Path(backup).unlink(missing_ok=True)


@dataclass
class TagReport:
    """What a tag batch (or its undo) did.

    Attributes
    ----------
    changed : list of TagChange
        Files whose genre tag now differs from before.
    kept : list of str
        Files left alone: they already had a genre and the user chose to keep it
        (or, for an undo, their genre is already the earlier one).
    failures : list of TagWriteError
        Files that could not be changed, each naming the file and the reason.
    journal_error : str or None
        Set when the journal could not be written (full disk, read-only
        folder): the batch stopped there, as a file whose old genre is on no
        record must not be changed. One line, naming the journal.
    undo : bool
        The report of an undo (:func:`undo_last_batch`): its summary says what
        was put back, not what was tagged.
    """

    changed: list[TagChange] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    failures: list[TagWriteError] = field(default_factory=list)
    journal_error: str | None = None
    undo: bool = False

    def summary(self) -> str:
        """One sentence for a status bar or the CLI: ``"2 files tagged"``; an undo's ``"Undo: 2 files given back
        their earlier genre"``."""
        files = f"{len(self.changed)} file{'s' if len(self.changed) != 1 else ''}"
        if self.undo:
            parts = [f"Undo: {files} given back {'its' if len(self.changed) == 1 else 'their'} earlier genre"]
            if self.kept:
                parts.append(f"{len(self.kept)} already had it")
            if self.failures:
                parts.append(f"{len(self.failures)} could not be put back (Undo tags can be tried again)")
            return ", ".join(parts)
        parts = [f"{files} tagged"]
        if self.kept:
            parts.append(f"{len(self.kept)} kept as they were")
        if self.failures:
            parts.append(f"{len(self.failures)} could not be written")
        if self.journal_error:
            parts.append("stopped: the tag journal could not be written, so no further file was tagged")
        return ", ".join(parts)


def write_genres(
    genre_by_path: dict[str, str],
    *,
    keep_existing: bool = False,
    journal: TagJournal | None = None,
    on_file_done: Callable[[str, str | None, str | None], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> TagReport:
    """Write a genre into each file's tags.

    Parameters
    ----------
    genre_by_path : dict
        File to genre name.
    keep_existing : bool
        Leave files that already have a genre tag as they are.
    journal : TagJournal, optional
        Where the previous genres are recorded first, for :func:`undo_last_batch`.
    on_file_done : callable, optional
        Called with ``(path, genre now in its tags, error text)`` after each
        file (the error None on success, the genre None on failure); the
        library uses it to keep its cache and table in step.
    is_cancelled : callable, optional
        Polled between files.

    Returns
    -------
    TagReport
        A read-only or untaggable file is a failure in the report; the others
        are still tagged.
    """
    report = TagReport()
    if journal is not None:
        journal.begin_batch()
    try:
        for path, genre in genre_by_path.items():
            if is_cancelled is not None and is_cancelled():
                break
            path = os.path.abspath(os.fspath(path))  # the journal is read from any folder later
            try:
                previous = tuple(read_genres(path))
                if keep_existing and previous:
                    report.kept.append(path)
                    continue
                if previous == (genre,):
                    report.kept.append(path)
                    continue
                change = TagChange(path, previous, (genre,))
                if journal is not None:
                    try:
                        journal.add(change)
                    except SaveError as error:
                        report.journal_error = str(error)
                        break
                try:
                    set_genres(path, [genre])
                except TagWriteError:
                    if journal is not None:
                        journal.discard_last_change()
                    raise
                report.changed.append(change)
                if on_file_done is not None:
                    on_file_done(path, genre, None)
            except TagWriteError as failure:
                report.failures.append(failure)
                if on_file_done is not None:
                    on_file_done(path, None, failure.reason)
    finally:
        if journal is not None:
            journal.end_batch()
    return report


def undo_last_batch(
    journal: TagJournal, *, on_file_done: Callable[[str, str | None, str | None], None] | None = None
) -> TagReport:
    """Put back the genres the newest batch replaced.

    A file whose genre was changed again since (by another program) is left
    alone and reported as a failure; files that could not be restored stay in
    the journal, so Undo can be tried again.

    Returns
    -------
    TagReport
        ``changed`` holds the restorations (``written`` is what was put back).
    """
    report = TagReport(undo=True)
    if not journal.can_undo:
        return report
    changes = journal.pop_batch()
    left: list[TagChange] = []
    for change in reversed(changes):
        try:
            current = tuple(read_genres(change.path))
            if current == change.previous:
                report.kept.append(change.path)
                continue
            if current != change.written:
                raise TagWriteError(change.path, f"its genre was changed since ({'; '.join(current) or 'none'}); "
                                                 "left as it is")
            set_genres(change.path, list(change.previous))
            report.changed.append(TagChange(change.path, change.written, change.previous))
            if on_file_done is not None:
                on_file_done(change.path, "; ".join(change.previous) or None, None)
        except TagWriteError as failure:
            report.failures.append(failure)
            left.append(change)
            if on_file_done is not None:
                on_file_done(change.path, None, failure.reason)
    if left:
        journal.begin_batch()
        try:
            for change in reversed(left):
                journal.add(change)
        except SaveError as error:
            report.journal_error = str(error)
        journal.end_batch()
    return report
