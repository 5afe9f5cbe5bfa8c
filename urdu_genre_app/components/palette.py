"""Colours shared by the charts and the verdict bars (Okabe–Ito, readable by colour-blind users)."""

from __future__ import annotations

GENRE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#444444")
SILENCE_COLOUR = "#9E9E9E"
#: Top-genre strip colour of a window that sounds like no genre the model knows.
UNKNOWN_COLOUR = "#7A7A7A"
#: Greys the stacked probabilities of such a window are drawn in, one per genre so the parts stay apart.
UNKNOWN_GREYS = ("#6E6E6E", "#8C8C8C", "#A8A8A8", "#C2C2C2")
SYNTHETIC_WARNING_COLOUR = "#8A4B00"


def genre_colour(index: int) -> str:
    """Colour of the label at ``index`` in model order."""
    return GENRE_COLOURS[index % len(GENRE_COLOURS)]


def unknown_colour(index: int) -> str:
    """Grey for the label at ``index`` in a window that sounds like no known genre."""
    return UNKNOWN_GREYS[index % len(UNKNOWN_GREYS)]
