"""Rules from STYLE.md that import-linter does not state, checked on the source itself.

The layering (cli and gui above components above training above core; Qt and
matplotlib only in gui/; core without TensorFlow) is import-linter's contracts in
pyproject.toml, run by ``lint-imports`` (scripts/run-tests.sh runs it first).
"""

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


def test_import_contracts_hold():
    """The layering contracts (pyproject.toml), also when pytest runs without scripts/run-tests.sh."""
    import os
    import subprocess
    import sys

    lint_imports = Path(sys.executable).with_name("lint-imports")
    if not lint_imports.exists():
        pytest.fail(f"import-linter is not installed beside {sys.executable} (pip install 'urdu-genre-app[test]')")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    completed = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True,
                               check=False)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
    assert "cli and gui above training above core KEPT" in completed.stdout
