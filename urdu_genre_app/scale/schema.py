"""The Parquet row of one song, and its Arrow schema.

One row per song, whatever happened to it. The values are those of
``urdu-genre classify --json --windows`` for the same song
(:meth:`~urdu_genre_app.core.results.SongResult.to_dict`, rounded the same
way), so an archive and a JSON run agree to the last digit.

========================  ===============================  ==========================================
column                    type                             meaning
========================  ===============================  ==========================================
path                      string                           the input as listed (absolute local path or URI)
status                    string                           ``ok``, ``silence`` (no music) or ``error``
error                     string, null                     why an ``error`` row has no verdict
genre                     string, null                     the verdict (null for silence and errors)
confidence                double, null                     mean probability of ``genre``
uncertain                 bool, null                       top genre under 60 % or under 20 points ahead
short                     bool, null                       the song was shorter than one window
unknown                   bool, null                       like none of the model's genres (null: no check)
novelty_score             double, null                     > 1: unknown; null without a calibrated model
probabilities             map<string, double>              mean probability per genre
window_count              int32                            windows scored, silent ones included
duration_seconds          double, null                     decoded length
model                     string                           the model's name
model_sha256              string                           :func:`~urdu_genre_app.library.cache.model_checksum`
warnings                  list<string>                     things worth knowing (truncated file, ...)
windows                   list<struct>                     every window: index, start_seconds,
                                                           end_seconds, silent, short, level_dbfs,
                                                           unknown, novelty_score, genre, probabilities
========================  ===============================  ==========================================
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from urdu_genre_app.library.batch import FileOutcome

#: Status of a song that could not be classified (beside SongResult's ``ok`` and ``silence``).
STATUS_ERROR = "error"

_PROBABILITIES = pa.map_(pa.string(), pa.float64())

#: One window of a song (the JSON output's ``windows`` entries).
WINDOW_TYPE = pa.struct([
    ("index", pa.int32()),
    ("start_seconds", pa.float64()),
    ("end_seconds", pa.float64()),
    ("silent", pa.bool_()),
    ("short", pa.bool_()),
    ("level_dbfs", pa.float64()),
    ("unknown", pa.bool_()),
    ("novelty_score", pa.float64()),
    ("genre", pa.string()),
    ("probabilities", _PROBABILITIES),
])

#: The archive's schema (documented in the module docstring and docs/SCALE.md).
SCHEMA = pa.schema([
    ("path", pa.string()),
    ("status", pa.string()),
    ("error", pa.string()),
    ("genre", pa.string()),
    ("confidence", pa.float64()),
    ("uncertain", pa.bool_()),
    ("short", pa.bool_()),
    ("unknown", pa.bool_()),
    ("novelty_score", pa.float64()),
    ("probabilities", _PROBABILITIES),
    ("window_count", pa.int32()),
    ("duration_seconds", pa.float64()),
    ("model", pa.string()),
    ("model_sha256", pa.string()),
    ("warnings", pa.list_(pa.string())),
    ("windows", pa.list_(WINDOW_TYPE)),
])


def outcome_row(outcome: FileOutcome, *, model_name: str, model_sha256: str, path: str | None = None) -> dict[str, Any]:
    """The row of one song.

    Parameters
    ----------
    outcome : FileOutcome
        A verdict, or the reason there is none.
    model_name, model_sha256 : str
        The model that judged it.
    path : str, optional
        The song as listed in the inputs, when ``outcome.path`` is a local copy of it.

    Returns
    -------
    dict
        One value per column of :data:`SCHEMA`; maps as lists of ``(key, value)``.
    """
    row: dict[str, Any] = dict.fromkeys(SCHEMA.names)
    row.update(path=path or outcome.path, model=model_name, model_sha256=model_sha256, warnings=[], windows=[],
               probabilities=[], window_count=0)
    if outcome.result is None:
        row.update(status=STATUS_ERROR, error=outcome.error or "unknown error")
        return row
    data = outcome.result.to_dict(include_windows=True)
    for name in ("status", "genre", "confidence", "uncertain", "short", "unknown", "novelty_score",
                 "duration_seconds", "warnings"):
        row[name] = data[name]
    row["probabilities"] = list(data["probabilities"].items())
    row["windows"] = [{**window, "probabilities": list(window["probabilities"].items())} for window in data["windows"]]
    row["window_count"] = len(row["windows"])
    return row


def rows_to_table(rows: Iterable[dict[str, Any]]) -> pa.Table:
    """Rows of :func:`outcome_row` as a table of :data:`SCHEMA`."""
    return pa.Table.from_pylist(list(rows), schema=SCHEMA)
