"""Build step that copies the top-level ``resources/`` folder into the package.

The source tree keeps the bundled model, its card, the icons and the
self-test sample in ``resources/`` (the design card's layout); an installed
wheel must carry them inside the package so :mod:`importlib.resources` finds
them. Everything else about the package is declared in ``pyproject.toml``.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

RESOURCES = Path(__file__).resolve().parent / "resources"
#: Where the copy lands inside the package (``urdu_genre_app.resources.PACKAGED_RESOURCES``).
TARGET = ("urdu_genre_app", "_resources")
#: What is shipped: the model bundles, their cards, icons, the self-test sample and musicnn's weights (with licence).
PATTERNS = ("MODEL_CARD*.md", "models/*.ugm", "icons/*", "samples/*", "musicnn/*")


class build_py_with_resources(build_py):
    """``build_py`` plus a copy of ``resources/`` as ``urdu_genre_app/_resources``."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads resources/ in the checkout itself
        target = Path(self.build_lib).joinpath(*TARGET)
        for pattern in PATTERNS:
            for source in sorted(RESOURCES.glob(pattern)):
                if source.is_file():
                    destination = target / source.relative_to(RESOURCES)
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, destination)


setup(cmdclass={"build_py": build_py_with_resources})
