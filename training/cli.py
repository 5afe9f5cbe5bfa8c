"""``urdu-genre train``: train a model on a folder of labeled songs and write a bundle.

Usage::

    urdu-genre train DATASET --out BUNDLE.ugm [--model auto|bn_cnn|gap_cnn|vgg16|logreg|xgboost|musicnn|all]
        [--epochs N] [--windows-per-song N] [--seed S] [--split song|window-paper-leaky]
        [--workers N] [--cache DIR | --no-cache] [--compare] [--augment-copies K] [--spec-augment]
        [--small-folder SONGS]
        [--paper-recipe] [--init-from BUNDLE.ugm [--freeze none|conv|backbone]] ...

``DATASET`` is a folder with one sub-folder per genre, or a ``.csv`` manifest
of ``path,genre`` rows. Progress is drawn on stderr when it is a terminal;
epoch lines and notes go to stderr, the dataset table and the comparison to
stdout. The first Ctrl-C stops fitting after the current batch and keeps (and
exports) the best model so far; a second one aborts.

Without ``--model`` (``auto``) the folder decides once it is scanned
(:func:`training.families.default_family_for`): musicnn for a small folder,
where it measured best from a few real songs, the BN-CNN otherwise; one log
line says which and why. ``--init-from`` without ``--model`` fine-tunes the
bundle's own family.

Exit status: 0 done; 1 the run failed (one line on stderr, no traceback);
2 bad usage, an unusable dataset, ``--out`` with a model that cannot be
exported (XGBoost is evaluated only), or an ``--out`` that cannot be written
(a folder, a read-only place, a full disk, or an existing file that is not a
bundle without ``--force``), checked before training. 130 when aborted.

This module imports no TensorFlow: it is loaded by every ``urdu-genre``
command, and TensorFlow takes ~5 s to import. It is imported inside
:func:`run_train` (through :mod:`training.pipeline`).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import shlex
import signal
import sys
from pathlib import Path

from training.observer import EpochEnded, LogLine, NullObserver, StageProgress

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

#: ``--model`` value that trains every family (the paper's Table III).
ALL_MODELS = "all"


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be 0 or more")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} must be positive")
    return value


def _skip(text: str) -> tuple[str, float]:
    genre, sep, seconds = text.partition("=")
    try:
        value = float(seconds)
    except ValueError:
        value = -1.0
    if not sep or not genre or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must look like GENRE=SECONDS, e.g. Rock=20")
    return genre, value


def configure_train_parser(parser: argparse.ArgumentParser) -> None:
    """Add ``train``'s arguments to ``parser`` and make :func:`run_train` its handler.

    Defaults are read from the dataclasses a run is configured with
    (:class:`~training.fit.FitConfig`, :class:`~training.extract.ExtractionConfig`,
    :class:`~urdu_genre_app.core.features.FeatureParams`), never restated here.
    """
    from training.extract import ExtractionConfig
    from training.families import AUTO_FAMILY, DEFAULT_FAMILY, FEW_SONGS_FAMILY, REGISTRY
    from training.finetune import DEFAULT_FREEZE, FREEZE_CHOICES
    from training.fit import FitConfig
    from training.split import SMALL_FOLDER_SONGS, SPLIT_MODES, SPLIT_SONG
    from urdu_genre_app.core.features import FeatureParams

    fit, extraction, features = FitConfig(), ExtractionConfig(), FeatureParams()
    paper = FitConfig.paper()
    parser.description = "Train a genre model on labeled songs and write a model bundle (.ugm)."
    parser.add_argument("dataset", metavar="DATASET", help="folder with one sub-folder per genre, or a .csv manifest")
    parser.add_argument("--out", metavar="BUNDLE", help="model bundle to write (.ugm); without it, evaluate only")
    parser.add_argument("--force", action="store_true",
                        help="with --out: replace an existing file even if it is not a model bundle")
    parser.add_argument("--model", choices=(*REGISTRY.names(), AUTO_FAMILY, ALL_MODELS), default=AUTO_FAMILY,
                        help=f"model family (default {AUTO_FAMILY}: {FEW_SONGS_FAMILY} for a small folder, where "
                             f"it learns best, else {DEFAULT_FAMILY}; one log line says which and why; "
                             f"'{ALL_MODELS}' trains every family)")
    parser.add_argument("--compare", action="store_true",
                        help="train every model family on the same split and print a Table III comparison")
    parser.add_argument("--epochs", type=_positive_int, default=fit.epochs, help=f"most epochs (default {fit.epochs})")
    parser.add_argument("--windows-per-song", type=_positive_int, default=extraction.windows_per_song,
                        help=f"random windows per song (default {extraction.windows_per_song})")
    parser.add_argument("--seed", type=int, default=0, help="seed of windows, split, augmentation and weights")
    parser.add_argument("--split", choices=SPLIT_MODES, default=SPLIT_SONG,
                        help=f"{SPLIT_SONG} (default) or the paper's leaky window split")
    parser.add_argument("--small-folder", type=_non_negative_int, default=SMALL_FOLDER_SONGS, metavar="SONGS",
                        help=f"with a song split, a folder with fewer songs than this in a genre trains on every "
                             f"song and estimates its accuracy by k-fold cross-validation by song (default "
                             f"{SMALL_FOLDER_SONGS}; 0: always hold songs out, 60/20/20)")
    parser.add_argument("--workers", type=_positive_int, default=None, help="extraction processes (default: CPU cores)")
    cache = parser.add_mutually_exclusive_group()
    cache.add_argument("--cache", metavar="DIR", help="feature cache folder (default: the user cache folder)")
    cache.add_argument("--no-cache", action="store_true", help="do not read or write the feature cache")
    recipe = parser.add_argument_group("fitting")
    recipe.add_argument("--batch-size", type=_positive_int, default=fit.batch_size,
                        help=f"windows per step (default {fit.batch_size})")
    recipe.add_argument("--learning-rate", type=_positive_float, default=None,
                        help=f"Adam's peak learning rate (default {fit.learning_rate:g}; "
                             f"{paper.learning_rate:g} with --paper-recipe)")
    recipe.add_argument("--patience", type=_non_negative_int, default=fit.patience,
                        help="stop after this many epochs without a better validation score (0: never)")
    recipe.add_argument("--paper-recipe", action="store_true",
                        help=f"the paper's recipe: Adam {paper.learning_rate:g}, constant rate, every epoch, "
                             "Keras BatchNorm defaults")
    augment = parser.add_argument_group("augmentation")
    augment.add_argument("--augment-copies", type=_non_negative_int, default=0,
                         help="perturbed copies of each training window (gain, EQ, filters, noise, tempo, reverb, MP3)")
    augment.add_argument("--spec-augment", action="store_true", help="SpecAugment masks and c0 offsets while fitting")
    augment.add_argument("--intro-skip", type=_skip, action="append", metavar="GENRE=SECONDS",
                         help="seconds skipped at the start of a genre's songs (repeatable; defaults "
                              + " ".join(f"{genre.title()}={seconds:g}"
                                         for genre, seconds in extraction.intro_skip_seconds.items())
                              + f", others {extraction.default_intro_skip_seconds:g})")
    augment.add_argument("--window-seconds", type=_positive_float, default=features.window_seconds,
                         help=f"window length in seconds (default {features.window_seconds:g}, the paper's)")
    warm = parser.add_argument_group("fine-tuning")
    warm.add_argument("--init-from", metavar="BUNDLE",
                      help="fine-tune this bundle's model (its genres, features and normalisation) instead of "
                           "training a new one; genres it lacks get a new output layer")
    warm.add_argument("--freeze", choices=FREEZE_CHOICES, default=DEFAULT_FREEZE,
                      help=f"with --init-from: what stays fixed (default {DEFAULT_FREEZE}; see training.finetune)")
    family = parser.add_argument_group("musicnn")
    family.add_argument("--musicnn-patches", type=_positive_int, default=None, metavar="N",
                        help="3 s patches a musicnn window pools, evenly spread (default: the family's; fewer is "
                             "faster to classify with)")
    family.add_argument("--musicnn-unfreeze-last-block", action="store_true",
                        help="after fitting the head, also fine-tune the backbone's last convolution block on the "
                             "log-mel windows (slow: the backbone runs every epoch)")
    about = parser.add_argument_group("about the model")
    about.add_argument("--vgg-weights", metavar="FILE", help="local VGG-16 'no top' weights file (nothing is downloaded)")
    about.add_argument("--synthetic", action="store_true", help="mark the bundle as trained on synthetic audio")
    about.add_argument("--name", default="", help="model name shown to users")
    about.add_argument("-q", "--quiet", action="store_true", help="no progress or epoch lines on stderr")
    parser.set_defaults(handler=run_train)


class TerminalObserver(NullObserver):
    """Training observer for a terminal: a redrawn progress line (tty only), epoch and log lines.

    Parameters
    ----------
    stream : text stream
        Where to write (stderr).
    quiet : bool
        Write nothing.
    """

    def __init__(self, *, stream=None, quiet: bool = False) -> None:
        from urdu_genre_app.core.terminal import ProgressBar

        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.live = not quiet and self.stream.isatty()
        self.cancel_requested = False
        self.bar = ProgressBar(stream=self.stream, enabled=self.live)

    def _clear(self) -> None:
        self.bar.clear()

    def on_stage(self, progress: StageProgress) -> None:
        """Redraw the progress line (at most 20 times a second)."""
        fraction = progress.done / progress.total if progress.total else 1.0
        self.bar.draw(fraction, f"{progress.done}/{progress.total}   ", prefix=f"{progress.stage:<8} ",
                      final=progress.done >= progress.total)

    def on_epoch(self, ended: EpochEnded) -> None:
        """One line per epoch."""
        logs = ended.logs
        self._print(
            f"epoch {ended.epoch}: loss {logs['loss']:.4f} acc {logs['accuracy']:.3f}  "
            f"val_loss {logs['val_loss']:.4f} val_acc {logs['val_accuracy']:.3f}  "
            f"({logs['windows_per_second']:.1f} windows/s, {logs['seconds']:.0f} s)"
        )

    def on_log(self, line: LogLine) -> None:
        """One line of news from the run."""
        self._print(line.message)

    def note(self, message: str) -> None:
        """One line of news from the command itself."""
        self._print(message)

    def _print(self, line: str) -> None:
        if self.quiet:
            return
        self._clear()
        self.stream.write(line + "\n")
        self.stream.flush()

    def is_cancelled(self) -> bool:
        """True after the first Ctrl-C."""
        return self.cancel_requested

    def is_aborted(self) -> bool:
        """Never: a second Ctrl-C aborts by raising KeyboardInterrupt in the run."""
        return False


def command_line(args: argparse.Namespace) -> str:
    """The effective ``urdu-genre train`` command of ``args`` (stored as provenance)."""
    from training.split import SMALL_FOLDER_SONGS
    from urdu_genre_app.core.features import FeatureParams

    parts = ["urdu-genre", "train", args.dataset]
    if args.out:
        parts += ["--out", args.out]
    parts += ["--model", args.model, "--epochs", str(args.epochs), "--windows-per-song", str(args.windows_per_song),
              "--seed", str(args.seed), "--split", args.split, "--batch-size", str(args.batch_size),
              "--patience", str(args.patience)]
    if args.small_folder != SMALL_FOLDER_SONGS:
        parts += ["--small-folder", str(args.small_folder)]
    if args.compare:
        parts.append("--compare")
    if args.learning_rate is not None:
        parts += ["--learning-rate", repr(args.learning_rate)]
    if args.paper_recipe:
        parts.append("--paper-recipe")
    if args.augment_copies:
        parts += ["--augment-copies", str(args.augment_copies)]
    if args.spec_augment:
        parts.append("--spec-augment")
    for genre, seconds in args.intro_skip or []:
        parts += ["--intro-skip", f"{genre}={seconds:g}"]
    if args.window_seconds != FeatureParams().window_seconds:
        parts += ["--window-seconds", f"{args.window_seconds:g}"]
    if getattr(args, "musicnn_patches", None):
        parts += ["--musicnn-patches", str(args.musicnn_patches)]
    if getattr(args, "musicnn_unfreeze_last_block", False):
        parts.append("--musicnn-unfreeze-last-block")
    if args.vgg_weights:
        parts += ["--vgg-weights", args.vgg_weights]
    if args.synthetic:
        parts.append("--synthetic")
    if args.name:
        parts += ["--name", args.name]
    if getattr(args, "init_from", None):
        parts += ["--init-from", args.init_from, "--freeze", args.freeze]
    return shlex.join(parts)


def config_from_args(args: argparse.Namespace):
    """Build a :class:`training.pipeline.TrainingConfig` from parsed arguments."""
    from training.augment import SpecAugmentConfig, WaveAugmentConfig
    from training.extract import DEFAULT_INTRO_SKIP_SECONDS, ExtractionConfig
    from training.families import REGISTRY
    from training.finetune import DEFAULT_FREEZE
    from training.fit import DEFAULT_LEARNING_RATE, FitConfig
    from training.pipeline import TrainingConfig
    from urdu_genre_app.core.features import FeatureParams
    from urdu_genre_app.paths import feature_cache_dir

    models = (tuple(f.name for f in REGISTRY if f.trains_from_folder) if args.compare or args.model == ALL_MODELS
              else (args.model,))
    skips = dict(DEFAULT_INTRO_SKIP_SECONDS)
    for genre, seconds in args.intro_skip or []:
        skips[genre] = seconds
    if args.paper_recipe:
        fit = FitConfig.paper(epochs=args.epochs, seed=args.seed)
        fit = dataclasses.replace(fit, batch_size=args.batch_size, learning_rate=args.learning_rate or fit.learning_rate)
    else:
        fit = FitConfig(
            epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate or DEFAULT_LEARNING_RATE,
            patience=args.patience or None, seed=args.seed,
        )
    if args.spec_augment:
        fit = dataclasses.replace(fit, spec_augment=SpecAugmentConfig(enabled=True))
    if getattr(args, "init_from", None):
        from training.finetune import finetune_fit

        fit = finetune_fit(fit, learning_rate=args.learning_rate)
    if args.no_cache:
        cache = None
    else:
        cache = Path(args.cache) if args.cache else feature_cache_dir()
    return TrainingConfig(
        dataset=args.dataset,
        out=args.out,
        models=tuple(models),
        feature_params=FeatureParams(window_seconds=args.window_seconds),
        extraction=ExtractionConfig(
            windows_per_song=args.windows_per_song, intro_skip_seconds=skips, seed=args.seed,
            augment=WaveAugmentConfig(copies=args.augment_copies),
        ),
        fit=fit,
        split=args.split,
        seed=args.seed,
        workers=args.workers,
        cache_dir=cache,
        vgg_weights=args.vgg_weights,
        trained_on="synthetic" if args.synthetic else "user",
        name=args.name,
        command=command_line(args),
        init_from=getattr(args, "init_from", None),
        freeze=getattr(args, "freeze", DEFAULT_FREEZE),
        musicnn_patches=getattr(args, "musicnn_patches", None),
        musicnn_unfreeze_last_block=getattr(args, "musicnn_unfreeze_last_block", False),
        small_folder_songs=args.small_folder,
    )


def _error(message: str) -> None:
    print(f"urdu-genre: error: {message}", file=sys.stderr)


def run_train(args: argparse.Namespace) -> int:
    """``urdu-genre train``: run :func:`training.pipeline.run_training` and print its report."""
    from urdu_genre_app.core.errors import CancelledError, FeatureParameterError, UrduGenreError
    from training.errors import DatasetError, TrainingConfigError

    # TensorFlow's C++ start-up chatter is noise on a terminal (-v keeps it).
    if not getattr(args, "verbose", False):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    observer = TerminalObserver(quiet=args.quiet)
    try:
        config = config_from_args(args)
        config.validate()
    except (TrainingConfigError, FeatureParameterError) as error:
        _error(str(error))
        return EXIT_USAGE
    if args.out:
        # Checked before training, so no run ends with a model that cannot be saved,
        # and a file that is not a bundle is never replaced silently.
        from urdu_genre_app.core.bundle import bundle_destination_problem

        problem = bundle_destination_problem(args.out, force=getattr(args, "force", False))
        if problem is not None:
            _error(f"--out {args.out}: {problem}")
            return EXIT_USAGE
    if args.out and len(config.models) > 1:
        from training.families import REGISTRY

        for name in config.models:
            if not REGISTRY.get(name).exportable:
                observer.note(f"note: {name} is evaluated only; it cannot be written as a bundle")

    def on_interrupt(signum, frame) -> None:
        if observer.cancel_requested:
            raise KeyboardInterrupt
        observer.cancel_requested = True
        observer.note("stopping after this batch; keeping the best model so far (Ctrl-C again to abort)")

    previous = None
    try:
        previous = signal.signal(signal.SIGINT, on_interrupt)
    except ValueError:  # not the main thread: no handler, Ctrl-C aborts
        previous = None
    try:
        from training.pipeline import run_training

        report = run_training(config, observer)
    except (DatasetError, TrainingConfigError) as error:
        observer._clear()
        _error(str(error))
        return EXIT_USAGE
    except CancelledError as error:
        observer._clear()
        _error(str(error))
        return EXIT_INTERRUPTED
    except UrduGenreError as error:
        observer._clear()
        _error(str(error))
        return EXIT_FAILED
    except KeyboardInterrupt:
        raise
    except Exception as error:  # one line, no traceback (details with -v)
        log.debug("training failed", exc_info=True)
        observer._clear()
        _error(f"training failed: {type(error).__name__}: {error}")
        return EXIT_FAILED
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    observer._clear()
    print(report.scan.describe())  # lists the files the scan skipped
    for failed in report.extraction.failed:  # and those that only failed when their windows were extracted
        print(f"skipped {failed.path}: {failed.reason}")
    print()
    print(report.comparison_text())
    if report.cross_validation is not None:
        estimate = report.cross_validation
        low, high = estimate.interval
        print()
        print(f"estimated accuracy: {estimate.accuracy:.0%} ({estimate.correct} of {estimate.songs} songs, "
              f"{estimate.method}); 95 % sure it is between {low:.0%} and {high:.0%}. Every song trained the "
              "model written.")
    if report.bundle is not None:
        print()
        print(f"wrote {report.bundle.path}: {report.bundle.describe()}")
        if report.cancelled:
            print("note: training was cancelled; the bundle holds the best model reached so far")
    return EXIT_OK


def configure_calibrate_parser(parser: argparse.ArgumentParser) -> None:
    """Add ``calibrate``'s arguments to ``parser`` and make :func:`run_calibrate` its handler."""
    from urdu_genre_app.core.novelty import DEFAULT_FLAG_FRACTION

    parser.description = ("Fit a bundle's \"not a genre this model knows\" check and probability temperature on "
                          "labelled songs, and write the bundle again with it (training.calibrate).")
    parser.add_argument("bundle", metavar="BUNDLE", help="the model bundle (.ugm) to calibrate")
    parser.add_argument("--train", required=True, metavar="DIR", help="labelled folder of songs the model trained on")
    parser.add_argument("--validation", required=True, metavar="DIR",
                        help="labelled folder of held-out (validation) songs")
    parser.add_argument("--out", required=True, metavar="BUNDLE", help="bundle to write (may be BUNDLE itself)")
    parser.add_argument("--seed", type=int, default=2026, help="window choice (default 2026)")
    parser.add_argument("--flag-fraction", type=_positive_float, default=DEFAULT_FLAG_FRACTION,
                        help=f"fraction of validation windows the check flags (default {DEFAULT_FLAG_FRACTION:g})")
    parser.add_argument("--workers", type=_positive_int, default=None, help="extraction processes (default: CPU cores)")
    parser.add_argument("--train-windows-per-song", type=_positive_int, default=5,
                        help="random windows per training song (default 5, as training takes)")
    parser.add_argument("--validation-windows-per-song", type=_positive_int, default=5,
                        help="random windows per validation song (default 5, as training takes)")
    other = parser.add_argument_group("other music (outlier exposure, training.other_check)")
    other.add_argument("--other", metavar="DIR_OR_LIST", default=None,
                       help="real music of none of the model's genres (a folder, or a text file of paths): also fit "
                            "an 'other music' output on the model's features and flag what it calls other music")
    other.add_argument("--other-windows-per-song", type=_positive_int, default=5,
                       help="random windows per other-music song (default 5)")
    other.add_argument("--genre-flag-fraction", type=_positive_float, default=None,
                       help="with --other: share of genre windows (out of fold) its threshold may flag "
                            "(default training.other_check.GENRE_FLAG_FRACTION)")
    other.add_argument("--without-gaussian", action="store_true",
                       help="with --other: keep only the other-music output and the temporal-structure check, "
                            "not the two Gaussian spaces")
    parser.set_defaults(handler=run_calibrate)


def _fit_other(args, bundle, model, gaussian, train_paths, train_features, validation_paths, validation_features):
    """``calibrate --other``: the other-music check (training.other_check) joined to ``gaussian``.

    Its genre windows are the training and validation windows (their penultimate features, as
    ``gaussian`` was fitted on); a window's group (kept on one side of each fold) is its artist when
    its file name is an open-music file's, else its song.

    Returns
    -------
    calibration : NoveltyCalibration
    report : str
        What the check was fitted on and how it did out of fold, in words.
    """
    import numpy as np

    from training.calibrate import other_windows_of, penultimate_features
    from training.other_check import GENRE_FLAG_FRACTION, combine, fit_other_check
    from training.realmusic.mixed import artist_by_file_name

    x_other, other_paths, other_songs = other_windows_of(Path(args.other), bundle, args.seed + 2, args.workers,
                                                         args.other_windows_per_song)
    features = np.concatenate([train_features, validation_features, penultimate_features(model, x_other)])
    is_other = np.concatenate([np.zeros(len(train_features) + len(validation_features), bool),
                               np.ones(len(x_other), bool)])
    artists = artist_by_file_name()
    paths = np.concatenate([train_paths, validation_paths, other_paths])
    groups = np.array([artists.get(Path(p).name, p) for p in paths], dtype=object)
    fraction = args.genre_flag_fraction if args.genre_flag_fraction is not None else GENRE_FLAG_FRACTION
    check = fit_other_check(features, gaussian.logits(features), is_other, groups, genre_flag_fraction=fraction,
                            seed=args.seed)
    calibration = combine(gaussian, check, without_gaussian=args.without_gaussian)
    r = check.report
    words = (f"fitted on {r['genre_windows']} genre windows and {r['other_windows']} windows of {other_songs} "
             f"other-music songs ({r['other_groups']} artists or songs); threshold {r['threshold']:.3f} on P(other) "
             f"flags {r['out_of_fold_genre_windows_flagged']:.0%} of genre and "
             f"{r['out_of_fold_other_windows_flagged']:.0%} of other-music windows out of fold"
             + ("; Gaussian spaces left out" if args.without_gaussian else ""))
    return calibration, words


def run_calibrate(args: argparse.Namespace) -> int:
    """``urdu-genre calibrate``: fit a bundle's novelty check and temperature, re-export it (its Keras half kept)."""
    import time

    from training.calibrate import calibrate_with_features, calibration_report, windows_of
    from training.errors import DatasetError
    from training.export import export_bundle, keras_model_from_bundle
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.core.errors import UrduGenreError
    from urdu_genre_app.core.novelty import structure_lag_frames

    started = time.perf_counter()
    try:
        bundle = load_bundle(args.bundle)
        model = keras_model_from_bundle(bundle)
        x_train, y_train, train_songs, train_paths = windows_of(
            Path(args.train), bundle, args.seed, args.workers, args.train_windows_per_song, with_songs=True)
        x_validation, y_validation, validation_songs, validation_paths = windows_of(
            Path(args.validation), bundle, args.seed + 1, args.workers, args.validation_windows_per_song,
            with_songs=True)
    except DatasetError as error:
        _error(str(error))
        return EXIT_USAGE
    except UrduGenreError as error:
        _error(str(error))
        return EXIT_FAILED
    params = bundle.feature_params
    # The features come back with the check: the model (musicnn's backbone above all) runs once a window.
    calibration, train_features, validation_features = calibrate_with_features(
        model, x_train, y_train, x_validation, y_validation, n_classes=len(bundle.labels),
        flag_fraction=args.flag_fraction,
        structure_lag_frames=structure_lag_frames(params.sample_rate, params.hop_length))
    command = ["urdu-genre", "calibrate", args.bundle, "--train", args.train, "--validation", args.validation,
               "--out", args.out, "--seed", str(args.seed), "--flag-fraction", repr(args.flag_fraction)]
    other_report = None
    if args.other is not None:
        try:
            calibration, other_report = _fit_other(args, bundle, model, calibration, train_paths, train_features,
                                                   validation_paths, validation_features)
        except DatasetError as error:
            _error(str(error))
            return EXIT_USAGE
        command += ["--other", args.other, "--other-windows-per-song", str(args.other_windows_per_song)]
        if args.genre_flag_fraction is not None:
            command += ["--genre-flag-fraction", repr(args.genre_flag_fraction)]
        if args.without_gaussian:
            command.append("--without-gaussian")
    report = calibration_report(calibration, validation_features, y_validation, x_validation)
    report.update({"train_songs": train_songs, "validation_songs": validation_songs})
    if other_report is not None:
        report["other_class"] = other_report
    provenance = dict(bundle.provenance)
    provenance["calibration"] = {"command": shlex.join(command), "train": str(args.train),
                                 "validation": str(args.validation)}
    export_bundle(
        model, args.out, labels=list(bundle.labels), feature_params=bundle.feature_params,
        feature_mean=bundle.feature_mean, feature_std=bundle.feature_std, window_policy=bundle.window_policy,
        architecture=bundle.architecture, architecture_options=bundle.architecture_options, provenance=provenance,
        metrics={**bundle.metrics, "novelty": report}, novelty=calibration, keras_model_bytes=bundle.keras_model,
    )
    print(f"wrote {args.out}: {report} ({time.perf_counter() - started:.0f} s)")
    return EXIT_OK
