"""The output folder: Parquet part files written as songs finish, and what they already hold.

``OUT`` is a folder (a Parquet dataset: pandas, DuckDB, Spark and pyarrow read
it whole). Each run appends its own part files, ``part-<run>-<n>.parquet``,
and never rewrites another's. A part file is written under a hidden name
(a leading dot, which every Parquet reader skips) and renamed when closed, so
the folder is always readable: a run stopped with Ctrl+C closes its file and
keeps every song it finished; a run killed outright loses only the songs of
its open part file (at most :data:`ROWS_PER_FILE`). Within a file, a row
group is written every :data:`ROWS_PER_GROUP` songs or
:data:`FLUSH_SECONDS`, whichever comes first.

``OUT`` may be a local folder or any URI pyarrow's filesystems write
(``s3://bucket/prefix``, ``gs://...``).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from typing import Any

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from urdu_genre_app.scale.errors import ScaleError
from urdu_genre_app.scale.schema import SCHEMA, rows_to_table

log = logging.getLogger(__name__)

#: Songs per row group (about 1 MB of rows with their windows; readers skip whole groups).
ROWS_PER_GROUP = 256
#: Seconds after which buffered rows are written anyway, so a slow run keeps its work.
FLUSH_SECONDS = 30.0
#: Songs per part file: the most a run killed outright (no Ctrl+C) can lose.
ROWS_PER_FILE = 20_000


def output_filesystem(out: str) -> tuple[pafs.FileSystem, str]:
    """The filesystem and path of ``out`` (a local folder or a URI)."""
    try:
        return pafs.FileSystem.from_uri(out)
    except (pa.ArrowInvalid, ValueError):  # a plain local path, relative or not
        return pafs.LocalFileSystem(), os.path.abspath(out)


def done_paths(out: str, model_sha256: str) -> set[str]:
    """Songs ``out`` already holds a row for, judged by the model with this checksum.

    Parameters
    ----------
    out : str
        The output folder (may not exist yet).
    model_sha256 : str
        :func:`~urdu_genre_app.library.cache.model_checksum` of the model.

    Returns
    -------
    set of str
        Their ``path`` values (errors included: a file that failed fails again).

    Raises
    ------
    ScaleError
        ``out`` exists but is not a folder of this schema's Parquet files.
    """
    filesystem, root = output_filesystem(out)
    info = filesystem.get_file_info(root)
    if info.type == pafs.FileType.NotFound:
        return set()
    if info.type != pafs.FileType.Directory:
        raise ScaleError(f"{out}: is not a folder (the Parquet output is a folder of part files)")
    try:
        dataset = pads.dataset(root, filesystem=filesystem, format="parquet", schema=SCHEMA)
        table = dataset.to_table(columns=["path"], filter=pads.field("model_sha256") == model_sha256)
    except (pa.ArrowInvalid, OSError) as error:
        raise ScaleError(f"{out}: cannot be read as this app's Parquet output ({error})") from None
    return set(table.column("path").to_pylist())


class PartWriter:
    """Appends rows to ``out`` as part files; use as a context manager.

    Parameters
    ----------
    out : str
        The output folder or URI (made when missing).
    rows_per_group, rows_per_file : int
        See :data:`ROWS_PER_GROUP` and :data:`ROWS_PER_FILE`.
    flush_seconds : float
        See :data:`FLUSH_SECONDS`.

    Attributes
    ----------
    written : int
        Rows in closed row groups so far.
    files : list of str
        Part files finished (closed and renamed) so far.
    """

    def __init__(self, out: str, *, rows_per_group: int = ROWS_PER_GROUP, rows_per_file: int = ROWS_PER_FILE,
                 flush_seconds: float = FLUSH_SECONDS) -> None:
        self.filesystem, self.root = output_filesystem(out)
        self.out = out
        try:
            self.filesystem.create_dir(self.root, recursive=True)
        except OSError as error:
            raise ScaleError(f"{out}: cannot make the output folder ({error})") from None
        self.rows_per_group, self.rows_per_file, self.flush_seconds = rows_per_group, rows_per_file, flush_seconds
        self.run = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        self.written = 0
        self.files: list[str] = []
        self._buffer: list[dict[str, Any]] = []
        self._writer: pq.ParquetWriter | None = None
        self._hidden = self._final = ""
        self._in_file = 0
        self._last_flush = time.monotonic()

    def __enter__(self) -> PartWriter:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def add(self, row: dict[str, Any]) -> None:
        """Buffer one row of :data:`~urdu_genre_app.scale.schema.SCHEMA`; write a row group when due."""
        self._buffer.append(row)
        if len(self._buffer) >= self.rows_per_group or time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Write the buffered rows as a row group (starting or rolling part files as needed)."""
        self._last_flush = time.monotonic()
        while self._buffer:
            if self._writer is None:
                self._open_part()
            room = self.rows_per_file - self._in_file
            rows, self._buffer = self._buffer[:room], self._buffer[room:]
            self._writer.write_table(rows_to_table(rows))
            self._in_file += len(rows)
            self.written += len(rows)
            if self._in_file >= self.rows_per_file:
                self._close_part()

    def close(self) -> None:
        """Write what is buffered and close the open part file under its final name."""
        try:
            self.flush()
        finally:
            self._close_part()

    def _open_part(self) -> None:
        name = f"part-{self.run}-{len(self.files):05d}.parquet"
        self._final = f"{self.root}/{name}"
        self._hidden = f"{self.root}/.{name}.partial"
        self._writer = pq.ParquetWriter(self._hidden, SCHEMA, filesystem=self.filesystem, compression="zstd")
        self._in_file = 0

    def _close_part(self) -> None:
        if self._writer is None:
            return
        writer, self._writer = self._writer, None
        writer.close()
        self.filesystem.move(self._hidden, self._final)
        self.files.append(self._final)
        log.debug("wrote %s (%d songs)", self._final, self._in_file)
