"""The Library: a folder of songs classified at once, corrected, tagged (Qt-free).

* :mod:`~urdu_genre_app.library.scan` -- find the audio files below a folder;
* :mod:`~urdu_genre_app.library.cache` -- verdicts on disk, keyed by the file's
  content and the model's checksum;
* :mod:`~urdu_genre_app.library.corrections` -- the user's confirmed genres, a
  ``path,genre`` manifest that ``urdu-genre train`` reads;
* :mod:`~urdu_genre_app.library.batch` -- classify many files on every core;
* :mod:`~urdu_genre_app.library.tags` -- genre tags written crash-safely, with
  an undo journal (:mod:`~urdu_genre_app.library.tag_journal`);
* :mod:`~urdu_genre_app.library.export` -- the table as CSV or JSON;
* :mod:`~urdu_genre_app.library.library` -- the :class:`Library` tying them
  together for the GUI and the CLI.
"""
