"""Qt-free dataset and model pipeline: scan, extract, split, fit, evaluate, export.

Imports TensorFlow lazily, only where a Keras model is built or trained.
"""
