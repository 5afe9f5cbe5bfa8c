"""What the Help window shows, read from where it is kept (components/about, resources; no Qt)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from urdu_genre_app import paths, resources
from urdu_genre_app.components import about


@pytest.fixture(autouse=True)
def _user_dirs_in_tmp(tmp_path, monkeypatch):
    for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))


def test_folders_are_the_ones_paths_owns(tmp_path):
    shown = dict(about.folders())
    assert paths.user_log_dir() in shown.values() and paths.models_dir() in shown.values()
    assert paths.recordings_dir() in shown.values() and paths.libraries_dir() in shown.values()
    assert all(str(folder).startswith(str(tmp_path)) for folder in shown.values())
    assert any(what.startswith("Log") for what in shown)


def test_licences_come_from_package_metadata():
    found = {item.name: item for item in about.licences()}
    assert "numpy" in found and found["numpy"].version and found["numpy"].licence != "not stated"
    assert "GPL" in found["mutagen"].licence and found["mutagen"].note  # the one a packaged build must heed
    assert "PySide6-Essentials" in found
    if about.musicnn_licence_path().exists():
        assert any(item.licence == "ISC" for item in found.values())


def test_every_model_card_is_listed_with_its_title():
    cards = about.model_cards()
    names = sorted(card.path.name for card in cards)
    assert names == sorted(p.name for p in resources.resources_root().glob("MODEL_CARD*.md"))
    for card in cards:
        assert card.title and not card.title.startswith("#") and card.text.startswith("#")


def test_bundled_models_default_first_and_titles_read_cheaply(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    folder.mkdir()
    with zipfile.ZipFile(folder / "a_other.ugm", "w") as archive:
        archive.writestr("bundle.json", '{"provenance": {"name": "Other model"}}')
    (folder / "z_default.ugm").write_bytes(b"damaged")
    monkeypatch.setattr(resources, "bundled_model_path", lambda: folder / "z_default.ugm")
    found = resources.bundled_models()
    assert [p.name for p in found] == ["z_default.ugm", "a_other.ugm"]
    assert resources.bundle_title(folder / "a_other.ugm") == "Other model"
    assert resources.bundle_title(folder / "z_default.ugm") == "z_default"  # damaged: its file name
    assert resources.bundle_title(Path(tmp_path / "missing.ugm")) == "missing"
