"""What to classify: files, folders, glob patterns and lists of paths, local or in object storage.

An input is

* an audio file (by extension, as everywhere in the app);
* a folder, searched recursively for audio files (hidden ones left out, as the Library does);
* a glob pattern (``songs/*/*.mp3``, ``s3://bucket/radio/**/*.mp3``);
* a list of paths: a text file (``.txt``, ``.lst``, ``.list``, ``.m3u``; one a line, ``#`` starts a
  comment; relative lines are relative to the list) or a Parquet file with a ``path`` column.

Local paths are made absolute; anything with a scheme (``s3://``, ``gs://``,
``hdfs://``) is read through pyarrow's filesystems and kept as the URI;
``file://`` URIs become local paths.
"""

from __future__ import annotations

import fnmatch
import glob
import os
from collections.abc import Iterable, Iterator
from urllib.parse import unquote, urlparse

from urdu_genre_app.core.audio_io import is_audio_path

#: Extensions of a text list of paths.
LIST_EXTENSIONS = (".txt", ".lst", ".list", ".m3u", ".m3u8")
#: How deep lists may name other lists.
MAX_LIST_DEPTH = 4


def is_uri(path: str) -> bool:
    """True for ``scheme://...`` (not a Windows drive letter)."""
    scheme = urlparse(path).scheme
    return len(scheme) > 1 and "://" in path


def _local(path: str) -> str:
    if path.startswith("file://"):
        return unquote(urlparse(path).path)
    return path


def _is_hidden(path: str) -> bool:
    return any(part.startswith(".") for part in path.replace("\\", "/").split("/") if part not in ("", ".", ".."))


def expand_inputs(inputs: Iterable[str]) -> list[tuple[str, str | None]]:
    """Songs named by ``inputs``, in order, each once.

    Parameters
    ----------
    inputs : iterable of str
        Files, folders, glob patterns, lists of paths; local or URIs.

    Returns
    -------
    list of (str, str or None)
        ``(path, error)``: ``error`` says why an input names no song at all
        (missing, an empty folder, a pattern that matches nothing, an unreadable list).
    """
    seen: set[str] = set()
    found: list[tuple[str, str | None]] = []
    for raw in inputs:
        for path, error in _expand(os.fspath(raw), depth=0):
            if path not in seen:
                seen.add(path)
                found.append((path, error))
    return found


def _expand(raw: str, depth: int) -> Iterator[tuple[str, str | None]]:
    raw = _local(raw)
    if is_uri(raw):
        yield from _expand_remote(raw, depth)
        return
    path = os.path.abspath(os.path.expanduser(raw))
    if glob.has_magic(raw):
        matches = sorted(m for m in glob.glob(path, recursive=True) if os.path.isfile(m) and is_audio_path(m))
        if not matches:
            yield raw, "the pattern matches no audio file"
        yield from ((m, None) for m in matches)
    elif os.path.isdir(path):
        from urdu_genre_app.library.scan import scan_folder

        songs = scan_folder(path)
        if not songs:
            yield raw, "is a folder with no audio files in it"
        yield from ((str(song), None) for song in songs)
    elif not os.path.exists(path):
        yield raw, "no such file or folder"
    elif _is_list(path):
        yield from _expand_list(path, depth, lambda: open(path, "rb").read(), os.path.dirname(path))
    else:
        yield path, None


def _is_list(path: str) -> bool:
    return path.lower().endswith(LIST_EXTENSIONS + (".parquet",))


def _expand_remote(uri: str, depth: int) -> Iterator[tuple[str, str | None]]:
    import pyarrow.fs as pafs

    try:
        filesystem, path = pafs.FileSystem.from_uri(uri)
    except Exception as error:  # noqa: BLE001 - an unknown scheme or bad bucket name is the input's error
        yield uri, f"cannot be opened ({error})"
        return
    # s3://bucket/key -> "bucket/key", hdfs://host:port/key -> "/key": what precedes the path is kept.
    prefix = uri[: len(uri) - len(path)] if uri.endswith(path) else uri.split("://", 1)[0] + "://"

    def to_uri(listed: str) -> str:
        return prefix + listed
    try:
        if glob.has_magic(path):
            base = path[: min(path.find(c) for c in "*?[" if c in path)].rsplit("/", 1)[0]
            entries = filesystem.get_file_info(pafs.FileSelector(base, recursive=True))
            matches = sorted(e.path for e in entries if e.is_file and fnmatch.fnmatch(e.path, path)
                             and is_audio_path(e.path))
            if not matches:
                yield uri, "the pattern matches no audio file"
            yield from ((to_uri(m), None) for m in matches)
            return
        info = filesystem.get_file_info(path)
        if info.type == pafs.FileType.Directory:
            entries = filesystem.get_file_info(pafs.FileSelector(path, recursive=True))
            songs = sorted(e.path for e in entries if e.is_file and is_audio_path(e.path)
                           and not _is_hidden(e.path[len(path):]))
            if not songs:
                yield uri, "is a folder with no audio files in it"
            yield from ((to_uri(song), None) for song in songs)
        elif info.type == pafs.FileType.NotFound:
            yield uri, "no such file or folder"
        elif _is_list(path):
            def read() -> bytes:
                with filesystem.open_input_file(path) as handle:
                    return handle.read()

            yield from _expand_list(path, depth, read, to_uri(path.rsplit("/", 1)[0]))
        else:
            yield uri, None
    except OSError as error:
        yield uri, f"cannot be listed ({error})"


def _expand_list(path: str, depth: int, read, folder: str) -> Iterator[tuple[str, str | None]]:
    """The songs a list file names (text or Parquet), relative entries taken from ``folder``."""
    if depth >= MAX_LIST_DEPTH:
        yield path, f"lists nest deeper than {MAX_LIST_DEPTH} levels"
        return
    try:
        data = read()
        if path.lower().endswith(".parquet"):
            import io

            import pyarrow.parquet as pq

            table = pq.read_table(io.BytesIO(data))
            if "path" not in table.column_names:
                yield path, "is a Parquet file without a 'path' column"
                return
            entries = [p for p in table.column("path").to_pylist() if p]
        else:
            lines = data.decode("utf-8-sig").splitlines()
            entries = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    except (OSError, UnicodeDecodeError, ValueError) as error:
        yield path, f"cannot be read as a list of paths ({error})"
        return
    for entry in entries:
        absolute = entry if is_uri(entry) or os.path.isabs(_local(entry)) else (
            f"{folder.rstrip('/')}/{entry}" if is_uri(folder) else os.path.join(folder, entry))
        yield from _expand(absolute, depth + 1)
