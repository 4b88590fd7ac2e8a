"""sknn_scratch: a from-scratch NumPy neural network as a scikit-learn estimator.

The estimators :class:`ScratchMLPClassifier` and :class:`ScratchMLPRegressor` run
on the NumPy core :mod:`sknn_scratch.nn`.
"""

__version__ = "0.1.0.dev0"

from ._classifier import ScratchMLPClassifier
from ._regressor import ScratchMLPRegressor

__all__ = ["ScratchMLPClassifier", "ScratchMLPRegressor", "__version__"]
