"""The :class:`Model`: a stack of layers, a loss and an optimizer."""

import math
from itertools import pairwise

import numpy as np
import scipy.sparse as sp

from ._base import Layer, Workspace
from ._blas import active_tuner, training_threads
from ._random import as_generator
from .activations import Sigmoid, SoftMax
from .layers import InputLayer
from .losses import BinaryCrossEntropy, CategoricalCrossEntropy, Loss, MeanSquaredError
from .optimizers import SGD, Optimizer


class DivergenceError(ValueError):
    """Training produced a non-finite loss or non-finite parameters.

    A subclass of ValueError, raised by :meth:`Model.train_step` and
    :meth:`Model.check_divergence`; its message names the learning rate.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch.nn import SGD, DivergenceError, HiddenLayer, Model
    >>> model = Model()
    >>> model.add(HiddenLayer(1, 1, random_state=0))
    >>> model.wrap(optimizer=SGD(learning_rate=1e3))
    >>> X = np.array([[1e3], [2e3]])
    >>> try:
    ...     model.train(X, X * 1e3, epochs=20, print_every=0)
    ... except DivergenceError as exc:
    ...     print(str(exc)[:17])
    training diverged
    """


def _default_loss(output_layer):
    if isinstance(output_layer, SoftMax):
        return CategoricalCrossEntropy()
    if isinstance(output_layer, Sigmoid):
        return BinaryCrossEntropy()
    return MeanSquaredError()


def _minibatches(n_samples, batch_size, order):
    """Yield ``(rows, size)`` per minibatch: a slice (``order is None``) or indices."""
    for start in range(0, n_samples, batch_size):
        stop = min(start + batch_size, n_samples)
        yield (slice(start, stop) if order is None else order[start:stop]), stop - start


def _check_finite(A):
    """Raise ValueError if the dense or sparse chunk ``A`` holds NaN or infinity.

    Sums come first: a finite sum has only finite terms, and only a sum that
    overflows needs the element-wise check.  Dense rows are summed by a BLAS
    matrix-vector product, about four times faster than ``np.add.reduce``.
    """
    data = A.data if sp.issparse(A) else A
    if not np.issubdtype(data.dtype, np.inexact):
        return  # integers and booleans are always finite
    with np.errstate(over="ignore", invalid="ignore"):
        if data.ndim == 2:
            totals = data @ np.ones(data.shape[1], dtype=data.dtype)
        else:
            totals = np.add.reduce(data, axis=None)
        if np.isfinite(totals).all() or np.isfinite(data).all():
            return
    raise ValueError("Input X contains NaN or infinity.")


def _check_batch_size(batch_size, allow_bool=False):
    """Return ``batch_size`` if it is None or an int >= 1; raise ValueError if not.

    Booleans are refused although Python counts them as ints: ``True`` is far
    more likely a misplaced flag than a request for one row per batch.  (The
    estimators pass what scikit-learn's ``Interval(Integral)`` let through,
    bools included: ``allow_bool``.)
    """
    if batch_size is None or (
        isinstance(batch_size, int | np.integer)
        and (allow_bool or not isinstance(batch_size, bool))
        and batch_size >= 1
    ):
        return batch_size
    raise ValueError(f"batch_size must be None or an int >= 1, got {batch_size!r}")


def _check_sample_weight(sample_weight, n_samples):
    """Validate ``sample_weight`` for ``n_samples`` rows; return it as float64.

    The weights must be a 1-D array of ``n_samples`` finite values >= 0 with a
    positive (and finite) sum, so that the weighted mean they define exists.
    """
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight)
    if weights.ndim != 1 or weights.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must be 1-D with one weight per sample, shape "
            f"({n_samples},), got shape {weights.shape}"
        )
    if not (
        np.issubdtype(weights.dtype, np.integer)
        or np.issubdtype(weights.dtype, np.floating)
        or weights.dtype == np.bool_
    ):
        raise ValueError(f"sample_weight must be numeric, got dtype {weights.dtype}")
    weights = weights.astype(np.float64, copy=False)
    if not np.isfinite(weights).all():
        raise ValueError("sample_weight contains NaN or infinity")
    if (weights < 0).any():
        raise ValueError(f"sample_weight must be >= 0, got {float(weights.min())}")
    with np.errstate(over="ignore"):  # a sum too large is reported below
        total = float(weights.sum())
    if not 0 < total < math.inf:
        raise ValueError(f"sample_weight must have a positive, finite sum, got {total}")
    return weights


class Model:
    """A feed-forward network trained by backpropagation (the seed's API).

    Build it layer by layer with :meth:`add`, then :meth:`wrap` it with a loss
    and an optimizer, and :meth:`train` it.

    Attributes
    ----------
    layers : list of Layer
        The layers, in order; ``wrap`` puts an :class:`InputLayer` first.
    loss : Loss
        Set by ``wrap``.
    optimizer : Optimizer
        Set by ``wrap``.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch.nn import Model, HiddenLayer, ReLU, SoftMax
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> y = (X[:, 0] * X[:, 1] > 0).astype(int)  # XOR-like quadrants
    >>> model = Model()
    >>> model.add(HiddenLayer(2, 16, random_state=0))
    >>> model.add(ReLU())
    >>> model.add(HiddenLayer(16, 2, random_state=1))
    >>> model.add(SoftMax())
    >>> model.wrap()
    >>> cost, accuracy = model.train(X, y, epochs=100, batch_size=32, print_every=0,
    ...                              random_state=0)
    >>> len(cost)  # one entry per step: 7 minibatches x 100 epochs
    700
    >>> model.evaluate(X, y)[1] > 0.9
    True
    """

    def __init__(self):
        self.layers = []
        self.loss = None
        self.optimizer = None
        self._fused = False
        self._workspace = Workspace()

    def __getstate__(self):
        return {k: v for k, v in self.__dict__.items() if k != "_workspace"}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._workspace = Workspace()

    def __repr__(self):
        body = "".join(f"\n  {layer!r}," for layer in self.layers)
        return f"Model([{body}\n], loss={self.loss!r}, optimizer={self.optimizer!r})"

    # ----------------------------------------------------------------- building
    def add(self, layer):
        """Append ``layer`` (any :class:`Layer`) to the network."""
        if not isinstance(layer, Layer):
            raise TypeError(f"add() takes a Layer, got {type(layer).__name__}")
        self.layers.append(layer)

    def wrap(self, loss=None, optimizer=None):
        """Check the architecture and attach a loss and an optimizer.

        Parameters
        ----------
        loss : Loss, default=None
            ``None`` picks the loss the output activation pairs with:
            cross-entropy after :class:`SoftMax`, binary cross-entropy after
            :class:`Sigmoid`, squared error otherwise.
        optimizer : Optimizer, default=None
            ``None`` gives ``SGD(learning_rate=0.03, momentum=0.9, decay=5e-4)``,
            the best of the settings measured on the seed's MNIST example
            (784-128-128-10 ReLU, batch 128, pixels in [-1, 1]): about 97.5 %
            test accuracy after 10 epochs.
        """
        if not self.layers or not isinstance(self.layers[0], InputLayer):
            self.layers.insert(0, InputLayer())
        dense = self.trainable_layers
        if not dense:
            raise ValueError("a Model needs at least one HiddenLayer")
        for before, after in pairwise(dense):
            if before.n_neurons != after.n_inputs:
                raise ValueError(
                    f"layer sizes do not chain: {before!r} gives {before.n_neurons} "
                    f"outputs but {after!r} expects {after.n_inputs} inputs"
                )
        for layer in dense:
            layer.needs_input_gradient = layer is not dense[0]
        loss = _default_loss(self.layers[-1]) if loss is None else loss
        if not isinstance(loss, Loss):
            raise TypeError(f"loss must be a Loss, got {type(loss).__name__}")
        if optimizer is None:
            optimizer = SGD(learning_rate=0.03, momentum=0.9, decay=5e-4)
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"optimizer must be an Optimizer, got {type(optimizer).__name__}"
            )
        self.loss, self.optimizer = loss, optimizer
        # The last layer may be the loss's own activation (softmax before
        # cross-entropy, ...): then backward starts from the fused gradient.
        self._fused = type(self.layers[-1]) is loss.fused_activation

    @property
    def trainable_layers(self):
        """The layers with parameters, in order."""
        return [layer for layer in self.layers if layer.trainable]

    @property
    def n_inputs(self):
        return self.trainable_layers[0].n_inputs

    @property
    def n_outputs(self):
        return self.trainable_layers[-1].n_neurons

    @property
    def dtype(self):
        return self.trainable_layers[0].dtype

    def parameters(self):
        """``[W1, b1, W2, b2, ...]``: the arrays the optimizer updates in place."""
        return [
            a for layer in self.trainable_layers for a in (layer.weights, layer.biases)
        ]

    def gradients(self):
        """``[dW1, db1, ...]`` from the last :meth:`backward`, as ``parameters()``."""
        return [
            a
            for layer in self.trainable_layers
            for a in (layer.dweights, layer.dbiases)
        ]

    def penalty(self):
        """Sum of the layers' L1/L2 penalties on the current weights."""
        return sum(layer.penalty() for layer in self.trainable_layers)

    # ----------------------------------------------------------------- passes
    def forward(self, X, training=False):
        """Run ``X`` through every layer; return the output activations."""
        for layer in self.layers:
            X = layer.forward(X, training=training)
        return X

    def backward(self, output, y, sample_weight=None):
        """Backpropagate the loss of ``output`` against ``y`` through every layer."""
        if self._fused:
            dvalues = self.loss.fused_backward(output, y, sample_weight)
            layers = self.layers[:-1]
        else:
            dvalues = self.loss.backward(output, y, sample_weight)
            layers = self.layers
        for layer in reversed(layers):
            dvalues = layer.backward(dvalues)
            if layer.trainable and not layer.needs_input_gradient:
                break

    def loss_and_gradients(self, X, y, sample_weight=None):
        """Forward and backward on one batch.

        Returns
        -------
        loss : float
            Weighted mean data loss plus the penalties.
        output : ndarray of shape (n_samples, n_outputs)
            The output activations (a buffer, valid until the next call).
        """
        # Overflow is reported by train_step's finiteness check (DivergenceError)
        # rather than by NumPy warnings half-way through the pass.
        with np.errstate(over="ignore", invalid="ignore"):
            output = self.forward(X, training=True)
            loss = self.loss.calculate(output, y, sample_weight) + self.penalty()
            self.backward(output, y, sample_weight)
        return loss, output

    def flat_parameters(self):
        """All parameters in one float64 vector ``[W1.ravel(), b1, W2.ravel(), ...]``.

        Returns
        -------
        theta : ndarray of shape (n_parameters,)
        """
        return np.concatenate([p.ravel() for p in self.parameters()]).astype(np.float64)

    def set_flat_parameters(self, theta):
        """Write ``theta`` (laid out as :meth:`flat_parameters`) into the parameters."""
        params = self.parameters()
        expected = sum(p.size for p in params)
        if np.ndim(theta) != 1 or len(theta) != expected:
            raise ValueError(
                f"theta must be a vector of {expected} values, got shape "
                f"{np.shape(theta)}"
            )
        start = 0
        for param in params:
            param.ravel()[:] = theta[start : start + param.size]  # views: in place
            start += param.size

    def flat_loss_and_gradient(self, theta, X, y, sample_weight=None):
        """Loss and gradient as functions of the flat parameter vector.

        The objective that full-batch optimizers such as L-BFGS minimise:
        ``theta`` is written into the parameters, then one forward and one
        backward pass over ``(X, y)`` give the loss (penalties included) and its
        gradient, flattened in the same order.

        Returns
        -------
        loss : float
        gradient : ndarray of shape (n_parameters,), float64
        """
        self.set_flat_parameters(theta)
        loss, _ = self.loss_and_gradients(X, y, sample_weight)
        gradient = np.concatenate([g.ravel() for g in self.gradients()])
        return loss, gradient.astype(np.float64)

    def train_step(self, X, y, sample_weight=None):
        """One optimizer update on one minibatch; returns ``(loss, output)``."""
        loss, output = self.loss_and_gradients(X, y, sample_weight)
        if not math.isfinite(loss):
            raise self._diverged(
                f"the loss became {loss} at update {self.optimizer.iterations + 1}"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            self.optimizer.step(self.parameters(), self.gradients())
        return loss, output

    def train_epoch(
        self,
        X,
        y,
        *,
        batch_size=None,
        sample_weight=None,
        shuffle=True,
        rng=None,
        order=None,
        on_batch=None,
    ):
        """One pass over ``(X, y)`` in minibatches: the training loop itself.

        Inputs are taken as validated (see :meth:`train`).  With ``shuffle`` the
        rows are visited in a fresh random order, gathered batch by batch into one
        reused buffer.  A batch whose weights are all zero is skipped.

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (n_samples, n_features)
        y : ndarray
            Targets as the loss takes them (see ``Loss.check_targets``).
        batch_size : int, default=None
            Rows per update; ``None`` = the whole set.
        sample_weight : ndarray of shape (n_samples,), default=None
        shuffle : bool, default=True
        rng : Generator or RandomState, default=None
            Draws the visiting order.
        order : ndarray of int of shape (n_samples,), default=None
            Visit the rows in this order instead (``shuffle`` and ``rng`` are
            then unused): the caller draws it, as the estimators do to follow
            scikit-learn's sequence of shuffles.
        on_batch : callable, default=None
            Called as ``on_batch(loss, accuracy)`` after every update.

        Returns
        -------
        loss, accuracy : float
            Means over the epoch's minibatches, each weighted by its total sample
            weight (by its size without weights).
        """
        n_samples = X.shape[0]
        _check_batch_size(batch_size, allow_bool=True)  # once per epoch
        batch_size = n_samples if batch_size is None else min(batch_size, n_samples)
        scale_before = self._weight_scale()
        if order is None and shuffle:
            order = (as_generator(None) if rng is None else rng).permutation(n_samples)
        gather = not sp.issparse(X) and order is not None
        # X of another dtype than the parameters (float64 data, float32 model) is
        # converted one minibatch at a time into a reused buffer.
        convert = not sp.issparse(X) and X.dtype != self.dtype
        total_weight = total_loss = total_accuracy = 0.0
        tuner = active_tuner()  # times the steps to pick the BLAS thread count
        if tuner is not None:
            tuner.restart()
        for rows, size in _minibatches(n_samples, batch_size, order):
            weights = None if sample_weight is None else sample_weight[rows]
            batch_weight = size if weights is None else float(weights.sum())
            if batch_weight <= 0:
                continue  # nothing to learn from this batch
            shape = (size, X.shape[1])
            if gather:
                # The rows are a slice of a permutation, always in range: mode
                # "clip" skips the bounds check for which take() would first copy
                # into a temporary and then into ``out`` (ten times slower).
                X_batch = np.take(
                    X,
                    rows,
                    axis=0,
                    out=self._workspace.get("X_rows", shape, X.dtype),
                    mode="clip",
                )
            else:
                X_batch = X[rows]
            if convert:
                converted = self._workspace.get("X", shape, self.dtype)
                np.copyto(converted, X_batch, casting="unsafe")
                X_batch = converted
            y_batch = y[rows]
            loss, output = self.train_step(X_batch, y_batch, weights)
            accuracy = (  # weights only if any: a custom loss may not take them
                self.loss.accuracy(output, y_batch)
                if weights is None
                else self.loss.accuracy(output, y_batch, weights)
            )
            total_weight += batch_weight
            total_loss += loss * batch_weight
            total_accuracy += accuracy * batch_weight
            if tuner is not None:
                tuner.tick(size)
            if on_batch is not None:
                on_batch(loss, accuracy)
        if total_weight == 0:
            raise ValueError("sample_weight is zero for every sample: nothing to learn")
        self.check_divergence(scale_before)
        return total_loss / total_weight, total_accuracy / total_weight

    #: no learning run multiplies its largest weight by this much in one epoch
    EXPLOSIVE_GROWTH = 1e4

    def _weight_scale(self):
        return max(
            float(np.abs(layer.weights).max()) for layer in self.trainable_layers
        )

    def check_divergence(self, previous_scale=None):
        """Raise :class:`DivergenceError` when training has blown up.

        Signs: a non-finite parameter; a parameter beyond the square root of the
        dtype's largest value (the next product overflows); and, for losses with
        a bounded gradient (the cross-entropies), given the largest absolute
        weight before the epoch (``previous_scale``), weights that grew more than
        ``EXPLOSIVE_GROWTH``-fold in one epoch.  That catches a step far too
        large while the loss still looks finite: clipped cross-entropy plateaus
        while the weights explode.  With squared error, whose gradient grows
        with the error, a too-large step overflows and is caught by the first
        two signs.
        """
        limit = np.sqrt(np.finfo(self.dtype).max)
        for param in self.parameters():
            if not np.isfinite(param).all() or np.abs(param).max() > limit:
                raise self._diverged("the parameters became non-finite or huge")
        if previous_scale and self.loss.bounded_gradient:
            growth = self._weight_scale() / previous_scale
            if growth > self.EXPLOSIVE_GROWTH:
                raise self._diverged(f"the weights grew {growth:.3g}-fold in one epoch")

    def _diverged(self, reason):
        return DivergenceError(
            f"training diverged: {reason}. The learning rate "
            f"({self.optimizer.learning_rate}) is probably too large; lower it or "
            "scale the inputs."
        )

    # ----------------------------------------------------------------- seed API
    def _check_X(self, X, convert=True):
        """Validate ``X`` and (with ``convert``) convert it to the model's dtype."""
        X = sp.csr_matrix(X) if sp.issparse(X) else np.asarray(X)
        if X.ndim != 2:
            raise ValueError(
                f"X must be 2-D (n_samples, n_features), got shape {X.shape}"
            )
        if not (np.issubdtype(X.dtype, np.number) or X.dtype == np.bool_):
            raise ValueError(f"X must be numeric, got dtype {X.dtype}")
        if X.shape[0] == 0:
            raise ValueError("X has no samples")
        if X.shape[1] != self.n_inputs:
            raise ValueError(
                f"X has {X.shape[1]} features, but the network expects {self.n_inputs}"
            )
        _check_finite(X)
        return X.astype(self.dtype, copy=False) if convert else X

    def _set_dtype(self, X):
        """Train in float32 for float32 ``X``, in float64 otherwise."""
        dtype = np.float32 if getattr(X, "dtype", None) == np.float32 else np.float64
        for layer in self.trainable_layers:
            layer.astype(dtype)

    def _check_Xy(self, X, y, convert=True):
        if self.loss is None:
            raise RuntimeError("call wrap() before training or evaluating the model")
        X = self._check_X(X, convert=convert)
        y = self.loss.check_targets(y, self.n_outputs)
        if len(y) != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} samples but y has {len(y)}")
        return X, y

    def _check_validation_data(self, validation_data):
        """Validate ``validation_data = (X_val, y_val)``; return it unconverted."""
        is_sequence = isinstance(validation_data, tuple | list)
        if not (is_sequence and len(validation_data) == 2):
            length = f" of length {len(validation_data)}" if is_sequence else ""
            raise ValueError(
                "validation_data must be a pair (X_val, y_val), got "
                f"{type(validation_data).__name__}{length}"
            )
        X_val, y_val = validation_data
        if X_val is None or y_val is None:
            raise ValueError(
                "validation_data must be a pair (X_val, y_val), got None for "
                + ("X_val" if X_val is None else "y_val")
            )
        try:
            return self._check_Xy(X_val, y_val, convert=False)
        except ValueError as exc:
            raise ValueError(f"validation_data: {exc}") from exc

    def train(
        self,
        X,
        y,
        validation_data=None,
        epochs=1,
        batch_size=None,
        print_every=1,
        *,
        shuffle=True,
        random_state=None,
    ):
        """Train with minibatch gradient descent.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training inputs; float32 trains in float32, anything else in float64.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class indices or one-hot rows (classification), targets (regression).
        validation_data : tuple (X_val, y_val), default=None
            Evaluated at the end of every epoch.
        epochs : int, default=1
        batch_size : int, default=None
            ``None`` trains on the whole set at each step.
        print_every : int, default=1
            Print step, loss, accuracy and learning rate every ``print_every``
            steps of an epoch (and on its last step); 0 prints nothing.
        shuffle : bool, default=True
            Visit the rows in a new random order every epoch.
        random_state : None, int or Generator, default=None
            Source of the visiting orders.

        Returns
        -------
        cost_history, accuracy_history : list of float
            The loss (with penalties) and accuracy of every step.
        """
        # Everything is checked before the model changes: a failed call leaves
        # the parameters (and their dtype) exactly as they were.
        X, y = self._check_Xy(X, y, convert=False)
        if validation_data is not None:
            X_val, y_val = self._check_validation_data(validation_data)
        for name, value in (("epochs", epochs), ("print_every", print_every)):
            if not isinstance(value, int | np.integer) or value < 0:
                raise ValueError(f"{name} must be an int >= 0, got {value!r}")
        _check_batch_size(batch_size)
        rng = as_generator(random_state)
        self._set_dtype(X)
        X = X.astype(self.dtype, copy=False)
        if validation_data is not None:
            X_val = X_val.astype(self.dtype, copy=False)
        cost_history, accuracy_history = [], []
        n_steps = math.ceil(X.shape[0] / (batch_size or X.shape[0]))

        def record(loss, accuracy):
            cost_history.append(loss)
            accuracy_history.append(accuracy)
            step = (len(cost_history) - 1) % n_steps + 1
            if print_every and (step % print_every == 0 or step == n_steps):
                print(
                    f"epoch {epoch}/{epochs}  step {step}/{n_steps}  loss {loss:.4f}  "
                    f"accuracy {accuracy:.4f}  "
                    f"lr {self.optimizer.current_learning_rate:.6g}"
                )

        sizes = [self.n_inputs] + [layer.n_neurons for layer in self.trainable_layers]
        with training_threads(batch_size or X.shape[0], sizes, self.dtype):
            for epoch in range(1, epochs + 1):
                self.train_epoch(
                    X,
                    y,
                    batch_size=batch_size,
                    shuffle=shuffle,
                    rng=rng,
                    on_batch=record,
                )
                if validation_data is not None and print_every:
                    val_loss, val_accuracy = self.evaluate(X_val, y_val)
                    print(
                        f"epoch {epoch}/{epochs}  validation loss {val_loss:.4f}  "
                        f"accuracy {val_accuracy:.4f}"
                    )
        return cost_history, accuracy_history

    #: predict's chunks hold about this many bytes of their widest layer: small
    #: enough to stay in cache between layers, large enough for fast products
    #: (measured on MNIST, 784-128-128-10 and 784-512-512-10: 1,000-1,300 rows
    #: predict 10-15 % faster than 4,096)
    PREDICT_CHUNK_BYTES = 2**22

    def predict(
        self, X, batch_size=None, *, logits=False, check_input=True, check_finite=False
    ):
        """Return the network's outputs (class probabilities after a softmax).

        Rows are processed ``batch_size`` at a time, so memory stays bounded
        whatever the number of rows.  The model's state is not touched: several
        threads may predict at once.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        batch_size : int, default=None
            Rows per chunk; None: as many as make ``PREDICT_CHUNK_BYTES`` of
            the widest layer (inputs included), at least 64.
        logits : bool, default=False
            Stop before the output activation and return its inputs (the
            pre-activation "logits").
        check_input : bool, default=True
            Validate ``X``; ``False`` is for callers that already did.  Rows are
            converted to the parameters' dtype one chunk at a time.
        check_finite : bool, default=False
            With ``check_input=False``: check each converted chunk for NaN and
            infinity, which costs less than a separate pass over all of ``X``.

        Returns
        -------
        output : ndarray of shape (n_samples, n_outputs)
        """
        if not any(layer.trainable for layer in self.layers):
            raise ValueError(
                "the model has no HiddenLayer; add layers with add() (and call "
                "wrap() to train) before predicting"
            )
        _check_batch_size(batch_size)
        if check_input:
            X = self._check_X(X, convert=False)
        layers = self.layers
        if logits and not layers[-1].trainable:
            layers = layers[:-1]
        dtype = self.dtype
        n_samples = X.shape[0]
        if batch_size is None:
            widest = max(X.shape[1], *(lay.n_neurons for lay in self.trainable_layers))
            row_bytes = widest * np.dtype(dtype).itemsize
            batch_size = max(64, self.PREDICT_CHUNK_BYTES // row_bytes)
        output = np.empty((n_samples, self.n_outputs), dtype=dtype)
        dense = not sp.issparse(X)
        convert = dense and X.dtype != dtype
        check_finite = check_finite and not np.issubdtype(X.dtype, np.integer)
        if convert:  # one chunk buffer, never a converted copy of all of X
            chunk = np.empty((min(batch_size, n_samples), X.shape[1]), dtype=dtype)
        for rows, size in _minibatches(n_samples, batch_size, None):
            A = X[rows]
            owned = False  # may layers overwrite A?
            if convert:
                A = chunk[:size]
                with np.errstate(over="ignore"):  # too large: inf, caught below
                    np.copyto(A, X[rows], casting="unsafe")
                owned = True
            elif not dense and A.dtype != dtype:
                A = A.astype(dtype)
            if check_finite:
                _check_finite(A)
            for layer in layers:
                result = layer.infer(A, owned)
                owned = owned or result is not A
                A = result
            output[rows] = A
        return output

    def evaluate(self, X, y, sample_weight=None):
        """Return ``(loss, accuracy)`` on ``(X, y)``; the loss includes penalties.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the loss's mean and of the accuracy: finite, >= 0, with a
            positive sum.

        Returns
        -------
        loss, accuracy : float
        """
        X, y = self._check_Xy(X, y)
        sample_weight = _check_sample_weight(sample_weight, X.shape[0])
        output = self.predict(X, check_input=False)
        loss = self.loss.calculate(output, y, sample_weight) + self.penalty()
        if sample_weight is None:
            return loss, self.loss.accuracy(output, y)
        return loss, self.loss.accuracy(output, y, sample_weight)
