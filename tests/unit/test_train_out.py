"""``urdu-genre train --out`` is checked before training starts (issue 17.5).

Before, a folder, a read-only place or a full disk was found only when the
trained model was saved (and thrown away), and an unrelated file was silently
replaced by a bundle. The read-only and full cases use real file systems (a
read-only and a 1 MB tmpfs, mounted when the test may; a mode-555 folder
otherwise), so the check is the operating system's answer, as root too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from urdu_genre_app.cli import main
from urdu_genre_app.core.bundle import bundle_destination_problem
from urdu_genre_app.resources import bundled_model_path


@pytest.fixture
def dataset(tmp_path):
    """A dataset folder: never read, as every case is refused before the scan."""
    folder = tmp_path / "songs"
    (folder / "Ghazal").mkdir(parents=True)
    return folder


def _tmpfs(folder: Path, options: str):
    folder.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return None
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    return folder if done.returncode == 0 else None


@pytest.fixture
def read_only_folder(tmp_path):
    folder = _tmpfs(tmp_path / "ro", "ro,size=1m")
    if folder is None:  # not root: mode bits bind this process
        folder = tmp_path / "ro"
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    yield folder
    subprocess.run(["umount", str(folder)], check=False)


@pytest.fixture
def full_folder(tmp_path):
    folder = _tmpfs(tmp_path / "full", "size=1m")
    if folder is None:
        pytest.skip("a small file system can only be mounted as root")
    yield folder
    subprocess.run(["umount", str(folder)], check=False)


def _train(dataset: Path, out: Path, *extra: str) -> int:
    return main(["train", str(dataset), "--out", str(out), "--epochs", "1", "-q", *extra])


def test_a_folder_is_refused_before_training(dataset, tmp_path, capsys):
    assert _train(dataset, tmp_path) == 2
    err = capsys.readouterr().err
    assert "is a folder" in err and len(err.splitlines()) == 1


def test_an_unrelated_file_is_never_replaced_without_force(dataset, tmp_path, capsys):
    precious = tmp_path / "precious.txt"
    precious.write_text("my notes")
    assert _train(dataset, precious) == 2
    err = capsys.readouterr().err
    assert "is not a model bundle" in err and "--force" in err
    assert precious.read_text() == "my notes"
    assert bundle_destination_problem(precious, force=True) is None


def test_an_existing_bundle_may_be_replaced(tmp_path):
    existing = shutil.copy(bundled_model_path(), tmp_path / "old.ugm")
    assert bundle_destination_problem(existing) is None
    assert bundle_destination_problem(tmp_path / "new" / "deeper" / "model.ugm") is None


def test_a_read_only_place_is_refused_before_training(dataset, read_only_folder, capsys):
    assert _train(dataset, read_only_folder / "model.ugm") == 2
    err = capsys.readouterr().err
    assert "cannot be written in" in err and ("read-only" in err or "permission denied" in err), err


def test_a_full_disk_is_refused_before_training(dataset, full_folder, capsys):
    assert _train(dataset, full_folder / "model.ugm") == 2
    err = capsys.readouterr().err
    assert "MB free" in err, err
