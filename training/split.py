"""Train / validation / test split: by song (default), or the paper's leaky window split.

``"song"`` (:data:`SPLIT_SONG`)
    Whole songs go to one side: 60 / 20 / 20 % of each genre's songs by
    default (stratified), chosen by a seeded shuffle. Every window of a song,
    and every augmented copy of it, lands on the same side, so the test score
    measures songs the model has never heard. Checked on every split.

``"window-paper-leaky"`` (:data:`SPLIT_WINDOW_PAPER_LEAKY`)
    The paper's protocol, kept only to reproduce it: its *windows* are split
    at random (stratified by genre), so windows of one song sit in both train
    and test and the score is optimistic. Augmented copies stay with their
    clean window. :meth:`Split.leaked_songs` says how many test songs leaked.

Validation and test sets hold clean windows only (copy 0); training takes
every copy of its windows. Each genre needs at least three songs (windows,
for the leaky split) so that every side gets one.

A folder too small to spare songs for validation and test is cross-validated
by song instead (:func:`choose_folds`, :func:`assign_folds`: stratified
folds, every song held out once; :mod:`training.pipeline` and
:mod:`training.improve` use them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from training.errors import DatasetError, TrainingConfigError

if TYPE_CHECKING:
    from training.extract import WindowSet

SPLIT_SONG = "song"
SPLIT_WINDOW_PAPER_LEAKY = "window-paper-leaky"
SPLIT_MODES = (SPLIT_SONG, SPLIT_WINDOW_PAPER_LEAKY)
#: Train, validation and test fractions (the paper's 60 / 20 / 20).
DEFAULT_FRACTIONS = (0.6, 0.2, 0.2)
#: A folder whose smallest genre has fewer songs than this is *small*: every song trains the final model and
#: k-fold cross-validation by song estimates its accuracy (:mod:`training.pipeline`; issue 16.5).
SMALL_FOLDER_SONGS = 10
#: Most folds of a cross-validation by song (each costs one more training).
MAX_FOLDS = 5
#: With at least this many songs a single stratified hold-out (1 fold, 20 %) replaces k-fold (:func:`choose_folds`).
HOLDOUT_SONGS = 60
#: Fraction of each genre's songs held out when :data:`HOLDOUT_SONGS` is reached.
HOLDOUT_FRACTION = 0.2


@dataclass(frozen=True)
class Split:
    """Window indices of each side of a split.

    By song (no song on two sides: :func:`split_windows`, and each fold of
    :mod:`training.pipeline`) or, to reproduce the paper's figures only, by
    window (:meth:`leaked_songs` then names the songs on both sides).

    Attributes
    ----------
    mode : str
        :data:`SPLIT_SONG` or :data:`SPLIT_WINDOW_PAPER_LEAKY`.
    train, validation, test : numpy.ndarray, shape (n_side,), int64
        Indices into the :class:`~training.extract.WindowSet`; validation and
        test hold clean windows only.
    train_songs, validation_songs, test_songs : numpy.ndarray, int64
        Songs with at least one window on that side (sorted).
    """

    mode: str
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    train_songs: np.ndarray
    validation_songs: np.ndarray
    test_songs: np.ndarray

    def leaked_songs(self) -> np.ndarray:
        """Songs with windows in training and in validation or test (empty for a song split)."""
        held_out = np.union1d(self.validation_songs, self.test_songs)
        return np.intersect1d(self.train_songs, held_out)

    def sizes(self) -> dict[str, dict[str, int]]:
        """Songs and windows on each side (JSON-ready, for bundle metrics)."""
        return {
            "train": {"songs": int(self.train_songs.size), "windows": int(self.train.size)},
            "validation": {"songs": int(self.validation_songs.size), "windows": int(self.validation.size)},
            "test": {"songs": int(self.test_songs.size), "windows": int(self.test.size)},
        }


def _side_counts(n: int, fractions: tuple[float, float, float], genre: str, unit: str) -> tuple[int, int, int]:
    if n < 3:
        raise DatasetError(
            f"genre {genre!r} has only {n} {unit}; a split needs at least 3 "
            f"(one each for training, validation and test)"
        )
    validation = max(1, int(round(n * fractions[1])))
    test = max(1, int(round(n * fractions[2])))
    train = n - validation - test
    while train < 1:  # tiny genres: take back from the larger held-out side
        if validation >= test and validation > 1:
            validation -= 1
        else:
            test -= 1
        train = n - validation - test
    return train, validation, test


def _stratified(
    unit_labels: np.ndarray, labels: list[str], fractions: tuple[float, float, float], rng: np.random.Generator,
    unit: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sides: tuple[list, list, list] = ([], [], [])
    for label_index, genre in enumerate(labels):
        members = np.flatnonzero(unit_labels == label_index)
        if members.size == 0:
            continue
        members = rng.permutation(members)
        n_train, n_validation, _ = _side_counts(members.size, fractions, genre, unit)
        sides[0].append(members[:n_train])
        sides[1].append(members[n_train : n_train + n_validation])
        sides[2].append(members[n_train + n_validation :])
    return tuple(np.sort(np.concatenate(side)) if side else np.zeros(0, np.int64) for side in sides)  # type: ignore[return-value]


def check_fractions(fractions: tuple[float, float, float]) -> tuple[float, float, float]:
    """Validate train/validation/test fractions: three positive numbers summing to 1."""
    fractions = tuple(float(f) for f in fractions)
    if len(fractions) != 3 or any(f <= 0 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-6:
        raise TrainingConfigError(f"split fractions {fractions} must be three positive numbers that sum to 1")
    return fractions  # type: ignore[return-value]


def split_windows(
    windows: WindowSet,
    *,
    mode: str = SPLIT_SONG,
    fractions: tuple[float, float, float] = DEFAULT_FRACTIONS,
    seed: int = 0,
) -> Split:
    """Split a window set into train, validation and test.

    Parameters
    ----------
    windows : WindowSet
        From :func:`training.extract.extract_windows`.
    mode : str
        :data:`SPLIT_SONG` (default) or :data:`SPLIT_WINDOW_PAPER_LEAKY`.
    fractions : tuple of float
        Train, validation, test fractions per genre.
    seed : int
        Seed of the shuffle.

    Returns
    -------
    Split

    Raises
    ------
    DatasetError
        A genre has fewer than three songs (windows, for the leaky split).
    TrainingConfigError
        Unknown mode or bad fractions.
    AssertionError
        A song split put a song on two sides (a bug; never expected).
    """
    fractions = check_fractions(fractions)
    rng = np.random.default_rng(seed)
    clean = windows.copy == 0
    if mode == SPLIT_SONG:
        train_s, validation_s, test_s = _stratified(windows.song_labels, windows.labels, fractions, rng, "songs")
        train = np.flatnonzero(np.isin(windows.song, train_s))
        validation = np.flatnonzero(np.isin(windows.song, validation_s) & clean)
        test = np.flatnonzero(np.isin(windows.song, test_s) & clean)
    elif mode == SPLIT_WINDOW_PAPER_LEAKY:
        # Units are (song, window) pairs; augmented copies follow their clean window.
        units = np.flatnonzero(clean)
        train_u, validation_u, test_u = _stratified(windows.label[units], windows.labels, fractions, rng, "windows")
        unit_id = windows.song * (int(windows.window.max(initial=0)) + 1) + windows.window
        train = np.flatnonzero(np.isin(unit_id, unit_id[units[train_u]]))
        validation, test = units[validation_u], units[test_u]
    else:
        raise TrainingConfigError(f"unknown split {mode!r}; choose one of {', '.join(SPLIT_MODES)}")
    split = Split(
        mode=mode,
        train=train.astype(np.int64),
        validation=validation.astype(np.int64),
        test=test.astype(np.int64),
        train_songs=np.unique(windows.song[train]),
        validation_songs=np.unique(windows.song[validation]),
        test_songs=np.unique(windows.song[test]),
    )
    if mode == SPLIT_SONG:
        sides = (split.train_songs, split.validation_songs, split.test_songs)
        for a in range(3):
            for b in range(a + 1, 3):
                shared = np.intersect1d(sides[a], sides[b])
                if shared.size:
                    raise AssertionError(f"song split put songs {shared.tolist()} on two sides")
    return split


def choose_folds(song_labels: np.ndarray, requested: int | None = None) -> int:
    """How many folds to cross-validate with.

    Parameters
    ----------
    song_labels : numpy.ndarray, shape (n_songs,), int
        Label index of every confirmed song.
    requested : int, optional
        An explicit choice (>= 1); 1 is a single hold-out.

    Returns
    -------
    int
        ``requested`` if given; otherwise 1 (hold-out) from
        :data:`HOLDOUT_SONGS` songs on, else the number of songs in the
        smallest genre, between 2 and :data:`MAX_FOLDS`.
    """
    if requested is not None:
        if requested < 1:
            raise ValueError(f"folds={requested} must be at least 1")
        return int(requested)
    if song_labels.size >= HOLDOUT_SONGS:
        return 1
    counts = np.bincount(song_labels)
    smallest = int(counts[counts > 0].min())
    return int(min(MAX_FOLDS, max(2, smallest)))


def assign_folds(song_labels: np.ndarray, n_folds: int, *, seed: int = 0) -> np.ndarray:
    """Fold of every song, stratified by genre (fold ids from 0; -1 = never held out).

    With ``n_folds == 1`` about :data:`HOLDOUT_FRACTION` of each genre (at
    least one song, when the genre has two) is held out as fold 0, the rest is
    -1. Otherwise each genre's songs are shuffled and dealt round-robin.
    """
    rng = np.random.default_rng(seed)
    folds = np.full(song_labels.size, -1, dtype=np.int64)
    offset = 0
    for label in np.unique(song_labels):
        members = rng.permutation(np.flatnonzero(song_labels == label))
        if n_folds == 1:
            take = int(round(members.size * HOLDOUT_FRACTION)) if members.size >= 2 else 0
            folds[members[: max(1 if members.size >= 2 else 0, take)]] = 0
        else:
            # Continue dealing where the previous genre stopped, so small genres do not all land in fold 0.
            folds[members] = (np.arange(members.size) + offset) % n_folds
            offset += members.size
    return folds
