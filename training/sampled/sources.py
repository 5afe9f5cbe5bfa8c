"""Where the recorded sounds live, and loading them (Debian packages, nothing downloaded).

The sampled renderer plays recordings installed from Debian packages:

========================  ===========================================  ===========
package                   what it gives                                licence
========================  ===========================================  ===========
``sonic-pi-samples``      tabla strokes, drum hits, breakbeats, vinyl  CC0
``hydrogen-drumkits``     recorded acoustic/electronic kits, claps     GPL-2(+)
``fluidsynth``            renders General MIDI parts from a soundfont  LGPL-2.1+
``timgm6mb-soundfont``    GM soundfont (reed organ, sitar, shehnai...) GPL-2
``espeak-ng``             voices, Urdu among them                      GPL-3+
========================  ===========================================  ===========

A missing package raises :class:`SamplePackageMissingError` naming it.
"""

from __future__ import annotations

import functools
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from urdu_genre_app.core.errors import UrduGenreError

#: Every Debian package the renderer needs (scripts/setup.sh installs them for tests).
SAMPLE_PACKAGES = ("sonic-pi-samples", "hydrogen-drumkits", "fluidsynth", "timgm6mb-soundfont", "espeak-ng")
#: Soundfonts tried in order (the first that exists is used).
SOUNDFONT_CANDIDATES = ("/usr/share/sounds/sf2/TimGM6mb.sf2", "/usr/share/sounds/sf2/MuseScore_General.sf2",
                        "/usr/share/sounds/sf2/FluidR3_GM.sf2")


class SamplePackageMissingError(UrduGenreError):
    """A system package with recorded sounds (or the program that plays them) is not installed.

    Attributes
    ----------
    package : str
        The Debian package to install.
    path : str
        The file or program that was looked for.
    """

    def __init__(self, package: str, path: str) -> None:
        self.package = package
        self.path = path
        super().__init__(f"the sampled song renderer needs the Debian package '{package}' ({path} not found); "
                         f"install it with 'apt-get install {package}' or 'bash scripts/setup.sh test'")


@dataclass(frozen=True)
class SampleLibrary:
    """Locations of the recorded sounds and programs (defaults: where Debian installs them).

    Attributes
    ----------
    sonic_pi_dir, hydrogen_dir : str
        Sample folders.
    soundfont : str or None
        A General MIDI ``.sf2``; None picks the first of :data:`SOUNDFONT_CANDIDATES`.
    fluidsynth, espeak : str
        Program names or paths.
    """

    sonic_pi_dir: str = "/usr/share/sonic-pi/samples"
    hydrogen_dir: str = "/usr/share/hydrogen/data/drumkits"
    soundfont: str | None = None
    fluidsynth: str = "fluidsynth"
    espeak: str = "espeak-ng"

    def soundfont_path(self) -> str:
        """The soundfont file; raises :class:`SamplePackageMissingError` when none is installed."""
        candidates = (self.soundfont,) if self.soundfont else SOUNDFONT_CANDIDATES
        for candidate in candidates:
            if candidate and os.path.isfile(candidate):
                return candidate
        raise SamplePackageMissingError("timgm6mb-soundfont", candidates[0] or SOUNDFONT_CANDIDATES[0])

    def program(self, name: str, package: str) -> str:
        """Absolute path of a program; raises :class:`SamplePackageMissingError` naming ``package``."""
        found = shutil.which(name)
        if found is None:
            raise SamplePackageMissingError(package, name)
        return found

    def check(self) -> None:
        """Raise :class:`SamplePackageMissingError` for the first missing package, else return."""
        for package, folder in (("sonic-pi-samples", self.sonic_pi_dir), ("hydrogen-drumkits", self.hydrogen_dir)):
            if not os.path.isdir(folder):
                raise SamplePackageMissingError(package, folder)
        self.program(self.fluidsynth, "fluidsynth")
        self.soundfont_path()
        self.program(self.espeak, "espeak-ng")

    def sonic_pi(self, name: str) -> Path:
        """A Sonic Pi sample by stem (``tabla_na``), checked to exist."""
        path = Path(self.sonic_pi_dir) / f"{name}.flac"
        if not path.is_file():
            raise SamplePackageMissingError("sonic-pi-samples", str(path))
        return path

    def hydrogen(self, kit: str, name: str) -> Path:
        """A file of a Hydrogen kit (``kit/name``), checked to exist."""
        path = Path(self.hydrogen_dir) / kit / name
        if not path.is_file():
            raise SamplePackageMissingError("hydrogen-drumkits", str(path))
        return path


@functools.lru_cache(maxsize=512)
def _load(path: str, sample_rate: int) -> np.ndarray:
    import soundfile as sf

    data, rate = sf.read(path, dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    if rate != sample_rate:
        import soxr

        mono = soxr.resample(mono, rate, sample_rate, quality="HQ")
    peak = float(np.max(np.abs(mono))) if mono.size else 0.0
    out = (mono / peak if peak > 0 else mono).astype(np.float32)
    out.setflags(write=False)
    return out


def load_sample(path: str | os.PathLike, sample_rate: int) -> np.ndarray:
    """A recorded sound as mono float32 at ``sample_rate``, peak-normalised to 1 (cached, read-only).

    Parameters
    ----------
    path : path-like
        A WAV or FLAC file.
    sample_rate : int
        Hz.

    Returns
    -------
    ndarray, shape (n,), float32
    """
    return _load(str(path), int(sample_rate))
