"""The one way the app writes a time of day in a song or a run: ``m:ss``."""

from __future__ import annotations

#: A time this close under a whole second counts as that second (float noise
#: such as 2.9999999 s from a sum of block lengths must not show 0:02).
_WHOLE_SECOND_SLACK = 1e-6


def clock(seconds: float) -> str:
    """``m:ss`` for a time in seconds, counted down to the whole second (as a player's clock shows it).

    Parameters
    ----------
    seconds : float
        Time in seconds; negative times show as ``0:00``.

    Returns
    -------
    str
        Minutes (not padded, past 59 too) and two-digit seconds, e.g. ``"3:07"``, ``"75:00"``.
    """
    minutes, secs = divmod(int(max(0.0, seconds) + _WHOLE_SECOND_SLACK), 60)
    return f"{minutes}:{secs:02d}"
