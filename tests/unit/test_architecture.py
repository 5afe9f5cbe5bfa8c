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



def _module_names() -> dict[str, Path]:
    """Dotted name -> file, for every module of the app and of training (a package by its ``__init__``)."""
    modules = {}
    for path in _python_files("urdu_genre_app", "training"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _import_graph() -> dict[str, set[str]]:
    """Which of those modules each one imports, at module level or inside a function alike."""
    modules = _module_names()

    def known(name: str) -> str | None:  # the module itself, or the package a name was taken from
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for module, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(known(alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path}:{node.lineno}: a relative import (the project imports absolutely)"
                targets.update(known(f"{node.module}.{alias.name}") or known(node.module) for alias in node.names)
        graph[module] = targets - {None, module}
    return graph


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), list(graph[start])
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(graph[current])
    return seen


def test_no_import_circles():
    """No module reaches itself through imports, function-level ones included (issue 18: "no import circles")."""
    graph = _import_graph()
    reach = {module: _reachable(graph, module) for module in graph}
    circles = {frozenset(m for m in reach[start] if start in reach[m]) for start in graph if start in reach[start]}
    assert not circles, [sorted(circle) for circle in circles]


def test_family_names_are_compared_only_in_the_family_folder():
    """Behaviour picked by a family's name lives in that family's folder; everything else asks the registry."""
    from training.families import REGISTRY

    folders = {family.name: type(family).__module__.rpartition(".")[0] for family in REGISTRY}
    for module, path in _module_names().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                for name in {c.value for c in ast.walk(node) if isinstance(c, ast.Constant) and c.value in folders}:
                    assert module.startswith(folders[name] + "."), f"{path}:{node.lineno} compares {name!r}"
