"""Choosing and measuring the ``musicnn_tags`` head on real songs: leave-artist-out and cross-generator.

Songs are what :mod:`training.realmusic.features` cached: per song, the tag
logits of its windows' pooled patch slots. A window's features are their
mean (what the exported graph computes); a song's verdict follows the
classifier's rules: the mean of its windows' genre probabilities, "not one of
the genres" when the median of its windows' P(other music) is past the
threshold, *uncertain* when the top genre is under
:data:`~urdu_genre_app.core.results.UNCERTAIN_BELOW` or leads by less than
:data:`~urdu_genre_app.core.results.UNCERTAIN_MARGIN`.

* :func:`leave_artist_out` -- every real artist held out in turn; the head is
  fitted on all other real songs and every synthetic song; the held-out
  artist's songs are judged. The real-music figures of docs/TRAINING.md.
* :func:`cross_generator` -- ghazal and qawwali exist only as synthetic songs:
  fit with one renderer's ghazal/qawwali, judge the other renderer's.

Real hip-hop here is one producer's instrumental beats: held out, the head
has only synthetic hip-hop to learn from, which is the situation a user's
(rap) songs put it in too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from training.realmusic.family import DEFAULT_C, GENRES, OTHER, TagHead, fit_head
from urdu_genre_app.core.results import UNCERTAIN_BELOW, UNCERTAIN_MARGIN

#: Class index of every label: the genres, then other music.
CLASSES = (*GENRES, OTHER)
#: open-music's folder names -> the head's classes.
OPEN_MUSIC_CLASS = {"rock": "Rock", "hiphop": "Hip-hop", "other": OTHER}


@dataclass
class SongData:
    """One song's cached features and where it came from."""

    name: str
    label: int  # index into CLASSES
    group: str  # the artist (real) or the song itself (synthetic)
    origin: str  # "open-music", "synth-numpy", "synth-sampled"
    slots: np.ndarray  # (windows, slots, 100)

    @property
    def real(self) -> bool:
        return not self.origin.startswith("synth")

    @property
    def windows(self) -> np.ndarray:
        """Each window's features, shape (windows, 100): the mean of its pooled slots."""
        return self.slots.mean(axis=1)


@dataclass
class Verdict:
    """A song as the app would judge it."""

    song: SongData
    probabilities: np.ndarray  # (4,) mean over windows
    other: float  # median over windows of P(other music)
    threshold: float

    @property
    def top(self) -> int:
        return int(np.argmax(self.probabilities))

    @property
    def unknown(self) -> bool:
        return self.other > self.threshold

    @property
    def uncertain(self) -> bool:
        ordered = np.sort(self.probabilities)[::-1]
        return bool(ordered[0] < UNCERTAIN_BELOW or ordered[0] - ordered[1] < UNCERTAIN_MARGIN)

    @property
    def flagged(self) -> bool:
        return self.unknown or self.uncertain


def training_rows(songs: list[SongData], *, real_share: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows, labels and weights: every class weighs the same, every song in it the same.

    Within a class that has real and synthetic songs, the real ones weigh
    ``real_share`` of it.

    Returns
    -------
    x : numpy.ndarray, shape (n, 100)
    y : numpy.ndarray, shape (n,), int
    weight : numpy.ndarray, shape (n,)
    """
    x, y, weight = [], [], []
    for label in sorted({s.label for s in songs}):
        members = [s for s in songs if s.label == label]
        kinds = {True: [s for s in members if s.real], False: [s for s in members if not s.real]}
        for real, group in kinds.items():
            if not group:
                continue
            share = 1.0 if not kinds[not real] else (real_share if real else 1.0 - real_share)
            for song in group:
                rows = song.windows
                x.append(rows)
                y.append(np.full(len(rows), label))
                weight.append(np.full(len(rows), share / len(group) / len(rows)))
    weight = np.concatenate(weight)
    return np.concatenate(x), np.concatenate(y), weight * len(weight) / weight.sum()


def judge(head: TagHead, songs: list[SongData], threshold: float) -> list[Verdict]:
    """Each song's :class:`Verdict` under ``head``."""
    out = []
    for song in songs:
        p5 = head.probabilities(song.windows)
        logits = head.logits(song.windows)[:, : len(GENRES)]
        z = np.exp(logits - logits.max(axis=1, keepdims=True))
        genre = (z / z.sum(axis=1, keepdims=True)).mean(axis=0)
        out.append(Verdict(song, genre, float(np.median(p5[:, -1])), threshold))
    return out


def leave_artist_out(real: list[SongData], synthetic: list[SongData], *, c: float = DEFAULT_C,
                     real_share: float = 0.5, threshold: float = 0.5) -> list[Verdict]:
    """Every real song judged by a head fitted without its artist (and with every synthetic song)."""
    verdicts = []
    for artist in sorted({s.group for s in real}):
        train = [s for s in real if s.group != artist] + synthetic
        x, y, w = training_rows(train, real_share=real_share)
        head = fit_head(x, y, sample_weight=w, c=c)
        verdicts += judge(head, [s for s in real if s.group == artist], threshold)
    return verdicts


def cross_generator(real: list[SongData], synthetic: list[SongData], *, c: float = DEFAULT_C,
                    real_share: float = 0.5, threshold: float = 0.5) -> list[Verdict]:
    """Synthetic ghazal and qawwali of each renderer judged by a head that saw only the other renderer's."""
    south_asian = {CLASSES.index("Ghazal"), CLASSES.index("Qawwali")}
    verdicts = []
    for origin in sorted({s.origin for s in synthetic}):
        train = real + [s for s in synthetic if s.origin != origin or s.label not in south_asian]
        x, y, w = training_rows(train, real_share=real_share)
        head = fit_head(x, y, sample_weight=w, c=c)
        verdicts += judge(head, [s for s in synthetic if s.origin == origin and s.label in south_asian], threshold)
    return verdicts


@dataclass
class Summary:
    """Counts of one class's songs: right, flagged, confidently wrong."""

    label: str
    songs: int = 0
    named_right: int = 0  # top genre right (flagged or not)
    right: int = 0  # top genre right and not flagged
    flagged: int = 0  # not-a-genre or uncertain
    unknown: int = 0  # not-a-genre
    confidently_wrong: int = 0  # a wrong genre, not flagged
    wrong_as: dict = field(default_factory=dict)


def summarise(verdicts: list[Verdict]) -> dict[str, Summary]:
    """Per class :class:`Summary` (other music: ``named_right`` counts songs flagged)."""
    table: dict[str, Summary] = {}
    for v in verdicts:
        label = CLASSES[v.song.label]
        row = table.setdefault(label, Summary(label))
        row.songs += 1
        row.flagged += v.flagged
        row.unknown += v.unknown
        if label == OTHER:
            row.named_right += v.flagged
            row.right += v.flagged
            if not v.flagged:
                row.confidently_wrong += 1
                row.wrong_as[GENRES[v.top]] = row.wrong_as.get(GENRES[v.top], 0) + 1
            continue
        hit = GENRES[v.top] == label
        row.named_right += hit
        row.right += hit and not v.flagged
        if not hit and not v.flagged:
            row.confidently_wrong += 1
        if not hit:
            row.wrong_as[GENRES[v.top]] = row.wrong_as.get(GENRES[v.top], 0) + 1
    return table


def format_table(table: dict[str, Summary]) -> str:
    """Markdown rows: class, songs, named right, right and not flagged, flagged, not-a-genre, confidently wrong."""
    lines = ["| class | songs | named right | right, not flagged | flagged | not-a-genre | confidently wrong | "
             "wrong as |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    for label in CLASSES:
        row = table.get(label)
        if row is None:
            continue
        lines.append(f"| {label} | {row.songs} | {row.named_right} | {row.right} | {row.flagged} | {row.unknown} | "
                     f"{row.confidently_wrong} | {row.wrong_as or ''} |")
    return "\n".join(lines)
