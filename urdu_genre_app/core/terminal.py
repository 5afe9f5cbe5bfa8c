"""A one-line progress bar on a terminal stream (``urdu-genre classify`` and ``urdu-genre train`` draw it)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

#: Characters between the brackets.
BAR_WIDTH = 30
#: Seconds between redraws, except the last one of a task (20 a second is smooth and cheap).
MIN_REDRAW_SECONDS = 0.05


class ProgressBar:
    """``<prefix>[#########.....] <text>``, redrawn in place with a carriage return.

    Parameters
    ----------
    stream : text stream, optional
        Where to draw (default: ``sys.stderr`` at construction).
    enabled : bool, optional
        Draw at all; by default only when ``stream`` is a terminal, so logs and
        pipes never see carriage returns.
    """

    def __init__(self, *, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._last_draw = 0.0
        self._drawn_width = 0

    def draw(self, fraction: float, text: str, *, prefix: str = "", final: bool = False) -> None:
        """Redraw the line: ``fraction`` in [0, 1] filled; ``final`` draws even right after another redraw."""
        if not self.enabled:
            return
        now = time.monotonic()
        if not final and now - self._last_draw < MIN_REDRAW_SECONDS:
            return
        self._last_draw = now
        filled = int(round(min(1.0, max(0.0, fraction)) * BAR_WIDTH))
        line = f"{prefix}[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {text}"
        self.stream.write("\r" + line)
        self.stream.flush()
        self._drawn_width = max(self._drawn_width, len(line))

    def clear(self) -> None:
        """Erase the line (before normal output); nothing when none is drawn."""
        if self._drawn_width:
            self.stream.write("\r" + " " * self._drawn_width + "\r")
            self.stream.flush()
            self._drawn_width = 0
