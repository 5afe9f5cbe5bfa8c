"""The wheel and sdist carry the bundled model, and an installed wheel uses it.

The slow test builds both with ``python -m build`` (the wheel from the
sdist, as a user's pip does), installs the wheel into a fresh virtual
environment made with ``python -m venv`` (its dependencies from the
package index, through pip's cache), and classifies a generated song there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from urdu_genre_app import resources

ROOT = Path(__file__).resolve().parents[2]
#: What an installed copy must carry, relative to resources/.
SHIPPED = ("models/bn_cnn_synthetic.ugm", "models/musicnn_synthetic.ugm", "models/musicnn_tags_real.ugm", "MODEL_CARD.md",
           "MODEL_CARD_musicnn.md", "MODEL_CARD_musicnn_tags.md", "musicnn/msd_musicnn_weights.npz",
           "musicnn/mtt_musicnn_weights.npz", "musicnn/LICENSE.md", "icons/app.svg", "samples/selftest.json")


def test_a_checkout_uses_the_top_level_resources_folder():
    assert resources.resources_root() == ROOT / "resources"
    for name in SHIPPED:
        assert resources.resource_path(*name.split("/")).is_file(), name


def test_a_frozen_build_uses_its_own_copy(tmp_path, monkeypatch):
    packaged = tmp_path / "urdu_genre_app" / resources.PACKAGED_RESOURCES
    (packaged / "models").mkdir(parents=True)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.bundled_model_path() == packaged / "models" / resources.BUNDLED_MODEL_NAME


#: The test's own environment without what would make the fresh venv see this checkout.
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "URDU_GENRE_MODEL", "PYTHONHOME")}


def _run(command, **kwargs):
    kwargs.setdefault("env", CLEAN_ENV)
    completed = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert completed.returncode == 0, f"{command} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}"
    return completed


@pytest.mark.slow
def test_wheel_from_sdist_installs_into_a_fresh_venv_and_classifies(tmp_path):
    from training.synth import generate_song
    from training.synth.corpus import write_audio
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.core.classifier import Classifier

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    _run([python, "-m", "pip", "install", "-q", "build"], cwd=tmp_path)
    dist = tmp_path / "dist"
    # The source is copied first so the build never writes into the checkout (build/, *.egg-info).
    source = tmp_path / "source"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes((ROOT / name).read_bytes())
    _run([python, "-m", "build", "--outdir", str(dist), str(source)], cwd=tmp_path)

    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    for name in SHIPPED:
        assert any(n.endswith(f"/resources/{name}") for n in names), f"{name} missing from {sdist.name}"
    (wheel,) = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for name in SHIPPED:
        assert f"urdu_genre_app/_resources/{name}" in names, f"{name} missing from {wheel.name}"

    _run([python, "-m", "pip", "install", "-q", str(wheel)], cwd=tmp_path)
    song = tmp_path / "qawwali.ogg"
    write_audio(song, generate_song("Qawwali", 2026, duration_seconds=45.0), 22050, "ogg")
    completed = _run([venv / "bin" / "urdu-genre", "classify", "--json", str(song)], cwd=tmp_path)
    (installed,) = json.loads(completed.stdout)
    expected = Classifier(load_bundle(resources.bundled_model_path(), with_keras=False)).classify_file(song)
    assert installed["genre"] == expected.genre and installed["model"] == expected.model_name
    where = _run([python, "-c", "from urdu_genre_app.resources import bundled_model_path; print(bundled_model_path())"],
                 cwd=tmp_path).stdout.strip()
    assert where.startswith(str(venv)) and Path(where).is_file()
