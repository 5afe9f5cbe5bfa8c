"""Make the self-test's sample: a 30 s synthetic song and the verdict the bundled model must give.

    .venv/bin/python scripts/make-selftest-sample.py [--genre Qawwali] [--seed 8]

Writes ``resources/samples/selftest_<genre>.ogg`` (the project's synthetic
generator, ``training.synth``, so the same genre and seed always give the
same song) and ``resources/samples/selftest.json`` naming the file, its
SHA-256 and the expected verdict. It refuses to write a sample the bundled
model does not classify as its genre with a clear lead, so the self-test
never ships with a verdict that only just holds. Rerun it whenever the
bundled model is retrained.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: Length of the sample: exactly one analysis window, so it is not a "short clip".
SAMPLE_SECONDS = 30.0
#: Smallest probability of the expected genre accepted for a shipped sample.
MIN_CONFIDENCE = 0.8


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--genre", default="Qawwali")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()

    from training.synth import generate_song
    from training.synth.corpus import write_audio
    from urdu_genre_app.core.bundle import load_bundle
    from urdu_genre_app.core.classifier import Classifier
    from urdu_genre_app.resources import SELFTEST_SAMPLE_MANIFEST, bundled_model_path

    samples = ROOT / "resources" / "samples"
    samples.mkdir(parents=True, exist_ok=True)
    name = f"selftest_{args.genre.lower().replace('-', '')}.ogg"
    path = samples / name
    audio = generate_song(args.genre, args.seed, duration_seconds=SAMPLE_SECONDS)
    write_audio(path, audio, 22050, "ogg")

    result = Classifier(load_bundle(bundled_model_path(), with_keras=False)).classify_file(path)
    probability = result.probabilities.get(args.genre, 0.0)
    if result.genre != args.genre or probability < MIN_CONFIDENCE:
        path.unlink()
        print(f"the bundled model calls this {args.genre} sample {result.verdict_text()}; try another --seed",
              file=sys.stderr)
        return 1
    manifest = {
        "sample": name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "expected_genre": args.genre,
        "made_by": f"scripts/make-selftest-sample.py --genre {args.genre} --seed {args.seed}",
        "model": bundled_model_path().name,
        "probability_when_made": round(probability, 3),
    }
    (samples / SELFTEST_SAMPLE_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{path.relative_to(ROOT)}: {result.verdict_text()} ({path.stat().st_size // 1024} kB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
