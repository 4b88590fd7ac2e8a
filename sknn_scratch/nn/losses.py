"""Loss functions, each with its gradient and its fused gradient.

Every loss is a weighted mean of per-sample losses :math:`\\ell_i`:

.. math::  L = \\frac{\\sum_i w_i \\ell_i}{\\sum_i w_i},

with :math:`w_i = 1` when no ``sample_weight`` is given.  Integer weights
therefore give exactly the loss of the data set with rows repeated.

``fused_backward`` returns the gradient with respect to the *pre-activation* of
the output layer for the activation the loss pairs with (softmax, sigmoid or
identity), which is both simpler and more accurate than chaining the two
Jacobians.
"""

import numpy as np

from ._base import Workspace
from .activations import Identity, Sigmoid, SoftMax


def _weight_scale(sample_weight, n_samples, dtype):
    """Per-sample factor of the weighted mean: ``1/N`` or ``w / sum(w)``."""
    if sample_weight is None:
        return 1.0 / n_samples
    total = float(np.sum(sample_weight))
    if not total > 0:
        raise ValueError(
            f"sample_weight must have a positive sum over the batch, got {total}"
        )
    return (np.asarray(sample_weight, dtype=dtype) / dtype.type(total))[:, None]


def _check_finite(name, array):
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity")


class Loss:
    """Base class: weighted mean of per-sample losses, and its gradients.

    Subclasses implement ``check_targets``, ``forward`` (per-sample losses),
    ``backward``, ``fused_backward`` and ``accuracy`` (called with a third
    argument, the sample weights, only when there are weights); :meth:`calculate`
    turns the per-sample losses into the (weighted) mean.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch.nn import Loss
    >>> class AbsoluteError(Loss):
    ...     def forward(self, y_pred, y_true):
    ...         return np.abs(y_pred - y_true).sum(axis=1)
    >>> AbsoluteError().calculate(np.array([[1.0], [4.0]]), np.array([[0.0], [0.0]]))
    2.5
    """

    #: the output activation whose Jacobian ``fused_backward`` absorbs
    fused_activation = None
    #: whether ``dL/dz`` per sample is bounded (|p - y| <= 1 for cross-entropies):
    #: then only an absurd step can make the weights grow explosively
    bounded_gradient = False

    def __init__(self):
        self._workspace = Workspace()
        self.dinputs = None

    def __getstate__(self):
        # the workspace and the last gradient are scratch: not part of a saved model
        return {
            k: v for k, v in self.__dict__.items() if k not in ("_workspace", "dinputs")
        }

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__init__()

    def __repr__(self):
        return f"{type(self).__name__}()"

    def check_targets(self, y, n_outputs):
        """Validate ``y`` for a network with ``n_outputs`` outputs; return it as used.

        Raises
        ------
        ValueError
            If ``y`` has the wrong shape, contains NaN, or is out of range.
        """
        raise NotImplementedError

    def forward(self, y_pred, y_true):
        """Return the per-sample losses, shape ``(n_samples,)``."""
        raise NotImplementedError

    def calculate(self, y_pred, y_true, sample_weight=None):
        """Return the weighted mean loss over the batch (a float)."""
        losses = self.forward(y_pred, y_true)
        if sample_weight is None:
            return float(np.add.reduce(losses)) / len(losses)
        return float(np.dot(losses, sample_weight) / np.sum(sample_weight))

    def _gradient_buffer(self, y_pred):
        return self._workspace.get("dinputs", y_pred.shape, y_pred.dtype)

    @staticmethod
    def _as_2d(y_true, y_pred):
        return y_true.reshape(y_pred.shape) if y_true.ndim == 1 else y_true

    def _check_2d_targets(self, y, n_outputs):
        y = np.asarray(y)
        if y.ndim == 1 and n_outputs == 1:
            y = y.reshape(-1, 1)
        if y.ndim != 2 or y.shape[1] != n_outputs:
            raise ValueError(
                f"y must have shape (n_samples, {n_outputs}) for a network with "
                f"{n_outputs} outputs, got {y.shape}"
            )
        if not np.issubdtype(y.dtype, np.number) and y.dtype != np.bool_:
            raise ValueError(f"y must be numeric, got dtype {y.dtype}")
        _check_finite("y", y)
        return y


class CategoricalCrossEntropy(Loss):
    r"""Cross-entropy between softmax probabilities and class labels.

    ``y_true`` may be class indices, shape ``(n_samples,)``, or one-hot rows,
    shape ``(n_samples, n_classes)``.  Probabilities are clipped to
    ``[eps, 1]`` (``eps`` the dtype's machine epsilon), so the loss is never
    ``log(0)``.

    Notes
    -----
    .. math::

        \ell_i = -\sum_k Y_{ik} \log P_{ik}, \qquad
        \frac{\partial L}{\partial P_{ik}} = -\frac{w_i}{\sum_j w_j}
            \frac{Y_{ik}}{P_{ik}}.

    Through a softmax, :math:`P = \mathrm{softmax}(Z)`, the Jacobians collapse
    to the fused gradient

    .. math::  \frac{\partial L}{\partial Z_i} = \frac{w_i}{\sum_j w_j}(P_i - Y_i),

    which is :math:`(P - Y)/N` without weights.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch.nn import CategoricalCrossEntropy
    >>> p = np.array([[0.5, 0.5], [0.9, 0.1]])
    >>> round(CategoricalCrossEntropy().calculate(p, np.array([0, 0])), 4)
    0.3993
    """

    fused_activation = SoftMax
    bounded_gradient = True

    def check_targets(self, y, n_outputs):
        y = np.asarray(y)
        if y.ndim == 2:
            return self._check_2d_targets(y, n_outputs)
        if y.ndim != 1:
            raise ValueError(
                f"y must be 1-D class indices or 2-D one-hot, got {y.shape}"
            )
        if not np.issubdtype(y.dtype, np.number):
            raise ValueError(
                f"class indices in y must be integers, got dtype {y.dtype}"
            )
        _check_finite("y", y)
        if np.any(y != np.round(y)):
            raise ValueError("class indices in y must be whole numbers")
        if y.size and (y.min() < 0 or y.max() >= n_outputs):
            raise ValueError(
                f"class indices in y must lie in [0, {n_outputs - 1}] for a network "
                f"with {n_outputs} outputs, got values in [{y.min()}, {y.max()}]"
            )
        return y.astype(np.intp, copy=False)

    def _clipped(self, y_pred):
        eps = np.finfo(y_pred.dtype).eps
        return np.clip(y_pred, eps, 1.0)

    def forward(self, y_pred, y_true):
        if y_true.ndim == 1:
            picked = y_pred[np.arange(len(y_pred)), y_true]  # a new array
            np.clip(picked, np.finfo(picked.dtype).eps, 1.0, out=picked)
            np.log(picked, out=picked)
            return np.negative(picked, out=picked)
        return -np.sum(y_true * np.log(self._clipped(y_pred)), axis=1)

    def backward(self, y_pred, y_true, sample_weight=None):
        scale = _weight_scale(sample_weight, len(y_pred), y_pred.dtype)
        dinputs = self._gradient_buffer(y_pred)
        if y_true.ndim == 1:
            dinputs[...] = 0
            rows = np.arange(len(y_pred))
            dinputs[rows, y_true] = -1.0 / self._clipped(y_pred[rows, y_true])
        else:
            np.divide(y_true, self._clipped(y_pred), out=dinputs)
            np.negative(dinputs, out=dinputs)
        dinputs *= scale
        self.dinputs = dinputs
        return dinputs

    def fused_backward(self, y_pred, y_true, sample_weight=None):
        scale = _weight_scale(sample_weight, len(y_pred), y_pred.dtype)
        dinputs = self._gradient_buffer(y_pred)
        np.copyto(dinputs, y_pred)
        if y_true.ndim == 1:
            dinputs[np.arange(len(y_pred)), y_true] -= 1
        else:
            dinputs -= y_true
        dinputs *= scale
        self.dinputs = dinputs
        return dinputs

    def accuracy(self, y_pred, y_true, sample_weight=None):
        """(Weighted) fraction of rows whose most probable class is the true one."""
        labels = y_true if y_true.ndim == 1 else np.argmax(y_true, axis=1)
        hits = np.argmax(y_pred, axis=1) == labels
        if sample_weight is not None:
            return float(np.average(hits, weights=sample_weight))
        return float(np.count_nonzero(hits)) / len(labels)


class BinaryCrossEntropy(Loss):
    r"""Cross-entropy of independent sigmoid outputs (binary and multilabel).

    ``y_true`` has shape ``(n_samples, n_outputs)`` with values in ``[0, 1]``
    (shape ``(n_samples,)`` is accepted for one output).  The per-sample loss sums
    over outputs, as scikit-learn's ``binary_log_loss`` does.

    Notes
    -----
    .. math::

        \ell_i = -\sum_k \big(Y_{ik}\log P_{ik} + (1 - Y_{ik})\log(1 - P_{ik})\big),
        \qquad
        \frac{\partial L}{\partial P_{ik}} = \frac{w_i}{\sum_j w_j}
            \frac{P_{ik} - Y_{ik}}{P_{ik}(1 - P_{ik})}.

    Through a sigmoid the fused gradient is
    :math:`\partial L / \partial Z_i = w_i (P_i - Y_i) / \sum_j w_j`.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch.nn import BinaryCrossEntropy
    >>> p = np.array([[0.5], [0.9]])
    >>> round(BinaryCrossEntropy().calculate(p, np.array([[1.0], [1.0]])), 4)
    0.3993
    """

    fused_activation = Sigmoid
    bounded_gradient = True

    def check_targets(self, y, n_outputs):
        y = self._check_2d_targets(y, n_outputs)
        if y.size and (y.min() < 0 or y.max() > 1):
            raise ValueError("y for a binary cross-entropy must lie in [0, 1]")
        return y

    def _clipped(self, y_pred):
        eps = np.finfo(y_pred.dtype).eps
        return np.clip(y_pred, eps, 1.0 - eps)

    def forward(self, y_pred, y_true):
        y_true = self._as_2d(y_true, y_pred)
        p = self._clipped(y_pred)
        return -np.sum(y_true * np.log(p) + (1 - y_true) * np.log1p(-p), axis=1)

    def backward(self, y_pred, y_true, sample_weight=None):
        y_true = self._as_2d(y_true, y_pred)
        scale = _weight_scale(sample_weight, len(y_pred), y_pred.dtype)
        p = self._clipped(y_pred)
        dinputs = self._gradient_buffer(y_pred)
        np.subtract(p, y_true, out=dinputs)
        dinputs /= p * (1 - p)
        dinputs *= scale
        self.dinputs = dinputs
        return dinputs

    def fused_backward(self, y_pred, y_true, sample_weight=None):
        y_true = self._as_2d(y_true, y_pred)
        scale = _weight_scale(sample_weight, len(y_pred), y_pred.dtype)
        dinputs = self._gradient_buffer(y_pred)
        np.subtract(y_pred, y_true, out=dinputs)
        dinputs *= scale
        self.dinputs = dinputs
        return dinputs

    def accuracy(self, y_pred, y_true, sample_weight=None):
        """Subset accuracy: (weighted) share of rows with every output right of 0.5."""
        y_true = self._as_2d(y_true, y_pred)
        hits = np.all((y_pred > 0.5) == (y_true > 0.5), axis=1)
        return float(np.average(hits, weights=sample_weight))


class MeanSquaredError(Loss):
    r"""Half the squared error, summed over outputs and averaged over samples.

    The objective scikit-learn's MLPRegressor descends: its gradient is
    :math:`(P - Y) / N` for any number of outputs.  (Its reported
    ``loss_curve_`` also divides by the number of outputs, a known mismatch with
    that gradient, scikit-learn issue #8349; here loss and gradient agree.)

    Notes
    -----
    With :math:`K` outputs:

    .. math::

        \ell_i = \frac{1}{2}\sum_k (P_{ik} - Y_{ik})^2, \qquad
        \frac{\partial L}{\partial P_i} = \frac{w_i}{\sum_j w_j} (P_i - Y_i).

    Its activation is the identity, so the fused gradient is the same.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch.nn import MeanSquaredError
    >>> MeanSquaredError().calculate(np.array([[1.0], [3.0]]), np.array([[0.0], [1.0]]))
    1.25
    """

    fused_activation = Identity

    def check_targets(self, y, n_outputs):
        return self._check_2d_targets(y, n_outputs)

    def forward(self, y_pred, y_true):
        y_true = self._as_2d(y_true, y_pred)
        return 0.5 * np.sum((y_pred - y_true) ** 2, axis=1)

    def backward(self, y_pred, y_true, sample_weight=None):
        y_true = self._as_2d(y_true, y_pred)
        scale = _weight_scale(sample_weight, len(y_pred), y_pred.dtype)
        dinputs = self._gradient_buffer(y_pred)
        np.subtract(y_pred, y_true, out=dinputs)
        dinputs *= scale
        self.dinputs = dinputs
        return dinputs

    fused_backward = backward

    def accuracy(self, y_pred, y_true, sample_weight=None):
        """R², the coefficient of determination averaged over outputs (weighted
        as scikit-learn's ``r2_score``)."""
        y_true = self._as_2d(y_true, y_pred)
        w = 1.0 if sample_weight is None else sample_weight[:, None]
        # A diagnostic of one batch: a wildly wrong batch may score -inf.
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            residual = np.sum(w * (y_true - y_pred) ** 2, axis=0)
            mean = np.average(y_true, axis=0, weights=sample_weight)
            total = np.sum(w * (y_true - mean) ** 2, axis=0)
            r2 = np.where(
                total > 0, 1 - residual / total, np.where(residual > 0, 0.0, 1.0)
            )
        return float(np.mean(r2))


LOSSES = {
    "categorical_crossentropy": CategoricalCrossEntropy,
    "binary_crossentropy": BinaryCrossEntropy,
    "squared_error": MeanSquaredError,
}
