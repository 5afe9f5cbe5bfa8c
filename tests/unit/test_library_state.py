"""What the Library says, without Qt: a song that is not a genre never reads like a sure verdict."""

from __future__ import annotations

from types import SimpleNamespace

from urdu_genre_app.components import library_state as S
from urdu_genre_app.core.results import SongResult, WindowResult
from urdu_genre_app.library.library import LibraryEntry
from urdu_genre_app.library.tag_policy import plan_tags

LABELS = ["Ghazal", "Qawwali", "Rock"]


def _entry(path: str, probabilities=(0.9, 0.05, 0.05), novelty: float | None = 0.2, **fields) -> LibraryEntry:
    result = SongResult(path, LABELS, [WindowResult(0, 0.0, 30.0, probabilities, novelty=novelty)])
    return LibraryEntry(path, result=result, **fields)


NOISE = _entry("/m/noise.mp3", (0.05, 0.07, 0.88), novelty=3.0)
SURE = _entry("/m/ghazal.mp3")


def test_a_song_that_is_not_a_genre_names_its_nearest_genre_only_as_such():
    assert S.verdict_text(NOISE) == "Not one of the genres (closest: Rock)"  # short: the file names keep the width
    assert S.verdict_tooltip(NOISE).startswith("Not one of Ghazal, Qawwali, Rock (closest: Rock 88%)")
    assert S.confidence_text(NOISE) == ""  # "88 %" would read as sure of Rock
    assert "none of the model's genres" in S.verdict_tooltip(NOISE) and "88%" in S.verdict_tooltip(NOISE)
    assert "not a known genre" in NOISE.flags and S.flags_text(NOISE) == "needs review"  # the verdict says it
    assert S.verdict_text(SURE) == "Ghazal" and S.confidence_text(SURE) == "90%" and S.verdict_tooltip(SURE) is None


def test_rows_without_a_verdict():
    assert S.verdict_text(LibraryEntry("/m/a.mp3")) == "…"
    failed = LibraryEntry("/m/b.mp3", error="b.mp3: not an audio file")
    assert S.verdict_text(failed) == "cannot read" and S.verdict_tooltip(failed) == "b.mp3: not an audio file"
    silent = LibraryEntry("/m/c.wav", result=SongResult("/m/c.wav", LABELS, [WindowResult(0, 0, 30, (), silent=True)]))
    assert S.verdict_text(silent) == "silence"


def test_the_not_a_genre_filter_and_verdict_filters():
    choices = S.filter_choices(LABELS)
    assert (S.NOT_A_GENRE, S.FILTER_UNKNOWN) in choices
    assert [mode for _text, mode in choices].index(S.FILTER_UNKNOWN) > [m for _t, m in choices].index("verdict:Rock")
    assert S.accepts(NOISE, S.FILTER_UNKNOWN) and not S.accepts(SURE, S.FILTER_UNKNOWN)
    assert not S.accepts(NOISE, "verdict:Rock")  # its nearest genre is not its verdict
    assert S.accepts(SURE, "verdict:Ghazal") and S.accepts(NOISE, S.FILTER_REVIEW)
    assert not S.accepts(_entry("/m/x.mp3", (0.05, 0.07, 0.88), novelty=3.0, confirmed="Rock"), S.FILTER_REVIEW)


def test_the_bulk_question_and_the_summary_say_how_many_and_what_was_skipped():
    plan = plan_tags([(e.path, e.result, e.confirmed) for e in (NOISE, SURE)])
    question = S.write_tags_question(plan)
    assert question.startswith("Write a genre into the tags of 1 file?")
    assert "1 skipped: 1 not a known genre" in question and "confirm their genre" in question
    report = SimpleNamespace(summary=lambda: "1 file tagged", failures=["c.mp3: the file is read-only"])
    assert S.tags_done_text(report, plan) == (
        f"1 file tagged; 1 skipped: 1 not a known genre ({S.CONFIRM_HINT}).\nc.mp3: the file is read-only")
    assert S.tags_done_text(report, None).startswith("1 file tagged.")


def test_summary_and_key_hint():
    assert S.summary_text([NOISE, SURE, LibraryEntry("/m/p.mp3")]) == "3 songs: 2 classified, 1 to review, 0 confirmed"
    assert S.key_hint(LABELS).startswith("Keys 1/2/3 or G/Q/R confirm") and S.key_hint([]) == ""


def test_a_song_that_is_not_a_genre_is_not_also_called_uncertain():
    torn_between = _entry("/m/air.mp3", (0.4, 0.4, 0.2), novelty=2.0)
    assert torn_between.result.uncertain and torn_between.result.flag_words == []
    assert torn_between.result.verdict_text() == "Not one of Ghazal, Qawwali, Rock (closest: Ghazal 40%)"
    assert S.flags_text(torn_between) == "needs review"
    a_genre = _entry("/m/b.mp3", (0.4, 0.4, 0.2))
    assert a_genre.result.flag_words == ["uncertain"] and a_genre.result.verdict_text() == "Ghazal (40%) [uncertain]"
    assert S.flags_text(a_genre) == "uncertain, needs review"
