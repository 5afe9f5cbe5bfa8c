"""Archive scale on a local Ray cluster (two CPUs, loopback only), one cluster for the whole module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="the [scale] extra is not installed")
pytest.importorskip("ray.data")
import pyarrow.dataset as pads  # noqa: E402

from tests.scale_catalogue import ctrl_c_after_first_song, read_rows, write_catalogue, write_long_catalogue  # noqa: E402
from urdu_genre_app import cli  # noqa: E402
from urdu_genre_app.library.batch import classify_files  # noqa: E402
from urdu_genre_app.library.cache import model_checksum  # noqa: E402
from urdu_genre_app.scale import classify_to_parquet  # noqa: E402
from urdu_genre_app.scale.schema import SCHEMA  # noqa: E402

pytestmark = pytest.mark.slow  # starts Ray (~10 s) and its actors


@pytest.fixture(scope="module", autouse=True)
def ray_cluster():
    """A local cluster every test here shares: two CPUs, no dashboard, on the loopback address."""
    assert not ray.is_initialized()
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", log_to_driver=False,
             configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def songs(tmp_path_factory) -> Path:
    """Four 35 s songs in mixed formats and a corrupt MP3."""
    return write_catalogue(tmp_path_factory.mktemp("catalogue"), ["a.mp3", "b.flac", "c.ogg", "d.wav"])


def test_ray_rows_equal_classify_files_and_resume_skips_done_songs(bundled_model, songs, tmp_path):
    out = tmp_path / "out"
    summary = classify_to_parquet([songs], out, model=bundled_model.path, address="local", workers=2)
    assert (summary.engine, summary.workers, summary.written, summary.failed) == ("ray", 2, 5, 1)
    assert ray.is_initialized()  # a cluster this process had joined is left running
    assert pads.dataset(str(out), format="parquet").schema.equals(SCHEMA)
    rows = read_rows(out)
    paths = [row["path"] for row in rows]
    expected = {o.path: o for o in classify_files(paths, bundled_model.path, workers=1).outcomes}
    for row in rows:
        outcome = expected[row["path"]]
        assert row["model_sha256"] == model_checksum(bundled_model)
        if outcome.result is None:
            assert (Path(row["path"]).name, row["status"], row["error"]) == ("corrupt.mp3", "error", outcome.error)
        else:
            data = outcome.result.to_dict()
            assert (row["status"], row["genre"], row["confidence"], row["uncertain"], dict(row["probabilities"])) \
                == (data["status"], data["genre"], data["confidence"], data["uncertain"], data["probabilities"])
            assert row["window_count"] == len(outcome.result.windows) == 2

    again = classify_to_parquet([songs], out, model=bundled_model.path, address="local")
    assert (again.written, again.skipped) == (0, 5)
    assert len(read_rows(out)) == 5


def test_cli_ray_verdicts_equal_cli_json(bundled_model, songs, tmp_path, capsys):
    assert cli.main(["classify", str(songs), "--json", "--model", str(bundled_model.path)]) == cli.EXIT_FAILURES
    printed = {item["path"]: item for item in json.loads(capsys.readouterr().out)}
    out = tmp_path / "out"
    assert cli.main(["classify", str(songs), "--parquet", str(out), "--model", str(bundled_model.path),
                     "--ray"]) == cli.EXIT_FAILURES
    assert "by 2 Ray workers" in capsys.readouterr().err
    rows = {row["path"]: row for row in read_rows(out)}
    assert set(rows) == set(printed) | {str(songs / "corrupt.mp3")}
    for path, item in printed.items():
        assert (rows[path]["genre"], rows[path]["confidence"], dict(rows[path]["probabilities"]),
                rows[path]["novelty_score"]) == (item["genre"], item["confidence"], item["probabilities"],
                                                 item["novelty_score"])


def test_ctrl_c_on_a_terminal_stops_ray_keeps_the_songs_done_and_a_rerun_does_the_rest(bundled_model, tmp_path):
    # The command joins this module's cluster (--ray ADDRESS), so no second cluster is started.
    songs, out = write_long_catalogue(tmp_path / "songs", 12), tmp_path / "out"
    status, shown = ctrl_c_after_first_song(["classify", str(songs), "--parquet", str(out), "--model",
                                             str(bundled_model.path), "--workers", "2",
                                             f"--ray={ray.get_runtime_context().gcs_address}"])
    assert status == cli.EXIT_INTERRUPTED, shown
    assert "urdu-genre: stopped; the songs finished are in" in shown and "Traceback" not in shown  # not killed
    kept = [row["path"] for row in read_rows(out)]
    assert 1 <= len(kept) < 12
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []  # the open part file was closed

    rest = classify_to_parquet([songs], out, model=bundled_model.path, address="local", workers=2)
    assert (rest.skipped, rest.written, rest.failed) == (len(kept), 12 - len(kept), 0)
    paths = [row["path"] for row in read_rows(out)]
    assert len(paths) == len(set(paths)) == 12 and set(kept) <= set(paths)


def test_a_song_that_kills_its_actor_becomes_an_error_row_and_the_run_goes_on(bundled_model, songs, tmp_path,
                                                                               monkeypatch):
    from urdu_genre_app.scale import ray_engine

    catalogue = tmp_path / "catalogue"
    catalogue.mkdir()
    for name in ("a.mp3", "b.flac", "d.wav"):
        (catalogue / name).hardlink_to(songs / name)
    (catalogue / "a-kills.mp3").write_bytes((songs / "a.mp3").read_bytes())
    # Two songs a block: a-kills.mp3 shares its block with a.mp3, which the dead actor never reached.
    monkeypatch.setattr(ray_engine, "BLOCKS_PER_WORKER", 1)

    class DiesOnOneSong(ray_engine.SongClassifier):  # as a decoder crash or the out-of-memory killer would
        def _classify(self, path):
            if path.endswith("a-kills.mp3"):
                import os

                os._exit(1)
            return super()._classify(path)

    monkeypatch.setattr(ray_engine, "SongClassifier", DiesOnOneSong)
    summary = classify_to_parquet([catalogue], tmp_path / "out", model=bundled_model.path, address="local", workers=2)
    assert (summary.written, summary.failed, summary.cancelled) == (4, 1, False)
    rows = {Path(row["path"]).name: row for row in read_rows(tmp_path / "out")}
    assert len(read_rows(tmp_path / "out")) == 4
    assert (rows["a-kills.mp3"]["status"], rows["a-kills.mp3"]["error"]) == ("error", ray_engine.LOST_REASON)
    assert rows["a.mp3"]["status"] == rows["b.flac"]["status"] == rows["d.wav"]["status"] == "ok"


def test_actors_start_with_one_blas_thread_and_share_one_bundle_object(bundled_model, songs, monkeypatch):
    from urdu_genre_app.library.batch import WORKER_ENVIRONMENT
    from urdu_genre_app.scale import ray_engine

    for name in WORKER_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    # A variable only the actors' runtime_env can set: this cluster was started before, with other variables.
    monkeypatch.setattr(ray_engine, "WORKER_ENVIRONMENT", {**WORKER_ENVIRONMENT, "URDU_GENRE_PROBE": "actor"})
    puts = []
    real_put = ray.put

    def counting_put(value, **options):
        if isinstance(value, bytes):  # Ray Data puts its own objects (its context) too
            puts.append(len(value))
        return real_put(value, **options)

    monkeypatch.setattr(ray, "put", counting_put)

    class Probe(ray_engine.SongClassifier):
        def __call__(self, batch):
            import os

            import pyarrow as pa

            return pa.table({"path": batch.column("path"),
                             "blas": [os.environ.get("OPENBLAS_NUM_THREADS")] * batch.num_rows,
                             "probe": [os.environ.get("URDU_GENRE_PROBE")] * batch.num_rows,
                             "pid": [os.getpid()] * batch.num_rows})

    monkeypatch.setattr(ray_engine, "SongClassifier", Probe)
    rows = []
    paths = [str(p) for p in sorted(songs.iterdir())] * 2
    ray_engine.run(paths, str(bundled_model.path), "c", workers=2, on_rows=rows.extend, is_cancelled=lambda: False)
    assert len(rows) == len(paths) and {(row["blas"], row["probe"]) for row in rows} == {("1", "actor")}
    assert len({row["pid"] for row in rows}) <= 2  # one process per actor, each reused for many songs
    assert puts == [Path(bundled_model.path).stat().st_size]  # the bundled_model, shipped once
