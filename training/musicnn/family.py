"""The ``musicnn`` model family: a head on the MSD musicnn's frozen embeddings (:mod:`training.musicnn.genre_model`).

What differs from a network on MFCC windows, all here:

* **features**: musicnn's own 16 kHz log-mel (:func:`~training.musicnn.genre_model.musicnn_feature_params`),
  left unstandardised (its backbone starts with its own BatchNorm);
* **windows**: its bundles sample a song, one window every
  :data:`~training.musicnn.genre_model.HOP_WINDOWS` window lengths, and say
  that a window is costly (the backbone runs over each of its patches);
* **training**: every patch slot of every window is embedded once by the
  frozen backbone; the head is fitted on random patch subsets
  (:func:`~training.musicnn.genre_model.fit_head`) and joined to the backbone
  for export; ``TrainingConfig.musicnn_unfreeze_last_block`` then fine-tunes
  the whole window model with the backbone's last block trainable;
* **fine-tuning** (``--init-from``, "Improve"): the bundle's own head is
  fitted further on the embeddings (widened for new genres); the backbone
  stays frozen, whatever ``freeze`` says;
* **not-a-genre check**: the one every window model gets
  (:meth:`ModelFamily.novelty_check`, :mod:`training.calibrate`), on the
  head's penultimate features (its 64 hidden units, the joined graph's second
  output at export: :func:`training.export.penultimate_output` looks inside
  the nested head), the log-mel windows' summary and their temporal structure;
  a fine-tune refits it to the new head (:meth:`HeadTuner.novelty_check`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from training.families import ModelFamily, PreparedFeatures
from training.errors import TrainingConfigError

#: ``PreparedFeatures.cache`` key of every window's embeddings of every patch slot, ``(n, slots, 200)``.
EMBEDDINGS = "musicnn_embeddings"
#: Epochs of the whole musicnn window model with its last block trainable (``--musicnn-unfreeze-last-block``).
UNFREEZE_EPOCHS = 3
#: Their learning rate, as a fraction of the head's.
UNFREEZE_LR_FACTOR = 0.1
#: What a musicnn fine-tune keeps fixed (recorded in its provenance).
FROZEN_PART = "backbone"  # training.finetune.FREEZE_BACKBONE's word, said of musicnn's own backbone


class MusicnnFamily(ModelFamily):
    """musicnn transfer (MSD): see the module docstring."""

    name = "musicnn"
    title = "musicnn transfer (MSD)"
    in_app = True
    note = "a network trained on real music, with a new head for your genres"
    standardise_features = False
    costly_windows = True
    selftest = False  # the self-test's 2 s windows hold no 3 s patch

    def missing_requirements(self) -> str | None:
        """TensorFlow, then the shipped backbone weights (a build may leave the file out)."""
        from training.musicnn.backbone import WEIGHTS_FILE, default_weights_path

        missing = super().missing_requirements()
        if missing is None and not default_weights_path().is_file():
            missing = f"the musicnn backbone weights ({WEIGHTS_FILE})"
        return missing

    def validate(self, config) -> None:
        if config.musicnn_patches is not None and config.musicnn_patches < 1:
            raise TrainingConfigError(f"a musicnn window pools at least one patch, not {config.musicnn_patches}")

    def feature_params(self, params):
        from training.musicnn.genre_model import musicnn_feature_params

        return musicnn_feature_params(params.window_seconds)

    def window_policy(self, params):
        # A musicnn window costs ~60x a BN-CNN one (its patches through the backbone): its bundles
        # sample the song (see musicnn_window_policy) instead of overlapping windows.
        from training.musicnn.genre_model import musicnn_window_policy

        return musicnn_window_policy(params)

    def runtime_options(self, model):
        from training.musicnn.genre_model import HEAD_NAME, PATCHES_OPTION, head_patches

        return {**super().runtime_options(model), PATCHES_OPTION: head_patches(model.get_layer(HEAD_NAME))}

    def build(self, input_shape, num_classes, *, config=None):
        from training.musicnn.genre_model import build_musicnn_classifier

        return build_musicnn_classifier(input_shape, num_classes, patches=getattr(config, "musicnn_patches", None))

    def _embeddings(self, prepared: PreparedFeatures, observer, embedding, patches: int) -> np.ndarray:
        """Every slot of every window through the frozen backbone, once per run (kept in ``prepared.cache``)."""
        from training.musicnn.genre_model import patch_slots, window_embeddings
        from training.observer import report_log
        from training.pipeline import cancel_check

        if EMBEDDINGS not in prepared.cache:
            windows = prepared.windows
            slots = len(patch_slots(prepared.params.frames_per_window))
            report_log(observer, f"musicnn: embedding all {slots} patches of {len(windows)} windows with the "
                                 f"frozen backbone (the head learns on random {patches}-patch subsets)")
            prepared.cache[EMBEDDINGS] = window_embeddings(
                windows.features, patches=None, embedding=embedding, on_progress=cancel_check(observer, "fit"))
        return prepared.cache[EMBEDDINGS]

    def train(self, config, prepared, observer, warm=None):
        """Fit the head on the frozen backbone's embeddings, then join them into one window model.

        With ``warm`` (``--init-from`` a musicnn bundle) the bundle's trained
        head is fitted further (widened for new genres) instead of a new one.
        The head is fitted on random subsets of as many patches as it pools
        and validated on the fixed slots the exported graph embeds.
        """
        from training.fit import fit_keras_model
        from training.musicnn.genre_model import (
            DEFAULT_PATCHES,
            _embedding_model,
            assemble_genre_model,
            build_head,
            fit_head,
            patch_slots,
        )
        from training.observer import report_log

        windows, split = prepared.windows, prepared.split
        embedding = _embedding_model()
        frames = prepared.params.frames_per_window
        patches = len(patch_slots(frames, config.musicnn_patches or DEFAULT_PATCHES))
        x, y = self._embeddings(prepared, observer, embedding, patches), windows.label
        head = warm_start_head(warm, seed=config.seed) if warm is not None else build_head(patches, len(windows.labels))
        result = fit_head(head, x, y, train_rows=split.train, validation_rows=split.validation, fit=config.fit,
                          observer=observer)
        if not config.musicnn_unfreeze_last_block:
            return assemble_genre_model(head, frames=frames, embedding=embedding), result
        # The head first learns on the frozen embeddings (cheap); only then does the last block move, from
        # a head that already fits, at a small rate: a random head's gradients would wreck the pretrained block.
        model = assemble_genre_model(head, frames=frames, embedding=embedding, unfreeze_last_block=True)
        report_log(observer, f"musicnn: fine-tuning the backbone's last block with the head "
                             f"({UNFREEZE_EPOCHS} epochs over the log-mel windows)")
        block_fit = dataclasses.replace(
            config.fit, epochs=UNFREEZE_EPOCHS, patience=None,
            learning_rate=config.fit.learning_rate * UNFREEZE_LR_FACTOR,
            spec_augment=dataclasses.replace(config.fit.spec_augment, enabled=False),
        )
        result = fit_keras_model(
            model, x_train=windows.features[split.train], y_train=y[split.train],
            x_validation=windows.features[split.validation], y_validation=y[split.validation], config=block_fit,
            observer=observer,
        )
        prepared.cache.pop(EMBEDDINGS, None)  # the last block moved: the cached embeddings are no longer this model's
        return model, result

    def predict(self, model, prepared, rows):
        """Scores of the head on the embeddings already computed (the backbone is not run again)."""
        from training.families import PREDICT_BATCH
        from training.musicnn.genre_model import HEAD_NAME, head_patches, slot_embeddings

        if EMBEDDINGS not in prepared.cache:
            return super().predict(model, prepared, rows)
        head = model.get_layer(HEAD_NAME)
        embeddings = slot_embeddings(prepared.cache[EMBEDDINGS][rows], head_patches(head))[..., np.newaxis]
        return np.asarray(head.predict(embeddings, batch_size=PREDICT_BATCH, verbose=0), np.float32)

    def finetuner(self, warm, windows, relay, freeze):
        return HeadTuner(self, warm, windows, relay, freeze)


def warm_start_head(warm, *, seed: int = 0):
    """A musicnn bundle's trained head, ready to fine-tune (widened for new genres).

    Returns
    -------
    keras.Model
        Input ``(patches, 200, 1)`` patch embeddings, softmax over ``warm.labels``.

    Raises
    ------
    ModelBundleError
        The Keras model cannot be loaded safely, or has no musicnn head.
    """
    from training.export import keras_model_from_bundle
    from training.finetune import replace_head
    from training.musicnn.genre_model import HEAD_NAME
    from urdu_genre_app.core.errors import ModelBundleError

    model = keras_model_from_bundle(warm.bundle)
    try:
        head = model.get_layer(HEAD_NAME)
    except ValueError as error:
        raise ModelBundleError(warm.bundle.path, f"its musicnn model has no {HEAD_NAME!r} head") from error
    if warm.has_new_head:
        head = replace_head(head, warm.bundle.labels, warm.labels, seed=seed)
    for layer in head.layers:
        layer.trainable = True
    return head


def finetune_head(head, every_slot: np.ndarray, labels: np.ndarray, *, train_rows: np.ndarray,
                  clean: np.ndarray | None = None, fit=None, observer=None):
    """Fit a musicnn head on windows' patch embeddings, as :func:`training.finetune.finetune_windows` fits a model.

    The recipe is training's (:func:`training.musicnn.genre_model.fit_head`);
    up to :data:`~training.finetune.SELF_VALIDATION_WINDOWS` clean training
    windows stand in for the validation set.

    Parameters
    ----------
    head : keras.Model
        From :func:`warm_start_head`.
    every_slot : numpy.ndarray, shape (n, slots, 200), float32
        :func:`~training.musicnn.genre_model.window_embeddings` of every slot (``patches=None``).
    labels : numpy.ndarray, shape (n,), int
    train_rows : numpy.ndarray, int
    clean : numpy.ndarray, shape (n,), bool, optional
        Which windows are not augmented copies (the self-validation set is drawn from them).
    fit : FitConfig, optional
        Default :data:`training.finetune.TINY_SET_FIT`.
    observer : TrainingObserver, optional

    Returns
    -------
    FitResult
    """
    from training.finetune import TINY_SET_FIT, self_validation_rows
    from training.musicnn.genre_model import fit_head

    fit = fit or TINY_SET_FIT
    train_rows = np.asarray(train_rows, dtype=np.int64)
    validation_rows = self_validation_rows(train_rows, clean, len(every_slot), fit.seed)
    return fit_head(head, every_slot, labels, train_rows=train_rows, validation_rows=validation_rows, fit=fit,
                    observer=observer)


class HeadTuner:
    """Fine-tunes a musicnn bundle's head on its windows' patch embeddings, computed once (``improve_model``).

    The same interface as :class:`training.improve.WindowModelTuner`.
    """

    freeze_note = FROZEN_PART
    needs_validation_windows = True

    def __init__(self, family: MusicnnFamily, warm, windows, relay, freeze: str) -> None:
        from training.improve import progress_hook
        from training.musicnn.genre_model import _embedding_model, window_embeddings

        self.family, self.warm, self.windows, self.relay, self.freeze = family, warm, windows, relay, FROZEN_PART
        self.embedding = _embedding_model()
        relay.log(f"musicnn: embedding the patches of {len(windows)} windows with the frozen backbone (once)")
        self.every_slot = window_embeddings(windows.features, patches=None, embedding=self.embedding,
                                            on_progress=progress_hook(relay, "embed"))

    def _fixed_slots(self, head) -> np.ndarray:
        from training.musicnn.genre_model import head_patches, slot_embeddings

        return slot_embeddings(self.every_slot, head_patches(head))

    def before_model(self, current):
        from training.export import keras_model_from_bundle
        from training.musicnn.genre_model import HEAD_NAME

        return keras_model_from_bundle(current).get_layer(HEAD_NAME)

    def fresh(self, seed: int):
        return warm_start_head(self.warm, seed=seed)

    def fit(self, model, train_rows: np.ndarray, clean: np.ndarray, fit):
        from training.improve import run_fit

        return run_fit(self.relay, finetune_head, model, self.every_slot, self.windows.label,
                       train_rows=train_rows, clean=clean, fit=fit)

    def song_predictions(self, model, rows: np.ndarray) -> dict[int, int]:
        from training.improve import song_predictions

        return song_predictions(model, self._fixed_slots(model), rows, self.windows.song)

    def window_model(self, model):
        from training.musicnn.genre_model import assemble_genre_model

        return assemble_genre_model(model, frames=self.warm.bundle.feature_params.frames_per_window,
                                    embedding=self.embedding)

    def novelty_check(self, model, train, validation, *, fitted_on: str):
        return self.family.novelty_check(model, params=self.warm.bundle.feature_params, train=train,
                                         validation=validation, n_classes=len(self.warm.labels), fitted_on=fitted_on)


#: Registered by :mod:`training.families`.
FAMILIES = (MusicnnFamily(),)
