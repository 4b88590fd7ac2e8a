"""sknn_scratch: a from-scratch NumPy neural network as a scikit-learn estimator."""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
