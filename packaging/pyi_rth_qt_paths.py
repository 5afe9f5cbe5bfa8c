# PyInstaller run-time hook, used instead of PyInstaller's own pyi_rth_pyside6
# (build.spec drops that one). Theirs imports PySide6.QtCore at every launch to
# register a qt.conf, which cost ~0.3 s before `urdu-genre classify` or
# `--help` did anything, though neither uses Qt. Qt needs only to know where
# its plugins are (the platform, image-format and icon plugins), and that an
# environment variable says without loading Qt.
import os
import sys

os.environ["QT_PLUGIN_PATH"] = os.path.join(sys._MEIPASS, "PySide6", "Qt", "plugins")
