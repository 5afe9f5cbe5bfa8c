"""Fetch the open-music corpus again from the sources its manifest lists, checking each file's sha256.

Two kinds of source appear in ``open_music.tsv``'s ``source`` column:

* ``Debian package NAME VERSION: /path/in/package`` (the version may be
  missing or ``(bookworm)``), optionally ``-> member`` when the file is a
  member of a zip (``.zip``/``.pk3``) at that path. The package is fetched
  with ``apt-get download`` (a Debian bookworm apt source is needed) and
  unpacked with ``dpkg-deb -x``.
* ``github OWNER/REPO @ COMMIT: path/in/repo``, fetched from
  ``raw.githubusercontent.com`` at that commit.

Every fetched file is checked against the manifest's sha256 before it is
written under the target folder; a mismatch is reported and nothing is
written for it. Usage (needs a network; the machines this project is built
on have none, so it has not been run here)::

    python -m training.realmusic.rebuild TARGET_FOLDER [--genres rock,hiphop,other]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from training.extract import file_sha256
from training.realmusic.corpus import CorpusEntry, read_manifest

_DEBIAN = re.compile(r"^Debian package (?P<package>[a-z0-9.+-]+)(?: (?P<version>[^\s:(]+))?(?: \([^)]*\))?: "
                     r"(?P<path>/[^>]*?)(?: -> (?P<member>.+))?$")
_GITHUB = re.compile(r"^github (?P<repo>[\w.-]+/[\w.-]+) @ (?P<commit>[0-9a-f]{7,40}): (?P<path>[^(]+?)(?: \(.*\))?$")
RAW_URL = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"


@dataclass(frozen=True)
class Source:
    """Where one file comes from: ``kind`` is ``"debian"`` or ``"github"``."""

    kind: str
    name: str  # the package, or OWNER/REPO
    version: str  # the package version ("" when not pinned), or the commit
    path: str  # inside the package or repository
    member: str = ""  # inside a zip at ``path`` (Debian only)


def parse_source(text: str) -> Source | None:
    """The :class:`Source` a manifest's ``source`` cell names, or None when it is neither kind."""
    match = _DEBIAN.match(text.strip())
    if match:
        return Source("debian", match["package"], match["version"] or "", match["path"].strip(),
                      (match["member"] or "").strip())
    match = _GITHUB.match(text.strip())
    if match:
        return Source("github", match["repo"], match["commit"], match["path"].strip())
    return None


def apt_unpack(package: str, version: str, workdir: Path) -> Path:
    """``apt-get download`` a package and unpack it; returns the folder its files are under."""
    target = workdir / f"{package}-{version or 'any'}"
    if target.is_dir():
        return target
    wanted = f"{package}={version}" if version else package
    subprocess.run(["apt-get", "download", wanted], cwd=workdir, check=True)
    debs = sorted(workdir.glob(f"{package}_*.deb"))
    if not debs:
        raise FileNotFoundError(f"apt-get download {wanted} left no .deb in {workdir}")
    subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(target)], check=True)
    return target


def http_get(url: str) -> bytes:
    """The bytes at ``url`` (60 s timeout)."""
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (https only, from the manifest)
        return response.read()


def fetch_bytes(source: Source, workdir: Path, *, unpack: Callable[[str, str, Path], Path] = apt_unpack,
                get: Callable[[str], bytes] = http_get) -> bytes:
    """The bytes of one source's file (``unpack`` and ``get`` are replaceable for tests)."""
    if source.kind == "github":
        return get(RAW_URL.format(repo=source.name, commit=source.version, path=source.path))
    data = (unpack(source.name, source.version, workdir) / source.path.lstrip("/")).read_bytes()
    if source.member:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            data = archive.read(source.member)
    return data


def rebuild(entries: list[CorpusEntry], target: Path, *, workdir: Path | None = None, log=print,
            unpack: Callable[[str, str, Path], Path] = apt_unpack, get: Callable[[str], bytes] = http_get) -> list[str]:
    """Fetch every entry not already under ``target`` with the right sha256; returns the failures, one line each."""
    failures = []
    with tempfile.TemporaryDirectory() as scratch:
        workdir = workdir or Path(scratch)
        for entry in entries:
            out = target / entry.path
            if out.is_file() and file_sha256(out) == entry.sha256:
                continue
            source = parse_source(entry.source)
            try:
                if source is None:
                    raise ValueError(f"cannot read its source {entry.source!r}")
                data = fetch_bytes(source, workdir, unpack=unpack, get=get)
            except (OSError, ValueError, KeyError, zipfile.BadZipFile, subprocess.CalledProcessError) as error:
                failures.append(f"{entry.path}: not fetched ({error})")
                continue
            if hashlib.sha256(data).hexdigest() != entry.sha256:
                failures.append(f"{entry.path}: the source's file has another sha256; not written")
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
            log(f"fetched {entry.path}")
    return failures


def main(argv: list[str] | None = None) -> int:
    """``python -m training.realmusic.rebuild TARGET [--genres ...] [--manifest FILE]``."""
    parser = argparse.ArgumentParser(description="Fetch the open-music corpus from its sources.")
    parser.add_argument("target", type=Path)
    parser.add_argument("--genres", default=None, help="comma-separated genres (default: every row)")
    parser.add_argument("--manifest", type=Path, default=None)
    args = parser.parse_args(argv)
    genres = args.genres.split(",") if args.genres else None
    failures = rebuild(read_manifest(args.manifest, genres=genres), args.target)
    for line in failures:
        print(line, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
