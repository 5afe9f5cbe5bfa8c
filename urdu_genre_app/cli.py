"""Command line: ``urdu-genre classify``, ``urdu-genre train`` and the GUI.

``urdu-genre`` alone (or ``urdu-genre gui [FILE]``) opens the app.
Exit status of ``classify``: 0 when every file was classified, 1 when any
failed (one line each on stderr, no traceback), 2 for a usage error or when
no model is available, 130 when interrupted. ``urdu-genre tags undo`` puts
back the genres the newest ``classify --write-tags`` batch replaced.

File names and labels printed as text are escaped for the terminal; in
``--json`` and ``--csv`` output a file name's bytes that are not UTF-8 are
written as ``\\xNN``, so the output is always valid UTF-8
(:mod:`urdu_genre_app.core.safe_text`).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from urdu_genre_app import __version__

log = logging.getLogger("urdu_genre_app.cli")

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def expand_inputs(paths: list[str]) -> Iterator[tuple[str, str | None]]:
    """Files to classify from the command line's paths.

    Folders are walked by :func:`urdu_genre_app.library.scan.walk_audio`
    (regular audio files by extension, in name order). Yields ``(path,
    error)``: ``error`` is set for a path that cannot be used at all
    (missing, not a regular file, a folder without audio files, or a
    subfolder or file the walk skipped), so each is reported and the rest
    are still classified.
    """
    from urdu_genre_app.core.errors import LibraryError
    from urdu_genre_app.library.scan import regular_file_problem, walk_audio

    for raw in paths:
        path = Path(raw)
        try:
            is_folder = path.is_dir()
        except (OSError, ValueError):  # e.g. a path longer than the system allows
            is_folder = False
        if is_folder:
            try:
                scan = walk_audio(path)
            except (LibraryError, OSError) as error:
                yield raw, str(error)
                continue
            if not scan.files and not scan.skipped:
                yield raw, "is a folder with no audio files in it"
            for skipped in scan.skipped:
                yield skipped.path, skipped.reason
            for item in scan.files:
                yield str(item), None
        else:
            yield raw, regular_file_problem(path)


def resolve_model_path(explicit: str | None) -> Path:
    """The bundle to use: ``--model``, else ``$URDU_GENRE_MODEL``, else the bundled one (:mod:`urdu_genre_app.paths`).

    Raises
    ------
    NoModelError
        None of them is named or installed; the message says what to do.
    """
    from urdu_genre_app.core.errors import NoModelError
    from urdu_genre_app.paths import resolve_model_path as resolve

    try:
        return resolve(explicit)
    except NoModelError as error:
        raise NoModelError(f"{error}; train one with 'urdu-genre train DATASET --out model.ugm' "
                           "and pass it with --model") from None


class TerminalProgress:
    """Files done of a ``classify`` run, as a :class:`~urdu_genre_app.core.terminal.ProgressBar` on stderr."""

    def __init__(self, total: int, *, stream=None, enabled: bool | None = None) -> None:
        from urdu_genre_app.core.terminal import ProgressBar

        self.total = total
        self.bar = ProgressBar(stream=stream, enabled=enabled)

    def update(self, done: int, overall: float, name: str, *, final: bool = False) -> None:
        """Redraw: ``done`` files finished, ``overall`` in [0, 1] of the whole run, ``name`` the file in hand."""
        from urdu_genre_app.core.safe_text import terminal_safe

        name = terminal_safe(name)
        label = name if len(name) <= 40 else "…" + name[-39:]
        self.bar.draw(overall, f"{done}/{self.total} {label:<40}", final=final)

    def clear(self) -> None:
        """Erase the bar before normal output."""
        self.bar.clear()


def run_classify(args: argparse.Namespace) -> int:
    """``urdu-genre classify``: print verdicts, one failure line per bad file."""
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.core.classifier import Classifier
    from urdu_genre_app.core.errors import UrduGenreError
    from urdu_genre_app.core.results import results_to_csv
    from urdu_genre_app.core.safe_text import terminal_safe
    from urdu_genre_app.library.batch import classify_files
    from urdu_genre_app.scale import command as archive

    if archive.wanted(args):  # --parquet OUT [--ray [ADDRESS]] [--workers N]: one row per song, docs/SCALE.md
        return archive.run_parquet(args)
    try:
        # Classifying needs only the LiteRT model, not the Keras half of the file.
        bundle = load_bundle(resolve_model_path(args.model), with_keras=False)
        classifier = Classifier(bundle)
    except UrduGenreError as error:
        print(f"urdu-genre: error: {terminal_safe(error)}", file=sys.stderr)
        return EXIT_USAGE
    if bundle.is_synthetic and not args.quiet:
        print(f"note: model {terminal_safe(bundle.describe())}", file=sys.stderr)
    inputs = list(expand_inputs(args.paths))
    files = [path for path, error in inputs if error is None]
    progress = TerminalProgress(len(files))
    results, failures = [], 0
    finished: dict[str, list] = {}  # outcomes not printed yet, by path (a path given twice comes twice)
    shown = 0

    def show_in_order() -> None:
        """Print every input whose turn has come: verdicts and failures in the order they were given."""
        nonlocal shown, failures
        while shown < len(inputs):
            path, error = inputs[shown]
            if error is None:
                if not finished.get(path):
                    return
                outcome = finished[path].pop(0)
                error = outcome.error
                if outcome.result is not None:
                    results.append(outcome.result)
                    if args.format == "text":
                        progress.clear()
                        _print_text(outcome.result, args.windows)
            if error is not None:
                failures += 1
                progress.clear()
                print(f"urdu-genre: cannot classify {terminal_safe(path)}: {terminal_safe(error)}", file=sys.stderr)
            shown += 1

    def on_outcome(outcome) -> None:
        finished.setdefault(outcome.path, []).append(outcome)
        show_in_order()

    def on_progress(moved) -> None:
        name = files[min(moved.done, len(files) - 1)] if files else ""
        progress.update(moved.done, moved.fraction, name)

    show_in_order()  # inputs that failed before any file was classified
    # The Library's batch runner, so a file meets the same rules here and in the app; one
    # worker by default (this process, with the classifier loaded above): output in order.
    classify_files(files, bundle.path, workers=getattr(args, "workers", None) or 1, on_outcome=on_outcome,
                   on_progress=on_progress, classifier=classifier)
    show_in_order()
    progress.update(len(files), 1.0, "done", final=True)
    progress.clear()
    if args.write_tags:
        from urdu_genre_app.library.cli_tags import write_verdict_tags

        failures += write_verdict_tags(results, keep_existing=args.keep_existing,
                                       include_doubtful=args.include_doubtful, quiet=args.quiet)
    if args.format == "json":
        payload = [r.to_dict(include_windows=args.windows) for r in results]
        json.dump(payload, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif args.format == "csv":
        sys.stdout.write(results_to_csv(results, include_windows=args.windows))
    return EXIT_FAILURES if failures else EXIT_OK


def _print_text(result, windows: bool) -> None:
    from urdu_genre_app.core.clock import clock
    from urdu_genre_app.core.results import unknown_verdict_text
    from urdu_genre_app.core.safe_text import terminal_safe

    # File names and a bundle's labels come from outside: escaped, they can neither
    # drive the terminal nor forge a line of output.
    print(f"{terminal_safe(result.path)}\t{terminal_safe(result.verdict_text())}")
    for warning in result.warnings:
        print(f"  warning: {terminal_safe(warning)}")
    if windows:
        for w in result.windows:
            if w.silent:
                verdict = "silence"
            else:
                top = w.top_index()
                verdict = f"{result.labels[top]} ({w.probabilities[top]:.0%})"
                if w.unknown:
                    verdict = unknown_verdict_text(result.labels, result.labels[top], w.probabilities[top])
            print(f"  {clock(w.start_seconds)}-{clock(w.end_seconds)}  {terminal_safe(verdict)}")


def run_gui(args: argparse.Namespace) -> int:
    """Open the desktop app."""
    from urdu_genre_app.gui.app import run_app

    return run_app(files=args.files, model=args.model)


def _configure_training_command(command: argparse.ArgumentParser, configure: str) -> None:
    """Give ``command`` its arguments from ``training.cli.<configure>``, or make it say training is not installed.

    Without training, any arguments at all get the "not installed" message, not an argparse error.
    """
    from urdu_genre_app.capabilities import training_unavailable_reason

    missing = training_unavailable_reason()
    if missing is None:
        try:  # import_module, not "from training import cli": it honours sys.modules as a lite build does
            training_cli = importlib.import_module("training.cli")
        except ImportError as error:  # the package is there but does not import (a broken install)
            missing = f"training is not installed here ({error})"
    if missing is not None:
        command.add_argument("ignored", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        command.set_defaults(handler=lambda _args, why=missing: _missing_training(why))
    else:
        getattr(training_cli, configure)(command)


def build_parser(*, with_train_arguments: bool = True) -> argparse.ArgumentParser:
    """The ``urdu-genre`` argument parser.

    ``with_train_arguments=False`` leaves ``train``'s own options out, so a
    ``classify`` run does not pay for importing the training package.
    """
    parser = argparse.ArgumentParser(
        prog="urdu-genre",
        description="Tell the genre of an Urdu song (Ghazal, Qawwali, Hip-hop, Rock).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command")

    classify = sub.add_parser("classify", help="classify audio files or folders")
    classify.add_argument("paths", nargs="+", metavar="PATH", help="audio files or folders (searched recursively)")
    output = classify.add_mutually_exclusive_group()
    output.add_argument("--json", dest="format", action="store_const", const="json", help="print JSON")
    output.add_argument("--csv", dest="format", action="store_const", const="csv", help="print CSV")
    classify.add_argument("--windows", action="store_true", help="include every 30 s window's result")
    classify.add_argument("--model", metavar="BUNDLE", help="model bundle (.ugm) to use instead of the bundled one")
    classify.add_argument("-q", "--quiet", action="store_true", help="no notes on stderr")
    classify.add_argument("--write-tags", action="store_true",
                          help="write each verdict into the file's genre tag (off by default; journaled)")
    classify.add_argument("--keep-existing", action="store_true",
                          help="with --write-tags: leave files that already have a genre tag as they are")
    classify.add_argument("--include-doubtful", action="store_true",
                          help="with --write-tags: also write doubtful verdicts (not a known genre, or uncertain) "
                               "as their nearest genre; by default those files are skipped")
    from urdu_genre_app.scale.command import add_arguments as add_archive_arguments

    add_archive_arguments(classify)
    classify.set_defaults(format="text", handler=run_classify)

    train = sub.add_parser("train", help="train a model on a folder of labeled songs")
    if with_train_arguments:
        _configure_training_command(train, "configure_train_parser")

    tags = sub.add_parser("tags", help="genre tags written with classify --write-tags")
    tags_sub = tags.add_subparsers(dest="tags_command", required=True)
    undo = tags_sub.add_parser("undo", help="put back the genres the newest --write-tags batch replaced")
    undo.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
    undo.set_defaults(handler=run_tags_undo)

    calibrate = sub.add_parser("calibrate", help="fit a model's not-a-genre check on labelled songs")
    if with_train_arguments:
        _configure_training_command(calibrate, "configure_calibrate_parser")

    gui = sub.add_parser("gui", help="open the desktop app (the default)")
    gui.add_argument("files", nargs="*", help="files to open")
    gui.add_argument("--model", metavar="BUNDLE", help="model bundle to load")
    gui.set_defaults(handler=run_gui)

    self_test = sub.add_parser("self-test", help="check that this installation works (one line per check)")
    self_test.set_defaults(handler=run_self_test)
    return parser


#: Sub-command names; any other first argument that is not an option is a file to open in the app.
COMMANDS = ("classify", "train", "calibrate", "tags", "gui", "self-test")


def run_tags_undo(args: argparse.Namespace) -> int:
    """``urdu-genre tags undo``: restore the genres of the newest command-line tag batch."""
    from urdu_genre_app.library.cli_tags import undo_last_tags

    failures = undo_last_tags(quiet=args.quiet)
    if failures is None:
        return EXIT_USAGE
    return EXIT_FAILURES if failures else EXIT_OK


def run_self_test(_args: argparse.Namespace) -> int:
    """``urdu-genre self-test``: model, sample verdict, window, audio, training."""
    from urdu_genre_app.selftest import run_self_test as run

    return run()


def _open_files_in_gui(argv: list[str]) -> list[str]:
    """``urdu-genre FILE...`` (a file manager's "Open with") means ``urdu-genre gui FILE...``."""
    first = next((index for index, arg in enumerate(argv) if not arg.startswith("-")), None)
    if first is None or argv[first] in COMMANDS:
        return argv
    return [*argv[:first], "gui", *argv[first:]]


def _missing_training(why: str) -> int:
    print(f"urdu-genre: error: {why}", file=sys.stderr)
    return EXIT_USAGE


#: Environment set before NumPy loads: OpenBLAS on one thread (see main()).
SINGLE_THREADED_BLAS = {"OPENBLAS_NUM_THREADS": "1"}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``urdu-genre`` command."""
    # The app runs its own parallel work (a decoder thread beside scoring,
    # extraction processes); OpenBLAS's threads only compete with it. Set once
    # before NumPy loads: changing it later from threads was seen not to take
    # (OpenBLAS 0.3.30/0.3.31 in a long-lived GUI process), which let features
    # computed here differ in rounding from the extraction workers'.
    for name, value in SINGLE_THREADED_BLAS.items():
        os.environ.setdefault(name, value)
    argv = _open_files_in_gui(sys.argv[1:] if argv is None else argv)
    parser = build_parser(with_train_arguments=bool({"train", "calibrate", "-h", "--help"} & set(argv)))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.ERROR,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        args = parser.parse_args(["gui", *argv])
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("\nurdu-genre: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
