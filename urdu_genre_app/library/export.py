"""The library table as CSV or JSON (written atomically)."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from urdu_genre_app.core.atomic import atomic_write

if TYPE_CHECKING:
    from urdu_genre_app.library.library import LibraryEntry

#: Columns of the CSV, in order (the JSON objects carry the same keys, with
#: ``probabilities`` as one object instead of a column per genre). ``unknown`` and
#: ``novelty_score`` are the CLI's (``classify --csv``): empty where the model has no
#: not-a-genre check; with ``unknown`` true, ``verdict`` is only the nearest genre.
EXPORT_COLUMNS = (
    "path", "duration_seconds", "status", "verdict", "confidence", "uncertain", "short", "silence",
    "unknown", "novelty_score", "tag_genre", "confirmed_genre", "needs_review", "error",
)


def entry_to_record(entry: LibraryEntry) -> dict[str, Any]:
    """One table row as plain values."""
    result = entry.result
    return {
        "path": entry.path,
        "duration_seconds": round(entry.duration_seconds, 3) if entry.duration_seconds is not None else None,
        "status": entry.status,
        "verdict": entry.verdict,
        "confidence": round(entry.confidence, 6) if entry.confidence is not None else None,
        "uncertain": bool(result is not None and result.uncertain),
        "short": bool(result is not None and result.short),
        "silence": entry.status == "silence",
        "unknown": result.unknown if result is not None else None,
        "novelty_score": round(float(result.novelty), 4) if result is not None and result.novelty is not None else None,
        "tag_genre": entry.tag_genre,
        "confirmed_genre": entry.confirmed,
        "needs_review": entry.needs_review,
        "error": entry.error,
        "probabilities": {k: round(v, 6) for k, v in result.probabilities.items()} if result is not None else {},
    }


def entries_to_json(entries: Sequence[LibraryEntry]) -> str:
    """JSON text: a list of row objects."""
    return json.dumps([entry_to_record(e) for e in entries], indent=2, ensure_ascii=False) + "\n"


def entries_to_csv(entries: Sequence[LibraryEntry], labels: Sequence[str] = ()) -> str:
    """CSV text: :data:`EXPORT_COLUMNS`, then one probability column per label."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*EXPORT_COLUMNS, *labels])
    for entry in entries:
        record = entry_to_record(entry)
        cells = ["" if record[c] is None else record[c] for c in EXPORT_COLUMNS]
        probabilities = record["probabilities"]
        writer.writerow([*cells, *(f"{probabilities[label]:.6f}" if label in probabilities else ""
                                   for label in labels)])
    return out.getvalue()


def export_entries(entries: Sequence[LibraryEntry], path: str | os.PathLike, labels: Sequence[str] = ()) -> None:
    """Write the table to ``path``: JSON when it ends in ``.json``, else CSV."""
    text = entries_to_json(entries) if os.fspath(path).lower().endswith(".json") else entries_to_csv(entries, labels)
    with atomic_write(path) as stream:
        stream.write(text.encode("utf-8"))
