"""Saving survives what really happens: a process killed mid-write, and a full disk.

Each case runs the real writer in a child process: a model bundle
(``save_bundle``), a feature-cache entry (``training.extract``) and a results
export (``core.atomic.write_atomic``, what File > Export uses). The child writes
new versions over one file as fast as it can; it is killed with SIGKILL at
random moments, many times; after each kill the file must load and be one
complete version. A child whose every write hits ENOSPC part-way must fail
with a message that names the file and says the disk is full, leave the old
file byte for byte, and leave no half-written file behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from urdu_genre_app.core.bundle import load_bundle

KILLS_PER_WRITER = 12
ROOT = Path(__file__).resolve().parents[2]

#: The child: ``writer(path, version)`` writes version ``version`` of the file.
CHILD = textwrap.dedent(
    """
    import errno, json, os, sys
    import numpy as np

    kind, path, source, mode = sys.argv[1:5]

    if kind == "bundle":
        from urdu_genre_app.core.bundle import load_bundle, save_bundle
        bundle = load_bundle(source)
        def writer(version):
            bundle.provenance["version"] = version
            save_bundle(bundle, path)
    elif kind == "cache":
        from training.extract import _write_npz_atomic
        rng = np.random.default_rng(0)
        features = rng.standard_normal((5, 1292, 32)).astype(np.float32)
        def writer(version):
            _write_npz_atomic(__import__("pathlib").Path(path), {
                "features": features + version, "window": np.arange(5), "copy": np.zeros(5, np.int64),
                "start_seconds": np.full(5, float(version))})
    else:
        from urdu_genre_app.core.atomic import write_atomic
        rows = [{"window": i, "probabilities": [0.25] * 4} for i in range(3000)]
        def writer(version):
            write_atomic(path, json.dumps({"version": version, "windows": rows}))

    if mode == "enospc":  # every write after the first 4 KiB of a file fails as on a full disk
        real_fdopen = os.fdopen
        class FullDisk:
            def __init__(self, stream):
                self._stream, self._written = stream, 0
            def write(self, data):
                self._written += len(data)
                if self._written > 4096:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                return self._stream.write(data)
            def __getattr__(self, name):
                return getattr(self._stream, name)
            def __enter__(self):
                return self
            def __exit__(self, *exc):
                return self._stream.__exit__(*exc)
        os.fdopen = lambda *a, **k: FullDisk(real_fdopen(*a, **k))
        try:
            writer(10**6)
        except Exception as error:
            print(f"{type(error).__name__}: {error}", flush=True)
            sys.exit(1)
        sys.exit(0)

    if mode.startswith("once="):  # one whole write, then a normal exit
        writer(int(mode[5:]))
        sys.exit(0)

    print("ready", flush=True)
    version = int(mode)
    while True:
        version += 1
        writer(version)
    """
)


def _child(kind: str, path: Path, source: str, mode: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-c", CHILD, kind, str(path), source, mode], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def _read_version(kind: str, path: Path) -> int:
    """The version the file holds; raises if it is not one whole, loadable file."""
    if kind == "bundle":
        return int(load_bundle(path).provenance["version"])
    if kind == "cache":
        from training.extract import _read_npz

        arrays = _read_npz(path)
        assert arrays is not None, f"{path} is damaged"
        version = int(arrays["start_seconds"][0])
        assert arrays["features"].shape == (5, 1292, 32)
        return version
    return int(json.loads(path.read_text(encoding="utf-8"))["version"])


def _write_once(kind: str, path: Path, source: str, version: int) -> None:
    """One whole write of ``version`` by a child that then exits normally."""
    child = _child(kind, path, source, f"once={version}")
    _, err = child.communicate(timeout=120)
    assert child.returncode == 0, err


def _destination(kind: str, folder: Path) -> Path:
    return folder / {"bundle": "model.ugm", "cache": "ab" + "0" * 62 + ".npz", "export": "results.json"}[kind]


WRITERS = ["bundle", "cache", "export"]


@pytest.mark.parametrize("kind", WRITERS)
def test_sigkill_mid_write_leaves_a_whole_loadable_file(kind, tmp_path, tiny_bundle_path):
    folder = tmp_path / kind
    folder.mkdir()
    path = _destination(kind, folder)
    _write_once(kind, path, tiny_bundle_path, 0)
    rng = np.random.default_rng(11)
    last = _read_version(kind, path)
    for kill in range(KILLS_PER_WRITER):
        child = _child(kind, path, tiny_bundle_path, str(last))
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        time.sleep(float(rng.uniform(0.0, 0.4)))  # a random moment of its write loop
        child.send_signal(signal.SIGKILL)
        assert child.wait() == -signal.SIGKILL
        version = _read_version(kind, path)  # loads: the previous file or the new one, never half of one
        assert version >= last, (kill, version, last)
        last = version
    # The next save clears what the killed writers could not: their temporary files.
    _write_once(kind, path, tiny_bundle_path, last + 1)
    leftovers = sorted(p.name for p in folder.iterdir() if p != path)
    assert leftovers == [], f"temporary files of killed writers were left behind: {leftovers}"
    assert _read_version(kind, path) == last + 1


@pytest.mark.parametrize("kind", WRITERS)
def test_disk_full_is_a_clear_message_and_keeps_the_old_file(kind, tmp_path, tiny_bundle_path):
    folder = tmp_path / kind
    folder.mkdir()
    path = _destination(kind, folder)
    _write_once(kind, path, tiny_bundle_path, 0)
    before = path.read_bytes()
    child = _child(kind, path, tiny_bundle_path, "enospc")
    out, err = child.communicate(timeout=120)
    assert child.returncode == 1, (out, err)
    assert str(path) in out and "disk is full" in out, out
    assert "Errno" not in out.split(": ", 1)[0]
    assert path.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == [path.name], "a half-written file was left behind"
    _read_version(kind, path)
