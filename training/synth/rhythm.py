"""Rhythm patterns: taal thekas, dholak chalans, clap patterns and drum grooves.

Step patterns are strings over a grid: ``X`` accent (velocity 1), ``x`` normal
(0.75), ``o`` ghost (0.35), ``.`` rest. Taal thekas are lists of bols, one
per matra (``-`` = rest).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.synth.percussion import Event
from training.synth.timeline import TempoMap

_VEL = {"X": 1.0, "x": 0.75, "o": 0.35}


@dataclass(frozen=True)
class Taal:
    """A rhythmic cycle played on tabla or dholak.

    Attributes
    ----------
    name : str
    bols : tuple of str
        One stroke per matra (``-`` = rest).
    matras_per_beat : int
        How the cycle maps onto the tempo's beats (2 = matras are eighths).
    """

    name: str
    bols: tuple[str, ...]
    matras_per_beat: int

    @property
    def beats(self) -> float:
        """Cycle length in beats."""
        return len(self.bols) / self.matras_per_beat


TAALS: dict[str, Taal] = {
    t.name: t
    for t in (
        Taal("dadra", ("dha", "dhi", "na", "dha", "tun", "na"), 3),
        Taal("keherwa", ("dha", "ge", "na", "ti", "na", "ka", "dhin", "na"), 2),
        Taal("keherwa2", ("dha", "-", "dhin", "na", "ta", "-", "dhin", "na"), 2),
        Taal("rupak", ("tin", "tin", "na", "dhi", "na", "dhi", "na"), 2),
        Taal("deepchandi", ("dha", "dhin", "-", "dha", "dha", "tin", "-",
                            "ta", "tin", "-", "dha", "dha", "dhin", "-"), 2),
        Taal("qawwali", ("dha", "ti", "dha", "ge", "na", "ti", "dhin", "na"), 2),
        Taal("teentaal", ("dha", "dhin", "dhin", "dha", "dha", "dhin", "dhin", "dha",
                          "dha", "tin", "tin", "ta", "ta", "dhin", "dhin", "dha"), 4),
    )
}

#: Dholak chalans for qawwali (one bar of eight eighths, dholak stroke names).
DHOLAK_CHALANS = (
    ("dha", "-", "ta", "dha", "-", "ta", "ta", "-"),
    ("ge", "ta", "-", "ge", "ta", "-", "ge", "ta"),
    ("dha", "ge", "ta", "ti", "ta", "ka", "dha", "ta"),
    ("dha", "-", "ta", "ge", "dha", "-", "ta", "-"),
    ("ge", "-", "ta", "ge", "-", "ge", "ta", "ti"),
)

#: Qawwali clap patterns over one bar of eight eighths.
CLAP_PATTERNS = ("x.x.x.x.", "x.x.x...", "x..x..x.", "X.x.X.x.", "x.xx.xx.", "xxxxxxxx", "X...X...", ".x.x.x.x")

ROCK_KICKS = ("x.......x.......", "x.......x.x.....", "x.....x.x.......", "x..x..x...x.....", "x...x...x...x...",
              "x.x.....x.x.....", "x......xx.......")
ROCK_HATS = ("x.x.x.x.x.x.x.x.", "xxxxxxxxxxxxxxxx", "x...x...x...x...", "x.x.x.x.x.x.x.xo")
BOOMBAP_KICKS = ("x.........x.....", "x......x..x.....", "x..x......x..x..", "x.....x...x..x..", "x.x.......x...x.",
                 "x......x.x......")
TRAP_KICKS = ("x......x..x.....", "x.....x.......x.", "x..x......x.....", "x.......x..x..x.")


def grid_events(tm: TempoMap, start_beat: float, n_beats: float, pattern: str, steps_per_beat: int, name: str,
                rng: np.random.Generator, *, vel: float = 1.0, swing: float = 0.5, jitter_s: float = 0.0,
                vel_jitter: float = 0.1) -> list[Event]:
    """Loop a step pattern over a span of beats.

    Parameters
    ----------
    tm : TempoMap
    start_beat, n_beats : float
        Span to fill (the pattern restarts at ``start_beat``).
    pattern : str
        Step string (see module docstring).
    steps_per_beat : int
        Grid resolution (4 = sixteenths in 4/4).
    name : str
        Stroke name given to every event.
    rng : numpy.random.Generator
    vel : float
        Velocity scale.
    swing : float
        Position of odd steps inside a step pair (0.5 straight, 0.67 triplet swing).
    jitter_s : float
        Standard deviation of human timing error in s.
    vel_jitter : float
        Relative velocity randomisation.

    Returns
    -------
    list of Event
    """
    steps = [(i, _VEL[c]) for i, c in enumerate(pattern) if c in _VEL]
    if not steps:
        return []
    plen = len(pattern)
    total = int(np.ceil(n_beats * steps_per_beat))
    idx = np.arange(total)
    step_in = idx % plen
    hits = np.array([dict(steps).get(int(s), 0.0) for s in range(plen)])[step_in]
    keep = hits > 0
    idx, hits = idx[keep], hits[keep]
    pair = (idx // 2) * 2
    beat = start_beat + (pair + np.where(idx % 2 == 1, 2 * swing, 0.0)) / steps_per_beat
    times = tm.time(beat)
    if jitter_s > 0:
        times = times + rng.normal(0, jitter_s, len(times))
    vels = vel * hits * (1 + vel_jitter * rng.uniform(-1, 1, len(hits)))
    return [(float(t), name, float(v)) for t, v in zip(times, vels)]


def taal_events(tm: TempoMap, start_beat: float, n_beats: float, taal: Taal, rng: np.random.Generator, *,
                vel: float = 1.0, variation: float = 0.2, fill_prob: float = 0.2, jitter_s: float = 0.008,
                alt: dict[str, tuple[str, ...]] | None = None) -> list[Event]:
    """Play a taal's theka with ornaments (ghost strokes, substitutions, fills).

    Parameters
    ----------
    tm : TempoMap
    start_beat, n_beats : float
        Span to fill, in beats; cycles start at ``start_beat``.
    taal : Taal
    rng : numpy.random.Generator
    vel : float
        Overall velocity.
    variation : float
        Probability of substituting a bol or adding a ghost stroke.
    fill_prob : float
        Probability that a cycle ends with a fast fill (tirakita / roll).
    jitter_s : float
        Timing spread in s.
    alt : dict, optional
        Substitution candidates per bol (defaults suit the tabla).

    Returns
    -------
    list of Event
    """
    alt = alt or {"dha": ("dha", "dhin", "ge"), "na": ("na", "ta", "tin", "te"), "dhin": ("dhin", "dha", "dhi"),
                  "tin": ("tin", "na"), "ge": ("ge", "ke"), "ti": ("ti", "te", "na"), "ta": ("ta", "na")}
    events: list[Event] = []
    mpb = taal.matras_per_beat
    n_matras = int(np.floor(n_beats * mpb + 1e-9))
    n_bols = len(taal.bols)
    n_cycles = int(np.ceil(n_matras / n_bols))
    for c in range(n_cycles):
        fill = rng.random() < fill_prob
        for j, bol in enumerate(taal.bols):
            mi = c * n_bols + j
            if mi >= n_matras:
                break
            beat = start_beat + mi / mpb
            if fill and j >= n_bols - max(2, n_bols // 4):
                # fast strokes: 4 per matra (tirakita) or 2 (roll)
                sub = 4 if mpb <= 2 else 2
                names = ("ti", "ra", "ki", "ta") if sub == 4 else ("dha", "ti")
                for s in range(sub):
                    nm = {"ra": "te", "ki": "ke"}.get(names[s], names[s])
                    events.append((float(tm.time(beat + s / (sub * mpb))), nm, vel * rng.uniform(0.45, 0.8)))
                continue
            if bol == "-":
                if rng.random() < variation:
                    events.append((float(tm.time(beat)), str(rng.choice(("te", "ke", "ge"))), vel * 0.3))
                continue
            name = bol
            if rng.random() < variation and bol in alt:
                name = str(rng.choice(alt[bol]))
            accent = 1.0 if j == 0 else (0.85 if j % max(1, mpb) == 0 else 0.7)
            events.append((float(tm.time(beat)), name, vel * accent * rng.uniform(0.85, 1.1)))
            if rng.random() < variation * 0.5:
                events.append((float(tm.time(beat + 0.5 / mpb)), str(rng.choice(("te", "ke", "ge"))),
                               vel * rng.uniform(0.2, 0.4)))
    if jitter_s > 0:
        events = [(t + float(rng.normal(0, jitter_s)), n, v) for t, n, v in events]
    return events
