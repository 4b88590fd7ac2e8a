"""What the benchmarks share: the two classifiers set up alike; argument parsing.

Scripts in this folder run as ``python benchmarks/<script>.py``, so this module
is importable as ``_matched``.
"""

import argparse

import numpy as np
from sklearn.neural_network import MLPClassifier

from sknn_scratch import ScratchMLPClassifier


def matched_pair(
    *,
    hidden,
    batch_size,
    learning_rate,
    momentum,
    epochs,
    seed,
    solver="sgd",
    alpha=0.0,
    dtype=None,
):
    """``(ScratchMLPClassifier, MLPClassifier)`` with the same settings.

    Both run every epoch (``tol=0``, no early stopping), shuffle, use momentum
    without Nesterov, and the same penalty: ``l2 = alpha / (2 * batch_size)``.
    """
    common = {
        "hidden_layer_sizes": hidden,
        "activation": "relu",
        "solver": solver,
        "momentum": momentum,
        "batch_size": batch_size,
        "max_iter": epochs,
        "shuffle": True,
        "tol": 0.0,
        "n_iter_no_change": np.inf,
        "early_stopping": False,
        "random_state": seed,
    }
    ours = ScratchMLPClassifier(
        **common,
        l2=alpha / (2 * batch_size),
        learning_rate=learning_rate,
        nesterov=False,
        dtype=dtype,
    )
    theirs = MLPClassifier(
        **common,
        alpha=alpha,
        learning_rate="constant",
        learning_rate_init=learning_rate,
        nesterovs_momentum=False,
    )
    return ours, theirs


def parse_hidden(text):
    """``128,128`` -> (128, 128), for ``--hidden``."""
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a comma-separated list: {text!r}"
        ) from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"hidden sizes must be >= 1: {text!r}")
    return sizes
