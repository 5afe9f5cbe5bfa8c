"""Turn a bundle trained with an "other music" class into a genre bundle (outlier exposure in training).

A model fine-tuned on a folder with one more class of real other music
(``python -m training.realmusic.mixed ... --other-genre Other``, then
``urdu-genre train ... --init-from BUNDLE``) has learned features that tell
that music from the genres, but names "Other" as if it were a genre. This
writes the same model without that output::

    python -m training.other_label FIVE.ugm --label Other --out FOUR.ugm

The last layer keeps the genres' columns (softmax over them alone); the
penultimate features, and everything before them, are unchanged. The bundle
is written without a not-a-genre check: fit one on its features with
``urdu-genre calibrate FOUR.ugm ... --other DIR`` (:mod:`training.other_check`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def drop_label(source: str | Path, label: str, out: str | Path):
    """Write ``source`` without its ``label`` output to ``out``.

    Returns
    -------
    ModelBundle
        What was written.

    Raises
    ------
    ValueError
        ``label`` is not one of the bundle's, or it would leave fewer than two.
    """
    import keras

    from training.calibrate import logit_head
    from training.export import export_bundle, keras_model_from_bundle, penultimate_output
    from urdu_genre_app.core.bundle import load_bundle

    bundle = load_bundle(source)
    if label not in bundle.labels or len(bundle.labels) < 3:
        raise ValueError(f"{label!r} is not one of {bundle.labels}, or dropping it leaves fewer than two genres")
    keep = [i for i, name in enumerate(bundle.labels) if name != label]
    model = keras_model_from_bundle(bundle)
    weights, bias = logit_head(model)
    features, last = penultimate_output(model)
    head = keras.layers.Dense(len(keep), activation="softmax", name=f"{last.name}_genres")
    smaller = keras.Model(model.inputs, head(features), name=model.name)
    head.set_weights([weights[:, keep].astype(np.float32), bias[keep].astype(np.float32)])
    provenance = {**bundle.provenance, "dropped_label": {"label": label, "from": str(source)}}
    return export_bundle(
        smaller, out, labels=[bundle.labels[i] for i in keep], feature_params=bundle.feature_params,
        feature_mean=bundle.feature_mean, feature_std=bundle.feature_std, window_policy=bundle.window_policy,
        architecture=bundle.architecture, architecture_options=bundle.architecture_options,
        provenance=provenance, metrics={k: v for k, v in bundle.metrics.items() if k != "novelty"},
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m training.other_label BUNDLE --label Other --out OUT``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--label", default="Other", help="the output to drop (default Other)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        written = drop_label(args.bundle, args.label, args.out)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"wrote {args.out}: {', '.join(written.labels)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
