"""One set of per-user folders (the old ones migrated on first use) and one model-path rule."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from urdu_genre_app import paths
from urdu_genre_app.core.errors import NoModelError


@pytest.fixture
def folders(tmp_path, monkeypatch):
    """platformdirs answers inside tmp_path: ``<tmp>/<kind>/<app name>``."""
    def under(kind):
        return lambda appname, appauthor=None: str(tmp_path / kind / appname)

    for kind in ("user_data_dir", "user_cache_dir", "user_log_dir"):
        monkeypatch.setattr(platformdirs, kind, under(kind))
    monkeypatch.setattr(paths, "_migrated", set())
    return tmp_path


def test_first_use_moves_the_old_folders_files_into_the_new_one(folders):
    old = folders / "user_data_dir" / paths.OLD_FOLDER_NAME
    (old / "models").mkdir(parents=True)
    (old / "models" / "mine.ugm").write_bytes(b"model")
    (old / "notes.txt").write_text("kept")
    new = folders / "user_data_dir" / paths.APPLICATION
    (new / "models").mkdir(parents=True)
    (new / "models" / "theirs.ugm").write_bytes(b"other")

    assert paths.models_dir() == new / "models"
    assert (new / "models" / "mine.ugm").read_bytes() == b"model"
    assert (new / "models" / "theirs.ugm").read_bytes() == b"other"
    assert (new / "notes.txt").read_text() == "kept"
    assert not old.exists(), "an emptied old folder is removed"


def test_migration_never_replaces_a_file_and_leaves_what_it_cannot_move(folders):
    old, new = folders / "old", folders / "new"
    (old / "models").mkdir(parents=True)
    (new / "models").mkdir(parents=True)
    (old / "models" / "same.ugm").write_bytes(b"old")
    (new / "models" / "same.ugm").write_bytes(b"new")
    (old / "models" / "only-old.ugm").write_bytes(b"moved")

    moved = paths.migrate_folder(old, new)
    assert moved == [new / "models" / "only-old.ugm"]
    assert (new / "models" / "same.ugm").read_bytes() == b"new"
    assert (old / "models" / "same.ugm").read_bytes() == b"old"
    assert paths.migrate_folder(folders / "absent", new) == []


def test_the_cache_migrates_too_and_only_once_per_process(folders):
    old = folders / "user_cache_dir" / paths.OLD_FOLDER_NAME / "features"
    old.mkdir(parents=True)
    (old / "a.npz").write_bytes(b"cached")
    cache = paths.feature_cache_dir()
    assert cache == folders / "user_cache_dir" / paths.APPLICATION / "features"
    assert (cache / "a.npz").read_bytes() == b"cached"
    old.mkdir(parents=True)
    (old / "b.npz").write_bytes(b"late")
    paths.feature_cache_dir()
    assert (old / "b.npz").exists() and not (cache / "b.npz").exists()


def test_folders_use_the_names_qsettings_uses(folders):
    assert paths.recordings_dir() == folders / "user_data_dir" / "Urdu Genre App" / "recordings"
    assert paths.user_log_dir() == folders / "user_log_dir" / "Urdu Genre App"
    assert paths.recordings_dir().is_dir() and paths.user_log_dir().is_dir()


def test_model_path_order_explicit_then_environment_then_remembered_then_bundled(tmp_path, monkeypatch):
    from urdu_genre_app import resources

    bundled = tmp_path / "bundled.ugm"
    monkeypatch.setattr(resources, "bundled_model_path", lambda: bundled)
    monkeypatch.delenv(paths.MODEL_ENV, raising=False)
    with pytest.raises(NoModelError, match="no model is installed"):
        paths.resolve_model_path(None, remembered="")
    bundled.write_bytes(b"x")
    assert paths.resolve_model_path() == bundled
    assert paths.resolve_model_path(remembered="kept.ugm") == Path("kept.ugm")
    monkeypatch.setenv(paths.MODEL_ENV, "env.ugm")
    assert paths.resolve_model_path(remembered="kept.ugm") == Path("env.ugm")
    assert paths.resolve_model_path("flag.ugm", remembered="kept.ugm") == Path("flag.ugm")


def test_a_model_remembered_in_the_old_folder_is_found_where_it_moved(folders, monkeypatch):
    monkeypatch.delenv(paths.MODEL_ENV, raising=False)
    old_model = folders / "user_data_dir" / paths.OLD_FOLDER_NAME / "models" / "mine.ugm"
    old_model.parent.mkdir(parents=True)
    old_model.write_bytes(b"model")
    found = paths.resolve_model_path(remembered=str(old_model))
    assert found == folders / "user_data_dir" / paths.APPLICATION / "models" / "mine.ugm"
    assert found.read_bytes() == b"model" and not old_model.exists()
    elsewhere = folders / "elsewhere.ugm"
    assert paths.follow_migration(elsewhere) == elsewhere


def test_the_library_finds_its_data_after_the_migration(folders, tmp_path):
    """Issue 17.1: a library's corrections, cache and journal written before the move are read after it."""
    from urdu_genre_app.library.cli_tags import default_journal_path
    from urdu_genre_app.library.library import library_data_dir

    songs = tmp_path / "songs"
    songs.mkdir()
    # What an earlier version wrote: <old data>/libraries/<slug>-<digest>/...
    slot = library_data_dir(songs).name
    paths._migrated.clear()
    old_data = folders / "user_data_dir" / paths.OLD_FOLDER_NAME
    new_data = folders / "user_data_dir" / paths.APPLICATION
    if new_data.exists():
        import shutil

        shutil.rmtree(new_data)
    (old_data / "libraries" / slot).mkdir(parents=True)
    (old_data / "libraries" / slot / "corrections.csv").write_text("path,genre\nsong.mp3,Rock\n")
    (old_data / "tag_journal.json").write_text('{"batches": []}')

    paths.user_data_dir()  # what the GUI's first start does: the old folder moves
    data = library_data_dir(songs)
    assert data == new_data / "libraries" / slot
    assert (data / "corrections.csv").read_text().endswith("song.mp3,Rock\n")
    assert default_journal_path() == new_data / "tag_journal.json"
    assert default_journal_path().read_text() == '{"batches": []}'


def test_no_module_names_a_per_user_folder_but_paths():
    """One owner for per-user folders: nothing else asks platformdirs (or names the old folder)."""
    import re

    import urdu_genre_app

    package = Path(urdu_genre_app.__file__).parent
    offenders = []
    for source in package.rglob("*.py"):
        if source.name == "paths.py":
            continue
        text = source.read_text(encoding="utf-8")
        if re.search(r"^\s*(import|from)\s+platformdirs\b", text, re.MULTILINE):
            offenders.append(str(source.relative_to(package)))
    assert offenders == []
