"""What the Classify view shows, without Qt: the active model, the song, its result so far, playback, recording.

:class:`ClassifyState` is the one place this lives. The GUI's controller
changes it (a file opened, a window scored, audio loaded, recording
started) and each view (verdict, charts, playback bar, record bar)
subscribes to the events in :class:`ClassifyEvents` and redraws itself.
Nothing here starts work or touches a widget, so it is tested without a
window (``tests/unit/test_classify_state.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from urdu_genre_app.components.events import Emitter

if TYPE_CHECKING:
    import numpy as np

    from urdu_genre_app.core.classifier import Classifier, WindowReport
    from urdu_genre_app.core.results import SongResult, WindowResult

#: The source name of a recording (a file's source is its path).
RECORDING = "recording"


@dataclass(frozen=True)
class ModelChanged:
    """The active model (None unless ``state`` is ``"ready"``) or its state changed."""

    classifier: Classifier | None
    state: str


@dataclass(frozen=True)
class SourceChanged:
    """A new song (``source`` is a path or :data:`RECORDING`): everything shown before is forgotten.

    ``analysis_starts`` is True when its analysis starts at once (the charts
    may then keep the previous song a moment, until the first bar comes).
    """

    source: str
    analysis_starts: bool


@dataclass(frozen=True)
class WindowScored:
    """One more window of the running analysis; ``interim`` is the verdict over the windows so far."""

    interim: SongResult
    progress: float | None
    first: bool


@dataclass(frozen=True)
class LiveUpdated:
    """A new live verdict for the recording in progress (its windows replace those shown)."""

    result: SongResult
    heading: str


@dataclass(frozen=True)
class AnalysisFinished:
    """The final result of the current source."""

    result: SongResult


@dataclass(frozen=True)
class AnalysisFailed:
    """The current source cannot be classified; ``message`` says why."""

    message: str


@dataclass(frozen=True)
class Waiting:
    """No verdict to show: the verdict area says ``heading`` and ``text`` instead.

    ``labels``: the genres to show empty bars for (None: keep those shown);
    ``progress``: what the progress bar says now (None: leave it).
    """

    heading: str
    text: str
    labels: list[str] | None = None
    progress: str | None = None


@dataclass(frozen=True)
class AudioChanged:
    """Audio to play was loaded (``samples`` at ``sample_rate`` Hz), or unloaded (``samples`` None, rate 0)."""

    samples: Any
    sample_rate: int


@dataclass(frozen=True)
class PositionChanged:
    """The playback position in seconds (None: no audio, no cursor)."""

    seconds: float | None


@dataclass(frozen=True)
class RecordingChanged:
    """Recording started or stopped (``changed``), or grew to ``seconds`` with ``scored`` windows."""

    active: bool
    seconds: float
    scored: int
    changed: bool


@dataclass(frozen=True)
class Notice:
    """Something to tell the user: in the banner (``level`` "error" or "warning"; None: not there)
    and in the status bar (``status``: the text itself when None, nothing when "")."""

    level: str | None
    text: str
    status: str | None = None


@dataclass
class ClassifyEvents:
    """One emitter per kind of change of a :class:`ClassifyState`."""

    model: Emitter[ModelChanged] = field(default_factory=Emitter)
    source: Emitter[SourceChanged] = field(default_factory=Emitter)
    scored: Emitter[WindowScored] = field(default_factory=Emitter)
    live: Emitter[LiveUpdated] = field(default_factory=Emitter)
    finished: Emitter[AnalysisFinished] = field(default_factory=Emitter)
    failed: Emitter[AnalysisFailed] = field(default_factory=Emitter)
    waiting: Emitter[Waiting] = field(default_factory=Emitter)
    audio: Emitter[AudioChanged] = field(default_factory=Emitter)
    position: Emitter[PositionChanged] = field(default_factory=Emitter)
    recording: Emitter[RecordingChanged] = field(default_factory=Emitter)
    notice: Emitter[Notice] = field(default_factory=Emitter)

    def connect_handlers(self, view: object) -> list[str]:
        """Connect each ``_on_<kind>`` method of ``view`` to the emitter ``<kind>`` (``_on_source`` to
        :attr:`source`...), the way every view subscribes; returns the kinds connected."""
        kinds = [kind for kind in vars(self) if callable(getattr(view, f"_on_{kind}", None))]
        for kind in kinds:
            getattr(self, kind).connect(getattr(view, f"_on_{kind}"))
        return kinds


class ClassifyState:
    """The Classify view's state; every change is announced on :attr:`events`.

    Attributes
    ----------
    model_state : str
        ``"loading"``, ``"ready"`` (usable), ``"none"`` (none installed) or ``"error"`` (the load failed).
    source : str
        The song shown: a file path, :data:`RECORDING`, or "" before the first.
    pending_path : str or None
        A file waiting for the model to finish loading.
    windows : list of WindowResult
        The windows scored so far, in order.
    features : list of numpy.ndarray, each shape (frames, n_mfcc)
        Their MFCC images (possibly fewer than ``windows``: the final result
        of a file keeps the images streamed while it was analysed).
    result : SongResult or None
        The final result, once the analysis is done.
    analysing : bool
        An analysis of ``source`` is running.
    audio_seconds : float
        Length of the audio loaded for playback (0 when none).
    position : float or None
        The playback position in seconds (None when nothing can be played).
    recording : bool
        Recording is in progress.
    """

    def __init__(self) -> None:
        self.events = ClassifyEvents()
        self._classifier: Classifier | None = None
        self.model_state = "loading"
        self.source = ""
        self.pending_path: str | None = None
        self.windows: list[WindowResult] = []
        self.features: list[np.ndarray] = []
        self.result: SongResult | None = None
        self.analysing = False
        self.audio_seconds = 0.0
        self.position: float | None = None
        self.recording = False

    # ------------------------------------------------------------------ the active model
    @property
    def classifier(self) -> Classifier | None:
        """The model to classify with (None while loading, or when there is none)."""
        return self._classifier if self.model_state == "ready" else None

    @property
    def last_classifier(self) -> Classifier | None:
        """The model used before (kept while another one loads, to go back to if that fails)."""
        return self._classifier

    @property
    def labels(self) -> list[str] | None:
        """The active model's genres, or None."""
        return list(self.classifier.labels) if self.classifier is not None else None

    @property
    def sample_rate(self) -> int:
        """The rate audio is analysed and played at: the active model's feature rate (the default without one)."""
        from urdu_genre_app.core.features import SAMPLE_RATE

        model = self._classifier
        return int(model.bundle.feature_params.sample_rate) if model is not None else SAMPLE_RATE

    def set_model_loading(self) -> None:
        """A model is being loaded: nothing can be classified until it is ready."""
        self.model_state = "loading"
        self.events.model.emit(ModelChanged(None, self.model_state))

    def set_classifier(self, classifier: Classifier) -> None:
        """Classify with ``classifier`` from now on."""
        self._classifier = classifier
        self.model_state = "ready"
        if not self.analysing and self.result is None and not self.recording:
            self.wait("Verdict", "Open, drop or record a song", with_labels=True)
        self.events.model.emit(ModelChanged(classifier, self.model_state))

    def set_no_model(self) -> None:
        """No model is installed."""
        self._classifier = None
        self.model_state = "none"
        self.wait("No model installed", "Load a model to classify (File ▸ Load model…)")
        self.events.model.emit(ModelChanged(None, self.model_state))

    def load_failed(self) -> bool:
        """A model failed to load: go back to the previous one if there was one (True), else state "error"."""
        if self._classifier is not None:
            self.set_classifier(self._classifier)
            return True
        self.model_state = "error"
        self.events.model.emit(ModelChanged(None, self.model_state))
        return False

    def no_model_text(self, name: str | None = None) -> str:
        """Why ``name`` (or anything) cannot be classified now."""
        what = f"“{name}” cannot be classified" if name else "nothing can be classified"
        if self.model_state == "error":
            return f"The model could not be loaded, so {what}. Load another with File ▸ Load model…"
        return f"No model is installed, so {what}. Load a model bundle with File ▸ Load model…"

    # ------------------------------------------------------------------ the song
    def begin(self, source: str, *, analysis_starts: bool = False) -> None:
        """Forget the previous song and show an empty view for ``source`` (a path or :data:`RECORDING`)."""
        self.source = source
        self.pending_path = None
        self.windows, self.features, self.result = [], [], None
        self.analysing = analysis_starts
        self.set_audio(None)
        self.events.source.emit(SourceChanged(source, analysis_starts))
        self.wait("Verdict", "Analysing…", with_labels=True)

    def restart_analysis(self) -> None:
        """The source is analysed again from the start (a finished recording, classified whole)."""
        self.windows, self.features, self.result = [], [], None
        self.analysing = True

    @property
    def source_name(self) -> str:
        """What to call the source: the file's name, or "Recording"."""
        return "Recording" if self.source == RECORDING else Path(self.source).name

    @property
    def has_result(self) -> bool:
        """The source has a verdict to show: its final result, or windows scored so far."""
        return bool(self.windows) or self.result is not None

    def add_window(self, report: WindowReport) -> None:
        """Take in one window the running analysis scored."""
        from urdu_genre_app.core.results import SongResult

        first = not self.windows
        self.windows.append(report.result)
        self.features.append(report.features)
        interim = SongResult(path=self.source, labels=self.labels or [], windows=list(self.windows), model_name="")
        self.events.scored.emit(WindowScored(interim, report.progress, first))

    def show_live(self, result: SongResult, features: list[np.ndarray], heading: str) -> None:
        """Show a live verdict of the recording in progress."""
        self.windows = list(result.windows)
        self.features = list(features)
        self.events.live.emit(LiveUpdated(result, heading))

    def finish(self, result: SongResult) -> None:
        """The analysis is done: ``result`` is final."""
        self.analysing = False
        self.result = result
        self.windows = list(result.windows)
        self.events.finished.emit(AnalysisFinished(result))

    def fail(self, message: str) -> None:
        """The analysis failed; ``message`` says why."""
        self.analysing = False
        self.events.failed.emit(AnalysisFailed(message))

    def wait(self, heading: str, text: str, *, with_labels: bool = False, progress: str | None = None) -> None:
        """Show ``heading`` and ``text`` where the verdict goes (with the model's empty bars if
        ``with_labels``; ``progress``: a new text for the progress bar)."""
        self.events.waiting.emit(Waiting(heading, text, self.labels if with_labels else None, progress))

    def notify(self, level: str | None, text: str, status: str | None = None) -> None:
        """Tell the user ``text`` (banner ``level`` "error", "warning" or None; ``status`` for the status bar)."""
        self.events.notice.emit(Notice(level, text, status))

    # ------------------------------------------------------------------ playback
    def set_audio(self, samples: Any, sample_rate: int | None = None) -> None:
        """Load ``samples`` (shape (n,), float32) for playback, or unload (None)."""
        rate = int(sample_rate or self.sample_rate) if samples is not None else 0
        self.audio_seconds = 0.0 if samples is None else len(samples) / rate
        self.events.audio.emit(AudioChanged(samples, rate))
        self.set_position(None if samples is None else 0.0)

    def set_position(self, seconds: float | None) -> None:
        """Move the playback cursor (None: hide it)."""
        self.position = seconds
        self.events.position.emit(PositionChanged(seconds))

    # ------------------------------------------------------------------ recording
    def set_recording(self, active: bool, seconds: float = 0.0, scored: int = 0) -> None:
        """Recording started (``active``), grew to ``seconds`` with ``scored`` windows, or stopped."""
        changed = active != self.recording
        self.recording = active
        self.events.recording.emit(RecordingChanged(active, seconds, scored, changed))
