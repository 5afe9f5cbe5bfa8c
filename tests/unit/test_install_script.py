"""The packaged app's install.sh and uninstall.sh register it for one user in the XDG folders."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def _unpacked(tmp_path: Path) -> Path:
    """What build-app.sh puts in the archive, with a stand-in for the frozen app."""
    folder = tmp_path / "my downloads" / "urdu-genre"
    (folder / "app").mkdir(parents=True)
    app = folder / "app" / "urdu-genre"
    app.write_text("#!/bin/sh\necho 'urdu-genre 0.1.0'\n")
    app.chmod(0o755)
    for name in ("urdu-genre.desktop", "install.sh", "uninstall.sh"):
        shutil.copy2(PACKAGING / name, folder / name)
    shutil.copy2(ROOT / "resources" / "icons" / "app.svg", folder / "urdu-genre.svg")
    return folder


def test_install_registers_the_app_and_uninstall_removes_it(tmp_path):
    folder = _unpacked(tmp_path)
    home = tmp_path / "home with space"
    home.mkdir()
    env = {**os.environ, "HOME": str(home)}
    env.pop("XDG_DATA_HOME", None)
    completed = subprocess.run(["bash", str(folder / "install.sh")], env=env, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    data = home / ".local" / "share"
    installed = data / "urdu-genre-app" / "app" / "urdu-genre"
    desktop = (data / "applications" / "urdu-genre.desktop").read_text()
    assert f'Exec="{installed}" %F' in desktop and "Icon=urdu-genre" in desktop and "audio/mpeg" in desktop
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / "urdu-genre.svg").is_file()
    assert (home / ".local" / "bin" / "urdu-genre").resolve() == installed.resolve()
    assert "urdu-genre 0.1.0" in completed.stdout  # it ran the installed copy

    removed = subprocess.run(["bash", str(data / "urdu-genre-app" / "uninstall.sh")], env=env,
                             capture_output=True, text=True)
    assert removed.returncode == 0, removed.stderr
    assert not installed.exists() and not (data / "applications" / "urdu-genre.desktop").exists()
    assert not (home / ".local" / "bin" / "urdu-genre").exists()
