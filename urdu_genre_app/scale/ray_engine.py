"""Songs as a Ray Data map step: one actor per worker, each with the model loaded once.

The driver lists the songs, ships the model bundle's bytes once through Ray's
object store (:func:`ray.put`; every actor fetches the same object, so the
``.ugm`` need not be on the workers' disks), and runs
``map_batches(SongClassifier, compute=ActorPoolStrategy(size=workers))``. Each
actor starts with :data:`~urdu_genre_app.library.batch.WORKER_ENVIRONMENT`
(one BLAS thread, set before NumPy loads, as the library's process pool
does) and runs LiteRT on one thread, through the same
:func:`~urdu_genre_app.library.batch.open_classifier` and
:func:`~urdu_genre_app.library.batch.classify_one` as that pool, so a verdict
here is the verdict of ``urdu-genre classify``. Rows stream back to the
driver, which writes them (:mod:`urdu_genre_app.scale.archive`): a song's
row is a few kilobytes against megabytes of audio, and one writer keeps
resume, progress and Ctrl+C simple.

A song named by a URI (``s3://...``) is copied to the actor's temporary
folder through pyarrow's filesystems, classified and deleted.
"""

from __future__ import annotations

import collections
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Sequence

from urdu_genre_app.library.batch import (
    WORKER_DIED_REASON, WORKER_ENVIRONMENT, FileOutcome, classify_one, open_classifier,
)
from urdu_genre_app.scale.errors import ScaleError, require
from urdu_genre_app.scale.inputs import is_uri

log = logging.getLogger(__name__)

#: The most songs in one block of the input dataset: an actor takes a block at a time, so small
#: blocks balance the load at the end of a run and bring rows back sooner.
MAX_SONGS_PER_BLOCK = 16
#: Blocks per worker a run aims for, at least (so no actor waits while another holds many songs).
BLOCKS_PER_WORKER = 16
#: Times a block is tried again after its actor died (a decoder crash, the out-of-memory killer). Ray Data's
#: default is forever, so one song that kills its process would stop the run; after these, the block's
#: unfinished songs become error rows (:data:`LOST_REASON`) and the run goes on.
ACTOR_DEATH_RETRIES = 2
#: The error of a song whose actor died every time it was tried (the process pool's words).
LOST_REASON = WORKER_DIED_REASON


class SongClassifier:
    """A Ray Data callable class: classifies a batch of paths into rows of the archive's schema.

    Parameters
    ----------
    bundle_ref : list with one ray.ObjectRef
        The bundle file's bytes in the object store (wrapped in a list so Ray
        hands the actor the reference, and the actor fetches it once).
    model_sha256 : str
        The model's checksum, written into every row.
    suffix : str
        The bundle file's extension.
    """

    def __init__(self, bundle_ref: list, model_sha256: str, suffix: str = ".ugm") -> None:
        import ray

        seen = {name: os.environ.get(name) for name in WORKER_ENVIRONMENT}
        if seen != WORKER_ENVIRONMENT:
            log.warning("a classification actor started with %s instead of %s", seen, WORKER_ENVIRONMENT)
        self._folder = tempfile.mkdtemp(prefix="urdu-genre-actor-")
        bundle_path = os.path.join(self._folder, f"model{suffix}")
        with open(bundle_path, "wb") as handle:
            handle.write(ray.get(bundle_ref[0]))
        self._classifier = open_classifier(bundle_path, interpreter_threads=1)
        self._model_name = self._classifier.bundle.display_name
        self._model_sha256 = model_sha256

    def __call__(self, batch):
        """Rows (a ``pyarrow.Table``) for the ``path`` column of ``batch``."""
        from urdu_genre_app.scale.schema import outcome_row, rows_to_table

        rows = [outcome_row(self._classify(path), model_name=self._model_name, model_sha256=self._model_sha256,
                            path=path)
                for path in batch.column("path").to_pylist()]
        return rows_to_table(rows)

    def _classify(self, path: str) -> FileOutcome:
        if not is_uri(path):
            return classify_one(self._classifier, path)
        try:
            local = self._fetch(path)
        except OSError as error:
            return FileOutcome(path, None, f"cannot be read ({error})")
        try:
            return classify_one(self._classifier, local)
        finally:
            os.unlink(local)

    def _fetch(self, uri: str) -> str:
        import pyarrow.fs as pafs

        filesystem, path = pafs.FileSystem.from_uri(uri)
        local = os.path.join(self._folder, "song" + os.path.splitext(path)[1])
        with filesystem.open_input_stream(path) as source, open(local, "wb") as target:
            shutil.copyfileobj(source, target, 1 << 20)
        return local

    def __del__(self) -> None:
        shutil.rmtree(getattr(self, "_folder", ""), ignore_errors=True)


def connect(address: str, workers: int | None) -> bool:
    """Join the Ray cluster at ``address``, or start one here for ``"local"``.

    Returns
    -------
    bool
        True when this call started (or joined) Ray and so should shut it
        down; False when this process was already connected.

    Raises
    ------
    ScaleExtraMissing
        Ray is not installed.
    ScaleError
        No cluster answers at ``address``.
    """
    ray = require("ray", "--ray")
    if ray.is_initialized():
        return False
    # Workers' own logs stay in Ray's session folder; our rows carry each song's error.
    options = {"include_dashboard": False, "log_to_driver": False,
               "logging_level": logging.getLogger("ray").getEffectiveLevel()}
    try:
        if address == "local":
            ray.init(address="local", num_cpus=workers, **options)
        else:
            ray.init(address=address, **options)
    except Exception as error:  # noqa: BLE001 - Ray raises bare Exception too (a node that timed out starting)
        where = "start Ray on this machine" if address == "local" else f"reach a Ray cluster at {address}"
        raise ScaleError(f"cannot {where} ({error})") from None
    return True


def cluster_workers() -> int:
    """Actors to run when none are asked for: one per CPU of the cluster."""
    import ray

    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def run(paths: Sequence[str], bundle_path: str, model_sha256: str, *, workers: int,
        on_rows: Callable[[list[dict]], None], is_cancelled: Callable[[], bool]) -> tuple[bool, list[str]]:
    """Classify ``paths`` on the connected cluster, handing rows to ``on_rows`` as they come.

    Each path's row is handed over once, even when a block is tried again
    after its actor died (its finished songs come back again then).

    Returns
    -------
    cancelled : bool
        True when stopped early by ``is_cancelled``.
    lost : list of str
        Paths with no row because their actor died :data:`ACTOR_DEATH_RETRIES`
        + 1 times (empty when cancelled: those songs are simply not done).
    """
    import ray
    import ray.data

    logging.getLogger("ray.data").setLevel(max(logging.getLogger("ray").getEffectiveLevel(),
                                               logging.getLogger("ray.data").level))
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the CLI draws its own bar
    context.print_on_execution_start = False
    context.max_errored_blocks = -1  # a block whose actor kept dying is dropped; its songs become error rows
    with open(bundle_path, "rb") as handle:
        bundle_ref = ray.put(handle.read())
    owed = collections.Counter(paths)  # rows still to hand over per path (a path listed twice gets two)

    def hand_over(songs: Sequence[str], songs_per_block: int) -> bool:
        dataset = ray.data.from_items([{"path": path} for path in songs],
                                      override_num_blocks=max(1, -(-len(songs) // songs_per_block)))
        with warnings.catch_warnings():
            # max_task_retries has no named parameter in Ray 2.60 (its ``**ray_remote_args`` are deprecated,
            # to go in 2.64); without it Ray Data retries a block forever.
            warnings.filterwarnings("ignore", message="`ray_remote_args` is deprecated")
            classified = _map_songs(dataset, bundle_ref, model_sha256, bundle_path, min(workers, len(songs)))
        for table in classified.iter_batches(batch_size=None, batch_format="pyarrow"):
            rows = []
            for row in table.to_pylist():
                if owed[row["path"]] > 0:  # not a second copy from a block tried again
                    owed[row["path"]] -= 1
                    rows.append(row)
            on_rows(rows)
            if is_cancelled():
                return True
        return False

    songs_per_block = max(1, min(MAX_SONGS_PER_BLOCK, len(paths) // (workers * BLOCKS_PER_WORKER)))
    if hand_over(paths, songs_per_block):
        return True, []
    if songs_per_block > 1 and sum(owed.values()):
        # A dropped block's songs after the one that killed its actor were never tried: again, one a block.
        if hand_over(list(owed.elements()), 1):
            return True, []
    return False, list(owed.elements())


def _map_songs(dataset, bundle_ref, model_sha256: str, bundle_path: str, workers: int):
    """``dataset`` of paths mapped to rows by ``workers`` :class:`SongClassifier` actors."""
    import ray.data

    return dataset.map_batches(
        SongClassifier,
        fn_constructor_args=([bundle_ref], model_sha256, os.path.splitext(bundle_path)[1] or ".ugm"),
        batch_size=1,
        batch_format="pyarrow",
        # One block in flight an actor: a song that kills its actor takes only its own block's retries
        # with it, never those of another block queued on the same actor (under load that lost innocent songs).
        compute=ray.data.ActorPoolStrategy(size=workers, max_tasks_in_flight_per_actor=1),
        num_cpus=1,
        max_task_retries=ACTOR_DEATH_RETRIES,
        runtime_env={"env_vars": dict(WORKER_ENVIRONMENT)},
    )


def disconnect() -> None:
    """Leave (and, when this process started it, stop) the Ray cluster."""
    import ray

    ray.shutdown()


def check_installed() -> None:
    """Raise :class:`~urdu_genre_app.scale.errors.ScaleExtraMissing` when Ray Data is not installed."""
    require("ray", "--ray")
    try:
        import ray.data  # noqa: F401
    except ImportError:
        raise ScaleError("--ray needs Ray Data: pip install 'urdu-genre-app[scale]'") from None
