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

from training.realmusic.head import DEFAULT_C, GENRES, OTHER, TagHead, fit_head
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


#: Tags real songs of a genre score high on and our synthetic ones do not (../shared/REAL-MUSIC-NOTES.md:
#: per-tag AUC >= 0.9 on held-apart real songs; synthetic qawwali's MTT indian is 0.06-0.20).
#: :func:`training_rows` raises them, by a random amount, in copies of the synthetic songs' windows, so
#: the head learns that these cues mean the genre instead of learning that the genre lacks them.
REAL_CUES = {
    "Qawwali": ("mtt:indian", "mtt:sitar", "mtt:male vocal", "mtt:choir"),
    "Ghazal": ("msd:folk", "msd:acoustic", "mtt:sitar", "mtt:indian"),
    "Hip-hop": ("msd:Hip-Hop", "mtt:beats", "mtt:beat"),
}
#: Vocal tags: the real test songs of every class (rap, ghazal, qawwali, pop) have singing or rapping,
#: open-music's other songs and beats mostly do not; raised in copies of every class's windows so
#: that a voice says nothing about the class.
VOCAL_TAGS = ("mtt:vocal", "mtt:vocals", "mtt:singing", "mtt:male vocal", "mtt:man", "mtt:male", "mtt:voice",
              "mtt:male voice", "mtt:female", "mtt:female vocal", "mtt:woman", "msd:male vocalists",
              "msd:female vocalists")


@dataclass(frozen=True)
class Augment:
    """Tag-space augmentation: ``copies`` extra rows a window with tag logits raised by U(0, ``cue_shift``).

    Attributes
    ----------
    copies : int
        Augmented copies of each window (the song's weight is shared between them and the original).
    cue_shift : float
        Largest rise (logits) of a genre's :data:`REAL_CUES` in copies of its synthetic windows.
    vocal_shift : float
        Largest rise (logits) of the :data:`VOCAL_TAGS` in copies of every window (0: off).
    seed : int
    """

    copies: int = 3
    cue_shift: float = 4.0
    vocal_shift: float = 0.0
    seed: int = 0

    def rows(self, song: "SongData", rng: np.random.Generator) -> np.ndarray:
        """The song's windows then ``copies`` raised copies of them, shape ((1 + copies) * windows, 100)."""
        from training.realmusic.tags import TAG_NAMES

        base = song.windows
        cues = REAL_CUES.get(CLASSES[song.label], ()) if not song.real else ()
        cue_idx = [TAG_NAMES.index(t) for t in cues]
        vocal_idx = [TAG_NAMES.index(t) for t in VOCAL_TAGS] if self.vocal_shift > 0 else []
        if not cue_idx and not vocal_idx:
            return base
        out = [base]
        for _ in range(self.copies):
            copy = base.copy()
            if cue_idx:
                copy[:, cue_idx] += rng.uniform(0.0, self.cue_shift, (len(base), len(cue_idx)))
            if vocal_idx:
                # One draw a window for all vocal tags: a voice raises them together.
                copy[:, vocal_idx] += rng.uniform(0.0, self.vocal_shift, (len(base), 1))
            out.append(copy)
        return np.concatenate(out)


def training_rows(songs: list[SongData], *, real_share: float = 0.5, augment: Augment | None = None,
                  exclude: frozenset[str] = frozenset(),
                  class_weight: dict[str, float] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows, labels and weights: every class weighs the same, every song in it the same.

    Within a class that has real and synthetic songs, the real ones weigh
    ``real_share`` of it. ``augment`` adds raised copies of windows
    (:class:`Augment`), sharing their song's weight; songs named in
    ``exclude`` are left out; ``class_weight`` scales a class (by name).

    Returns
    -------
    x : numpy.ndarray, shape (n, 100)
    y : numpy.ndarray, shape (n,), int
    weight : numpy.ndarray, shape (n,)
    """
    rng = np.random.default_rng(augment.seed if augment else 0)
    songs = [s for s in songs if s.name not in exclude]
    x, y, weight = [], [], []
    for label in sorted({s.label for s in songs}):
        members = [s for s in songs if s.label == label]
        kinds = {True: [s for s in members if s.real], False: [s for s in members if not s.real]}
        scale = (class_weight or {}).get(CLASSES[label], 1.0)
        for real, group in kinds.items():
            if not group:
                continue
            share = scale * (1.0 if not kinds[not real] else (real_share if real else 1.0 - real_share))
            for song in group:
                rows = augment.rows(song, rng) if augment else song.windows
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
                     real_share: float = 0.5, threshold: float = 0.5, **recipe) -> list[Verdict]:
    """Every real song judged by a head fitted without its artist (and with every synthetic song).

    ``recipe``: :func:`training_rows`'s ``augment``, ``exclude`` and ``class_weight``.
    """
    verdicts = []
    for artist in sorted({s.group for s in real}):
        train = [s for s in real if s.group != artist] + synthetic
        x, y, w = training_rows(train, real_share=real_share, **recipe)
        head = fit_head(x, y, sample_weight=w, c=c)
        verdicts += judge(head, [s for s in real if s.group == artist], threshold)
    return verdicts


def cross_generator(real: list[SongData], synthetic: list[SongData], *, c: float = DEFAULT_C,
                    real_share: float = 0.5, threshold: float = 0.5, cue_rise: float = 0.0,
                    **recipe) -> list[Verdict]:
    """Synthetic ghazal and qawwali of each renderer judged by a head that saw only the other renderer's.

    ``cue_rise`` > 0 is the prior check: the judged songs' :data:`REAL_CUES` are
    raised by that many logits first (real-like ghazal and qawwali must still
    be named right, not flagged). ``recipe`` as :func:`leave_artist_out`.
    """
    import dataclasses

    from training.realmusic.tags import TAG_NAMES

    south_asian = {CLASSES.index("Ghazal"), CLASSES.index("Qawwali")}
    verdicts = []
    for origin in sorted({s.origin for s in synthetic}):
        train = real + [s for s in synthetic if s.origin != origin or s.label not in south_asian]
        x, y, w = training_rows(train, real_share=real_share, **recipe)
        head = fit_head(x, y, sample_weight=w, c=c)
        judged = [s for s in synthetic if s.origin == origin and s.label in south_asian]
        if cue_rise:
            raised = []
            for song in judged:
                slots = song.slots.copy()
                slots[..., [TAG_NAMES.index(t) for t in REAL_CUES[CLASSES[song.label]]]] += cue_rise
                raised.append(dataclasses.replace(song, slots=slots))
            judged = raised
        verdicts += judge(head, judged, threshold)
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
