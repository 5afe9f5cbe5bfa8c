"""The classifier: a file or a signal in, a per-window and overall verdict out.

Decoding, windowing, MFCC and inference run as one stream, so memory stays
bounded by a few windows whatever the song length, and each window's result
reaches ``on_window`` as soon as it is scored (the GUI draws bars from it).
Decoding (FFmpeg, downmix, resampling) runs in its own thread, a couple of
blocks ahead (``decode_in_background``), so it overlaps with the MFCC and the
model on the second core. Each window is scored as soon as it is cut: LiteRT
costs the same per window at batch 1 as at batch 6 (about 5 ms with two
threads), while allocating for a batch of 6 costs ~60 ms and ~60 MB of
activations. A musicnn window is the other way round (several 3 s patches
through a ~1.4 G multiply-add backbone each): LiteRT's two threads only pay off
over ~10 patches a call, so a musicnn bundle that records its patches per
window has its windows scored :data:`PATCHES_PER_CALL` patches a call (10
windows of 3 patches: 0.50 s in calls of 5 windows, 1.16 s one at a time;
each patch in a call holds ~25 MB of activations); and the decoder may then run a whole batch of windows ahead, or it
would wait while the model scores one. (The ``urdu-genre`` command also keeps OpenBLAS on one thread:
its spinning threads took the core the decoder needs.)
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from urdu_genre_app.core.audio_io import BLOCK_SECONDS, READ_AHEAD_BLOCKS, DecodeInfo, iter_audio_blocks
from urdu_genre_app.core.bundle import ModelBundle
from urdu_genre_app.core.errors import AudioTooShortError, CancelledError
from urdu_genre_app.core.features import OverlappingWindowFeatures
from urdu_genre_app.core.inference import PATCHES_PER_WINDOW_OPTION, LiteRtModel
from urdu_genre_app.core.results import SongResult, WindowResult
from urdu_genre_app.core.windows import AudioWindow, iter_windows

log = logging.getLogger(__name__)

#: Windows scored per interpreter call after the first (see the module notes).
DEFAULT_BATCH_SIZE = 1
#: 3 s patches per interpreter call for a model whose windows are costly (``LiteRtModel.costly_windows``:
#: musicnn) and whose bundle says how many patches a window holds (4 windows of 3 patches).
PATCHES_PER_CALL = 12


def batch_size_for(bundle: ModelBundle, model: LiteRtModel) -> int:
    """Windows per interpreter call after the first, for ``bundle`` run by ``model`` (see the module notes).

    :data:`DEFAULT_BATCH_SIZE`, except for costly windows whose bundle records
    ``architecture_options.patches_per_window``: as many windows as make
    :data:`PATCHES_PER_CALL` patches (musicnn bundles from before that
    setting pool 10 patches a window and keep one window a call).
    """
    patches = (bundle.architecture_options or {}).get(PATCHES_PER_WINDOW_OPTION)
    if model.costly_windows and isinstance(patches, int) and patches > 0:
        return max(1, PATCHES_PER_CALL // patches)
    return DEFAULT_BATCH_SIZE


@dataclass(frozen=True)
class WindowReport:
    """What ``on_window`` receives for each scored window.

    Attributes
    ----------
    result : WindowResult
        The probabilities and flags.
    features : numpy.ndarray, shape (frames, n_features), float32
        The (un-normalised) MFCC image, or log-mel spectrogram, the model saw
        (the bundle's ``feature_params.feature`` picks which), for display.
    progress : float or None
        Fraction of the file scored so far (up to the block in hand), when the
        length is known.
    """

    result: WindowResult
    features: np.ndarray
    progress: float | None


WindowCallback = Callable[[WindowReport], None]
CancelCheck = Callable[[], bool]


class Classifier:
    """Score songs with one model bundle.

    Parameters
    ----------
    bundle : ModelBundle
        The model, its labels, feature parameters and window policy.
    batch_size : int, optional
        Windows per interpreter call after the first (default: :func:`batch_size_for`).
    model : LiteRtModel, optional
        The bundle's model, already opened (:func:`~urdu_genre_app.core.inference.open_bundle`);
        opened here otherwise.

    Raises
    ------
    ModelBundleError
        The bundle's model does not load or disagrees with its metadata.
    """

    def __init__(self, bundle: ModelBundle, *, batch_size: int | None = None,
                 model: LiteRtModel | None = None) -> None:
        self.bundle = bundle
        self._model = model or LiteRtModel(bundle)
        if batch_size is None:
            batch_size = batch_size_for(bundle, self._model)
        self.batch_size = max(1, batch_size)

    @property
    def labels(self) -> list[str]:
        """Genre names in model order."""
        return list(self.bundle.labels)

    def classify_file(
        self,
        path: str | os.PathLike,
        *,
        on_window: WindowCallback | None = None,
        is_cancelled: CancelCheck | None = None,
    ) -> SongResult:
        """Classify every window of an audio file.

        Parameters
        ----------
        path : str or os.PathLike
            Any file :func:`~urdu_genre_app.core.audio_io.iter_audio_blocks` reads.
        on_window : callable, optional
            Called with a :class:`WindowReport` for each window, in order, as
            soon as it is scored (from the calling thread).
        is_cancelled : callable, optional
            Polled between windows; when it returns True,
            :class:`~urdu_genre_app.core.errors.CancelledError` is raised.

        Returns
        -------
        SongResult

        Raises
        ------
        AudioDecodeError
            The file cannot be decoded (names the file and the reason).
        AudioTooShortError
            Less audio than the policy's ``min_clip_seconds``.
        """
        info = DecodeInfo(path=os.fspath(path))
        params = self.bundle.feature_params
        # Room for the next batch's audio while the model scores this one (~8 MB for 4 musicnn windows).
        ahead = max(READ_AHEAD_BLOCKS, math.ceil(self.batch_size * self.bundle.window_policy.hop_seconds
                                                 / BLOCK_SECONDS) + 1)
        blocks = iter_audio_blocks(path, sample_rate=params.sample_rate, info=info, decode_in_background=True,
                                   read_ahead_blocks=ahead)

        def progress(consumed_samples: int) -> float | None:
            # From what scoring has consumed, not what the decoder (running
            # ahead in its thread) has produced.
            if not info.expected_seconds:
                return None
            return min(1.0, consumed_samples / params.sample_rate / info.expected_seconds)

        result = self._classify_blocks(
            blocks, source=os.fspath(path), on_window=on_window, is_cancelled=is_cancelled, progress=progress
        )
        result.warnings[:0] = info.warnings
        return result

    def classify_signal(
        self,
        signal: np.ndarray,
        *,
        source: str = "<signal>",
        on_window: WindowCallback | None = None,
        is_cancelled: CancelCheck | None = None,
    ) -> SongResult:
        """Classify a mono signal already at the bundle's sample rate.

        Parameters
        ----------
        signal : numpy.ndarray, shape (n_samples,), float32
            The audio (e.g. a recording).
        source : str
            Name used in the result.
        on_window, is_cancelled : callable, optional
            As in :meth:`classify_file`.

        Returns
        -------
        SongResult
        """
        blocks = [np.asarray(signal, dtype=np.float32)]
        return self._classify_blocks(
            blocks, source=source, on_window=on_window, is_cancelled=is_cancelled, progress=lambda _consumed: None
        )

    def score_windows(
        self, windows: list[AudioWindow], *, extractor: OverlappingWindowFeatures | None = None
    ) -> list[tuple[WindowResult, np.ndarray]]:
        """Features and probabilities for windows already cut (one batch).

        Parameters
        ----------
        windows : list of AudioWindow
            In song order.
        extractor : OverlappingWindowFeatures, optional
            Carries shared frames from window to window within one song.

        Returns
        -------
        list of (WindowResult, numpy.ndarray)
            Each window's result and its MFCC image, shape (frames, n_mfcc).
        """
        extractor = extractor or OverlappingWindowFeatures(self.bundle.feature_params)
        features = [extractor(w.samples, w.start_sample) for w in windows]
        scored_positions = [i for i, w in enumerate(windows) if not w.silent]
        probabilities: dict[int, np.ndarray] = {}
        novelty: dict[int, float] = {}
        if scored_positions:
            batch = self.bundle.normalise(np.stack([features[i] for i in scored_positions]))
            rows, penultimate = self._model.predict_with_features(batch)
            check = self.bundle.novelty
            if check is not None and penultimate is not None:  # calibrated probabilities and the novelty score
                rows = check.probabilities(penultimate)
                novelty = dict(zip(scored_positions, check.scores(penultimate, batch).tolist()))
            for position, row in zip(scored_positions, rows):
                probabilities[position] = row
        out = []
        for i, window in enumerate(windows):
            row = probabilities.get(i)
            out.append(
                (
                    WindowResult(
                        index=window.index,
                        start_seconds=window.start_seconds,
                        end_seconds=window.end_seconds,
                        probabilities=tuple(float(p) for p in row) if row is not None else (),
                        silent=window.silent,
                        short=window.short,
                        level_dbfs=window.level_dbfs,
                        novelty=novelty.get(i),
                    ),
                    features[i],
                )
            )
        return out

    def _classify_blocks(
        self,
        blocks: Iterable[np.ndarray],
        *,
        source: str,
        on_window: WindowCallback | None,
        is_cancelled: CancelCheck | None,
        progress: Callable[[int], float | None],
    ) -> SongResult:
        params = self.bundle.feature_params
        result = SongResult(path=source, labels=self.labels, model_name=self.bundle.display_name)
        total_samples = 0

        def counted(stream: Iterable[np.ndarray]):
            nonlocal total_samples
            for block in stream:
                if is_cancelled is not None and is_cancelled():
                    raise CancelledError(f"{source}: classification cancelled")
                total_samples += block.size
                yield block

        pending: list[AudioWindow] = []
        extractor = OverlappingWindowFeatures(params)

        def flush() -> None:
            for window_result, features in self.score_windows(pending, extractor=extractor):
                result.windows.append(window_result)
                if on_window is not None:
                    on_window(WindowReport(window_result, features, progress(total_samples)))
            pending.clear()

        try:
            for window in iter_windows(counted(blocks), params=params, policy=self.bundle.window_policy):
                pending.append(window)
                # The first window goes alone so its bar shows at once.
                if not result.windows or len(pending) >= self.batch_size:
                    flush()
                if is_cancelled is not None and is_cancelled():
                    raise CancelledError(f"{source}: classification cancelled")
            flush()
        finally:
            close = getattr(blocks, "close", None)
            if close is not None:
                close()
        result.duration_seconds = total_samples / params.sample_rate
        if not result.windows:
            raise AudioTooShortError(
                source,
                f"holds only {result.duration_seconds:.2f} s of audio; at least "
                f"{self.bundle.window_policy.min_clip_seconds:g} s is needed",
            )
        if result.short:
            result.warnings.append(
                f"shorter than one {params.window_seconds:g} s window "
                f"({result.duration_seconds:.1f} s): looped to fill it; treat the verdict with care"
            )
        if result.windows and result.status == "silence":
            result.warnings.append("the audio is silent (below the silence threshold) throughout")
        return result

