"""A library: the songs below one folder, their verdicts, corrections and tags.

The one object the Library tab and the CLI drive. It keeps its data in its
own folder (by default under the app's data folder, one per library root,
never inside the music folder):

``results.sqlite3``
    the results cache (:mod:`~urdu_genre_app.library.cache`);
``corrections.csv``
    the confirmed genres, a ``path,genre`` manifest for ``urdu-genre train``;
``tag_journal.json``
    what each tag batch replaced, for Undo.

It is not thread-safe as a whole: the GUI runs :meth:`classify_pending` and
:meth:`write_tags` in one worker at a time and updates its table from what
they report.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from urdu_genre_app.core.bundle import ModelBundle
from urdu_genre_app.core.errors import LibraryError
from urdu_genre_app.core.results import STATUS_SILENCE, SongResult
from urdu_genre_app.library.batch import BatchProgress, BatchSummary, FileOutcome, classify_files
from urdu_genre_app.library.cache import ResultsCache, model_checksum
from urdu_genre_app.library.corrections import CorrectionsManifest
from urdu_genre_app.library.scan import SkippedPath, walk_audio
from urdu_genre_app.library.tag_policy import SKIP_UNKNOWN, TagPlan, plan_tags
from urdu_genre_app.library.tags import TagJournal, TagReport, read_genre, undo_last_batch, write_genres

log = logging.getLogger(__name__)

STATUS_PENDING = "pending"
STATUS_FAILED = "failed"


def library_data_dir(root: str | os.PathLike) -> Path:
    """Where a library's own files live: ``<app data>/libraries/<folder name>-<hash of its path>``.

    The app data folder is :func:`urdu_genre_app.paths.libraries_dir`'s, the one owner of per-user
    folders, so a library's cache, corrections and journal follow the folder's migration.
    """
    from urdu_genre_app.paths import libraries_dir

    root = Path(root).expanduser().resolve()
    slug = re.sub(r"[^\w-]+", "_", root.name)[:40] or "root"
    digest = hashlib.sha256(str(root).encode("utf-8")).hexdigest()[:12]
    return libraries_dir() / f"{slug}-{digest}"


def genre_key(name: str) -> str:
    """A genre name compared loosely: ``"Hip Hop"``, ``"hip-hop"`` and ``"HipHop"`` agree."""
    return re.sub(r"[^0-9a-z]+", "", name.casefold())


def genre_for_key(text: str, labels: Sequence[str]) -> str | None:
    """The genre a key press names: ``"1"``.. for the n-th label, or a label's initial.

    Parameters
    ----------
    text : str
        The key's text (one character).
    labels : sequence of str
        Genre names in model order.

    Returns
    -------
    str or None
        The genre, or None when the key names none (or an initial is shared).
    """
    if len(text) != 1:
        return None
    if text.isdigit():
        number = int(text)
        return labels[number - 1] if 1 <= number <= len(labels) else None
    matches = [label for label in labels if label[:1].casefold() == text.casefold()]
    return matches[0] if len(matches) == 1 else None


@dataclass
class LibraryEntry:
    """One song of the library, as its table row shows it.

    Attributes
    ----------
    path : str
        Absolute path of the file.
    result : SongResult or None
        The verdict, once classified (or found in the cache).
    error : str or None
        Why it could not be classified.
    tag_genre : str or None
        The genre already in the file's tags.
    confirmed : str or None
        The genre the user confirmed.
    from_cache : bool
        The result came from the cache.
    """

    path: str
    result: SongResult | None = None
    error: str | None = None
    tag_genre: str | None = None
    confirmed: str | None = None
    from_cache: bool = False

    @property
    def status(self) -> str:
        """``"pending"``, ``"failed"``, ``"ok"`` or ``"silence"``."""
        if self.result is not None:
            return self.result.status
        return STATUS_FAILED if self.error else STATUS_PENDING

    @property
    def verdict(self) -> str | None:
        """The model's genre, or None (pending, failed, silence)."""
        return self.result.genre if self.result is not None else None

    @property
    def confidence(self) -> float | None:
        """Mean probability of the verdict, or None."""
        return self.result.confidence if self.result is not None and self.verdict else None

    @property
    def duration_seconds(self) -> float | None:
        """Decoded length, once classified."""
        return self.result.duration_seconds if self.result is not None else None

    @property
    def flags(self) -> list[str]:
        """Short words for what to watch: uncertain, short, silence, unknown genre."""
        result = self.result
        if result is None:
            return []
        flags = []
        if result.status == STATUS_SILENCE:
            flags.append("silence")
        if result.uncertain:
            flags.append("uncertain")
        if result.short:
            flags.append("short")
        if result.unknown:  # the bundle's novelty check says: like none of its genres
            flags.append(SKIP_UNKNOWN)  # "not a known genre": the words tag skips use too
        return flags

    @property
    def disagrees_with_tag(self) -> bool:
        """The verdict and the file's genre tag name different genres."""
        return bool(self.verdict and self.tag_genre and genre_key(self.verdict) != genre_key(self.tag_genre))

    @property
    def needs_review(self) -> bool:
        """Unconfirmed, and uncertain, like no genre the model knows, or disagreeing with the file's tag."""
        if self.confirmed or self.result is None:
            return False
        return self.result.uncertain or bool(self.result.unknown) or self.disagrees_with_tag


class Library:
    """The songs below ``root``, classified with one model.

    Parameters
    ----------
    root : str or os.PathLike
        The library folder.
    bundle : ModelBundle
        The model; it must have been loaded from (or saved to) a file, which
        the worker processes load.
    data_dir : str or os.PathLike, optional
        Where the library keeps its files; :func:`library_data_dir` by default.

    Raises
    ------
    LibraryError
        ``root`` is not a folder, or the data folder cannot be used.
    """

    def __init__(self, root: str | os.PathLike, bundle: ModelBundle, *, data_dir: str | os.PathLike | None = None
                 ) -> None:
        self.root = Path(root).expanduser().resolve()
        if not self.root.is_dir():
            raise LibraryError(f"{self.root}: {'is not a folder' if self.root.exists() else 'no such folder'}")
        self.data_dir = Path(data_dir) if data_dir is not None else library_data_dir(self.root)
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise LibraryError(f"{self.data_dir}: the library's data folder cannot be made ({error})") from error
        self.cache = ResultsCache(self.data_dir / "results.sqlite3")
        self.corrections = CorrectionsManifest(self.data_dir / "corrections.csv")
        self.journal = TagJournal(self.data_dir / "tag_journal.json")
        self.entries: dict[str, LibraryEntry] = {}
        #: What the last :meth:`refresh` could not take (FIFOs, unreadable folders, ...), each with its reason.
        self.skipped: list[SkippedPath] = []
        self.bundle = bundle
        self.model_sha256 = model_checksum(bundle)

    @property
    def notices(self) -> list[str]:
        """Sentences to show the user once: a damaged cache or journal set aside and rebuilt, a locked cache."""
        return [notice for notice in (self.cache.notice, self.journal.notice) if notice]

    @property
    def labels(self) -> list[str]:
        """The model's genres, in order."""
        return list(self.bundle.labels)

    @property
    def manifest_path(self) -> Path:
        """The corrections manifest (``urdu-genre train`` reads it)."""
        return self.corrections.path

    def close(self) -> None:
        """Close the results cache."""
        self.cache.close()

    def refresh(self, *, read_tags: bool = True) -> list[LibraryEntry]:
        """Scan the folder and fill every entry the cache knows (no classifying).

        Parameters
        ----------
        read_tags : bool
            Also read each file's genre tag.

        Returns
        -------
        list of LibraryEntry
            Every audio file below the root, in path order.
        """
        entries = {}
        scan = walk_audio(self.root)
        self.skipped = scan.skipped
        for skipped in scan.skipped:
            log.warning("library: skipped %s: %s", skipped.path, skipped.reason)
        for path in map(str, scan.files):
            entry = LibraryEntry(path, confirmed=self.corrections.get(path))
            cached = self.cache.lookup(path, self.model_sha256)
            if cached is not None:
                entry.result, entry.from_cache = cached, True
            if read_tags:
                entry.tag_genre = read_genre(path)
            entries[path] = entry
        self.entries = entries
        return list(entries.values())

    def set_model(self, bundle: ModelBundle) -> None:
        """Judge with another model: entries it has cached verdicts for keep them, the rest become pending."""
        self.bundle, self.model_sha256 = bundle, model_checksum(bundle)
        for entry in self.entries.values():
            cached = self.cache.lookup(entry.path, self.model_sha256)
            entry.result, entry.error, entry.from_cache = cached, None, cached is not None

    def pending(self) -> list[str]:
        """Files without a verdict yet (failed ones are tried again)."""
        return [path for path, entry in self.entries.items() if entry.result is None]

    def classify_pending(
        self,
        *,
        workers: int | None = None,
        on_entry: Callable[[LibraryEntry], None] | None = None,
        on_progress: Callable[[BatchProgress], None] | None = None,
        is_cancelled: Callable[[], bool] | None = None,
        paths: Iterable[str] | None = None,
    ) -> BatchSummary:
        """Classify the pending files on every core; each verdict is cached as it arrives.

        Parameters
        ----------
        workers : int, optional
            Processes (one per CPU by default).
        on_entry : callable, optional
            Called with each updated :class:`LibraryEntry` (from this thread).
        on_progress : callable, optional
            Called with a :class:`~urdu_genre_app.library.batch.BatchProgress`.
        is_cancelled : callable, optional
            Stops the batch when it returns True; finished files keep their verdicts.
        paths : iterable of str, optional
            Classify these instead of every pending file.

        Returns
        -------
        BatchSummary
        """
        if self.bundle.path is None:
            raise LibraryError("the model was never saved to a file, so the workers cannot load it")
        todo = list(paths) if paths is not None else self.pending()

        def accept(outcome: FileOutcome) -> None:
            entry = self.entries.setdefault(outcome.path, LibraryEntry(outcome.path))
            entry.result, entry.error, entry.from_cache = outcome.result, outcome.error, False
            if outcome.result is not None:
                try:
                    self.cache.store(outcome.path, self.model_sha256, outcome.result)
                except OSError as error:  # e.g. the file vanished meanwhile: the verdict still shows
                    log.warning("cannot cache the verdict for %s (%s)", outcome.path, error)
            if on_entry is not None:
                on_entry(entry)

        return classify_files(todo, self.bundle.path, workers=workers, on_outcome=accept,
                              on_progress=on_progress, is_cancelled=is_cancelled)

    def confirm(self, paths: Iterable[str], genre: str | None) -> list[LibraryEntry]:
        """Set (or, with None, clear) the confirmed genre of files; saved to the manifest at once."""
        paths = [os.fspath(p) for p in paths]
        self.corrections.set_many({path: genre for path in paths})
        changed = []
        for path in paths:
            entry = self.entries.setdefault(path, LibraryEntry(path))
            entry.confirmed = genre or None
            changed.append(entry)
        return changed

    def tag_plan(self, paths: Iterable[str] | None = None, *, include_doubtful: bool = False) -> TagPlan:
        """What tagging would write, and what it skips and why (:mod:`~urdu_genre_app.library.tag_policy`).

        The confirmed genre, else a verdict the model is sure of; doubtful
        verdicts only with ``include_doubtful``.
        """
        chosen = self.entries if paths is None else {p: self.entries[p] for p in paths if p in self.entries}
        return plan_tags(((path, entry.result, entry.confirmed) for path, entry in chosen.items()),
                         include_doubtful=include_doubtful)

    def write_tags(
        self,
        paths: Iterable[str] | None = None,
        *,
        keep_existing: bool = False,
        include_doubtful: bool = False,
        on_entry: Callable[[LibraryEntry], None] | None = None,
        is_cancelled: Callable[[], bool] | None = None,
    ) -> TagReport:
        """Write the genres of :meth:`tag_plan` into the files' tags (journaled, so :meth:`undo_tags` can revert it).

        The verdicts in the cache follow each file to its new content (tags
        changed, audio did not), so a tagged file is not classified again.
        """
        plan = self.tag_plan(paths, include_doubtful=include_doubtful)
        return write_genres(plan.genres, keep_existing=keep_existing, journal=self.journal,
                            on_file_done=self._tag_follower(on_entry), is_cancelled=is_cancelled)

    def undo_tags(self, *, on_entry: Callable[[LibraryEntry], None] | None = None) -> TagReport:
        """Restore the genre tags the last :meth:`write_tags` replaced."""
        return undo_last_batch(self.journal, on_file_done=self._tag_follower(on_entry))

    def _tag_follower(self, on_entry):
        """A callback for the tag writer that keeps cache, entries and table in step."""
        before: dict[str, str] = {}
        for path in self.entries:
            try:
                before[path] = self.cache.fingerprint(path).content_sha256
            except OSError:
                pass

        def follow(path: str, genre_now: str | None, error: str | None) -> None:
            entry = self.entries.get(path)
            if error is None:
                if path in before:
                    self.cache.carry_over(before[path], path)
                if entry is not None:
                    entry.tag_genre = genre_now
            if entry is not None and on_entry is not None:
                on_entry(entry)

        return follow
