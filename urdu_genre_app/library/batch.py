"""Classify many files on every core, with overall progress and cancel.

Songs are spread over a ``concurrent.futures.ProcessPoolExecutor`` (``spawn``
start: safe beside Qt's and the decoder's threads, and the same on every OS),
one process per core. Each worker loads the bundle once, runs LiteRT on one
thread and OpenBLAS on one thread, and decodes in its own background thread
(as :class:`~urdu_genre_app.core.classifier.Classifier` always does), so two
songs' decoding, MFCC and inference overlap on two cores instead of one
song's threads fighting over them.

Workers report each scored window's position in their song through a queue;
overall progress is ``(finished songs + fractions of the songs in hand) /
songs``. Cancelling sets an event every worker polls between windows, so the
songs in hand stop within a window and no queued song starts; finished
songs are still reported. Workers ignore SIGINT (a terminal's Ctrl+C reaches
the whole process group): the calling process decides what it means.

As always with ``spawn``, a script that calls :func:`classify_files` needs an
``if __name__ == "__main__":`` guard, and a frozen app must call
``multiprocessing.freeze_support()`` first. Should the workers fail to start
(a frozen app without that call), the songs are classified in this process.
Should a worker die mid-batch (a crash in a decoder, the out-of-memory
killer), the songs it had started are each tried once more alone, in a pool
of their own: one that kills that worker too becomes an error outcome
(:data:`WORKER_DIED_REASON`), never a crash of the calling process (the app);
the other songs go on in a new pool.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from urdu_genre_app.core.errors import CancelledError, UrduGenreError, failure_reason
from urdu_genre_app.core.results import SongResult

log = logging.getLogger(__name__)

#: Seconds between polls of the cancel flag and the progress queue.
POLL_SECONDS = 0.05
#: Environment each worker starts with: one BLAS thread (the pool is the parallelism).
WORKER_ENVIRONMENT = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
#: The error of a song whose worker process died each time it was classified (this pool's or a Ray actor).
WORKER_DIED_REASON = ("its worker process died each time it was classified (a crash in the decoder, or out of "
                      "memory); no verdict")


@dataclass(frozen=True)
class FileOutcome:
    """One file's outcome: a result, or the reason it has none.

    Exactly one of ``result`` and ``error`` is set. The Library, the CLI and
    :mod:`urdu_genre_app.scale` all receive a batch's files in this form.

    Attributes
    ----------
    path : str
        The file.
    result : SongResult or None
        The verdict, when classified.
    error : str or None
        Why it could not be classified, in words (names no file: ``path`` does).
    """

    path: str
    result: SongResult | None
    error: str | None = None


@dataclass(frozen=True)
class BatchProgress:
    """Where a batch stands.

    Attributes
    ----------
    done : int
        Files finished (classified or failed).
    total : int
        Files in the batch.
    fraction : float
        Overall progress in [0, 1], counting the songs in hand by their windows.
    """

    done: int
    total: int
    fraction: float


@dataclass
class BatchSummary:
    """What :func:`classify_files` did.

    Attributes
    ----------
    outcomes : list of FileOutcome
        Every finished file, in the order they finished.
    cancelled : bool
        True when the batch stopped early because it was asked to.
    seconds : float
        Wall time.
    """

    outcomes: list[FileOutcome] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0


def default_workers() -> int:
    """One worker process per CPU this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


# Per-process state of a worker (set by _start_worker).
_classifier = None
_cancel_event = None
_progress_queue = None
_started_queue = None


def open_classifier(bundle_path: str | os.PathLike, *, interpreter_threads: int):
    """A classifier as a worker runs it: the bundle's LiteRT model on ``interpreter_threads`` threads.

    Every worker of a batch (this pool's, or :mod:`urdu_genre_app.scale`'s
    actors) calls it once and classifies all its songs with the result; with
    one thread each, the workers are the parallelism.
    """
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.core.classifier import Classifier
    from urdu_genre_app.core.inference import LiteRtModel

    bundle = load_bundle(bundle_path, with_keras=False)
    return Classifier(bundle, model=LiteRtModel(bundle, num_threads=interpreter_threads))


def _start_worker(bundle_path: str, cancel_event, progress_queue, started_queue) -> None:
    """Process-pool initializer: load the model once per worker."""
    global _classifier, _cancel_event, _progress_queue, _started_queue
    # A terminal's Ctrl+C reaches every process of its group: the worker would die mid-song and break the
    # pool. The parent decides what Ctrl+C means and stops the workers through ``cancel_event``.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _classifier = open_classifier(bundle_path, interpreter_threads=1)
    _cancel_event, _progress_queue, _started_queue = cancel_event, progress_queue, started_queue


def classify_one(classifier, path: str, is_cancelled=None, report=None) -> FileOutcome:
    """Classify one file into a :class:`FileOutcome`: a bad file is an outcome with an error, never an exception.

    ``is_cancelled`` is polled between windows (:class:`CancelledError` is
    raised through); ``report(path, fraction)`` is told each window's position.
    """
    def on_window(window_report) -> None:
        if report is not None and window_report.progress is not None:
            report(path, window_report.progress)

    try:
        return FileOutcome(path, classifier.classify_file(path, on_window=on_window, is_cancelled=is_cancelled))
    except CancelledError:
        raise
    except Exception as failure:  # one bad file never stops the others
        if not isinstance(failure, UrduGenreError):
            log.debug("unexpected failure on %s", path, exc_info=True)
        return FileOutcome(path, None, failure_reason(failure))


def _worker_task(path: str) -> FileOutcome | None:
    """Classify one file in a worker; None when cancelled."""
    def report(song: str, fraction: float) -> None:
        _progress_queue.put((song, fraction))

    # A SimpleQueue writes to its pipe before put returns (a Queue hands it to a feeder thread that a
    # crash would take with it): if this song kills the process, the parent still knows it had started.
    _started_queue.put(path)
    try:
        return classify_one(_classifier, path, _cancel_event.is_set, report)
    except CancelledError:
        return None


def classify_files(
    paths: Sequence[str | os.PathLike],
    bundle_path: str | os.PathLike,
    *,
    workers: int | None = None,
    on_outcome: Callable[[FileOutcome], None] | None = None,
    on_progress: Callable[[BatchProgress], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    classifier=None,
) -> BatchSummary:
    """Classify files in parallel.

    Parameters
    ----------
    paths : sequence of path
        Audio files.
    bundle_path : str or os.PathLike
        The model bundle (each worker loads it).
    workers : int, optional
        Processes; one per CPU by default. ``1`` classifies in this process.
    on_outcome : callable, optional
        Called (in this thread) with each :class:`FileOutcome` as it finishes.
    on_progress : callable, optional
        Called (in this thread) with a :class:`BatchProgress` whenever it moves.
    is_cancelled : callable, optional
        Polled; when it returns True the batch stops (see the module notes).
    classifier : Classifier, optional
        An open classifier of ``bundle_path`` for the songs classified in
        this process (one worker, one song, or the pool failing), so a caller
        that already loaded the bundle does not load it twice.

    Returns
    -------
    BatchSummary
    """
    started = time.perf_counter()
    paths = [os.fspath(p) for p in paths]
    summary = BatchSummary()
    in_hand: dict[str, float] = {}
    cancelled = is_cancelled or (lambda: False)

    def moved() -> None:
        if on_progress is not None and paths:
            done = len(summary.outcomes)
            fraction = (done + sum(in_hand.values())) / len(paths)
            on_progress(BatchProgress(done, len(paths), min(1.0, fraction)))

    def accept(outcome: FileOutcome) -> None:
        in_hand.pop(outcome.path, None)
        summary.outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)
        moved()

    def report(path: str, fraction: float) -> None:
        in_hand[path] = fraction
        moved()

    def run_here(remaining: list[str]) -> None:
        here = classifier or open_classifier(os.fspath(bundle_path), interpreter_threads=default_workers())
        for path in remaining:
            if cancelled():
                summary.cancelled = True
                return
            try:
                accept(classify_one(here, path, cancelled, report))
            except CancelledError:
                summary.cancelled = True
                return

    workers = default_workers() if workers is None else max(1, int(workers))
    if paths and (workers == 1 or len(paths) == 1):
        run_here(paths)
    elif paths:
        _run_pool(paths, os.fspath(bundle_path), min(workers, len(paths)), accept, report, cancelled,
                  summary, run_here)
    summary.seconds = time.perf_counter() - started
    return summary


@contextlib.contextmanager
def _environment(values: dict[str, str]):
    """Set environment variables for the duration of the block, then put the old values back."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _worker_environment() -> dict[str, str | None]:
    """What a worker sees of :data:`WORKER_ENVIRONMENT` (its first task, run once per worker)."""
    return {name: os.environ.get(name) for name in WORKER_ENVIRONMENT}


def _start_pool(context, workers: int, initargs: tuple) -> concurrent.futures.ProcessPoolExecutor:
    """A pool of ``workers`` processes, every one started with :data:`WORKER_ENVIRONMENT`.

    A ``spawn`` pool starts its processes one per submitted task, not when it is
    made, and a worker reads the environment once, as NumPy loads OpenBLAS: so
    the variables stay set until one probe task per worker has been submitted
    (each submit starts a process, as none can be idle before it has booted).
    Without this the workers ran OpenBLAS's own threads, whose spinning took
    the other worker's core: 4x slower on two cores (measured).
    """
    with _environment(WORKER_ENVIRONMENT):
        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_start_worker, initargs=initargs,
        )
        probes = [pool.submit(_worker_environment) for _ in range(workers)]
    try:
        for probe in concurrent.futures.as_completed(probes):
            seen = probe.result()
            if seen != WORKER_ENVIRONMENT:
                log.warning("a classification worker started with %s instead of %s", seen, WORKER_ENVIRONMENT)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    return pool


def _run_pool(paths, bundle_path, workers, accept, report, cancelled, summary, run_here, *, alone=False) -> None:
    """Classify ``paths`` in a new pool of ``workers`` processes; ``alone``: one suspect song, tried by itself."""
    context = multiprocessing.get_context("spawn")
    cancel_event = context.Event()
    progress_queue = context.Queue()
    started_queue = context.SimpleQueue()
    try:
        pool = _start_pool(context, workers, (bundle_path, cancel_event, progress_queue, started_queue))
    except concurrent.futures.process.BrokenProcessPool as error:
        progress_queue.close()
        if alone:  # a song whose worker died once is never run in the caller's process: it could take it down
            log.warning("no worker could be started to retry %s alone (%s); no verdict for it", paths[0], error)
            accept(FileOutcome(paths[0], None, WORKER_DIED_REASON))
            return
        log.warning("classification workers failed to start (%s); continuing in this process", error)
        run_here(paths)
        return

    started: set[str] = set()

    def drain() -> None:
        while not started_queue.empty():
            started.add(started_queue.get())
        while True:
            try:
                path, fraction = progress_queue.get_nowait()
            except queue.Empty:
                return
            if path in pending_paths:
                report(path, fraction)

    pending_paths = set(paths)
    futures = {}
    broken = None
    try:
        # Inside the try: a worker can die between the start-up probes and the last submit.
        for path in paths:
            futures[pool.submit(_worker_task, path)] = path
        not_done = set(futures)
        while not_done:
            done, not_done = concurrent.futures.wait(
                not_done, timeout=POLL_SECONDS, return_when=concurrent.futures.FIRST_COMPLETED
            )
            drain()
            for future in done:
                if future.cancelled():
                    continue
                outcome = future.result()
                pending_paths.discard(futures[future])
                if outcome is not None:
                    accept(outcome)
            if cancelled() and not summary.cancelled:
                summary.cancelled = True
                cancel_event.set()
                for future in not_done:
                    future.cancel()
    except concurrent.futures.process.BrokenProcessPool as error:
        broken = error
    finally:
        cancel_event.set()
        pool.shutdown(wait=True, cancel_futures=True)
        drain()
        progress_queue.close()
        progress_queue.join_thread()
    if broken is not None and not summary.cancelled:
        _after_a_worker_died(broken, [p for p in paths if p in pending_paths], started, bundle_path, workers,
                             accept, report, cancelled, summary, run_here, alone=alone)


def _after_a_worker_died(error, remaining, started, bundle_path, workers, accept, report, cancelled, summary,
                         run_here, *, alone: bool) -> None:
    """Go on after a worker died: its suspects alone, one pool each; the rest in a new pool.

    ``alone`` says the pool that broke held one suspect by itself: that song is what
    kills its worker. It is passed, not inferred from ``len(remaining) == 1``: a
    many-song pool whose last pending song crashed it also leaves one, and that song
    is owed its retry alone (a crash can be transient). A suspect's pool never
    recurses, and the rest's pool holds fewer songs than the one that broke (the
    suspects are out of it), so this ends.
    """
    if not remaining:  # it died after the last verdict came back: nothing is lost
        return
    if alone:  # tried alone, and its worker died again: the song is what kills it (never run it here)
        log.warning("a classification worker died reading %s; no verdict for it", remaining[0])
        accept(FileOutcome(remaining[0], None, WORKER_DIED_REASON))
        return
    suspects = [path for path in remaining if path in started]
    if not suspects:  # no song had started: the worker died of something else; the songs go on here
        log.warning("classification workers failed (%s); continuing in this process", error)
        run_here(remaining)
        return
    log.warning("a classification worker died (%s); trying %d song(s) it had started alone", error, len(suspects))
    for suspect in suspects:
        if cancelled():
            summary.cancelled = True
            return
        _run_pool([suspect], bundle_path, 1, accept, report, cancelled, summary, run_here, alone=True)
    rest = [path for path in remaining if path not in started]
    if rest and not cancelled():
        _run_pool(rest, bundle_path, min(workers, len(rest)), accept, report, cancelled, summary, run_here)
    elif rest:
        summary.cancelled = True
