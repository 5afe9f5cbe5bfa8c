"""``classify_to_parquet``: list the songs, skip those already done, classify the rest, write rows as they finish."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from urdu_genre_app.scale.errors import ScaleError, require

#: ``address`` that starts a Ray cluster on this machine (or uses the one this process is connected to).
LOCAL = "local"


@dataclass(frozen=True)
class ScaleProgress:
    """Where a run stands.

    Attributes
    ----------
    done : int
        Songs finished in this run (classified or failed).
    total : int
        Songs this run is classifying (those skipped by ``resume`` not counted).
    failed : int
        Error rows among ``done``.
    seconds : float
        Since classifying began (after listing, resume and start-up).
    """

    done: int
    total: int
    failed: int
    seconds: float

    @property
    def songs_per_second(self) -> float:
        """Throughput so far (0 before the first song)."""
        return self.done / self.seconds if self.seconds > 0 else 0.0


@dataclass
class ScaleSummary:
    """What :func:`classify_to_parquet` did.

    Attributes
    ----------
    listed : int
        Songs (and unusable inputs) the inputs named.
    skipped : int
        Songs ``out`` already held for this model (``resume``).
    written : int
        Rows this run wrote.
    failed : int
        Error rows among them.
    cancelled : bool
        Stopped early (Ctrl+C or ``is_cancelled``); the rows written are kept.
    engine : str
        ``"ray"`` or ``"pool"``.
    workers : int
        Parallel workers (actors or processes).
    startup_seconds, classify_seconds : float
        Listing, resume check and connecting; then classifying and writing.
    files : list of str
        Part files this run wrote.
    """

    listed: int = 0
    skipped: int = 0
    written: int = 0
    failed: int = 0
    cancelled: bool = False
    engine: str = "pool"
    workers: int = 0
    startup_seconds: float = 0.0
    classify_seconds: float = 0.0
    files: list[str] = field(default_factory=list)


def classify_to_parquet(
    inputs: Iterable[str | os.PathLike],
    out: str | os.PathLike,
    *,
    model: str | os.PathLike | None = None,
    address: str | None = None,
    workers: int | None = None,
    resume: bool = True,
    on_progress: Callable[[ScaleProgress], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> ScaleSummary:
    """Classify every song the inputs name into a folder of Parquet files, one row per song.

    Parameters
    ----------
    inputs : iterable of str or os.PathLike
        Files, folders, glob patterns, or lists of paths (text or Parquet), local
        or URIs (:mod:`urdu_genre_app.scale.inputs`).
    out : str or os.PathLike
        Output folder or URI; each run adds part files (:mod:`urdu_genre_app.scale.archive`).
    model : str or os.PathLike, optional
        Model bundle; by default the one ``urdu-genre classify`` uses.
    address : str, optional
        None: this machine's process pool (local files only). ``"local"``: a
        Ray cluster started on this machine (or the one this process has
        joined). Anything else: the address of a Ray cluster (``"auto"``,
        ``"ray://head:10001"``).
    workers : int, optional
        Processes or actors; by default one per CPU (of the cluster, with Ray).
    resume : bool
        Skip songs ``out`` already holds a row for, judged by the same model
        (same :func:`~urdu_genre_app.library.cache.model_checksum`).
    on_progress : callable, optional
        Called with a :class:`ScaleProgress` after each song.
    is_cancelled : callable, optional
        Polled between songs; when True the run stops, keeping what it wrote.

    Returns
    -------
    ScaleSummary

    Raises
    ------
    ScaleExtraMissing
        pyarrow (or, with ``address``, Ray) is not installed.
    ScaleError
        ``out`` cannot be used, or no Ray cluster answers at ``address``.
    ModelBundleError, NoModelError
        The model cannot be loaded.
    """
    started = time.perf_counter()
    require("pyarrow", "--parquet")
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.library.batch import FileOutcome, default_workers
    from urdu_genre_app.library.cache import model_checksum
    from urdu_genre_app.paths import resolve_model_path
    from urdu_genre_app.scale import archive
    from urdu_genre_app.scale.inputs import expand_inputs, is_uri
    from urdu_genre_app.scale.schema import STATUS_ERROR, outcome_row

    if address is not None:
        from urdu_genre_app.scale import ray_engine

        ray_engine.check_installed()
    bundle_path = os.fspath(resolve_model_path(model))
    bundle = load_bundle(bundle_path, with_keras=False)
    checksum = model_checksum(bundle)
    out = os.fspath(out)
    summary = ScaleSummary(engine="pool" if address is None else "ray")
    listed = expand_inputs([os.fspath(item) for item in inputs])
    summary.listed = len(listed)
    done = archive.done_paths(out, checksum) if resume else set()
    todo = [(path, error) for path, error in listed if path not in done]
    summary.skipped = len(listed) - len(todo)
    cancelled = is_cancelled or (lambda: False)

    with archive.PartWriter(out) as writer:
        clock = {"start": time.perf_counter()}

        def accept(row: dict) -> None:
            writer.add(row)
            summary.written += 1
            summary.failed += row["status"] == STATUS_ERROR
            if on_progress is not None:
                on_progress(ScaleProgress(summary.written, len(todo), summary.failed,
                                          time.perf_counter() - clock["start"]))

        def accept_outcome(outcome: FileOutcome) -> None:
            accept(outcome_row(outcome, model_name=bundle.display_name, model_sha256=checksum))

        songs = []
        for path, error in todo:  # inputs that name no song are rows too, written first
            if error is None and address is None and is_uri(path):
                error = "a URI is read only by a Ray run (--ray); the process pool reads local files"
            if error is None:
                songs.append(path)
            else:
                accept_outcome(FileOutcome(path, None, error))
        try:
            if address is None:
                summary.workers = min(workers or default_workers(), max(1, len(songs)))
                clock["start"] = time.perf_counter()
                summary.startup_seconds = clock["start"] - started
                summary.cancelled = _run_pool(songs, bundle_path, summary.workers, accept_outcome, cancelled)
            else:
                summary.cancelled, lost = _run_ray(songs, bundle_path, checksum, address, workers, accept,
                                                   cancelled, summary, clock, started)
                for path in lost:
                    accept_outcome(FileOutcome(path, None, ray_engine.LOST_REASON))
        except KeyboardInterrupt:
            summary.cancelled = True
            raise
        finally:
            writer.close()
            summary.files = list(writer.files)
            summary.classify_seconds = time.perf_counter() - clock["start"]
    return summary


def _run_pool(songs: Sequence[str], bundle_path: str, workers: int, accept_outcome, cancelled) -> bool:
    from urdu_genre_app.library.batch import classify_files

    if not songs:
        return False
    return classify_files(songs, bundle_path, workers=workers, on_outcome=accept_outcome,
                          is_cancelled=cancelled).cancelled


def _run_ray(songs, bundle_path, checksum, address, workers, accept, cancelled, summary, clock,
             started) -> tuple[bool, list[str]]:
    from urdu_genre_app.scale import ray_engine

    joined = ray_engine.connect(address, workers)
    try:
        summary.workers = workers or ray_engine.cluster_workers()
        clock["start"] = time.perf_counter()
        summary.startup_seconds = clock["start"] - started
        if not songs:
            return False, []

        def on_rows(rows: list[dict]) -> None:
            for row in rows:
                accept(row)

        return ray_engine.run(songs, bundle_path, checksum, workers=min(summary.workers, len(songs)),
                              on_rows=on_rows, is_cancelled=cancelled)
    finally:
        if joined:
            ray_engine.disconnect()


__all__ = ["LOCAL", "ScaleError", "ScaleProgress", "ScaleSummary", "classify_to_parquet"]
