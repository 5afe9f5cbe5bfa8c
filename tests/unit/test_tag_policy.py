"""The tag policy: a doubtful verdict is never written unless confirmed or asked for; a confirmed genre wins."""

from __future__ import annotations

import pytest

from urdu_genre_app.core.results import SongResult, WindowResult
from urdu_genre_app.library.tag_policy import (
    SKIP_NO_VERDICT,
    SKIP_UNCERTAIN,
    SKIP_UNKNOWN,
    doubt,
    plan_tags,
    tag_genre,
)

LABELS = ["Ghazal", "Qawwali", "Rock"]


def _song(path: str, probabilities=(0.9, 0.05, 0.05), novelty: float | None = 0.2, silent: bool = False):
    window = WindowResult(0, 0.0, 30.0, () if silent else probabilities, silent=silent, novelty=novelty)
    return SongResult(path, LABELS, [window])


SURE = _song("sure.mp3")
NOT_A_GENRE = _song("noise.mp3", (0.05, 0.07, 0.88), novelty=3.0)
UNCERTAIN = _song("torn.mp3", (0.40, 0.35, 0.25))
SILENT = _song("silence.wav", silent=True)


def test_the_fixtures_are_what_they_claim():
    assert SURE.genre == "Ghazal" and not SURE.uncertain and not SURE.unknown
    assert NOT_A_GENRE.genre == "Rock" and NOT_A_GENRE.unknown
    assert UNCERTAIN.genre == "Ghazal" and UNCERTAIN.uncertain and not UNCERTAIN.unknown
    assert SILENT.genre is None


@pytest.mark.parametrize("result, expected", [
    (SURE, ("Ghazal", None)),
    (NOT_A_GENRE, (None, SKIP_UNKNOWN)),
    (UNCERTAIN, (None, SKIP_UNCERTAIN)),
    (SILENT, (None, SKIP_NO_VERDICT)),
    (None, (None, SKIP_NO_VERDICT)),
])
def test_only_a_sure_verdict_is_written_by_default(result, expected):
    assert tag_genre(result) == expected


@pytest.mark.parametrize("result", [SURE, NOT_A_GENRE, UNCERTAIN, SILENT, None])
def test_a_confirmed_genre_always_wins(result):
    assert tag_genre(result, "Qawwali") == ("Qawwali", None)
    assert tag_genre(result, "Qawwali", include_doubtful=True) == ("Qawwali", None)


def test_asked_explicitly_a_doubtful_verdict_writes_its_nearest_genre():
    assert tag_genre(NOT_A_GENRE, include_doubtful=True) == ("Rock", None)
    assert tag_genre(UNCERTAIN, include_doubtful=True) == ("Ghazal", None)
    assert tag_genre(SILENT, include_doubtful=True) == (None, SKIP_NO_VERDICT)  # nothing to write, still


def test_a_model_without_the_check_is_judged_on_certainty_alone():
    no_check = _song("old-model.mp3", (0.05, 0.07, 0.88), novelty=None)
    assert no_check.unknown is None and doubt(no_check) is None and tag_genre(no_check) == ("Rock", None)


def test_the_plan_says_what_it_skips_and_why():
    songs = [("sure.mp3", SURE, None), ("noise.mp3", NOT_A_GENRE, None), ("torn.mp3", UNCERTAIN, None),
             ("tone.mp3", NOT_A_GENRE, None), ("silence.wav", SILENT, None), ("mine.mp3", NOT_A_GENRE, "Qawwali")]
    plan = plan_tags(songs)
    assert plan.genres == {"sure.mp3": "Ghazal", "mine.mp3": "Qawwali"}
    assert plan.skipped == {"noise.mp3": SKIP_UNKNOWN, "tone.mp3": SKIP_UNKNOWN, "torn.mp3": SKIP_UNCERTAIN,
                            "silence.wav": SKIP_NO_VERDICT}
    assert plan.doubtful_skipped() == 3
    assert plan.skipped_summary("use --include-doubtful") == (
        "4 skipped: 2 not a known genre, 1 uncertain, 1 no verdict (use --include-doubtful)")
    everything = plan_tags(songs, include_doubtful=True)
    assert everything.genres["noise.mp3"] == "Rock" and list(everything.skipped) == ["silence.wav"]
    assert everything.skipped_summary("use --include-doubtful") == "1 skipped: 1 no verdict"
    assert plan_tags([("sure.mp3", SURE, None)]).skipped_summary("x") == ""
