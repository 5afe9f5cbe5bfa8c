"""The usage example at the top of training/pipeline.py builds a real configuration."""

from __future__ import annotations

import re

import training.pipeline


def test_the_usage_example_names_only_real_fields(tmp_path):
    example = re.search(r"run_training\(\n\s+(TrainingConfig\(.*?\)\)),\n", training.pipeline.__doc__, re.S)
    assert example, "the module docstring shows a run_training call"
    from training.fit import FitConfig
    from training.pipeline import TrainingConfig

    config = eval(example.group(1), {"TrainingConfig": TrainingConfig, "FitConfig": FitConfig})  # noqa: S307
    assert config.fit.epochs == 30 and config.models == ("bn_cnn",)
    config.validate()
