"""Layers with parameters or structure: input, dense ("hidden") and dropout."""

import numbers

import numpy as np

from ._base import Layer
from ._blas import matmul
from ._random import as_generator
from .activations import Identity

#: init -> (numerator, whether the fan counts the outputs): uniform within
#: +-sqrt(numerator / fan)
INITIALISATIONS = {
    "he": (6.0, False),
    "glorot": (6.0, True),
    "glorot_logistic": (2.0, True),
}


def _check_penalty(name, value):
    if not isinstance(value, numbers.Real) or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def _check_size(name, value):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return int(value)


class InputLayer(Identity):
    """Pass the inputs through unchanged; the first node of every :class:`Model`.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch.nn import InputLayer
    >>> InputLayer().forward(np.ones((2, 3))).shape
    (2, 3)
    """


class HiddenLayer(Layer):
    r"""Dense layer: ``Z = X @ W + b``, with optional L1 and L2 penalties.

    Parameters
    ----------
    n_inputs : int
        Number of input features.
    n_neurons : int
        Number of outputs (units) of the layer.
    l1 : float, default=0.0
        L1 penalty strength: adds ``l1 * sum(|W|)`` to the loss.
    l2 : float, default=0.0
        L2 penalty strength: adds ``l2 * sum(W ** 2)`` to the loss.
    init : {'he', 'glorot', 'glorot_logistic'}, default='he'
        Uniform initialisation of ``W``: He et al. (limit ``sqrt(6 / n_inputs)``)
        suits ReLU, Glorot & Bengio (limit ``sqrt(6 / (n_inputs + n_neurons))``)
        suits tanh, logistic and identity; 'glorot_logistic' (limit
        ``sqrt(2 / (n_inputs + n_neurons))``) is scikit-learn's choice for
        logistic networks.
    bias_init : {'zeros', 'uniform'}, default='zeros'
        Biases start at zero, or uniform within the same limit as ``W`` (the
        scheme of scikit-learn's MLP).
    random_state : None, int, Generator or RandomState, default=None
        Source of the initial weights; ``None`` uses fresh OS entropy, never
        NumPy's global random state.  A ``RandomState`` is drawn from directly,
        ``W`` then ``b``, as scikit-learn's MLP draws them, so a network built
        layer by layer from one ``RandomState`` starts where scikit-learn's
        does.
    dtype : {numpy.float64, numpy.float32}, default=numpy.float64
        dtype of the parameters and of the computation.

    Attributes
    ----------
    weights : ndarray of shape (n_inputs, n_neurons)
    biases : ndarray of shape (n_neurons,)
    dweights, dbiases : ndarray
        Gradients of the loss, same shapes as the parameters, set by ``backward``.
    needs_input_gradient : bool
        ``False`` for the first layer of a model: nothing upstream needs
        ``dL/dX``, so its (large) product is skipped.

    Notes
    -----
    Forward and backward, for a batch ``X`` of shape ``(N, n_inputs)`` and
    ``dZ = dL/dZ`` of shape ``(N, n_neurons)``:

    .. math::

        Z = X W + b, \qquad
        \frac{\partial L}{\partial W} = X^\top dZ
            + l_1\,\mathrm{sign}(W) + 2\,l_2\,W, \qquad
        \frac{\partial L}{\partial b} = \textstyle\sum_i dZ_i, \qquad
        \frac{\partial L}{\partial X} = dZ\, W^\top .

    References
    ----------
    He, Zhang, Ren & Sun (2015), "Delving deep into rectifiers", ICCV,
    doi:10.1109/ICCV.2015.123.  Glorot & Bengio (2010), "Understanding the
    difficulty of training deep feedforward neural networks", AISTATS.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch.nn import HiddenLayer
    >>> layer = HiddenLayer(3, 2, random_state=0)
    >>> layer.forward(np.ones((4, 3))).shape
    (4, 2)
    """

    trainable = True
    _transient = (*Layer._transient, "dweights", "dbiases")

    def __init__(
        self,
        n_inputs,
        n_neurons,
        l1=0.0,
        l2=0.0,
        *,
        init="he",
        bias_init="zeros",
        random_state=None,
        dtype=np.float64,
    ):
        super().__init__()
        n_inputs = _check_size("n_inputs", n_inputs)
        n_neurons = _check_size("n_neurons", n_neurons)
        if init not in INITIALISATIONS:
            raise ValueError(
                f"init must be one of {tuple(INITIALISATIONS)}, got {init!r}"
            )
        if bias_init not in ("zeros", "uniform"):
            raise ValueError(
                f"bias_init must be 'zeros' or 'uniform', got {bias_init!r}"
            )
        numerator, counts_outputs = INITIALISATIONS[init]
        fan = n_inputs + n_neurons if counts_outputs else n_inputs
        limit = np.sqrt(numerator / fan)
        rng = (
            random_state
            if isinstance(random_state, np.random.RandomState)
            else as_generator(random_state)
        )
        weights = rng.uniform(-limit, limit, size=(n_inputs, n_neurons))
        biases = (
            rng.uniform(-limit, limit, size=n_neurons)
            if bias_init == "uniform"
            else np.zeros(n_neurons)
        )
        self._set_parameters(weights.astype(dtype), biases.astype(dtype), l1, l2)

    @classmethod
    def from_arrays(cls, weights, biases, l1=0.0, l2=0.0):
        """Build a layer around existing arrays (no copy): ``W`` and ``b``.

        The estimators use this to train ``coefs_[i]`` and ``intercepts_[i]`` in
        place.
        """
        layer = cls.__new__(cls)
        layer._reset_transient()
        layer._set_parameters(weights, biases, l1, l2)
        return layer

    def _set_parameters(self, weights, biases, l1, l2):
        if weights.ndim != 2 or biases.shape != (weights.shape[1],):
            raise ValueError(
                f"weights must be 2-D (n_inputs, n_neurons) and biases (n_neurons,), "
                f"got shapes {weights.shape} and {biases.shape}"
            )
        self.weights = weights
        self.biases = biases
        self.l1 = _check_penalty("l1", l1)
        self.l2 = _check_penalty("l2", l2)
        self.needs_input_gradient = True

    @property
    def n_inputs(self):
        return self.weights.shape[0]

    @property
    def n_neurons(self):
        return self.weights.shape[1]

    @property
    def dtype(self):
        return self.weights.dtype

    def astype(self, dtype):
        """Convert the parameters to ``dtype`` in place of the old arrays."""
        if self.weights.dtype != dtype:
            self.weights = self.weights.astype(dtype)
            self.biases = self.biases.astype(dtype)
            self.dweights = self.dbiases = None
        return self

    def forward(self, inputs, training=False):
        if inputs.ndim != 2 or inputs.shape[1] != self.n_inputs:
            raise ValueError(
                f"{type(self).__name__} expects inputs of shape (n_samples, "
                f"{self.n_inputs}), got {inputs.shape}"
            )
        if not training:
            output = inputs @ self.weights
            output += self.biases
            return output
        self.inputs = inputs
        shape = (inputs.shape[0], self.n_neurons)
        output = self._buffer("output", shape, self.dtype)
        # inputs @ weights, summed so that the BLAS thread count cannot change
        # the bits (see _blas.matmul)
        matmul(inputs, self.weights, output, self._scratch("output_part", shape))
        output += self.biases
        self.output = output
        return output

    def backward(self, dvalues):
        if self.dweights is None:
            self.dweights = np.empty_like(self.weights)
            self.dbiases = np.empty_like(self.biases)
        matmul(
            self.inputs.T,
            dvalues,
            self.dweights,
            self._scratch("dweights_part", self.weights.shape),
        )
        np.add.reduce(dvalues, axis=0, out=self.dbiases)
        if self.l1:
            self.dweights += self.l1 * np.sign(self.weights)
        if self.l2:
            self.dweights += (2.0 * self.l2) * self.weights
        if not self.needs_input_gradient:
            self.dinputs = None
            return None
        shape = (dvalues.shape[0], self.n_inputs)
        self.dinputs = self._buffer("dinputs", shape, self.dtype)
        matmul(
            dvalues,
            self.weights.T,
            self.dinputs,
            self._scratch("dinputs_part", shape),
        )
        return self.dinputs

    def _scratch(self, name, shape):
        """A callable giving the workspace buffer ``name`` (for ``matmul``)."""
        return lambda: self._buffer(name, shape, self.dtype)

    def penalty(self):
        """Return ``l1 * sum(|W|) + l2 * sum(W ** 2)`` (0.0 with no penalty)."""
        value = 0.0
        if self.l1:
            value += self.l1 * float(np.abs(self.weights).sum())
        if self.l2:
            flat = self.weights.ravel()
            value += self.l2 * float(np.dot(flat, flat))
        return value

    def __repr__(self):
        extra = "".join(
            f", {name}={getattr(self, name)}"
            for name in ("l1", "l2")
            if getattr(self, name)
        )
        return f"HiddenLayer({self.n_inputs}, {self.n_neurons}{extra})"


class Dropout(Layer):
    r"""Inverted dropout: zero each input with probability ``rate`` while training.

    Survivors are scaled by ``1 / (1 - rate)`` so that the expected activation is
    unchanged, and at prediction time the layer is the identity.

    Parameters
    ----------
    rate : float in [0, 1)
        Probability of dropping each unit.
    random_state : None, int, Generator or RandomState, default=None
        Source of the dropout masks.

    Notes
    -----
    With a mask :math:`m_{ij} \sim \mathrm{Bernoulli}(1 - r)`:

    .. math::

        A = \frac{m \odot X}{1 - r}, \qquad
        \frac{\partial L}{\partial X} = \frac{m \odot dA}{1 - r}.

    References
    ----------
    Srivastava et al. (2014), "Dropout: a simple way to prevent neural networks
    from overfitting", JMLR 15(56).

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch.nn import Dropout
    >>> layer = Dropout(0.5, random_state=0)
    >>> out = layer.forward(np.ones((1000, 4)), training=True)
    >>> sorted(np.unique(out).tolist())
    [0.0, 2.0]
    >>> layer.forward(np.ones((2, 4))).tolist() == np.ones((2, 4)).tolist()
    True
    """

    _transient = (*Layer._transient, "_mask")

    def __init__(self, rate, random_state=None):
        super().__init__()
        if not isinstance(rate, numbers.Real) or not 0.0 <= rate < 1.0:
            raise ValueError(f"rate must be a number in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self._rng = as_generator(random_state)

    def forward(self, inputs, training=False):
        if not training:
            return inputs
        if self.rate == 0.0:
            self._mask = None
            return inputs
        mask = self._buffer("mask", inputs.shape, inputs.dtype)
        self._rng.random(dtype=mask.dtype, out=mask)
        # mask <- (u >= rate) / (1 - rate), computed in place
        np.greater_equal(mask, self.rate, out=mask)
        mask *= 1.0 / (1.0 - self.rate)
        self._mask = mask
        self.output = self._buffer("output", inputs.shape, inputs.dtype)
        np.multiply(inputs, mask, out=self.output)
        return self.output

    def backward(self, dvalues):
        if self._mask is None:
            self.dinputs = dvalues
            return dvalues
        self.dinputs = self._buffer("dinputs", dvalues.shape, dvalues.dtype)
        np.multiply(dvalues, self._mask, out=self.dinputs)
        return self.dinputs

    def __repr__(self):
        return f"Dropout({self.rate})"
