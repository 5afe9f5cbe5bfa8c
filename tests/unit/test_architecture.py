"""Layering rules from STYLE.md, checked on the source itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _python_files(*folders: str) -> list[Path]:
    files = [p for folder in folders for p in (ROOT / folder).rglob("*.py")]
    assert files, folders
    return files


@pytest.mark.parametrize("path", _python_files("urdu_genre_app/core", "training"), ids=lambda p: p.name)
def test_core_and_training_are_qt_free(path):
    forbidden = {name for name in _imports(path) if name.split(".")[0] in {"PySide6", "matplotlib"}
                 or name.startswith("urdu_genre_app.gui")}
    assert not forbidden, f"{path} imports {forbidden}"


@pytest.mark.parametrize("path", _python_files("urdu_genre_app/core"), ids=lambda p: p.name)
def test_core_does_not_import_training_stack_at_module_level(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top_level.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            top_level.add(node.module.split(".")[0])
    assert not top_level & {"tensorflow", "keras", "training", "librosa"}, path


def test_no_pickle_anywhere():
    for path in _python_files("urdu_genre_app", "training"):
        names = _imports(path)
        assert not {"pickle", "cPickle", "dill", "joblib", "cloudpickle"} & names, path
        assert "allow_pickle=True" not in path.read_text(encoding="utf-8"), path
