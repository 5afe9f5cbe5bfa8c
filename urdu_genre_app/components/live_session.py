"""Live classification of a recording in progress (Qt-free bookkeeping).

While audio arrives, :class:`LiveSession` says what to score next:

* before one full window is recorded, a *provisional* verdict on all the
  audio so far (the classifier loops a short clip to a window and flags it
  short), first after :data:`FIRST_VERDICT_SECONDS`, then every
  :data:`PROVISIONAL_EVERY_SECONDS` of new audio;
* after that, each newly completed window on the policy's hop grid, scored
  once; the results are shifted to their place in the recording. The grid
  is core's (:func:`~urdu_genre_app.core.windows.growing_window_starts`), so
  a finished recording gets the windows a file of its length gets, the
  end-aligned last one included.

The caller runs one job at a time in a worker, so jobs never pile up: audio
that arrives meanwhile is simply part of the next job.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from urdu_genre_app.core.classifier import Classifier, WindowReport
from urdu_genre_app.core.results import SongResult, WindowResult
from urdu_genre_app.core.windows import growing_window_starts, hop_samples

#: Seconds of audio before the first (provisional) verdict.
FIRST_VERDICT_SECONDS = 3.0
#: New audio, in seconds, between two provisional verdicts.
PROVISIONAL_EVERY_SECONDS = 2.0


@dataclass
class LiveJob:
    """One unit of live scoring.

    Attributes
    ----------
    kind : str
        ``"provisional"`` (all audio so far, shorter than a window) or
        ``"windows"`` (complete grid windows).
    samples : numpy.ndarray, shape (n,), float32
        The audio to classify.
    offset_seconds : float
        Where ``samples`` starts in the recording.
    first_index : int
        Index in the recording of the first window it yields.
    end_sample : int
        Recording length (samples) this job accounts for.
    """

    kind: str
    samples: np.ndarray
    offset_seconds: float
    first_index: int
    end_sample: int


@dataclass
class LiveOutcome:
    """What a job produced: the windows (already shifted) and their MFCC images."""

    job: LiveJob
    result: SongResult
    features: list[np.ndarray] = field(default_factory=list)


def run_live_job(classifier: Classifier, job: LiveJob) -> LiveOutcome:
    """Score one job with the core classifier (runs in a worker)."""
    features: list[np.ndarray] = []

    def keep(report: WindowReport) -> None:
        features.append(report.features)

    result = classifier.classify_signal(job.samples, source="recording", on_window=keep)
    if job.kind == "windows":
        result.windows = [
            dataclasses.replace(
                w,
                index=w.index + job.first_index,
                start_seconds=w.start_seconds + job.offset_seconds,
                end_seconds=w.end_seconds + job.offset_seconds,
            )
            for w in result.windows
        ]
    return LiveOutcome(job, result, features)


class LiveSession:
    """The audio recorded so far, at the model's sample rate, and its scored windows.

    Parameters
    ----------
    classifier : Classifier
        Gives the feature parameters, window policy and labels.
    """

    def __init__(self, classifier: Classifier) -> None:
        bundle = classifier.bundle
        self.labels = classifier.labels
        self.model_name = bundle.display_name
        self.sample_rate = bundle.feature_params.sample_rate
        self.window = bundle.feature_params.window_samples
        self.hop = hop_samples(bundle.feature_params, bundle.window_policy)
        self.min_samples = int(max(FIRST_VERDICT_SECONDS, bundle.window_policy.min_clip_seconds) * self.sample_rate)
        self._chunks: list[np.ndarray] = []
        self._signal = np.zeros(0, dtype=np.float32)
        self.total = 0
        self.windows: list[WindowResult] = []
        self.features: list[np.ndarray] = []
        self.provisional: SongResult | None = None
        self._provisional_at = 0
        self._provisional_features: list[np.ndarray] = []
        self._next_grid = 0

    def append(self, samples: np.ndarray) -> None:
        """Add newly recorded audio (mono float32 at the model's rate)."""
        if samples.size:
            self._chunks.append(np.asarray(samples, dtype=np.float32))
            self.total += samples.size

    @property
    def seconds(self) -> float:
        """Seconds recorded."""
        return self.total / self.sample_rate

    def signal(self) -> np.ndarray:
        """Everything recorded so far, shape (n,)."""
        if self._chunks:
            self._signal = np.concatenate([self._signal, *self._chunks])
            self._chunks = []
        return self._signal

    @property
    def is_provisional(self) -> bool:
        """True while less than one window has been recorded."""
        return not self.windows

    def next_job(self, finished: bool = False) -> LiveJob | None:
        """The next piece of work, or None when nothing new is worth scoring yet.

        ``finished``: no more audio will come, so the end-aligned last window
        is due too (a recording shorter than a window keeps its provisional verdict).
        """
        if self.total >= self.window:
            due = growing_window_starts(self.total, self.window, self.hop, finished=finished)[self._next_grid:]
            if not due:
                return None
            # One slice from the first due start to the last due window's end: classified
            # on its own it yields exactly these windows (its grid is the recording's, shifted).
            start, end = due[0], due[-1] + self.window
            samples = self.signal()[start:end].copy()
            return LiveJob("windows", samples, start / self.sample_rate, self._next_grid, end)
        if self.total >= self.min_samples and self.total - self._provisional_at >= PROVISIONAL_EVERY_SECONDS * self.sample_rate:
            return LiveJob("provisional", self.signal().copy(), 0.0, 0, self.total)
        return None

    def accept(self, outcome: LiveOutcome) -> None:
        """Take in the result of a finished job."""
        job = outcome.job
        if job.kind == "provisional":
            self._provisional_at = job.end_sample
            if not self.windows:
                self.provisional = outcome.result
                self.provisional.duration_seconds = job.end_sample / self.sample_rate
                self._provisional_features = outcome.features
        else:
            self.windows.extend(outcome.result.windows)
            self.features.extend(outcome.features)
            self._next_grid = job.first_index + len(outcome.result.windows)
            self.provisional = None
            self._provisional_features = []

    def song_result(self) -> SongResult | None:
        """The live verdict so far: the provisional one, or one over the scored windows."""
        if self.windows:
            return SongResult(
                path="recording",
                labels=list(self.labels),
                windows=list(self.windows),
                duration_seconds=self.seconds,
                model_name=self.model_name,
            )
        return self.provisional

    def shown_features(self) -> list[np.ndarray]:
        """MFCC images matching :meth:`song_result`'s windows."""
        return list(self.features) if self.windows else list(self._provisional_features)
