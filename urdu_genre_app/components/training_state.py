"""What the Training tab shows, without Qt: the dataset and its probe, the run, its results and warnings.

:class:`TrainingState` is the one place this lives (as
:class:`~urdu_genre_app.components.classify_state.ClassifyState` is for the
Classify tab). The view hands it what the user did and what the workers
reported; the state says what to show, in words, and emits
:class:`TrainingEvents` when the dataset's probe or the run changes. Nothing
here starts work or touches a widget, and the training package is imported
only when a run is configured, so a lite build (no training) still builds it
and it is tested without a window (``tests/unit/test_training_state.py``).
"""

from __future__ import annotations

import datetime as _dt
import html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from urdu_genre_app.components.events import Emitter

if TYPE_CHECKING:
    from training.dataset import DatasetScan
    from training.families import FamilyChoice
    from training.pipeline import ModelResult, TrainingConfig, TrainingReport

try:
    #: Under this many songs in a genre the tab warns before a run: the pipeline then trains on every song and
    #: estimates the accuracy by k-fold cross-validation, a wide range with so few songs.
    from training.split import SMALL_FOLDER_SONGS as SMALL_GENRE_SONGS
except ImportError:  # a lite build: the tab trains nothing, so the number only has to exist
    SMALL_GENRE_SONGS = 10
try:
    #: The model menu's entry (and default) that names no family: the run chooses it once the folder is scanned.
    from training.families import AUTO_FAMILY as AUTOMATIC_MODEL
except ImportError:  # a lite build: the tab trains nothing
    AUTOMATIC_MODEL = "auto"
#: How the menu calls that entry (followed by the family it resolves to once the folder is scanned).
AUTOMATIC_TEXT = "Automatic"
#: A held-out accuracy this close above chance (1 / genres) still counts as "no better than chance".
CHANCE_MARGIN = 0.05
#: Colour of an error in the dataset line (the banner's error red).
ERROR_COLOUR = "#a4262c"


@dataclass(frozen=True)
class TrainingForm:
    """What the user set in the tab's form (strings as typed, numbers as set)."""

    dataset: str
    out: str
    model: str
    epochs: int
    windows_per_song: int
    window_seconds: float
    seed: int


@dataclass(frozen=True)
class ScanChanged:
    """The dataset line changed: ``html`` is what to show under the path; ``automatic`` the *Automatic* entry.

    ``automatic`` is ``(text, tooltip)`` (:meth:`TrainingState.automatic_entry`).
    """

    html: str
    automatic: tuple[str, str] = (AUTOMATIC_TEXT, "")


@dataclass(frozen=True)
class RunChanged:
    """A run started (``running`` True) or ended."""

    running: bool


class TrainingEvents:
    """The events a :class:`TrainingState` emits."""

    def __init__(self) -> None:
        self.scan_changed: Emitter[ScanChanged] = Emitter()
        self.run_changed: Emitter[RunChanged] = Emitter()


def offered_model_families() -> tuple:
    """The :class:`~training.families.ModelFamily` entries the tab offers, in menu order (none without training)."""
    try:
        from training.families import REGISTRY
    except ImportError:  # a lite build: the tab only says why it cannot train
        return ()
    return REGISTRY.offered()


def default_output_path(dataset: str, folder: Path) -> Path:
    """A new bundle path in ``folder``, named after the dataset and the time (never an existing file)."""
    from urdu_genre_app.core.atomic import unused_path

    stem = Path(dataset).stem or "model"
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return unused_path(folder / f"{stem}-{stamp}.ugm")


def epoch_log_line(epoch: int, logs: dict[str, Any]) -> str:
    """One epoch's figures in words (never the raw metrics dict); a figure the run did not report is left out."""
    parts = [f"{name} {logs[key]:.1%}" for key, name in (("accuracy", "accuracy"),
                                                        ("val_accuracy", "validation accuracy")) if key in logs]
    if "loss" in logs:
        parts.append(f"loss {logs['loss']:.3f}")
    text = f"epoch {epoch}: " + (", ".join(parts) or "no figures reported")
    if logs.get("windows_per_second"):
        text += f" ({logs['windows_per_second']:.0f} windows/s)"
    return text


def stage_text(event, stopping: bool) -> tuple[str, int, int]:
    """The stage line and progress ``(text, done, total)`` for a :class:`~training.observer.StageProgress`."""
    title = event.title
    if event.epoch is not None:
        title = f"Training, epoch {event.epoch} of at most {event.epochs}"
    if stopping and event.stage == "fit":
        title = "Stopping after this batch…"
    text = f"{title}: {event.done}/{event.total} {event.unit}".rstrip() if event.total > 1 else title
    total = max(1, event.total)
    return text, min(event.done, total), total


def _cross_validation(result: Any):
    """A small folder's k-fold estimate of ``result`` (:class:`training.pipeline.CrossValidation`), or None."""
    return getattr(result, "cross_validation", None)


class TrainingState:
    """The Training tab's state.

    Parameters
    ----------
    unavailable_reason : str, optional
        Why this installation cannot train
        (:func:`urdu_genre_app.capabilities.training_unavailable_reason`); None when it can.
    """

    def __init__(self, unavailable_reason: str | None = None) -> None:
        self.unavailable_reason = unavailable_reason
        self.events = TrainingEvents()
        self.dataset = ""
        self.scan: DatasetScan | None = None
        self.scan_error: str | None = None
        self.running = False
        self.stopping = False
        self.report: TrainingReport | None = None
        self.error: str | None = None
        self.written_path: str | None = None
        #: A path the user picked in a save dialog (which asked before replacing a file).
        self.confirmed_output: str | None = None

    # ------------------------------------------------------------------ the dataset
    def begin_scan(self, path: str) -> bool:
        """A dataset path was chosen or typed: forget the old probe; True when a new one should start."""
        self.dataset = path.strip()
        self.scan, self.scan_error = None, None
        probe = bool(self.dataset) and not self.unavailable_reason
        self.events.scan_changed.emit(ScanChanged("Looking inside…" if probe else "", self.automatic_entry()))
        return probe

    def scan_finished(self, scan: DatasetScan | None, error: BaseException | None) -> None:
        """The probe of :attr:`dataset` ended (a cancelled one is never reported here)."""
        if error is not None:
            self.scan_error = str(error)
        else:
            self.scan = scan
        self.events.scan_changed.emit(ScanChanged(self.dataset_html(), self.automatic_entry()))

    def needs_scan(self, path: str) -> bool:
        """Whether a typed path differs from the one probed (or being probed)."""
        return path.strip() != self.dataset

    def dataset_html(self) -> str:
        """Songs per genre and skipped files (or why the dataset cannot be used), with the small-folder warning."""
        if self.scan_error:
            return f"<span style='color:{ERROR_COLOUR}'>{html.escape(self.scan_error)}</span>"
        scan = self.scan
        if scan is None:
            return ""
        counts = scan.songs_per_genre()
        parts = ", ".join(f"{label} {count}" for label, count in counts.items())
        minutes = sum(s.duration_seconds for s in scan.songs) / 60
        text = html.escape(f"{len(scan.songs)} songs in {len(counts)} genres ({parts}), {minutes:.0f} min of audio")
        if scan.skipped:
            text += html.escape(f"; {len(scan.skipped)} file(s) will be skipped "
                                "(listed under the results after the run)")
        warning = self.small_dataset_warning()
        if warning:
            text += f"<br><b>Few songs:</b> {html.escape(warning)}"
        return text

    def automatic_choice(self) -> FamilyChoice | None:
        """The family *Automatic* trains on the folder shown (the run's own rule), or None before it is scanned."""
        if self.scan is None or self.unavailable_reason:
            return None
        from training.pipeline import TrainingConfig, resolve_models

        return resolve_models(TrainingConfig(dataset=self.dataset), self.scan)[1]

    def automatic_entry(self) -> tuple[str, str]:
        """The *Automatic* model entry's ``(text, tooltip)``: what it resolves to once the folder is scanned."""
        choice = self.automatic_choice()
        if choice is None:
            return AUTOMATIC_TEXT, ("The folder decides once it is scanned: musicnn transfer when a genre has under "
                                    f"{SMALL_GENRE_SONGS} songs (it learns best from a few real songs), else the "
                                    "BN-CNN (the paper's model)")
        return f"{AUTOMATIC_TEXT}: {choice.title}", f"Chosen {choice.reason}"

    def small_dataset_warning(self) -> str | None:
        """What a run on a small folder does, said before it starts; None when every genre has enough songs."""
        if self.scan is None:
            return None
        small = {label: n for label, n in self.scan.songs_per_genre().items() if n < SMALL_GENRE_SONGS}
        if not small:
            return None
        listed = ", ".join(f"{label} {n}" for label, n in small.items())
        return (f"{listed} (under {SMALL_GENRE_SONGS} songs a genre). Every song trains the model, and its "
                "accuracy is estimated by cross-validation (each song scored once by a model trained without it), "
                "with a range that says how sure that is: with this few songs the range is wide and training "
                "takes a few times longer. Add songs for a model you can rely on.")

    # ------------------------------------------------------------------ the run
    def build_config(self, form: TrainingForm, default_folder: Path) -> TrainingConfig:
        """The form as a :class:`~training.pipeline.TrainingConfig`; an unconfirmed path never replaces a file."""
        from training.extract import ExtractionConfig
        from training.fit import FitConfig
        from training.families import REGISTRY
        from training.pipeline import TrainingConfig
        from urdu_genre_app.core.atomic import unused_path
        from urdu_genre_app.core.features import FeatureParams

        dataset = form.dataset.strip()
        out = form.out.strip() or str(default_output_path(dataset, default_folder))
        # Automatic stays so to the run, which chooses (and says why) once it has the folder's scan.
        choice = self.automatic_choice() if form.model == AUTOMATIC_MODEL and self.dataset == dataset else None
        family = choice.name if choice else form.model
        if out != self.confirmed_output:
            out = str(unused_path(Path(out)))
        return TrainingConfig(
            dataset=dataset,
            out=out,
            models=(form.model,),
            feature_params=FeatureParams(window_seconds=form.window_seconds),
            extraction=ExtractionConfig(windows_per_song=form.windows_per_song),
            fit=FitConfig(epochs=form.epochs),
            seed=form.seed,
            trained_on="user",
            name=(f"{REGISTRY.get(family).title} on {Path(dataset).name}" if family != AUTOMATIC_MODEL else ""),
            command="Training tab",
        )

    def scan_for(self, config: TrainingConfig) -> DatasetScan | None:
        """The probe of ``config.dataset`` when it is the one shown, so the run does not probe every song again."""
        if self.scan is not None and self.dataset and Path(config.dataset) == Path(self.dataset):
            return self.scan
        return None

    def start(self) -> None:
        """A run started: forget the last one's outcome."""
        self.running, self.stopping = True, False
        self.report = self.error = self.written_path = None
        self.events.run_changed.emit(RunChanged(True))

    def request_stop(self) -> bool:
        """The user asked to stop; True when the run should be told (it is running and not told yet)."""
        if not self.running or self.stopping:
            return False
        self.stopping = True
        return True

    def finish(self, report: TrainingReport | None, error: BaseException | None) -> str:
        """The run ended; returns the stage line to show."""
        from urdu_genre_app.core.errors import CancelledError

        self.running = False
        if error is not None:
            if isinstance(error, CancelledError):
                text = "Stopped before any epoch finished: nothing was saved"
            else:
                self.error, text = str(error), "Failed"
        else:
            self.report = report
            self.written_path = str(report.config.out) if report.bundle is not None else None
            if self.written_path:
                self.confirmed_output = None  # the next run writes a new file unless a path is chosen again
            text = "Stopped early; best model so far saved" if report.cancelled else "Done"
        self.events.run_changed.emit(RunChanged(False))
        return text

    # ------------------------------------------------------------------ results
    def shown_result(self) -> ModelResult | None:
        """The result the tab shows: the exported model's, else the last one trained."""
        report = self.report
        if report is None or not report.results:
            return None
        return next((r for r in report.results if r.name == report.exported), report.results[-1])

    def chance_warning(self) -> str | None:
        """Said after a run whose model is no better than guessing on its test songs; None otherwise."""
        result = self.shown_result()
        if result is None or not result.test.n_songs:
            return None
        chance = 1.0 / max(1, len(result.test.labels))
        if result.test.song_accuracy > chance + CHANCE_MARGIN:
            return None
        # A small folder's figures are its cross-validation's: every song scored by a model that never heard it.
        scored = "songs right in cross-validation" if _cross_validation(result) else "test songs right"
        return (f"This model is no better than chance: {result.test.song_accuracy:.0%} of "
                f"{result.test.n_songs} {scored}, where guessing among {len(result.test.labels)} genres "
                f"gets {chance:.0%}. Its verdicts would mislead; add songs (at least {SMALL_GENRE_SONGS} a genre) "
                "and train again.")

    def use_model_label(self) -> str:
        """The *Use this model* button's text: it says so when the model is no better than chance."""
        return "Use it anyway" if self.chance_warning() else "Use this model"

    def result_html(self, skipped_text: str) -> str:
        """The results paragraph: accuracy on held-out songs, the split, where it was saved, and any warning."""
        report, result = self.report, self.shown_result()
        if report is None:
            return ""
        if result is None:
            return "No model finished training." + skipped_text
        test, estimate = result.test, _cross_validation(result)
        if estimate is not None:  # a small folder: every song trained the saved model
            low, high = estimate.interval
            text = (
                f"<b>{html.escape(result.title)}</b>: <b>{estimate.accuracy:.1%}</b> of {estimate.songs} songs right "
                f"by {html.escape(estimate.method)} (each song scored once by a model trained without it; 95 % sure "
                f"the accuracy on songs like these is {low:.0%}-{high:.0%}), {test.window_accuracy:.1%} of "
                f"{test.n_windows} windows; the tables count those verdicts. A small folder, so the saved model "
                f"trained on all {estimate.songs} songs.{skipped_text}"
            )
        else:
            sizes = report.split.sizes()
            text = (
                f"<b>{html.escape(result.title)}</b>: <b>{test.song_accuracy:.1%}</b> of {test.n_songs} held-out "
                f"test songs right (mean of every window's probabilities), {test.window_accuracy:.1%} of "
                f"{test.n_windows} test windows. Trained on {sizes['train']['songs']} songs, checked on "
                f"{sizes['validation']['songs']} validation songs; no song is in two sets.{skipped_text}"
            )
        if report.cancelled:
            text += " <i>Stopped early: this is the best model before stopping.</i>"
        if self.written_path:
            text += f"<br>Saved to <code>{html.escape(self.written_path)}</code>."
        warning = self.chance_warning()
        if warning:
            text += f"<br><b style='color:{ERROR_COLOUR}'>{html.escape(warning)}</b>"
        return text
