"""Gradient-descent optimizers that update lists of parameter arrays in place.

An optimizer sees two parallel lists, ``params`` and ``grads``; it keeps its
state (velocities, moments) per position in those lists.  It knows nothing of
layers, so the same code serves the core :class:`Model` and the estimators.
"""

import numbers

import numpy as np


def _check_number(name, value, low, high=None, *, low_open=False, high_open=True):
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        raise TypeError(f"{name} must be a number, got {value!r}")
    too_low = value <= low if low_open else value < low
    too_high = high is not None and (value >= high if high_open else value > high)
    if not np.isfinite(value) or too_low or too_high:
        bounds = (
            f"{'(' if low_open else '['}{low}, {high if high is not None else 'inf'}"
        )
        bounds += ")" if high is None or high_open else "]"
        raise ValueError(f"{name} must be in {bounds}, got {value!r}")
    return float(value)


class Optimizer:
    """Base class: learning-rate decay and the step counter.

    Subclasses implement ``_update(params, grads, learning_rate)``.

    Parameters
    ----------
    learning_rate : float
        Initial step size, > 0.
    decay : float
        Step-size decay, >= 0: the step size of update ``t`` is
        ``learning_rate / (1 + decay * t)``.

    Attributes
    ----------
    iterations : int
        Number of updates applied so far (``t`` in the formulas).

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch.nn import Optimizer
    >>> class PlainDescent(Optimizer):
    ...     def _update(self, params, grads, learning_rate):
    ...         for param, grad in zip(params, grads):
    ...             param -= learning_rate * grad
    >>> w = np.array([1.0])
    >>> opt = PlainDescent(learning_rate=0.5, decay=1.0)
    >>> opt.step([w], [np.array([1.0])]); opt.step([w], [np.array([1.0])])
    >>> w.tolist(), opt.current_learning_rate  # 1 - 0.5 - 0.25; 0.5 / (1 + 2)
    ([0.25], 0.16666666666666666)
    """

    # Scratch arrays reused between steps; never pickled.
    _transient = ("_scratch",)
    # What training has accumulated, as opposed to hyperparameters.
    _state = ("iterations",)

    def __init__(self, learning_rate, decay):
        self.learning_rate = _check_number(
            "learning_rate", learning_rate, 0.0, low_open=True
        )
        self.decay = _check_number("decay", decay, 0.0)
        self.iterations = 0
        self._scratch = None

    @property
    def current_learning_rate(self):
        r"""Step size of the next update, :math:`\eta / (1 + \text{decay}\, t)`."""
        return self.learning_rate / (1.0 + self.decay * self.iterations)

    def step(self, params, grads):
        """Apply one update to every array of ``params`` (in place)."""
        self._init_state(params)
        self._update(params, grads, self.current_learning_rate)
        self.iterations += 1

    def continue_from(self, other):
        """Take ``other``'s accumulated state (step count, velocities or moments).

        The hyperparameters stay this optimizer's own: this is how a new
        learning rate takes effect in the middle of training.
        """
        for name in self._state:
            setattr(self, name, getattr(other, name))

    def _init_state(self, params):
        """Allocate per-parameter state unless it exists (it survives pickling)."""

    def _update(self, params, grads, learning_rate):
        raise NotImplementedError

    def __getstate__(self):
        state = self.__dict__.copy()
        for name in self._transient:
            state[name] = None
        return state


class SGD(Optimizer):
    r"""Stochastic gradient descent with momentum, Nesterov momentum and decay.

    Parameters
    ----------
    learning_rate : float, default=0.01
        Initial step size :math:`\eta`.
    decay : float, default=0.0
        Step-size decay: :math:`\eta_t = \eta / (1 + \text{decay}\cdot t)`, with
        :math:`t` the number of updates so far.
    momentum : float in [0, 1), default=0.0
        Momentum :math:`\mu`.
    nesterov : bool, default=False
        Use Nesterov's accelerated gradient.

    Notes
    -----
    For each parameter :math:`W` with gradient :math:`g` and velocity :math:`v`
    (zero at first):

    .. math::

        v \leftarrow \mu v + \eta_t g, \qquad
        W \leftarrow W - v \quad\text{(classical)}, \qquad
        W \leftarrow W - (\mu v + \eta_t g) \quad\text{(Nesterov)}.

    With :math:`\mu = 0` both reduce to :math:`W \leftarrow W - \eta_t g`.

    References
    ----------
    Sutskever, Martens, Dahl & Hinton (2013), "On the importance of
    initialization and momentum in deep learning", ICML.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch.nn import SGD
    >>> w, g = np.array([1.0]), np.array([0.5])
    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> opt.step([w], [g]); opt.step([w], [g])
    >>> w.round(4).tolist()  # 1 - 0.05 - (0.9 * 0.05 + 0.05)
    [0.855]
    """

    _state = (*Optimizer._state, "velocities")

    def __init__(self, learning_rate=0.01, decay=0.0, momentum=0.0, nesterov=False):
        super().__init__(learning_rate, decay)
        self.momentum = _check_number("momentum", momentum, 0.0, 1.0)
        if not isinstance(nesterov, bool | np.bool_):
            raise TypeError(f"nesterov must be a bool, got {nesterov!r}")
        self.nesterov = bool(nesterov)
        self.velocities = None

    def _init_state(self, params):
        if self.momentum and self.velocities is None:
            self.velocities = [np.zeros_like(p) for p in params]

    def _update(self, params, grads, learning_rate):
        ratio = self.momentum / learning_rate
        if self.velocities is not None and not self.nesterov and ratio < np.inf:
            # Classical momentum needs no scratch array (a parameter-sized
            # buffer less): v = eta_t * ((mu / eta_t) * v + g), then W -= v.
            for param, grad, velocity in zip(
                params, grads, self.velocities, strict=True
            ):
                velocity *= ratio
                velocity += grad
                velocity *= learning_rate
                param -= velocity
            return
        if self._scratch is None:
            self._scratch = [np.empty_like(p) for p in params]
        for i, (param, grad) in enumerate(zip(params, grads, strict=True)):
            step = self._scratch[i]
            np.multiply(grad, learning_rate, out=step)  # eta_t * g
            param -= step
            if self.velocities is None:
                continue
            velocity = self.velocities[i]
            velocity *= self.momentum
            velocity += step  # v = mu * v + eta_t * g
            np.multiply(velocity, self.momentum, out=step)
            param -= step  # Nesterov: W -= mu * v + eta_t * g

    def __repr__(self):
        return (
            f"SGD(learning_rate={self.learning_rate}, decay={self.decay}, "
            f"momentum={self.momentum}, nesterov={self.nesterov})"
        )


class Adam(Optimizer):
    r"""Adam: adaptive moment estimation with bias correction.

    Parameters
    ----------
    learning_rate : float, default=0.001
        Step size :math:`\eta` (decayed as in :class:`SGD` when ``decay > 0``).
    beta_1, beta_2 : float in [0, 1), default=0.9, 0.999
        Decay rates of the first and second moment estimates.
    epsilon : float, default=1e-8
        Added to the denominator for numerical stability.
    decay : float, default=0.0
        Step-size decay, as in :class:`SGD`.

    Notes
    -----
    At update :math:`t = 1, 2, \dots` with gradient :math:`g`:

    .. math::

        m &\leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \\
        W &\leftarrow W - \eta_t \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t}
            \frac{m}{\sqrt{v} + \epsilon}.

    The bias corrections of :math:`m` and :math:`v` are folded into the step
    size, the "more efficient" form of Kingma & Ba's section 2, in which
    :math:`\epsilon` is added to :math:`\sqrt{v}` rather than to the corrected
    :math:`\sqrt{\hat v}`.  scikit-learn's MLP and Keras compute Adam this way;
    the two forms differ only where :math:`\sqrt{v}` is as small as
    :math:`\epsilon`.

    References
    ----------
    Kingma & Ba (2015), "Adam: a method for stochastic optimization", ICLR,
    arXiv:1412.6980.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn_scratch.nn import Adam
    >>> w = np.array([1.0])
    >>> Adam(learning_rate=0.1).step([w], [np.array([0.5])])
    >>> w.round(6).tolist()  # the first Adam step moves by eta * sign(g)
    [0.9]
    """

    _state = (*Optimizer._state, "first_moments", "second_moments")

    def __init__(
        self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8, decay=0.0
    ):
        super().__init__(learning_rate, decay)
        self.beta_1 = _check_number("beta_1", beta_1, 0.0, 1.0)
        self.beta_2 = _check_number("beta_2", beta_2, 0.0, 1.0)
        self.epsilon = _check_number("epsilon", epsilon, 0.0, low_open=True)
        self.first_moments = None
        self.second_moments = None

    def _init_state(self, params):
        if self.first_moments is None:
            self.first_moments = [np.zeros_like(p) for p in params]
            self.second_moments = [np.zeros_like(p) for p in params]
        if self._scratch is None:
            self._scratch = [np.empty_like(p) for p in params]

    def _update(self, params, grads, learning_rate):
        t = self.iterations + 1
        correction_1 = 1.0 - self.beta_1**t
        sqrt_correction_2 = np.sqrt(1.0 - self.beta_2**t)
        scale = learning_rate * sqrt_correction_2 / correction_1
        for i, (param, grad) in enumerate(zip(params, grads, strict=True)):
            m, v, step = self.first_moments[i], self.second_moments[i], self._scratch[i]
            m *= self.beta_1
            np.multiply(grad, 1.0 - self.beta_1, out=step)
            m += step
            v *= self.beta_2
            np.multiply(grad, grad, out=step)
            step *= 1.0 - self.beta_2
            v += step
            np.sqrt(v, out=step)
            step += self.epsilon
            np.divide(m, step, out=step)
            step *= scale
            param -= step

    def __repr__(self):
        return (
            f"Adam(learning_rate={self.learning_rate}, beta_1={self.beta_1}, "
            f"beta_2={self.beta_2}, epsilon={self.epsilon}, decay={self.decay})"
        )


OPTIMIZERS = {"sgd": SGD, "adam": Adam}
