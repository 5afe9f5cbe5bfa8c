"""musicnn (Pons and Serra, 2019) ported to Keras 3: a music-tagging CNN trained on real songs.

* :mod:`training.musicnn.backbone` -- the MSD musicnn network, layer for layer,
  and loading its weights from the shipped ``resources/musicnn`` file.
* :mod:`training.musicnn.checkpoint` -- the original TF1 checkpoint inside the
  ``musicnn==0.1.0`` wheel: converting its weights, and running the original
  graph as the reference the port is tested against.
* :mod:`training.musicnn.genre_model` -- the ``musicnn`` model family: a 30 s
  log-mel window cut into 3 s patches, the frozen backbone's embeddings pooled
  over the window, and a small trainable head for the user's genres.
"""
