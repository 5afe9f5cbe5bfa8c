"""The desktop app (Qt only): windows, widgets and workers built on ``urdu_genre_app.core``.

Nothing in here decodes, computes features or runs a model itself; it calls
core for all of that, off the GUI thread.
"""
