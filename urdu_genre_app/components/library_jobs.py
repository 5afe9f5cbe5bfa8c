"""The Library tab's jobs: each runs on a worker thread through ``run_task`` and reports back.

They are plain functions (Qt-free): ``report`` (given by
:func:`~urdu_genre_app.gui.workers.run_task`) carries ``("entry", LibraryEntry)``
and ``("progress", BatchProgress)`` events to the GUI thread, and ``token``
(the task's cancel token) answers "cancelled?" when called.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from urdu_genre_app.library.export import export_entries


def open_job(root: str, bundle, data_root: Path | None):
    """Open the library at ``root`` and fill it from its cache; its data under ``data_root`` when given."""
    from urdu_genre_app.library.library import Library, library_data_dir

    data_dir = str(data_root / library_data_dir(root).name) if data_root is not None else None
    library = Library(root, bundle, data_dir=data_dir)
    library.refresh()
    return library


def set_model_job(library, bundle):
    """Judge with another model: cached verdicts for it are kept, the rest become pending."""
    library.set_model(bundle)
    return library


def classify_job(library, token: Callable[[], bool], workers: int | None, report):
    """Classify the pending songs on ``workers`` processes until done or cancelled."""
    return library.classify_pending(
        workers=workers,
        on_entry=lambda entry: report(("entry", entry)),
        on_progress=lambda progress: report(("progress", progress)),
        is_cancelled=token,
    )


@dataclass(frozen=True)
class TagOutcome:
    """A tag write: what the writer did (a TagReport), and the plan it followed (what was skipped and why)."""

    report: Any
    plan: Any


def write_tags_job(library, paths: list[str], keep_existing: bool, report) -> TagOutcome:
    """Write genre tags (journaled): confirmed genres, and verdicts the model is sure of (library/tag_policy.py)."""
    plan = library.tag_plan(paths)
    written = library.write_tags(list(plan.genres), keep_existing=keep_existing,
                                 on_entry=lambda entry: report(("entry", entry)))
    return TagOutcome(written, plan)


def undo_tags_job(library, report):
    """Undo the last tag batch."""
    return library.undo_tags(on_entry=lambda entry: report(("entry", entry)))


def save_corrections_job(library, genre_by_path: dict[str, str | None]) -> None:
    """Save confirmed genres to the manifest."""
    library.corrections.set_many(genre_by_path)


def export_job(library, entries, path: str) -> str:
    """Write rows as CSV or JSON (the library's labels name the probability columns)."""
    export_entries(entries, path, library.labels)
    return path
