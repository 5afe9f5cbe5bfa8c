"""Learning from real recordings: the open-music corpus, the musicnn taggers' outputs, and the family built on them.

* :mod:`training.realmusic.corpus` -- the manifest of openly licensed real
  recordings (``open_music.tsv``: licence, attribution, artist, source and
  sha256 per file), reading it from a folder (``../shared/open-music`` by
  default), checking every file's sha256, and splits that keep each artist on
  one side.
* :mod:`training.realmusic.rebuild` -- fetch the corpus again from the listed
  sources (Debian packages, GitHub commits) on a machine with a network.
* :mod:`training.realmusic.tags` -- the MSD and MagnaTagATune musicnn taggers'
  log tag probabilities, averaged over a window's 3 s patches: the features.
* :mod:`training.realmusic.head` -- the linear genre head over the tag logits
  (four genres and "other music") and its fit.
* :mod:`training.realmusic.family` -- the ``musicnn_tags`` model family: one
  graph from log-mel patches through both taggers to a genre head with an
  explicit "other music" output, the not-a-genre check it carries.
"""
