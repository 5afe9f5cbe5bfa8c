"""The app keeps OpenBLAS on one thread, set before NumPy loads (``urdu_genre_app.cli.main``)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("preset, expected", [(None, "[1]"), ("2", "[2]")], ids=["default", "user's own setting"])
def test_the_app_starts_with_one_blas_thread_unless_told_otherwise(preset, expected):
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if preset is not None:
        env["OPENBLAS_NUM_THREADS"] = preset
    probe = ("import os, sys; sys.argv=['urdu-genre']\n"
             "from urdu_genre_app import cli\n"
             "try:\n    cli.main(['--version'])\nexcept SystemExit:\n    pass\n"
             "import numpy\nfrom threadpoolctl import threadpool_info\n"
             "print([p['num_threads'] for p in threadpool_info() if p['user_api'] == 'blas'])")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == expected
