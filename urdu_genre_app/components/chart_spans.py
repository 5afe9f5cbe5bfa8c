"""Where the charts draw each scored window, and what the feature panel calls what it shows (Qt-free).

The rule: a window is drawn over its *display span*, from its start to its
end or to the next window's start, whichever comes first. Overlapping
windows (the BN-CNN's, every 15 s) so tile the song without gaps or overlaps;
windows set apart (a musicnn bundle scores a 30 s window every 90 s) are drawn
where they were scored, and the stretches no window heard stay empty
(:func:`unscored_gaps`) instead of being claimed by the window before them.
The feature image is cut by the same spans from the very features the model
saw (:func:`feature_pieces`), so both charts agree on every second.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from urdu_genre_app.core.features import FEATURE_LOG_MEL, FeatureParams
from urdu_genre_app.core.results import WindowResult

#: Gaps between display spans shorter than this many seconds are rounding, not unscored audio.
MIN_GAP_SECONDS = 0.05


def display_spans(windows: Sequence[WindowResult]) -> list[tuple[float, float]]:
    """``(start, end)`` in seconds over which each window is drawn.

    Parameters
    ----------
    windows : sequence of WindowResult
        In order of their start.

    Returns
    -------
    list of (float, float)
        One per window: its start, and its end or the next window's start,
        whichever is earlier (never before its own start).
    """
    spans = []
    for i, window in enumerate(windows):
        end = window.end_seconds
        if i + 1 < len(windows):
            end = min(end, windows[i + 1].start_seconds)
        spans.append((window.start_seconds, max(end, window.start_seconds)))
    return spans


def span_at(spans: Sequence[tuple[float, float]], seconds: float) -> int | None:
    """Index of the span holding ``seconds`` (a span's end belongs to it only when it is the last), or None."""
    for i, (start, end) in enumerate(spans):
        if start <= seconds < end or (i == len(spans) - 1 and math.isclose(seconds, end)):
            return i
    return None


def unscored_gaps(spans: Sequence[tuple[float, float]], duration: float) -> list[tuple[float, float]]:
    """The stretches of ``[0, duration]`` seconds no span covers, as ``(start, end)`` pairs.

    Parameters
    ----------
    spans : sequence of (float, float)
        From :func:`display_spans`, in order.
    duration : float
        Length of the song in seconds (0: up to the last span only).

    Returns
    -------
    list of (float, float)
        Gaps of at least :data:`MIN_GAP_SECONDS`, in order.
    """
    gaps = []
    covered = 0.0
    for start, end in spans:
        if start - covered >= MIN_GAP_SECONDS:
            gaps.append((covered, start))
        covered = max(covered, end)
    if spans and duration - covered >= MIN_GAP_SECONDS:
        gaps.append((covered, duration))
    return gaps


def feature_pieces(
    windows: Sequence[WindowResult], features: Sequence[np.ndarray], params: FeatureParams
) -> list[tuple[float, np.ndarray]]:
    """The part of each window's feature image shown over its display span.

    Parameters
    ----------
    windows : sequence of WindowResult
        The scored windows, in order.
    features : sequence of numpy.ndarray, each shape (frames, n_features)
        Their images (MFCC or log-mel), as the model saw them; extra windows
        without an image are left out.
    params : FeatureParams
        The bundle's; frames are ``hop_length / sample_rate`` seconds apart.

    Returns
    -------
    list of (float, numpy.ndarray)
        Start time in seconds and frames, shape (n_frames, n_features): window
        ``i``'s frames from its start to the end of its display span.
    """
    frame_seconds = params.hop_length / params.sample_rate
    pieces = []
    for (start, end), image in zip(display_spans(windows), features):
        keep = max(1, min(image.shape[0], math.ceil((end - start) / frame_seconds - 1e-9)))
        pieces.append((start, image[:keep]))
    return pieces


#: The old name of :func:`feature_pieces` (the panel showed MFCCs only).
mfcc_pieces = feature_pieces


@dataclass(frozen=True)
class FeaturePanelText:
    """What the feature panel says: its title, y axis, colour-bar label and empty-panel text."""

    title: str
    y_label: str
    colour_label: str
    empty: str
    #: The first rows left out of the colour scale (MFCC 0, the loudness, spans far more than the rest).
    scale_from_row: int


def feature_panel_text(params: FeatureParams) -> FeaturePanelText:
    """Titles for the feature image of a bundle with ``params`` (MFCC or log-mel spectrogram)."""
    if params.feature == FEATURE_LOG_MEL:
        return FeaturePanelText(
            title=f"Log-mel spectrogram, {params.n_mels} bands (the model's input; grey: not analysed)",
            y_label="Mel band",
            colour_label="log-mel level",
            empty="The log-mel spectrogram the model sees appears here",
            scale_from_row=0,
        )
    return FeaturePanelText(
        title=f"MFCC image, {params.n_mfcc} coefficients (the model's input; colours scaled to coefficients 1 and up)",
        y_label="MFCC coefficient",
        colour_label="MFCC value",
        empty="The MFCC image the model sees appears here",
        scale_from_row=1,
    )


def colour_limits(pieces: Sequence[np.ndarray], scale_from_row: int,
                  percentiles: tuple[float, float] = (1.0, 99.0)) -> tuple[float, float] | None:
    """The colour scale of feature images: ``percentiles`` of their values from row ``scale_from_row`` up.

    Parameters
    ----------
    pieces : sequence of numpy.ndarray, each shape (frames, n_features)
        The images shown (silent windows already left out).
    scale_from_row : int
        Rows (coefficients or bands) below this one are left out, unless that leaves none.
    percentiles : (float, float)
        Low and high percentile.

    Returns
    -------
    (float, float) or None
        ``(low, high)`` with ``high > low``; None when there is nothing to scale.
    """
    if not pieces:
        return None
    values = np.concatenate([np.asarray(p, dtype=np.float32) for p in pieces])
    if values.size == 0:
        return None
    shown = values[:, scale_from_row:] if values.shape[1] > scale_from_row else values
    low, high = (float(v) for v in np.percentile(shown, percentiles))
    return low, (high if high > low else low + 1.0)
