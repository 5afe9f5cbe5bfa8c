"""The Classify charts: windows drawn where they were scored, what the feature panel says, legends, live counts."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from tests import audio_factory
from tests.gui.test_classify_window import wait_for_verdict

pytestmark = pytest.mark.gui


@pytest.fixture
def musicnn():
    from urdu_genre_app.resources import resource_path

    path = resource_path("models", "musicnn_synthetic.ugm")
    if not path.exists():
        pytest.skip(f"the musicnn model is not shipped ({path})")
    return str(path)


def _white_columns(widget, axes) -> int:
    """How many pixel columns of ``axes``' plotting area are pure white from top to bottom."""
    widget.canvas.draw()
    pixels = np.asarray(widget.canvas.buffer_rgba())
    height = pixels.shape[0]
    box = axes.get_window_extent()
    rows = slice(int(height - box.y1) + 3, int(height - box.y0) - 3)
    columns = slice(int(box.x0) + 3, int(box.x1) - 3)
    area = pixels[rows, columns, :3]
    return int((area == 255).all(axis=2).all(axis=0).sum())


@pytest.mark.slow
def test_a_musicnn_model_draws_windows_where_it_scored_them(make_window, musicnn, tmp_path, qtbot):
    song = np.concatenate([audio_factory.make_sound(kind, 50.0, seed=i) for i, kind in enumerate(("Clicks", "Sweep"))])
    path = audio_factory.write_audio(tmp_path / "hundred seconds.wav", song)
    window = make_window(musicnn)
    widget = window.classify_widget
    widget.open_file(str(path))
    result = wait_for_verdict(qtbot, window, timeout=120_000)
    chart = widget.charts.segment_chart
    # A window every 90 s, the last aligned to the end: 0-30 s and 70-100 s, nothing claimed in between.
    assert [(w.start_seconds, w.end_seconds) for w in result.windows] == [(0.0, 30.0), (70.0, 100.0)]
    assert chart.spans == [(0.0, 30.0), (70.0, 100.0)]
    assert [tuple(round(v, 3) for v in gap) for gap in chart.gaps] == [(30.0, 70.0)]
    legend = [t.get_text() for t in chart.bars_axes.get_legend().get_texts()]
    assert "not analysed" in legend
    mfcc = widget.charts.mfcc_view
    title = mfcc.axes.get_title(loc="left")
    assert "Log-mel spectrogram" in title and "96 bands" in title and "MFCC" not in title
    assert mfcc.axes.get_ylabel() == "Mel band" and "MFCC" not in mfcc.colorbar.ax.get_ylabel()
    assert mfcc.image().shape[1] == 96 and mfcc.axes.get_ylim() == (-0.5, 95.5)
    assert _white_columns(mfcc, mfcc.axes) == 0  # the unscored stretch is shaded, not a white gap
    assert mfcc.axes.get_xlim()[1] == pytest.approx(100.0, abs=0.1)


def test_a_new_file_clears_the_previous_chart_at_once(make_window, tiny_bundle_path, song_path, tmp_path, qtbot):
    window = make_window(tiny_bundle_path)
    widget = window.classify_widget
    widget.open_file(str(song_path))
    wait_for_verdict(qtbot, window)
    assert widget.charts.segment_chart.bar_count > 0 and widget.charts.mfcc_view.pieces
    other = shutil.copy(song_path, tmp_path / "next song.wav")
    widget.open_file(str(other))
    chart = widget.charts.segment_chart
    assert chart.bar_count == 0 and chart.empty_text.startswith("Decoding and analysing")
    assert widget.charts.mfcc_view.pieces == []
    wait_for_verdict(qtbot, window)
    assert chart.bar_count > 0 and not chart._empty_text.get_visible()


def test_the_verdict_counts_the_segments_the_chart_shows(make_window, tiny_bundle_path, song_path, qtbot):
    from urdu_genre_app.components.formatting import segments

    window = make_window(tiny_bundle_path)
    widget = window.classify_widget
    chart = widget.charts.segment_chart
    seen = []
    # Connected after the views: sees what they show once each window has been taken in.
    widget.state.events.scored.connect(lambda event: seen.append(
        (len(event.interim.windows), chart.bar_count, widget.verdict_view.verdict.heading.text())))
    widget.open_file(str(song_path))
    result = wait_for_verdict(qtbot, window)
    assert [n for n, _bars, _heading in seen] == list(range(1, len(result.windows) + 1))
    for count, bars, heading in seen:
        assert bars == count and f"({segments(count)})" in heading


def test_silence_and_no_known_genre_look_different(qtbot):
    from matplotlib.colors import to_hex

    from urdu_genre_app.core.results import WindowResult
    from urdu_genre_app.gui.charts import SegmentChartWidget

    chart = SegmentChartWidget()
    qtbot.addWidget(chart)
    windows = [WindowResult(0, 0.0, 3.0, (0.7, 0.3)),
               WindowResult(1, 3.0, 6.0, (), silent=True),
               WindowResult(2, 6.0, 9.0, (0.6, 0.4), novelty=3.0)]  # > 1: like no genre the model knows
    chart.set_result(["Ghazal", "Rock"], windows, 9.0)
    assert chart.silent_indices == [1] and chart.unknown_indices == [2]
    handles = {text.get_text(): handle for text, handle in
               zip(chart.bars_axes.get_legend().get_texts(), chart.bars_axes.get_legend().legend_handles)}
    silence, unknown = handles["silence"], handles["no known genre"]
    assert silence.get_hatch() and not unknown.get_hatch()
    assert to_hex(silence.get_facecolor()) != to_hex(unknown.get_facecolor())
    assert all(patch.get_hatch() for patch in chart.bar_groups[1])
    assert not any(patch.get_hatch() for patch in chart.bar_groups[2])
    # And on the top-genre strip: one colour per window, silence there too, hatched.
    strip = chart.strip_axes.collections[-1]
    assert len(strip.get_facecolors()) == 3
    assert any(c.get_hatch() for c in chart.strip_axes.collections[:-1])
