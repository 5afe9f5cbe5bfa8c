"""How the GUI writes times and counts (one place, so every view rounds alike)."""

from __future__ import annotations


def segments(count: int) -> str:
    """``"1 segment"``, ``"3 segments"``."""
    return f"{count} segment" if count == 1 else f"{count} segments"


def clock(seconds: float) -> str:
    """``m:ss`` for a time in seconds (whole seconds, rounded down; negative times show as 0:00)."""
    minutes, secs = divmod(int(max(0.0, seconds)), 60)
    return f"{minutes}:{secs:02d}"
