"""How a song is cut into 30 s windows for inference.

The rule (stored in every model bundle as :class:`WindowPolicy`):

* Windows are ``FeatureParams.window_seconds`` long (30 s, the paper's; the
  model's input size fixes it, so it lives with the features) and start every
  ``hop_seconds`` (15 s: every moment of the song is heard by two windows, so
  a change of style is caught wherever it falls, at twice the cost of
  back-to-back windows). The hop is rounded to whole MFCC frames (15 s
  becomes 646 frames, 15.0001 s) so overlapping windows share frames and
  their FFTs are computed once (see ``OverlappingWindowFeatures``).
* The last window is aligned to the end of the song, so the ending is always
  classified, even when the song length is not a multiple of the hop.
* A clip shorter than one window but at least ``min_clip_seconds`` long is
  looped (repeated end to end) to fill one window and flagged ``short``:
  looping keeps its texture and rhythm, where zero padding would show the
  model silence it never saw. Shorter clips are refused.
* A window whose RMS level is below ``silence_dbfs`` is *silent*: it is
  reported as silence and left out of the verdict, never given a genre.

Windows are produced from a stream of blocks with memory bounded by one
window plus one hop, whatever the song length.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from urdu_genre_app.core.errors import FeatureParameterError
from urdu_genre_app.core.features import FeatureParams


#: Windows start every this fraction of a window: a half, so every moment is heard by two windows.
HOP_FRACTION = 0.5


@dataclass(frozen=True)
class WindowPolicy:
    """Where windows start and which ones count.

    The numbers of the rule in this module's docstring; every model bundle
    stores its own (:meth:`to_dict`), beside its :class:`FeatureParams`.

    Attributes
    ----------
    hop_seconds : float
        Seconds between window starts (default: :data:`HOP_FRACTION` of the
        default window; :meth:`for_features` for another window length).
    min_clip_seconds : float
        Shortest audio that is classified at all (looped to a window).
    silence_dbfs : float
        RMS level in dB relative to full scale under which a window is silent.
    """

    hop_seconds: float = FeatureParams.window_seconds * HOP_FRACTION
    min_clip_seconds: float = 1.0
    silence_dbfs: float = -60.0

    def __post_init__(self) -> None:
        if self.hop_seconds <= 0:
            raise FeatureParameterError(f"hop_seconds={self.hop_seconds} must be positive")
        if self.min_clip_seconds <= 0:
            raise FeatureParameterError(f"min_clip_seconds={self.min_clip_seconds} must be positive")

    @classmethod
    def for_features(cls, params: FeatureParams, **overrides: Any) -> "WindowPolicy":
        """The default policy for windows of ``params.window_seconds``: a hop of :data:`HOP_FRACTION` of one."""
        return cls(**{"hop_seconds": params.window_seconds * HOP_FRACTION, **overrides})

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form, as stored in a model bundle."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "WindowPolicy":
        """Inverse of :meth:`to_dict`; unknown keys are refused."""
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise FeatureParameterError(f"unknown window policy keys: {sorted(unknown)}")
        return cls(**data)


@dataclass(frozen=True)
class AudioWindow:
    """One window of audio, ready for feature extraction.

    Attributes
    ----------
    index : int
        0-based position in the song.
    start_sample : int
        First sample of the window in the song.
    start_seconds, end_seconds : float
        Where the window lies in the original audio (for a looped short clip,
        the clip's own extent).
    samples : numpy.ndarray, shape (window_samples,), float32
        The audio.
    short : bool
        True when a clip shorter than one window was looped to fill it.
    silent : bool
        True when the window is below the silence threshold.
    level_dbfs : float
        The window's RMS level in dBFS.
    """

    index: int
    start_sample: int
    start_seconds: float
    end_seconds: float
    samples: np.ndarray
    short: bool
    silent: bool
    level_dbfs: float


def rms_dbfs(samples: np.ndarray) -> float:
    """RMS level of a signal in dB relative to full scale (-inf-safe)."""
    if samples.size == 0:
        return -200.0
    samples = np.asarray(samples, dtype=np.float32)
    # A float32 dot product (BLAS) is exact enough for a level in dB and
    # avoids a float64 copy of every 30 s window.
    rms = float(np.sqrt(max(float(np.dot(samples, samples)), 0.0) / samples.size))
    return float(20.0 * np.log10(max(rms, 1e-10)))


def hop_samples(params: FeatureParams, policy: WindowPolicy) -> int:
    """The policy's hop in samples, rounded to a whole number of MFCC frames (at least one)."""
    frames = max(1, int(round(policy.hop_seconds * params.sample_rate / params.hop_length)))
    return frames * params.hop_length


def window_starts(total_samples: int, window_samples: int, hop_samples: int) -> list[int]:
    """Start sample of every window for a signal of known length.

    Parameters
    ----------
    total_samples : int
        Length of the song in samples (at least one window).
    window_samples, hop_samples : int
        Window length and hop, in samples.

    Returns
    -------
    list of int
        Starts ``0, hop, 2*hop, ...`` plus, if the last of those does not reach
        the end, one more aligned to the end.
    """
    if total_samples < window_samples:
        return [0]
    starts = list(range(0, total_samples - window_samples + 1, hop_samples))
    if starts[-1] + window_samples < total_samples:
        starts.append(total_samples - window_samples)
    return starts


def iter_windows(
    blocks: Iterable[np.ndarray],
    *,
    params: FeatureParams = FeatureParams(),
    policy: WindowPolicy = WindowPolicy(),
) -> Iterator[AudioWindow]:
    """Cut a stream of audio blocks into windows by ``policy``.

    Parameters
    ----------
    blocks : iterable of numpy.ndarray, each shape (n,), float32
        Consecutive pieces of one mono signal at ``sample_rate``.
    params : FeatureParams
        Sample rate and window length.
    policy : WindowPolicy
        Window length, hop and the short/silence rules.

    Yields
    ------
    AudioWindow
        In order of start time; the same windows :func:`window_starts` gives
        for the whole signal. Nothing is yielded for audio shorter than
        ``policy.min_clip_seconds`` (the caller decides how to report that).
    """
    sample_rate = params.sample_rate
    window = params.window_samples
    hop = hop_samples(params, policy)
    buffer = np.zeros(0, dtype=np.float32)
    buffer_start = 0  # absolute sample index of buffer[0]
    next_start = 0
    last_emitted_end = 0
    index = 0

    def make(start: int, samples: np.ndarray, short: bool, end: int) -> AudioWindow:
        level = rms_dbfs(samples if not short else samples[: end - start])
        return AudioWindow(
            index=index,
            start_sample=start,
            start_seconds=start / sample_rate,
            end_seconds=end / sample_rate,
            samples=samples,
            short=short,
            silent=bool(level < policy.silence_dbfs),
            level_dbfs=level,
        )

    for block in blocks:
        if block.size == 0:
            continue
        buffer = np.concatenate((buffer, np.asarray(block, dtype=np.float32)))
        while next_start + window <= buffer_start + buffer.size:
            offset = next_start - buffer_start
            yield make(next_start, buffer[offset : offset + window].copy(), False, next_start + window)
            index += 1
            last_emitted_end = next_start + window
            # Keep from the window just emitted: the end-aligned last window
            # may start anywhere after it.
            keep_from = next_start - buffer_start
            buffer = buffer[keep_from:]
            buffer_start = next_start
            next_start += hop
    total = buffer_start + buffer.size
    if index == 0:
        if total >= min(policy.min_clip_seconds * sample_rate, window):
            clip = buffer[:total]
            looped = np.resize(clip, window).astype(np.float32, copy=False)
            yield make(0, looped, total < window, total)
        return
    if last_emitted_end < total:
        offset = total - window - buffer_start
        yield make(total - window, buffer[offset : offset + window].copy(), False, total)


def growing_window_starts(
    recorded_samples: int, window_samples: int, hop_samples: int, *, finished: bool = False
) -> list[int]:
    """Start sample of every window that can be scored in a recording that is still growing.

    The live rule, the file rule (:func:`window_starts`) applied as audio
    arrives: while recording, only the hop-grid windows that lie wholly in
    the audio so far (they never move as more arrives); once the recording
    has ``finished``, exactly the windows a file of that length gets, the
    end-aligned last one included. A recording shorter than one window has
    no grid window until it is finished (then the one looped window, as a
    short file gets).

    Parameters
    ----------
    recorded_samples : int
        Samples recorded so far.
    window_samples, hop_samples : int
        Window length and hop, in samples (``hop_samples`` as
        :func:`hop_samples` rounds it).
    finished : bool
        True when no more audio will come.

    Returns
    -------
    list of int
        Increasing start samples; each list extends the one given for fewer
        samples, except that ``finished`` may add the end-aligned window.
    """
    if finished:
        return window_starts(recorded_samples, window_samples, hop_samples)
    if recorded_samples < window_samples:
        return []
    return list(range(0, recorded_samples - window_samples + 1, hop_samples))
