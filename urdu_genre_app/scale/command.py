"""``urdu-genre classify PATH... --parquet OUT [--ray [ADDRESS]] [--workers N]``: the command line's side.

A progress bar on a terminal (songs done, songs a second, failures); the
first Ctrl+C stops cleanly, keeping every row written (the Ray run or the
pool stops, the open part file is closed), a second one stops at once.
Exit status as ``urdu-genre classify``'s: 0, 1 when any song failed, 2 for
a usage error (the ``[scale]`` extra missing included), 130 when stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading

from urdu_genre_app.core.errors import UrduGenreError
from urdu_genre_app.scale.run import LOCAL, ScaleProgress, classify_to_parquet

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILURES, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class ParquetProgress:
    """``[#####.....] 120/200 songs  3.1 songs/s  2 failed`` on stderr, when it is a terminal."""

    def __init__(self, *, stream=None, enabled: bool | None = None) -> None:
        from urdu_genre_app.core.terminal import ProgressBar

        self.bar = ProgressBar(stream=stream, enabled=enabled)

    def update(self, progress: ScaleProgress) -> None:
        """Redraw for ``progress``."""
        text = (f"{progress.done}/{progress.total} songs  {progress.songs_per_second:.2f} songs/s  "
                f"{progress.failed} failed")
        self.bar.draw(progress.done / max(1, progress.total), text, final=progress.done == progress.total)

    def clear(self) -> None:
        """Erase the bar before normal output."""
        self.bar.clear()


@contextlib.contextmanager
def _first_interrupt_cancels(event: threading.Event):
    """While inside: the first SIGINT sets ``event``, the next raises KeyboardInterrupt as usual."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if event.is_set():
            raise KeyboardInterrupt
        event.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _quiet_ray() -> None:
    """Keep Ray's own notes (start-up, token set-up, its executor's lines) off the terminal; -v shows them."""
    try:
        import ray  # noqa: F401  (Ray sets its loggers' levels as it loads; ours go after)
    except ImportError:
        return  # classify_to_parquet says how to install it
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)


def run_parquet(args: argparse.Namespace) -> int:
    """Run ``classify`` with ``--parquet``: rows into ``args.parquet``, a summary line on stderr."""
    problem = usage_problem(args)
    if problem is not None:
        print(f"urdu-genre: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if args.ray is not None and not args.verbose:
        _quiet_ray()
    progress = ParquetProgress()
    stop = threading.Event()
    try:
        with _first_interrupt_cancels(stop):
            summary = classify_to_parquet(
                args.paths, args.parquet, model=args.model, address=args.ray, workers=args.workers,
                resume=not args.no_resume, on_progress=progress.update, is_cancelled=stop.is_set,
            )
    except KeyboardInterrupt:
        progress.clear()
        print(f"\nurdu-genre: interrupted; the songs finished are in {args.parquet}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except UrduGenreError as error:
        progress.clear()
        print(f"urdu-genre: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    progress.clear()
    if not args.quiet:
        engine = "Ray" if summary.engine == "ray" else "process pool"
        print(f"urdu-genre: {summary.written} songs written to {args.parquet} ({summary.failed} failed, "
              f"{summary.skipped} already there) by {summary.workers} {engine} workers in "
              f"{summary.startup_seconds + summary.classify_seconds:.1f} s", file=sys.stderr)
    if summary.cancelled:
        print(f"urdu-genre: stopped; the songs finished are in {args.parquet}", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_FAILURES if summary.failed else EXIT_OK


def add_arguments(classify: argparse.ArgumentParser) -> None:
    """``classify``'s archive options (kept here so the CLI names them in one call)."""
    archive = classify.add_argument_group("archive scale (needs the [scale] extra; docs/SCALE.md)")
    archive.add_argument("--parquet", metavar="OUT",
                         help="write one row per song into this folder of Parquet files (local or a URI)")
    archive.add_argument("--ray", nargs="?", const=LOCAL, metavar="ADDRESS",
                         help="with --parquet: run on Ray, on this machine or the cluster at ADDRESS")
    archive.add_argument("--workers", type=int, metavar="N", help="with --parquet: parallel workers (default: one per CPU)")
    archive.add_argument("--no-resume", action="store_true",
                         help="with --parquet: classify songs OUT already holds for this model again")


def wanted(args: argparse.Namespace) -> bool:
    """True when ``classify`` was given any archive option (so :func:`run_parquet` handles it)."""
    return args.parquet is not None or args.ray is not None or args.workers is not None or args.no_resume


def usage_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the archive options, in one line; None when they can run."""
    if args.parquet is None:
        return "--ray, --workers and --no-resume go with --parquet OUT"
    if args.format != "text" or args.windows or args.write_tags:
        return "--parquet writes every column already; it does not go with --json, --csv, --windows or --write-tags"
    if args.workers is not None and args.workers < 1:
        return "--workers must be at least 1"
    return None
