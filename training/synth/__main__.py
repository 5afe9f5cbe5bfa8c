"""Command line: ``python -m training.synth OUT_DIR --songs-per-genre N [options]``.

Progress goes to stderr; the exit status is 0 on success, 2 on bad arguments or a missing sample package
(``--renderer sampled|mixed``; the message names the Debian package).
"""

from __future__ import annotations

import argparse
import sys
import time

from urdu_genre_app.core.errors import UrduGenreError

from training.synth.corpus import RENDERERS, SUPPORTED_FORMATS, generate_corpus


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and ``--help``)."""
    p = argparse.ArgumentParser(prog="python -m training.synth",
                                description="Write a reproducible synthetic Ghazal/Qawwali/Hip-hop/Rock corpus.")
    p.add_argument("out_dir", help="output folder (one sub-folder per genre)")
    p.add_argument("--songs-per-genre", type=int, required=True, help="songs of each genre")
    p.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    p.add_argument("--min-seconds", type=float, default=120.0, help="shortest song (default 120)")
    p.add_argument("--max-seconds", type=float, default=360.0, help="longest song (default 360)")
    p.add_argument("--formats", default="wav",
                   help=f"comma-separated, cycled per song: {','.join(SUPPORTED_FORMATS)} (default wav)")
    p.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    p.add_argument("--renderer", choices=RENDERERS, default="numpy",
                   help="numpy instrument models, recorded samples (Debian sample packages), or mixed "
                        "(odd song indices sampled); default numpy")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the generator; returns the process exit status."""
    args = build_parser().parse_args(argv)
    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    t0 = time.monotonic()

    def progress(done: int, total: int) -> None:
        elapsed = time.monotonic() - t0
        print(f"\r{done}/{total} songs  {elapsed:6.1f} s", end="" if done < total else "\n", file=sys.stderr,
              flush=True)

    try:
        paths = generate_corpus(args.out_dir, songs_per_genre=args.songs_per_genre, seed=args.seed,
                                duration_range=(args.min_seconds, args.max_seconds), formats=formats,
                                workers=args.workers, progress=progress, renderer=args.renderer)
    except (ValueError, UrduGenreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{len(paths)} songs in {args.out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
