"""The from-scratch NumPy core: layers, activations, losses, optimizers, Model.

This is the seed project's API, kept public for people learning how a network
trains.  It imports nothing from scikit-learn.
"""

from ._base import Layer
from .activations import ACTIVATIONS, Identity, ReLU, Sigmoid, SoftMax, Tanh
from .layers import Dropout, HiddenLayer, InputLayer
from .losses import (
    LOSSES,
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    Loss,
    MeanSquaredError,
)
from .model import DivergenceError, Model
from .optimizers import OPTIMIZERS, SGD, Adam, Optimizer

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "OPTIMIZERS",
    "SGD",
    "Adam",
    "BinaryCrossEntropy",
    "CategoricalCrossEntropy",
    "DivergenceError",
    "Dropout",
    "HiddenLayer",
    "Identity",
    "InputLayer",
    "Layer",
    "Loss",
    "MeanSquaredError",
    "Model",
    "Optimizer",
    "ReLU",
    "Sigmoid",
    "SoftMax",
    "Tanh",
]
