"""The paper's Table III as model families (:mod:`training.paper.family`); their networks are in :mod:`training.models`."""
