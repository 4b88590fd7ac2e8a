"""The layer contract shared by every building block of the core.

Every layer has the same two methods, as in "Neural Networks from Scratch":

* ``forward(inputs, training=False)`` computes the layer's output.  With
  ``training=True`` it also caches what ``backward`` needs and writes into
  buffers the layer reuses from one minibatch to the next, so the training loop
  allocates nothing.  With ``training=False`` it is a pure function: it touches
  no state, so several threads may predict with one model at once.
* ``backward(dvalues)`` receives ``dL/d(output)`` and sets ``self.dinputs``
  (``dL/d(inputs)``); trainable layers also set ``dweights`` and ``dbiases``.

Arrays a layer returns in training mode are views of its buffers: they are
overwritten by the next call.  Copy them to keep them.
"""

import numpy as np


class Workspace:
    """Reusable arrays, grown on demand and sliced to the current batch size.

    Allocating fresh ``(batch_size, n)`` arrays for every minibatch costs more than
    the arithmetic for small layers; a workspace keeps one array per name and
    returns a view of its first ``shape[0]`` rows.
    """

    def __init__(self):
        self._arrays = {}

    def get(self, name, shape, dtype):
        """Return an uninitialised view of shape ``shape`` owned by this workspace."""
        array = self._arrays.get(name)
        if (
            array is None
            or array.dtype != dtype
            or array.shape[0] < shape[0]
            or array.shape[1:] != tuple(shape[1:])
        ):
            array = np.empty(shape, dtype=dtype)
            self._arrays[name] = array
        return array[: shape[0]]


class Layer:
    """Base class of every layer: the forward/backward contract.

    Attributes
    ----------
    trainable : bool
        Whether the layer has parameters an optimizer updates.
    dinputs : ndarray of shape (n_samples, n_inputs) or None
        Gradient of the loss with respect to the layer's inputs, set by
        ``backward``.

    Examples
    --------
    A layer that doubles its inputs:

    >>> import numpy as np
    >>> from sknn_scratch.nn import Layer
    >>> class Double(Layer):
    ...     def forward(self, inputs, training=False):
    ...         return 2 * inputs
    ...     def backward(self, dvalues):
    ...         self.dinputs = 2 * dvalues
    ...         return self.dinputs
    >>> Double().forward(np.array([[1.0, -3.0]])).tolist()
    [[2.0, -6.0]]
    """

    trainable = False

    # Attributes that only make sense during one training step; they are not
    # pickled, so a saved model carries its parameters and nothing else.
    _transient = ("_workspace", "inputs", "output", "dinputs")

    def __init__(self):
        self._reset_transient()

    def _reset_transient(self):
        for name in self._transient:
            setattr(self, name, None)
        self._workspace = Workspace()

    def forward(self, inputs, training=False):
        """Compute the layer's output; see the module docstring."""
        raise NotImplementedError

    def backward(self, dvalues):
        """Propagate ``dvalues = dL/d(output)`` back; return ``dL/d(inputs)``."""
        raise NotImplementedError

    def infer(self, inputs, owned=False):
        """Inference-mode ``forward`` that may overwrite ``inputs`` when ``owned``.

        :meth:`Model.predict` passes ``owned=True`` for its own temporaries, so
        element-wise layers work in place instead of allocating.
        """
        return self.forward(inputs, training=False)

    def _buffer(self, name, shape, dtype):
        return self._workspace.get(name, shape, dtype)

    def __getstate__(self):
        state = self.__dict__.copy()
        for name in self._transient:
            state.pop(name, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._reset_transient()

    def __repr__(self):
        return f"{type(self).__name__}()"
