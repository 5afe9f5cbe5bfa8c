"""The original MSD musicnn: its TF1 checkpoint in the ``musicnn==0.1.0`` wheel.

The wheel cannot be installed as a normal dependency (its metadata pins
``numpy<1.17``), so ``scripts/setup.sh`` unpacks it with ``pip install
--no-deps --target <venv>/musicnn-0.1.0``; :func:`find_checkpoint` looks there
(or where ``URDU_GENRE_MUSICNN_DIR`` points). Two jobs:

* :func:`convert_weights` writes the weights the port needs (no optimizer
  slots: 3.2 MB instead of 9.5) to ``resources/musicnn/`` once::

      python -m training.musicnn.checkpoint            # -> resources/musicnn/msd_musicnn_weights.npz

* :class:`ReferenceGraph` runs the original graph itself, the reference the
  port is tested against: the ``.meta`` parsed into a ``MetaGraphDef``, every
  node's ``_output_shapes`` attribute deleted (the gradient nodes do not
  import otherwise), imported in graph mode and restored.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

#: Where ``scripts/setup.sh`` unpacks the wheel, under the virtual environment.
WHEEL_TARGET = "musicnn-0.1.0"
#: Overrides the folder that holds the unpacked wheel (the one with ``musicnn/``).
ENVIRONMENT_VARIABLE = "URDU_GENRE_MUSICNN_DIR"
#: Tensor names of the original graph (the extractor's ``tf.name_scope('model')``).
INPUT_TENSOR = "model/Placeholder:0"
# Placeholder_1 holds the training labels, shape (None, 50); Placeholder_2 is ``is_training``.
IS_TRAINING_TENSOR = "model/Placeholder_2:0"
PENULTIMATE_TENSOR = "model/batch_normalization_10/batchnorm/add_1:0"
LOGITS_TENSOR = "model/dense_1/BiasAdd:0"


def find_checkpoint() -> Path:
    """The wheel's ``musicnn/MSD_musicnn`` checkpoint folder.

    Raises
    ------
    FileNotFoundError
        The wheel is not unpacked where it is looked for (run ``bash scripts/setup.sh test``).
    """
    candidates = []
    if os.environ.get(ENVIRONMENT_VARIABLE):
        candidates.append(Path(os.environ[ENVIRONMENT_VARIABLE]))
    candidates.append(Path(sys.prefix) / WHEEL_TARGET)
    for root in candidates:
        folder = root / "musicnn" / "MSD_musicnn"
        if (folder / ".index").is_file():
            return folder
    raise FileNotFoundError(
        "the musicnn 0.1.0 wheel is not unpacked in "
        + " or ".join(str(c) for c in candidates)
        + " (run: pip install --no-deps --target <venv>/musicnn-0.1.0 musicnn==0.1.0, as scripts/setup.sh does)"
    )


def read_checkpoint(folder: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every model variable of the checkpoint (Adam slots and step counters left out).

    Returns
    -------
    dict of str to numpy.ndarray
        ``"conv2d/kernel"`` -> shape (7, 38, 1, 204), float32, and so on.
    """
    import tensorflow as tf

    reader = tf.compat.v1.train.NewCheckpointReader(str(Path(folder)) + os.sep)
    names = [n for n in reader.get_variable_to_shape_map() if "Adam" not in n and "power" not in n]
    return {name: np.asarray(reader.get_tensor(name), dtype=np.float32) for name in sorted(names)}


def keras_weights(variables: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Checkpoint variables renamed and reshaped for :func:`~training.musicnn.backbone.build_backbone`.

    The mid-end's Conv2D kernels, shape (7, channels, 1, 64), become the
    Conv1D kernels of the port, shape (7, channels, 64); all else is as stored.
    """
    out = {}
    for name, value in variables.items():
        layer = name.split("/")[0]
        if layer in ("conv2d_5", "conv2d_6", "conv2d_7") and name.endswith("kernel"):
            value = value[:, :, 0, :]
        out[name] = value
    return out


def convert_weights(folder: str | os.PathLike, out: str | os.PathLike) -> Path:
    """Write the port's weights (``.npz``, no pickle) from the checkpoint in ``folder``."""
    from urdu_genre_app.core.atomic import atomic_write

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(out) as raw:
        np.savez(raw, **keras_weights(read_checkpoint(folder)))
    return out


class ReferenceGraph:
    """The original MSD musicnn graph, restored from the checkpoint, run with TF1 sessions.

    Parameters
    ----------
    folder : str or os.PathLike
        The checkpoint folder (:func:`find_checkpoint`).
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        import tensorflow as tf
        from tensorflow.core.protobuf import meta_graph_pb2

        folder = Path(folder)
        meta = meta_graph_pb2.MetaGraphDef()
        meta.ParseFromString((folder / ".meta").read_bytes())
        for node in meta.graph_def.node:
            if "_output_shapes" in node.attr:
                del node.attr["_output_shapes"]
        self._graph = tf.Graph()
        with self._graph.as_default():
            saver = tf.compat.v1.train.import_meta_graph(meta)
            self._session = tf.compat.v1.Session(graph=self._graph)
            saver.restore(self._session, str(folder) + os.sep)

    def run(self, patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Penultimate embeddings and tag logits of log-mel patches.

        Parameters
        ----------
        patches : numpy.ndarray, shape (batch, 187, 96), float32

        Returns
        -------
        penultimate : numpy.ndarray, shape (batch, 200)
        logits : numpy.ndarray, shape (batch, 50)
        """
        return self._session.run(
            [PENULTIMATE_TENSOR, LOGITS_TENSOR],
            feed_dict={INPUT_TENSOR: np.asarray(patches, np.float32), IS_TRAINING_TENSOR: False},
        )

    def close(self) -> None:
        """Release the session."""
        self._session.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m training.musicnn.checkpoint [--checkpoint DIR] [--out FILE]``."""
    from training.musicnn.backbone import default_weights_path

    parser = argparse.ArgumentParser(description="Convert the musicnn wheel's MSD checkpoint for the Keras port.")
    parser.add_argument("--checkpoint", type=Path, help="the wheel's musicnn/MSD_musicnn folder (default: found)")
    parser.add_argument("--out", type=Path, default=default_weights_path(), help="the .npz to write")
    args = parser.parse_args(argv)
    written = convert_weights(args.checkpoint or find_checkpoint(), args.out)
    print(f"wrote {written} ({written.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
