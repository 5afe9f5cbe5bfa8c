"""Qt-free engine: decoding, features, windows, model bundles and the classifier.

Nothing here imports Qt or TensorFlow; training and the GUI both build on it.
"""
