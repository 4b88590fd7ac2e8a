"""Activation functions: each forward pass sits beside its derivative.

In training mode every activation writes into its own reusable buffer (it never
modifies its input); in inference mode it returns a fresh array.
"""

import numpy as np

from ._base import Layer


class ReLU(Layer):
    r"""Rectified linear unit, :math:`A = \max(Z, 0)`.

    Notes
    -----
    .. math::

        A = \max(Z, 0), \qquad
        \frac{\partial L}{\partial Z} = \frac{\partial L}{\partial A}
            \odot \mathbb{1}[Z > 0].

    The derivative at exactly 0 is taken as 0.

    References
    ----------
    Nair & Hinton (2010), "Rectified linear units improve restricted Boltzmann
    machines", ICML.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch.nn import ReLU
    >>> ReLU().forward(np.array([[-1.0, 2.0]])).tolist()
    [[0.0, 2.0]]
    """

    def infer(self, inputs, owned=False):
        return np.maximum(inputs, 0, out=inputs if owned else None)

    def forward(self, inputs, training=False):
        if not training:
            return np.maximum(inputs, 0)
        self.output = self._buffer("output", inputs.shape, inputs.dtype)
        np.maximum(inputs, 0, out=self.output)
        return self.output

    def backward(self, dvalues):
        self.dinputs = self._buffer("dinputs", dvalues.shape, dvalues.dtype)
        np.multiply(dvalues, self.output > 0, out=self.dinputs)
        return self.dinputs


class Tanh(Layer):
    r"""Hyperbolic tangent, :math:`A = \tanh(Z)`.

    Notes
    -----
    .. math::

        A = \tanh Z, \qquad
        \frac{\partial L}{\partial Z} = \frac{\partial L}{\partial A} \odot (1 - A^2).

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch.nn import Tanh
    >>> Tanh().forward(np.array([[0.0]])).tolist()
    [[0.0]]
    """

    def infer(self, inputs, owned=False):
        return np.tanh(inputs, out=inputs if owned else None)

    def forward(self, inputs, training=False):
        if not training:
            return np.tanh(inputs)
        self.output = self._buffer("output", inputs.shape, inputs.dtype)
        np.tanh(inputs, out=self.output)
        return self.output

    def backward(self, dvalues):
        dinputs = self._buffer("dinputs", dvalues.shape, dvalues.dtype)
        np.multiply(self.output, self.output, out=dinputs)
        np.subtract(1, dinputs, out=dinputs)
        dinputs *= dvalues
        self.dinputs = dinputs
        return dinputs


class Sigmoid(Layer):
    r"""Logistic sigmoid, :math:`A = 1 / (1 + e^{-Z})`.

    Computed from :math:`e = e^{-|Z|}`, which never overflows, as
    :math:`1 / (1 + e)` for :math:`Z \ge 0` and :math:`e / (1 + e)` for
    :math:`Z < 0`: both tails keep full relative precision, so a probability is
    0 only where it truly underflows.

    Notes
    -----
    .. math::

        A = \sigma(Z) = \frac{1}{1 + e^{-Z}}, \qquad
        \frac{\partial L}{\partial Z} = \frac{\partial L}{\partial A}
            \odot A \odot (1 - A).

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch.nn import Sigmoid
    >>> Sigmoid().forward(np.array([[0.0, -40.0, 1000.0]])).tolist()
    [[0.5, 4.248354255291589e-18, 1.0]]
    """

    def forward(self, inputs, training=False):
        if training:
            output = self._buffer("output", inputs.shape, inputs.dtype)
            denominator = self._buffer("denominator", inputs.shape, inputs.dtype)
        else:
            output = np.empty(inputs.shape, inputs.dtype)
            denominator = np.empty(inputs.shape, inputs.dtype)
        np.abs(inputs, out=output)
        np.negative(output, out=output)
        np.exp(output, out=output)  # e = exp(-|z|) in (0, 1]
        np.add(output, 1, out=denominator)
        np.copyto(output, 1, where=inputs >= 0)  # numerator: 1 or e
        output /= denominator
        if training:
            self.output = output
        return output

    def backward(self, dvalues):
        dinputs = self._buffer("dinputs", dvalues.shape, dvalues.dtype)
        np.subtract(1, self.output, out=dinputs)
        dinputs *= self.output
        dinputs *= dvalues
        self.dinputs = dinputs
        return dinputs


class Identity(Layer):
    r"""Identity, :math:`A = Z` (the regressor's output activation).

    Notes
    -----
    .. math::

        A = Z, \qquad \frac{\partial L}{\partial Z} = \frac{\partial L}{\partial A}.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch.nn import Identity
    >>> Identity().forward(np.array([[3.0]])).tolist()
    [[3.0]]
    """

    def forward(self, inputs, training=False):
        if training:
            self.output = inputs
        return inputs

    def backward(self, dvalues):
        self.dinputs = dvalues
        return dvalues


class SoftMax(Layer):
    r"""Softmax over the last axis: one probability distribution per row.

    The row maximum is subtracted before exponentiating, so no input overflows.

    Notes
    -----
    .. math::

        A_{ik} = \frac{e^{Z_{ik} - \max_j Z_{ij}}}{\sum_j e^{Z_{ij} - \max_j Z_{ij}}},
        \qquad
        \frac{\partial L}{\partial Z_i} = A_i \odot
            \Big(\frac{\partial L}{\partial A_i}
            - \big\langle \frac{\partial L}{\partial A_i}, A_i \big\rangle\Big).

    Followed by :class:`CategoricalCrossEntropy`, a :class:`Model` skips this
    Jacobian product and uses the fused gradient :math:`(A - Y)/N` instead.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch.nn import SoftMax
    >>> SoftMax().forward(np.array([[0.0, 0.0], [1000.0, 0.0]])).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """

    def infer(self, inputs, owned=False):
        return self._softmax(inputs, inputs if owned else np.empty_like(inputs))

    def forward(self, inputs, training=False):
        if not training:
            return self._softmax(inputs, np.empty(inputs.shape, inputs.dtype))
        self.output = self._buffer("output", inputs.shape, inputs.dtype)
        return self._softmax(inputs, self.output)

    #: up to this many classes the softmax works on a transposed copy (below)
    NARROW = 16

    @staticmethod
    def _softmax(inputs, output):
        """Row-wise softmax of ``inputs`` written to ``output`` (may be ``inputs``).

        NumPy reduces a short last axis one row at a time.  With few classes
        (up to ``NARROW``) the row maxima and sums are taken on a transposed
        copy, classes by rows, where each is a pass of whole-row operations:
        2-7 times faster for 128 to 10,000 rows of 10 or 2 classes.  With many
        classes the copy costs more than it saves.
        """
        narrow = inputs.shape[1] <= SoftMax.NARROW
        axis = 0 if narrow else 1  # the classes' axis of ``source``
        # a (n_classes, n_samples) copy, never a view of inputs; or the inputs
        source = inputs.T.copy() if narrow else inputs
        work = source if narrow else output
        np.subtract(source, source.max(axis=axis, keepdims=True), out=work)
        np.exp(work, out=work)
        work /= work.sum(axis=axis, keepdims=True)
        if narrow:
            np.copyto(output, work.T)
        return output

    def backward(self, dvalues):
        dinputs = self._buffer("dinputs", dvalues.shape, dvalues.dtype)
        np.multiply(dvalues, self.output, out=dinputs)
        inner = dinputs.sum(axis=1, keepdims=True)
        np.subtract(dvalues, inner, out=dinputs)
        dinputs *= self.output
        self.dinputs = dinputs
        return dinputs


ACTIVATIONS = {
    "relu": ReLU,
    "tanh": Tanh,
    "logistic": Sigmoid,
    "identity": Identity,
    "softmax": SoftMax,
}
