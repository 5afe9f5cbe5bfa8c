"""Leave-one-song-out song accuracy of a musicnn_tags head refit for a few pull strengths (training.realmusic.finetune.PULL).

    PYTHONPATH=. python benchmarks/bench_tagtune_pull.py [BUNDLE]

12 synthetic songs (training.synth, 3 a genre, 35 s, 3 windows each) are tagged
once by the bundle's graph; each is held out in turn while the head is
refitted on the other 11. Prints the bundle's own accuracy first.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from tests import audio_factory
from training.dataset import scan_pairs
from training.extract import ExtractionConfig, extract_windows
from training.realmusic import finetune as ft
from training.realmusic.head import GENRES
from training.synth.song import generate_song
from urdu_genre_app.core.bundle import load_bundle
from urdu_genre_app.resources import bundled_model_path

PULLS = (0.05, 0.2, 0.5, 2.0)


def main() -> None:
    bundle = load_bundle(sys.argv[1] if len(sys.argv) > 1 else bundled_model_path(), with_keras=False)
    root = Path(tempfile.mkdtemp(prefix="tagtune-"))
    pairs = []
    for genre in GENRES:
        for i in range(3):
            path = audio_factory.write_audio(root / f"{genre}-{i}.wav", generate_song(genre, 100 + i,
                                                                                      duration_seconds=35.0), 22050)
            pairs.append((str(path), genre))
    windows = extract_windows(scan_pairs(pairs, source=str(root)).songs, labels=list(GENRES),
                              params=bundle.feature_params, config=ExtractionConfig(windows_per_song=3, seed=0),
                              workers=1)
    features, labels, song = ft.embed_windows(bundle, windows.features), windows.label, windows.song
    prior = ft.bundle_head(bundle)
    songs = np.unique(song)

    def right(head, held) -> bool:
        rows = song == held
        return ft.genre_probabilities(head, features[rows]).mean(axis=0).argmax() == windows.song_labels[held]

    print(f"the bundle alone: {np.mean([right(prior, s) for s in songs]):.0%}")
    for pull in PULLS:
        hits = [right(ft.refit_head(prior, features[song != s], labels[song != s], pull=pull)[0], s) for s in songs]
        print(f"pull {pull}: leave-one-song-out {np.mean(hits):.0%}")


if __name__ == "__main__":
    main()
