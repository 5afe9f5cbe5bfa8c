"""What packaged builds rely on in the command line: "Open with" files, the lite build's train, self-test."""

from __future__ import annotations

import sys

import pytest

from urdu_genre_app import cli


@pytest.fixture
def opened(monkeypatch):
    """The files and model run_gui was asked to open (instead of opening a window)."""
    calls = []
    monkeypatch.setattr(cli, "run_gui", lambda args: calls.append((args.files, args.model)) or 0)
    return calls


@pytest.mark.parametrize("argv, files, model", [
    (["song.mp3"], ["song.mp3"], None),
    (["a.mp3", "b c.flac"], ["a.mp3", "b c.flac"], None),
    (["-v", "song.mp3"], ["song.mp3"], None),
    (["song.mp3", "--model", "m.ugm"], ["song.mp3"], "m.ugm"),
    (["gui", "x.ogg"], ["x.ogg"], None),
    ([], [], None),
])
def test_bare_files_open_in_the_app(opened, argv, files, model):
    assert cli.main(argv) == 0
    assert opened == [(files, model)]


def test_commands_are_not_taken_for_files():
    for command in cli.COMMANDS:
        assert cli._open_files_in_gui([command, "x"]) == [command, "x"]
    assert cli._open_files_in_gui(["--version"]) == ["--version"]


@pytest.mark.parametrize("argv", [
    ["train"],
    ["train", "DATASET", "--out", "X.ugm"],
    ["train", "songs", "--model", "xgboost", "--epochs", "3", "--no-such-option"],
])
def test_without_training_any_train_arguments_get_the_clear_message(monkeypatch, capsys, argv):
    monkeypatch.setitem(sys.modules, "training.cli", None)  # as in the lite build: no training package
    assert cli.main(argv) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "training is not installed here" in err and "unrecognized arguments" not in err
