"""How the GUI writes times and counts (one place, so every view rounds alike)."""

from __future__ import annotations

from urdu_genre_app.core.clock import clock

__all__ = ["clock", "segments"]


def segments(count: int) -> str:
    """``"1 segment"``, ``"3 segments"``."""
    return f"{count} segment" if count == 1 else f"{count} segments"
