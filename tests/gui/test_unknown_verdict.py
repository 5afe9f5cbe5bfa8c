"""The "Not one of Ghazal, Qawwali, Hip-hop, Rock" check, shown by the real MainWindow with the real bundled model."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_hex

from tests import audio_factory
from urdu_genre_app.components.palette import GENRE_COLOURS, UNKNOWN_COLOUR, UNKNOWN_GREYS

pytestmark = pytest.mark.gui


@pytest.fixture
def bundled():
    from urdu_genre_app.resources import bundled_model_path

    path = bundled_model_path()
    if not path.exists():
        pytest.skip(f"the bundled model is not shipped yet ({path})")
    return str(path)


def _open_and_wait(window, qtbot, path):
    widget = window.classify_widget
    with qtbot.waitSignal(widget.analysis_finished, timeout=90_000) as blocker:
        widget.open_file(str(path))
    return blocker.args[0]


def _strip_colours(chart) -> list[str]:
    """Face colours of the top-genre strip, one per window."""
    collection = chart.strip_axes.collections[-1]
    return [to_hex(colour) for colour in collection.get_facecolors()]


def test_a_tone_is_not_like_any_genre_and_is_drawn_grey(make_window, bundled, tmp_path, qtbot):
    tone = (0.4 * np.sin(2 * np.pi * 440.0 * np.arange(40 * audio_factory.SR) / audio_factory.SR)).astype(np.float32)
    path = audio_factory.write_audio(tmp_path / "tone440.flac", tone)
    window = make_window(bundled)
    result = _open_and_wait(window, qtbot, path)
    assert result.unknown is True
    verdict = window.classify_widget.verdict_view.verdict
    # The verdict names the model's own genres; the closest one and its probability come second, on their own line.
    assert verdict.verdict.text().startswith(f"Not one of {', '.join(window.bundle.labels)}")
    assert result.genre not in verdict.verdict.text().replace(", ".join(window.bundle.labels), "")
    assert verdict.closest.isVisible() and verdict.closest.text() == f"closest: {result.genre} {result.confidence:.0%}"
    assert "none of the genres" in verdict.notes.text()
    status = window.statusBar().currentMessage()
    assert f"Not one of {', '.join(window.bundle.labels)} (closest: {result.genre} {result.confidence:.0%})" in status
    assert verdict.bars.values == pytest.approx(result.probabilities) and verdict.bars.muted
    chart = window.classify_widget.charts.segment_chart
    flagged = [i for i, w in enumerate(result.windows) if w.unknown and not w.silent]
    assert flagged and chart.unknown_indices == flagged
    grey = {c.lower() for c in UNKNOWN_GREYS}
    genre = {c.lower() for c in GENRE_COLOURS}
    for i in flagged:
        colours = {to_hex(patch.get_facecolor()) for patch in chart.bar_groups[i]}
        assert colours <= grey, (i, colours)
        assert not colours & genre
    strip = _strip_colours(chart)
    assert all(strip[i] == UNKNOWN_COLOUR.lower() for i in flagged)
    legend = [t.get_text() for t in chart.bars_axes.get_legend().get_texts()]
    assert "no known genre" in legend


def test_a_genre_song_is_not_flagged_and_keeps_its_colours(make_window, bundled, tmp_path, qtbot):
    from training.synth import generate_song

    song = audio_factory.write_audio(tmp_path / "qawwali.mp3", generate_song("Qawwali", 31337, duration_seconds=45))
    window = make_window(bundled)
    result = _open_and_wait(window, qtbot, song)
    assert result.unknown is False
    verdict = window.classify_widget.verdict_view.verdict
    assert "Not one of" not in verdict.verdict.text() and not verdict.closest.isVisible()
    assert "none of the genres" not in verdict.notes.text()
    assert not verdict.bars.muted
    chart = window.classify_widget.charts.segment_chart
    assert chart.unknown_indices == []
    scored = [i for i, w in enumerate(result.windows) if not w.silent]
    strip = _strip_colours(chart)
    assert all(strip[i] == GENRE_COLOURS[result.windows[i].top_index()].lower() for i in scored)


def test_a_model_without_the_check_says_so(make_window, tiny_bundle_path, qtbot):
    from PySide6.QtWidgets import QApplication, QLabel

    from urdu_genre_app.gui.model_dialog import ModelInfoDialog

    window = make_window(tiny_bundle_path, wait_charts=False)
    assert window.bundle.novelty is None
    assert "not-a-genre check unavailable" in window.model_label.text()
    window.model_details_action.trigger()
    qtbot.waitUntil(lambda: any(isinstance(w, ModelInfoDialog) and w.isVisible() for w in QApplication.topLevelWidgets()))
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, ModelInfoDialog))
    facts = dialog.findChildren(QLabel)[2].text()
    assert "Genre check" in facts and "unavailable" in facts
    dialog.close()


def test_the_bundled_models_details_say_the_check_is_available(make_window, bundled, qtbot):
    from urdu_genre_app.gui.model_dialog import novelty_check_text

    window = make_window(bundled, wait_charts=False)
    assert "unavailable" not in window.model_label.text()
    assert novelty_check_text(window.bundle).startswith("available")


def test_only_the_unknown_windows_of_a_mixed_song_are_grey(make_window, bundled, tmp_path, qtbot):
    from training.synth import generate_song

    sr = audio_factory.SR
    song = np.asarray(generate_song("Qawwali", 4242, duration_seconds=60), dtype=np.float32)
    tone = (0.4 * np.sin(2 * np.pi * 440.0 * np.arange(60 * sr) / sr)).astype(np.float32)
    path = audio_factory.write_audio(tmp_path / "qawwali then tone.flac", np.concatenate([song, tone]))
    window = make_window(bundled)
    result = _open_and_wait(window, qtbot, path)
    flagged = {i for i, w in enumerate(result.windows) if w.unknown and not w.silent}
    known = {i for i, w in enumerate(result.windows) if w.unknown is False and not w.silent}
    assert flagged and known, [w.novelty for w in result.windows]
    chart = window.classify_widget.charts.segment_chart
    assert set(chart.unknown_indices) == flagged
    strip = _strip_colours(chart)
    for i in flagged:
        assert strip[i] == UNKNOWN_COLOUR.lower()
    for i in known:
        assert strip[i] == GENRE_COLOURS[result.windows[i].top_index()].lower()
        assert {to_hex(p.get_facecolor()) for p in chart.bar_groups[i]} <= {c.lower() for c in GENRE_COLOURS}
