import sys

from urdu_genre_app.cli import main

if __name__ == "__main__":
    if getattr(sys, "frozen", False):
        # Training extracts features in spawned worker processes; a frozen
        # (PyInstaller) build must let those children run their task, not the app.
        import multiprocessing

        multiprocessing.freeze_support()
        from urdu_genre_app.frozen import keep_matplotlib_cache

        keep_matplotlib_cache()
    raise SystemExit(main())
