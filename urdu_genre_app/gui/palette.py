"""Colours shared by the charts and the verdict bars (Okabe–Ito, readable by colour-blind users)."""

from __future__ import annotations

GENRE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#444444")
SILENCE_COLOUR = "#9E9E9E"
SYNTHETIC_WARNING_COLOUR = "#8A4B00"


def genre_colour(index: int) -> str:
    """Colour of the label at ``index`` in model order."""
    return GENRE_COLOURS[index % len(GENRE_COLOURS)]
