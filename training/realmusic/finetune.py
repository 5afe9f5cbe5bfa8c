"""Fine-tuning a ``musicnn_tags`` bundle on a user's confirmed songs ("Improve", ``train --init-from``).

The taggers are frozen, so a window's pooled 100 tag logits never change:
every window is embedded once through the bundle's own LiteRT graph (its
``features`` output, the one the not-a-genre check reads), and only the
five-class logistic head is refitted, in NumPy, on those features::

    loss = mean_i  w_i * cross_entropy(softmax(x_i W + b), y_i)
           + PULL / 2 * (||(W - W0) * std||^2 + ||c - c0||^2)

``W0, b0`` are the bundle's head (its genre rows and its "other music" row,
from ``bundle.json``'s check); ``std`` scales the pull to standardised
features and ``c`` is the logit at the windows' mean (so the pull is the same
whatever the features' offsets). The pull keeps what the user gave no songs
for, "other music" above all, close to what the bundle learned from real
recordings; a new genre gets a new column that starts at zero. ``w_i`` gives
every genre present the same weight.

The refitted check (:func:`refitted_check`) is the bundle's own with the new
head: its "other music" column refitted as above, its threshold (chosen on
held-out real songs, which a user's corrections cannot replace) and its
temporal-structure check (a property of the audio, not of the head) kept;
the report says so.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from training.realmusic.head import TagHead

#: Strength of the pull toward the bundle's head, per standardised weight (the loss is a mean over windows).
#: benchmarks/bench_tagtune_pull.py (leave one song out, 12 synthetic songs through the default bundle): the
#: bundle alone 83 %, pull 0.05 67 %, 0.2 / 0.5 / 2.0 75 %. Too few songs to choose finely; a weak pull loses
#: most of what real songs taught the head, so a middle value of the best ones.
PULL = 0.5
#: Windows embedded per LiteRT call.
EMBED_BATCH = 8
#: L-BFGS iterations of a refit (a convex problem over ~500 numbers: it converges in far fewer).
MAX_ITERATIONS = 500
#: ``bundle.json``'s genre layer in the Keras half (:func:`training.realmusic.family.build_window_model`).
HEAD_LAYER = "genre_head"


def bundle_head(bundle) -> TagHead:
    """The five-class head a ``musicnn_tags`` bundle carries: its genre rows, then "other music".

    Raises
    ------
    ModelBundleError
        The bundle carries no "other music" check.
    """
    from urdu_genre_app.core.errors import ModelBundleError

    check = bundle.novelty
    if check is None or check.other_class is None or check.logit_weights is None:
        raise ModelBundleError(bundle.path, "its musicnn_tags model carries no \"other music\" output to fine-tune")
    weights = np.column_stack([np.asarray(check.logit_weights, np.float64),
                               np.asarray(check.other_class.weights, np.float64)])
    bias = np.append(np.asarray(check.logit_bias, np.float64), float(check.other_class.bias))
    return TagHead(weights=weights, bias=bias)


def widened_head(head: TagHead, genres: int) -> TagHead:
    """``head`` (its genre columns, then other) with zero columns for new genres inserted before "other".

    New genres start at the mean genre bias, so they begin as likely as an average known genre.
    """
    known = head.weights.shape[1] - 1
    extra = genres - known
    if extra < 0:
        raise ValueError(f"a head of {known} genres cannot shrink to {genres}")
    weights = np.concatenate([head.weights[:, :known], np.zeros((head.weights.shape[0], extra)),
                              head.weights[:, known:]], axis=1)
    bias = np.concatenate([head.bias[:known], np.full(extra, head.bias[:known].mean()), head.bias[known:]])
    return TagHead(weights=weights, bias=bias)


def genre_probabilities(head: TagHead, features: np.ndarray) -> np.ndarray:
    """Softmax over the genre columns only (the bundle's ``genre`` output), shape (n, 100) -> (n, genres)."""
    z = head.logits(features)[:, :-1]
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def refit_head(prior: TagHead, features: np.ndarray, labels: np.ndarray, *, pull: float = PULL,
               max_iterations: int = MAX_ITERATIONS) -> tuple[TagHead, dict[str, float]]:
    """Refit a five-class head on a few windows, pulled toward ``prior`` (the module docstring's loss).

    Parameters
    ----------
    prior : TagHead
        Weights ``(100, k)``, bias ``(k,)``: the genre columns then "other music" (already widened).
    features : numpy.ndarray, shape (n, 100)
        Pooled tag logits of the training windows.
    labels : numpy.ndarray, shape (n,), int
        Columns of ``prior`` (``0..k-1``).
    pull : float
        Strength of the pull toward ``prior``.
    max_iterations : int

    Returns
    -------
    head : TagHead
    figures : dict
        ``loss`` (training loss with the pull), ``accuracy`` (training windows, genre columns), ``iterations``.
    """
    from scipy.optimize import minimize

    x = np.asarray(features, np.float64)
    y = np.asarray(labels, np.int64)
    n, d = x.shape
    k = prior.weights.shape[1]
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / std
    v0 = prior.weights * std[:, None]  # the prior in standardised coordinates
    c0 = prior.bias + mean @ prior.weights
    counts = np.bincount(y, minlength=k).astype(np.float64)
    present = np.flatnonzero(counts)
    sample = np.zeros(k)
    sample[present] = 1.0 / (counts[present] * present.size)  # every genre present weighs the same
    w = sample[y]
    onehot = np.zeros((n, k))
    onehot[np.arange(n), y] = 1.0

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
        v, c = flat[: d * k].reshape(d, k), flat[d * k:]
        logits = z @ v + c
        logits -= logits.max(axis=1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        loss = -np.sum(w * log_p[np.arange(n), y]) + 0.5 * pull * (np.sum((v - v0) ** 2) + np.sum((c - c0) ** 2))
        residual = (np.exp(log_p) - onehot) * w[:, None]
        grad_v = z.T @ residual + pull * (v - v0)
        grad_c = residual.sum(axis=0) + pull * (c - c0)
        return float(loss), np.concatenate([grad_v.ravel(), grad_c])

    start = np.concatenate([v0.ravel(), c0])
    solved = minimize(objective, start, jac=True, method="L-BFGS-B", options={"maxiter": max_iterations})
    v, c = solved.x[: d * k].reshape(d, k), solved.x[d * k:]
    weights = v / std[:, None]
    head = TagHead(weights=weights, bias=c - mean @ weights)
    accuracy = float(np.mean(genre_probabilities(head, x).argmax(axis=1) == y))
    return head, {"loss": float(solved.fun), "accuracy": accuracy, "iterations": int(solved.nit)}


def embed_windows(bundle, windows: np.ndarray, *, on_progress=None) -> np.ndarray:
    """Pooled tag logits of windows through the bundle's LiteRT graph (its ``features`` output).

    Parameters
    ----------
    bundle : ModelBundle
        A ``musicnn_tags`` bundle (with its check, so its graph has the ``features`` output).
    windows : numpy.ndarray, shape (n, frames, 96), float32
        Log-mel windows as the bundle's features make them (its standardisation is the identity).
    on_progress : callable, optional
        ``on_progress(done, total)`` after each batch; it may raise to cancel.

    Returns
    -------
    numpy.ndarray, shape (n, 100), float64
    """
    from urdu_genre_app.core.inference import LiteRtModel

    model = LiteRtModel(bundle)
    out = np.zeros((len(windows), 0))
    parts = []
    for start in range(0, len(windows), EMBED_BATCH):
        _probabilities, features = model.predict_with_features(np.asarray(windows[start:start + EMBED_BATCH],
                                                                          np.float32))
        parts.append(np.asarray(features, np.float64))
        if on_progress is not None:
            on_progress(min(start + EMBED_BATCH, len(windows)), len(windows))
    return np.concatenate(parts) if parts else out


def window_model(base, head: TagHead):
    """The bundle's Keras window model with ``head``'s genre columns as its last layer (one per genre).

    Parameters
    ----------
    base : keras.Model
        The bundle's Keras half (:func:`training.export.keras_model_from_bundle`): the taggers are reused as they are.
    head : TagHead
    """
    import keras

    pooled = base.get_layer(HEAD_LAYER).input
    layer = keras.layers.Dense(head.weights.shape[1] - 1, activation="softmax", name=HEAD_LAYER)
    model = keras.Model(base.inputs, layer(pooled), name=base.name)
    layer.set_weights([head.weights[:, :-1].astype(np.float32), head.bias[:-1].astype(np.float32)])
    return model


def refitted_check(base, head: TagHead, features: np.ndarray, labels: np.ndarray, *, fitted_on: str
                   ) -> tuple[Any, dict[str, Any]]:
    """The bundle's not-a-genre check with the refitted head, and its report (:mod:`training.calibrate`'s keys).

    Parameters
    ----------
    base : NoveltyCalibration
        The bundle's check (threshold, temperature, structure check: kept).
    head : TagHead
        Refitted: genre columns, then "other music".
    features : numpy.ndarray, shape (n, 100)
        The confirmed songs' clean windows (all of them genre songs): the report's flag rate.
    labels : numpy.ndarray, shape (n,), int
    fitted_on : str
        Words on which songs the head was refitted on.
    """
    from urdu_genre_app.core.novelty import OtherMusicClass

    calibration = dataclasses.replace(
        base, logit_weights=head.weights[:, :-1].copy(), logit_bias=head.bias[:-1].copy(),
        other_class=OtherMusicClass(weights=head.weights[:, -1].copy(), bias=float(head.bias[-1])),
        fitted_on={**dict(base.fitted_on or {}), "refitted_on": fitted_on},
    )
    x = np.asarray(features, np.float64)
    y = np.asarray(labels, np.int64)
    old = TagHead(weights=np.column_stack([base.logit_weights, base.other_class.weights]),
                  bias=np.append(base.logit_bias, base.other_class.bias))

    # Genre log loss of the bundle's head and the refitted one on the same windows: those of genres the bundle knew.
    known = y < old.weights.shape[1] - 1

    def nll(h: TagHead) -> float:
        if not known.any():
            return 0.0
        p = genre_probabilities(h, x[known])
        return float(-np.mean(np.log(np.clip(p[np.arange(known.sum()), y[known]], 1e-12, None))))

    flagged = head.probabilities(x)[:, -1] > base.threshold if len(x) else np.zeros(0, bool)
    report = {
        "validation": f"the {len(x)} clean windows of the confirmed songs it was refitted on (none held out)",
        "validation_windows": int(len(x)),
        "validation_windows_flagged_unknown": float(flagged.mean()) if len(x) else 0.0,
        "temperature": float(base.temperature),
        "validation_nll_before": nll(old),
        "validation_nll_after": nll(head),
        "validation_nll_windows": int(known.sum()),
        "other_class": "refitted with the genre columns, pulled toward the bundle's (the corrections hold no "
                       "other music)",
        "threshold": float(base.threshold),
        "threshold_kept": "chosen on held-out real songs by the bundle it was fine-tuned from",
        "structure_check": ("kept from the bundle it was fine-tuned from" if base.structure_space is not None
                            else "none (the bundle had none)"),
    }
    return calibration, report


def fit_record(head: TagHead, figures: dict[str, float], seconds: float, windows: int):
    """A :class:`training.fit.FitResult` of one refit (one "epoch": the whole convex fit)."""
    from training.fit import FitResult

    return FitResult(
        model=head, history=[{"epoch": 1, "loss": figures["loss"], "accuracy": figures["accuracy"],
                              "val_loss": figures["loss"], "val_accuracy": figures["accuracy"], "learning_rate": 0.0,
                              "seconds": seconds, "windows_per_second": windows / max(seconds, 1e-9)}],
        best_epoch=1, best_validation_accuracy=figures["accuracy"], best_validation_loss=figures["loss"],
        seconds=seconds,
    )


class TagHeadTuner:
    """Fine-tunes a ``musicnn_tags`` bundle's head on its windows' tag logits (``improve_model``'s tuner).

    The same interface as :class:`training.improve.WindowModelTuner`; a "model"
    here is a :class:`TagHead` (genre columns of ``warm.labels``, then other music).
    """

    #: The taggers never move: what the provenance records as frozen.
    freeze_note = "taggers"
    #: The check is refitted from the training windows' features; no second draw of windows is needed.
    needs_validation_windows = False

    def __init__(self, family, warm, windows, relay, freeze: str) -> None:
        from training.improve import progress_hook

        self.family, self.warm, self.windows, self.relay, self.freeze = family, warm, windows, relay, self.freeze_note
        relay.log(f"musicnn_tags: tagging {len(windows)} windows with the bundle's frozen taggers (once)")
        self.features = embed_windows(warm.bundle, windows.features, on_progress=progress_hook(relay, "embed"))
        self.prior = widened_head(bundle_head(warm.bundle), len(warm.labels))
        self.last: TagHead | None = None

    def before_model(self, current) -> TagHead:
        return bundle_head(current)

    def fresh(self, seed: int) -> TagHead:
        return TagHead(weights=self.prior.weights.copy(), bias=self.prior.bias.copy())

    def fit(self, model: TagHead, train_rows: np.ndarray, clean: np.ndarray, fit):
        """Refit ``model`` in place on the windows ``train_rows`` (augmented copies included)."""
        from training.improve import _raise_if_cancelled

        _raise_if_cancelled(self.relay)
        started = time.perf_counter()
        head, figures = refit_head(self.prior, self.features[train_rows], self.windows.label[train_rows])
        model.weights[...] = head.weights
        model.bias[...] = head.bias
        seconds = time.perf_counter() - started
        self.relay.log(f"musicnn_tags: head refitted on {len(train_rows)} windows in {figures['iterations']} "
                       f"iterations (training accuracy {figures['accuracy']:.0%})")
        return fit_record(model, figures, seconds, len(train_rows))

    def song_predictions(self, model: TagHead, rows: np.ndarray) -> dict[int, int]:
        from training.evaluate import song_votes

        if rows.size == 0:
            return {}
        ids, mean_vote, _ = song_votes(genre_probabilities(model, self.features[rows]), self.windows.song[rows])
        return {int(s): int(v) for s, v in zip(ids, mean_vote)}

    def window_model(self, model: TagHead):
        from training.export import keras_model_from_bundle

        self.last = model
        return window_model(keras_model_from_bundle(self.warm.bundle), model)

    def novelty_check(self, model, train, validation, *, fitted_on: str):
        clean = self.windows.copy == 0
        return refitted_check(self.warm.bundle.novelty, self.last, self.features[clean], self.windows.label[clean],
                              fitted_on=f"{len(self.windows.songs)} confirmed songs")
