"""Qt-free dataset and model pipeline: scan, extract, split, fit, evaluate, export.

Modules, one job each:

* :mod:`training.dataset` -- find labeled songs (genre folders or a CSV manifest);
* :mod:`training.extract` -- random MFCC windows per song, in parallel, cached on disk;
* :mod:`training.augment` -- waveform and SpecAugment-style augmentation;
* :mod:`training.split` -- song-level (or the paper's leaky window-level) split;
* :mod:`training.models` -- the model zoo of the paper's Table III;
* :mod:`training.fit` -- fitting with progress, cancel and the best checkpoint;
* :mod:`training.evaluate` -- accuracy, loss, per-class P/R/F1, confusion matrices;
* :mod:`training.export` -- write a model bundle;
* :mod:`training.pipeline` -- all of it as one call (:func:`training.pipeline.run_training`);
* :mod:`training.finetune` -- warm start from a bundle (its labels, features, normalisation; new heads);
* :mod:`training.improve` -- fine-tune on confirmed songs with before/after scores (the GUI's "Improve");
* :mod:`training.observer` -- the progress/cancel interface the GUI implements;
* :mod:`training.cli` -- ``urdu-genre train``;
* :mod:`training.synth` -- the synthetic corpus generator.

TensorFlow is imported lazily, only where a Keras model is built or trained.
"""

import os as _os

# TensorFlow's C++ start-up banners (oneDNN notices, absl warnings) would
# bury the training progress lines on stderr; real errors still show.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
