"""``urdu-genre self-test``: checks that an installed or frozen app really works.

Each check prints one line: ``ok``, ``FAIL`` or ``--`` (not part of this
build, e.g. training in the lite build) with what it found. The exit status
is 0 only when no check failed. The checks:

* **model**: the bundled model is found and loads (its checksums verified);
* **sample**: the sample shipped beside it is classified to the verdict
  recorded when it was made (``resources/samples/selftest.json``);
* **window**: the main window opens offscreen, loads the model and its
  charts (matplotlib), and closes;
* **audio**: PortAudio loads; a machine with no audio device is reported as
  such, which is not a failure;
* **training**: in a build with training, one epoch on a tiny generated
  folder with every model family the build offers, then the exported model
  classifies one of its songs.

The packaging scripts run it on every build (``scripts/build-app.sh``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_FAILED = 1

#: How long the window may take to load the model and its charts (s).
WINDOW_TIMEOUT_SECONDS = 60.0
#: The tiny training set: labels, songs per label, song and window length (s).
TINY_LABELS = ("Tone", "Noise")
TINY_SONGS_PER_LABEL = 3
TINY_SONG_SECONDS = 4.0
TINY_WINDOW_SECONDS = 2.0


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one check: ``status`` is ``"ok"``, ``"fail"`` or ``"absent"`` (not in this build)."""

    name: str
    status: str
    detail: str

    def line(self) -> str:
        """The line printed for this check."""
        mark = {"ok": "ok  ", "fail": "FAIL", "absent": "--  "}[self.status]
        return f"{mark} {self.name}: {self.detail}"


class CheckFailed(Exception):
    """A check found something wrong; its message says what."""


class NotInThisBuild(Exception):
    """What a check needs is not part of this build (not a failure)."""


# ------------------------------------------------------------------ checks
def check_model() -> str:
    """The bundled model exists, loads with its checksums verified, and its model opens."""
    from urdu_genre_app.core.inference import open_bundle
    from urdu_genre_app.resources import bundled_model_path

    path = bundled_model_path()
    if not path.is_file():
        raise CheckFailed(f"no bundled model at {path}")
    bundle, _model = open_bundle(path)
    return f"{path.name} ({bundle.architecture}, {len(bundle.labels)} genres: {', '.join(bundle.labels)}) at {path.parent}"


def check_sample() -> str:
    """The shipped sample gets the verdict recorded beside it."""
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.core.classifier import Classifier
    from urdu_genre_app.resources import bundled_model_path, selftest_manifest_path

    manifest_path = selftest_manifest_path()
    if not manifest_path.is_file():
        raise CheckFailed(f"no sample manifest at {manifest_path}")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    sample = manifest_path.parent / manifest["sample"]
    if not sample.is_file():
        raise CheckFailed(f"the sample {sample} is missing")
    digest = hashlib.sha256(sample.read_bytes()).hexdigest()
    if digest != manifest["sha256"]:
        raise CheckFailed(f"the sample {sample.name} is damaged (its SHA-256 differs from the manifest's)")
    classifier = Classifier(load_bundle(bundled_model_path(), with_keras=False))
    result = classifier.classify_file(sample)
    expected = manifest["expected_genre"]
    if result.genre != expected:
        raise CheckFailed(f"{sample.name} classified as {result.verdict_text()}, expected {expected}")
    return f"{sample.name} -> {result.verdict_text()} (expected {expected})"


def check_window() -> str:
    """Open the main window offscreen, wait for its model and charts, close it (Qt lives in gui/)."""
    from urdu_genre_app.gui.selftest_window import WindowCheckError, open_and_close_window

    try:
        return open_and_close_window(WINDOW_TIMEOUT_SECONDS)
    except WindowCheckError as failure:
        raise CheckFailed(str(failure)) from failure


def check_audio() -> str:
    """PortAudio loads; no device is reported, not failed."""
    try:
        import sounddevice
    except (OSError, ImportError) as error:  # OSError: sounddevice found no libportaudio to load
        raise CheckFailed(f"PortAudio cannot be loaded ({error}); install libportaudio2") from error
    version = sounddevice.get_portaudio_version()[1]
    try:
        devices = sounddevice.query_devices()
    except sounddevice.PortAudioError as error:
        return f"{version} loaded; no audio device could be listed ({error}): not a failure"
    inputs = sum(1 for d in devices if d["max_input_channels"] > 0)
    outputs = sum(1 for d in devices if d["max_output_channels"] > 0)
    if not inputs and not outputs:
        return f"{version} loaded; this machine has no audio device (not a failure: playback and recording need one)"
    return f"{version} loaded; {inputs} input and {outputs} output device(s)"


def training_families() -> tuple[str, ...]:
    """Model families this build trains on the tiny folder: every registered one that is installed and
    needs no file of the user's (VGG-16's weights), in the registry's order.

    Raises
    ------
    NotInThisBuild
        The training package or TensorFlow is not installed (the lite build).
    """
    from urdu_genre_app.capabilities import training_unavailable_reason

    missing = training_unavailable_reason()
    if missing is not None:
        raise NotInThisBuild(f"training is not in this build: {missing}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter is not a result
    try:
        import tensorflow  # noqa: F401

        import training.pipeline  # noqa: F401
        from training.families import REGISTRY
    except ImportError as error:
        raise NotInThisBuild(f"training is not in this build ({error})") from error
    return tuple(family.name for family in REGISTRY
                 if family.selftest and not family.needs_user_files and family.missing_requirements() is None)


def write_tiny_dataset(root: Path, *, seed: int = 0) -> Path:
    """A labeled folder of :data:`TINY_LABELS` (a tone, noise), ``TINY_SONGS_PER_LABEL`` WAV songs each."""
    import numpy as np
    import soundfile

    sr = 22_050
    rng = np.random.default_rng(seed)
    t = np.arange(int(TINY_SONG_SECONDS * sr)) / sr
    for label in TINY_LABELS:
        (root / label).mkdir(parents=True, exist_ok=True)
        for index in range(TINY_SONGS_PER_LABEL):
            if label == "Tone":
                signal = np.sin(2 * np.pi * rng.uniform(200, 400) * t)
            else:
                signal = rng.standard_normal(t.size)
            signal = 0.4 * signal / np.abs(signal).max()
            soundfile.write(root / label / f"{label.lower()}_{index}.wav", signal.astype(np.float32), sr)
    return root


def check_training() -> str:
    """One epoch of every family on a tiny folder; the exported model classifies one of its songs."""
    families = training_families()
    from training.extract import ExtractionConfig
    from training.fit import FitConfig
    from training.pipeline import TrainingConfig, run_training
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.core.classifier import Classifier
    from urdu_genre_app.core.features import FeatureParams

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="urdu-genre-selftest-") as folder:
        dataset = write_tiny_dataset(Path(folder) / "songs")
        out = Path(folder) / "tiny.ugm"
        config = TrainingConfig(
            dataset=dataset, out=out, models=families,
            feature_params=FeatureParams(window_seconds=TINY_WINDOW_SECONDS),
            extraction=ExtractionConfig(windows_per_song=2), fit=FitConfig(epochs=1, batch_size=8),
            workers=2, cache_dir=None, name="self-test", command="urdu-genre self-test",
            small_folder_songs=0,  # one training a family: the self-test checks that training works, quickly
        )
        report = run_training(config)
        trained = [result.name for result in report.results]
        if sorted(trained) != sorted(families):
            raise CheckFailed(f"trained {', '.join(trained) or 'nothing'} of {', '.join(families)}")
        if not out.is_file():
            raise CheckFailed(f"training wrote no model bundle at {out}")
        song = next((dataset / TINY_LABELS[0]).iterdir())
        result = Classifier(load_bundle(out, with_keras=False)).classify_file(song)
        if result.genre not in TINY_LABELS:
            raise CheckFailed(f"the trained model gave no verdict on {song.name}")
    return (f"trained {', '.join(trained)} one epoch; {report.exported} exported; it calls {song.name} "
            f"{result.verdict_text()} ({time.perf_counter() - started:.1f} s)")


#: The checks in the order they run.
CHECKS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("model", check_model),
    ("sample", check_sample),
    ("window", check_window),
    ("audio", check_audio),
    ("training", check_training),
)


def run_check(name: str, check: Callable[[], str]) -> CheckResult:
    """Run one check; any exception is its failure, worded in one line."""
    try:
        return CheckResult(name, "ok", check())
    except NotInThisBuild as absent:
        return CheckResult(name, "absent", str(absent))
    except CheckFailed as failure:
        return CheckResult(name, "fail", str(failure))
    except Exception as error:  # a self-test reports every failure, whatever its kind
        return CheckResult(name, "fail", f"{type(error).__name__}: {error}")


def run_self_test(checks=CHECKS, *, stream=None) -> int:
    """Run ``checks``, print one line each to ``stream`` (stdout); 0 when none failed."""
    stream = stream or sys.stdout
    results = []
    for name, check in checks:
        result = run_check(name, check)
        results.append(result)
        print(result.line(), file=stream, flush=True)
    failed = [r.name for r in results if r.status == "fail"]
    absent = [r.name for r in results if r.status == "absent"]
    if failed:
        summary = f"self-test: FAILED ({', '.join(failed)})"
    else:
        summary = f"self-test: all {len(results) - len(absent)} checks of this build passed"
        if absent:
            summary += f" ({', '.join(absent)} not in this build)"
    print(summary, file=stream, flush=True)
    return EXIT_FAILED if failed else EXIT_OK
