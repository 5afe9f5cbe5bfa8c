"""A :class:`~urdu_genre_app.core.results.SongResult` back from its ``to_dict`` form."""

from __future__ import annotations

from typing import Any

from urdu_genre_app.core.results import SongResult, WindowResult


def song_result_from_dict(data: dict[str, Any], labels: list[str]) -> SongResult:
    """Rebuild a result written by ``SongResult.to_dict(include_windows=True)``.

    Parameters
    ----------
    data : dict
        The JSON form.
    labels : list of str
        Genre names in model order (the order of each window's probabilities).

    Returns
    -------
    SongResult
        Equal in verdict, confidence, flags and windows to the one written
        (probabilities rounded to 6 decimals, as ``to_dict`` stores them).
    """
    windows = [
        WindowResult(
            index=int(w["index"]),
            start_seconds=float(w["start_seconds"]),
            end_seconds=float(w["end_seconds"]),
            probabilities=tuple(float(w["probabilities"][label]) for label in labels) if w["probabilities"] else (),
            silent=bool(w["silent"]),
            short=bool(w["short"]),
            level_dbfs=float(w["level_dbfs"]),
            novelty=None if w.get("novelty_score") is None else float(w["novelty_score"]),
        )
        for w in data["windows"]
    ]
    return SongResult(
        path=str(data["path"]),
        labels=list(labels),
        windows=windows,
        duration_seconds=float(data["duration_seconds"]),
        model_name=str(data.get("model", "")),
        warnings=list(data.get("warnings", [])),
    )
