"""Archive scale without Ray: the Parquet rows and schema, inputs, part files, resume, the pool engine, the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow", reason="the [scale] extra is not installed")
import pyarrow.dataset as pads  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from tests import audio_factory  # noqa: E402
from tests.scale_catalogue import ctrl_c_after_first_song, read_rows, write_catalogue, write_long_catalogue  # noqa: E402
from urdu_genre_app import cli  # noqa: E402
from urdu_genre_app.library.batch import FileOutcome, classify_files  # noqa: E402
from urdu_genre_app.library.cache import model_checksum  # noqa: E402
from urdu_genre_app.scale import ScaleError, archive, classify_to_parquet, command  # noqa: E402
from urdu_genre_app.scale.inputs import expand_inputs  # noqa: E402
from urdu_genre_app.scale.schema import SCHEMA, outcome_row  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def songs(tmp_path_factory) -> Path:
    """Four 35 s songs (two windows each) in mixed formats, one nested, plus a corrupt MP3."""
    return write_catalogue(tmp_path_factory.mktemp("catalogue"), ["a.mp3", "album/b.flac", "c.ogg", "d.wav"])


def test_row_holds_the_json_verdict_and_an_error_is_a_row(bundled_model, songs):
    from urdu_genre_app.core.classifier import Classifier

    result = Classifier(bundled_model).classify_file(songs / "a.mp3")
    row = outcome_row(FileOutcome(str(songs / "a.mp3"), result), model_name="m", model_sha256="c" * 64)
    expected = result.to_dict(include_windows=True)
    assert {name: row[name] for name in ("status", "genre", "confidence", "uncertain", "unknown", "novelty_score")} \
        == {name: expected[name] for name in ("status", "genre", "confidence", "uncertain", "unknown",
                                              "novelty_score")}
    assert dict(row["probabilities"]) == expected["probabilities"]
    assert row["window_count"] == len(expected["windows"]) == 2
    assert [dict(w["probabilities"]) for w in row["windows"]] == [w["probabilities"] for w in expected["windows"]]
    failed = outcome_row(FileOutcome("x.mp3", None, "it is empty"), model_name="m", model_sha256="c" * 64)
    assert (failed["status"], failed["error"], failed["genre"], failed["window_count"]) == ("error", "it is empty",
                                                                                           None, 0)
    table = pa.Table.from_pylist([row, failed], schema=SCHEMA)  # both fit the documented schema
    assert table.num_rows == 2


def test_schema_is_the_documented_one():
    documented = (ROOT / "docs" / "SCALE.md").read_text()
    for field in SCHEMA:
        assert f"`{field.name}`" in documented, f"docs/SCALE.md does not document the {field.name} column"


def test_inputs_folders_globs_lists_and_uris(songs, tmp_path):
    (songs / ".hidden.mp3").write_bytes(b"")
    listing = tmp_path / "list.txt"
    listing.write_text(f"# songs to do\n{songs / 'c.ogg'}\n\n{os.path.relpath(songs / 'd.wav', tmp_path)}\nmissing.mp3\n")
    parquet_list = tmp_path / "list.parquet"
    pq.write_table(pa.table({"path": [str(songs / "a.mp3")]}), parquet_list)
    found = expand_inputs([str(songs / "album"), str(songs / "*.ogg"), str(listing), str(parquet_list),
                           f"file://{songs / 'a.mp3'}", str(tmp_path / "nothing-*.mp3"), str(tmp_path / "gone")])
    assert found == [
        (str(songs / "album" / "b.flac"), None),
        (str(songs / "c.ogg"), None),
        (str(songs / "d.wav"), None),
        (str(tmp_path / "missing.mp3"), "no such file or folder"),
        (str(songs / "a.mp3"), None),  # once, though named twice
        (str(tmp_path / "nothing-*.mp3"), "the pattern matches no audio file"),
        (str(tmp_path / "gone"), "no such file or folder"),
    ]
    everything = [path for path, error in expand_inputs([str(songs)])]
    assert ".hidden.mp3" not in " ".join(everything) and len(everything) == 5


def test_part_files_roll_and_a_stopped_writer_keeps_its_rows(tmp_path):
    out = tmp_path / "out"
    rows = [outcome_row(FileOutcome(f"{i}.mp3", None, "bad"), model_name="m", model_sha256="c") for i in range(7)]
    with archive.PartWriter(str(out), rows_per_group=2, rows_per_file=3) as writer:
        for row in rows:
            writer.add(row)
    assert [pq.ParquetFile(f).metadata.num_rows for f in sorted(writer.files)] == [3, 3, 1]
    assert [pq.ParquetFile(writer.files[0]).metadata.row_group(i).num_rows for i in range(2)] == [2, 1]
    with pytest.raises(KeyboardInterrupt):
        with archive.PartWriter(str(out)) as writer:
            writer.add(rows[0])
            raise KeyboardInterrupt
    assert len(read_rows(out)) == 8
    assert not [p for p in os.listdir(out) if p.startswith(".")]  # nothing left half-written
    assert archive.done_paths(str(out), "c") == {f"{i}.mp3" for i in range(7)}
    assert archive.done_paths(str(out), "another model") == set()
    (tmp_path / "file").write_text("x")
    with pytest.raises(ScaleError, match="is not a folder"):
        archive.done_paths(str(tmp_path / "file"), "c")


def test_pool_rows_equal_classify_files_and_resume_skips_what_is_done(bundled_model, songs, tmp_path):
    out = tmp_path / "out"
    summary = classify_to_parquet([songs], out, model=bundled_model.path, workers=2)
    assert (summary.engine, summary.written, summary.failed, summary.skipped) == ("pool", 5, 1, 0)
    rows = read_rows(out)
    paths = [row["path"] for row in rows]
    expected = {o.path: o for o in classify_files(paths, bundled_model.path, workers=1).outcomes}
    for row in rows:
        outcome = expected[row["path"]]
        assert row["model_sha256"] == model_checksum(bundled_model) and row["model"] == bundled_model.display_name
        if outcome.result is None:
            assert (row["status"], row["error"], row["genre"]) == ("error", outcome.error, None)
        else:
            data = outcome.result.to_dict()
            assert (row["status"], row["genre"], row["confidence"], dict(row["probabilities"])) \
                == (data["status"], data["genre"], data["confidence"], data["probabilities"])
    assert pads.dataset(str(out), format="parquet").schema.equals(SCHEMA)

    audio_factory.write_audio(songs / "e.wav", audio_factory.make_sound("Tone", 35.0, seed=9))
    try:
        again = classify_to_parquet([songs], out, model=bundled_model.path, workers=1)
    finally:
        (songs / "e.wav").unlink()
    assert (again.written, again.skipped) == (1, 5)
    assert [row["path"] for row in read_rows(out)] == sorted([*paths, str(songs / "e.wav")])


def test_cancel_stops_and_keeps_the_rows_written(bundled_model, songs, tmp_path):
    seen = []
    summary = classify_to_parquet([songs], tmp_path / "out", model=bundled_model.path, workers=1,
                                  on_progress=seen.append, is_cancelled=lambda: len(seen) >= 2)
    assert summary.cancelled and 2 <= summary.written < 5
    assert len(read_rows(tmp_path / "out")) == summary.written


def test_cli_parquet_then_ctrl_c_keeps_the_songs_done(bundled_model, songs, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    assert cli.main(["classify", str(songs), "--parquet", str(out), "--workers", "1", "--model",
                     str(bundled_model.path)]) == cli.EXIT_FAILURES  # the corrupt file
    assert "5 songs written" in capsys.readouterr().err
    assert cli.main(["classify", str(songs), "--parquet", str(out), "--model", str(bundled_model.path)]) == cli.EXIT_OK
    assert "0 songs written" in capsys.readouterr().err and len(read_rows(out)) == 5

    # Ctrl+C after the first song: the run stops at the next song and keeps what it wrote.
    drawn = command.ParquetProgress.update

    def interrupt_after_first(self, progress):
        drawn(self, progress)
        if progress.done == 1:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(command.ParquetProgress, "update", interrupt_after_first)
    handler_before = signal.getsignal(signal.SIGINT)
    again = tmp_path / "again"
    assert cli.main(["classify", str(songs), "--parquet", str(again), "--workers", "1", "--model",
                     str(bundled_model.path)]) == cli.EXIT_INTERRUPTED
    assert "stopped; the songs finished are in" in capsys.readouterr().err
    assert 1 <= len(read_rows(again)) < 5
    assert signal.getsignal(signal.SIGINT) is handler_before  # put back


@pytest.mark.slow  # two processes of the app, twelve 2-minute songs
def test_ctrl_c_on_a_terminal_stops_the_pool_keeps_the_songs_done_and_a_rerun_does_the_rest(bundled_model, tmp_path):
    songs, out = write_long_catalogue(tmp_path / "songs", 12), tmp_path / "out"
    status, shown = ctrl_c_after_first_song(["classify", str(songs), "--parquet", str(out), "--workers", "2",
                                             "--model", str(bundled_model.path)])
    assert status == cli.EXIT_INTERRUPTED, shown
    assert "urdu-genre: stopped; the songs finished are in" in shown and "Traceback" not in shown  # not killed
    kept = [row["path"] for row in read_rows(out)]
    assert 1 <= len(kept) < 12
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # the open part file was closed

    rest = classify_to_parquet([songs], out, model=bundled_model.path, workers=2)
    assert (rest.skipped, rest.written, rest.failed) == (len(kept), 12 - len(kept), 0)
    paths = [row["path"] for row in read_rows(out)]
    assert len(paths) == len(set(paths)) == 12 and set(kept) <= set(paths)


@pytest.mark.parametrize("arguments, problem", [
    (["--ray"], "go with --parquet"),
    (["--workers", "2"], "go with --parquet"),
    (["--parquet", "out", "--json"], "does not go with --json"),
    (["--parquet", "out", "--workers", "0"], "at least 1"),
])
def test_cli_usage_errors(songs, arguments, problem, capsys):
    assert cli.main(["classify", str(songs), *arguments]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert problem in err and len(err.strip().splitlines()) == 1


def test_without_the_extra_the_app_classifies_and_ray_says_how_to_install(bundled_model, songs, tmp_path):
    # A Python that cannot import ray or pyarrow, as an install without the [scale] extra.
    blocker = tmp_path / "sitecustomize.py"
    blocker.write_text(
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('ray', 'pyarrow'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}')\n"
        "sys.meta_path.insert(0, Block())\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}

    def run(*arguments):
        return subprocess.run([sys.executable, "-m", "urdu_genre_app", "classify", "--model", str(bundled_model.path),
                               *arguments], capture_output=True, text=True, env=env, timeout=300)

    classified = run(str(songs / "a.mp3"), "--json")
    assert classified.returncode == 0, classified.stderr
    assert json.loads(classified.stdout)[0]["genre"]
    for extra in (["--ray"], []):
        refused = run(str(songs / "a.mp3"), "--parquet", str(tmp_path / "out"), *extra)
        assert refused.returncode == cli.EXIT_USAGE
        assert refused.stderr.strip().count("\n") == 0
        assert "pip install 'urdu-genre-app[scale]'" in refused.stderr


def test_benchmark_start_up_is_the_intercept_of_the_steady_rate():
    from tests.benchmark_modules import load_benchmark

    bench = load_benchmark("bench_scale")
    # Two workers, the first rows after 10 s of start-up, then one song a second: 10 s fixed, 1 song/s.
    arrivals = [10.0 + i for i in range(20)]
    steady, fixed = bench.fixed_cost(30.0, arrivals, workers=2)
    assert steady == pytest.approx(1.0) and fixed == pytest.approx(10.0)
    assert bench.is_worker("ray", "ray::MapWorker(MapBatches(SongClassifier))")
    assert not bench.is_worker("ray", "ray::IDLE") and not bench.is_worker("pool", "/usr/bin/raylet")
    assert all(60 <= bench.song_seconds(i) <= 300 for i in range(50))
