"""Exact updates of the core optimizers (SGD, Adam) after one and two steps.

The expected values are computed here from the formulas in the docstrings of
``sknn_scratch.nn.optimizers``; the tests also cover hyperparameter validation and
pickling of the optimizer state.
"""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sknn_scratch.nn import SGD, Adam

RTOL = 1e-12


def _problem(seed=0):
    """Two parameter arrays and the gradients of two successive steps."""
    rng = np.random.default_rng(seed)
    params = [rng.normal(size=(3, 4)), rng.normal(size=4)]
    grads = [[rng.normal(size=p.shape) for p in params] for _ in range(2)]
    return params, grads


def _sgd_reference(params, grads, learning_rate, decay, momentum, nesterov):
    """Weights after each step: v <- mu v + eta_t g; W <- W - v.

    Nesterov: W <- W - (mu v + eta_t g) with the updated v.
    """
    params = [p.copy() for p in params]
    velocities = [np.zeros_like(p) for p in params]
    history = []
    for t, step_grads in enumerate(grads):
        eta = learning_rate / (1.0 + decay * t)
        for param, velocity, grad in zip(params, velocities, step_grads, strict=True):
            velocity[...] = momentum * velocity + eta * grad
            if nesterov:
                param -= momentum * velocity + eta * grad
            else:
                param -= velocity
        history.append(([p.copy() for p in params], [v.copy() for v in velocities]))
    return history


def _adam_reference(params, grads, learning_rate, beta_1, beta_2, epsilon, decay):
    """Weights after each step of Adam with bias correction (t = 1, 2, ...).

    The corrections are folded into the step size and epsilon is added to
    sqrt(v), as in scikit-learn's AdamOptimizer.
    """
    params = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    history = []
    for t, step_grads in enumerate(grads, start=1):
        eta = learning_rate / (1.0 + decay * (t - 1))
        for i, grad in enumerate(step_grads):
            m[i] = beta_1 * m[i] + (1 - beta_1) * grad
            v[i] = beta_2 * v[i] + (1 - beta_2) * grad**2
            eta_t = eta * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
            params[i] = params[i] - eta_t * m[i] / (np.sqrt(v[i]) + epsilon)
        copies = [[a.copy() for a in arrays] for arrays in (params, m, v)]
        history.append(copies)
    return history


SGD_CASES = {
    "plain": dict(learning_rate=0.1, decay=0.0, momentum=0.0, nesterov=False),
    "momentum": dict(learning_rate=0.1, decay=0.0, momentum=0.9, nesterov=False),
    "nesterov": dict(learning_rate=0.1, decay=0.0, momentum=0.9, nesterov=True),
    "decay": dict(learning_rate=0.1, decay=0.5, momentum=0.0, nesterov=False),
    "decay-momentum": dict(learning_rate=0.1, decay=0.5, momentum=0.8, nesterov=False),
    "decay-nesterov": dict(learning_rate=0.1, decay=0.5, momentum=0.8, nesterov=True),
}

ADAM_CASES = {
    "default-betas": dict(
        learning_rate=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8, decay=0.0
    ),
    "other-betas": dict(
        learning_rate=0.05, beta_1=0.5, beta_2=0.75, epsilon=1e-3, decay=0.0
    ),
    "decay": dict(learning_rate=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8, decay=0.5),
}


@pytest.mark.parametrize("settings", SGD_CASES.values(), ids=SGD_CASES.keys())
def test_sgd_one_and_two_steps_follow_the_formulas(settings):
    params, grads = _problem()
    expected = _sgd_reference(params, grads, **settings)
    optimizer = SGD(**settings)
    for t, step_grads in enumerate(grads):
        optimizer.step(params, step_grads)
        assert optimizer.iterations == t + 1
        expected_params, expected_velocities = expected[t]
        for param, want in zip(params, expected_params, strict=True):
            assert_allclose(param, want, rtol=RTOL)
        if settings["momentum"]:
            velocities = optimizer.velocities
            for got, want in zip(velocities, expected_velocities, strict=True):
                assert_allclose(got, want, rtol=RTOL)


@pytest.mark.parametrize("settings", ADAM_CASES.values(), ids=ADAM_CASES.keys())
def test_adam_one_and_two_steps_follow_the_formulas(settings):
    params, grads = _problem()
    expected = _adam_reference(params, grads, **settings)
    optimizer = Adam(**settings)
    for t, step_grads in enumerate(grads):
        optimizer.step(params, step_grads)
        assert optimizer.iterations == t + 1
        expected_params, expected_m, expected_v = expected[t]
        for got, want in zip(params, expected_params, strict=True):
            assert_allclose(got, want, rtol=RTOL)
        for got, want in zip(optimizer.first_moments, expected_m, strict=True):
            assert_allclose(got, want, rtol=RTOL)
        for got, want in zip(optimizer.second_moments, expected_v, strict=True):
            assert_allclose(got, want, rtol=RTOL)


@pytest.mark.parametrize(
    "optimizer, after_one, after_two",
    [
        # w = 1, g = 0.5 at both steps, learning rate 0.1
        (SGD(learning_rate=0.1), 0.95, 0.9),
        # v1 = 0.05; v2 = 0.9 * 0.05 + 0.05 = 0.095
        (SGD(learning_rate=0.1, momentum=0.9), 0.95, 0.855),
        # W -= 0.9 * v + 0.05: 1 - 0.095 = 0.905, then 0.905 - (0.0855 + 0.05)
        (SGD(learning_rate=0.1, momentum=0.9, nesterov=True), 0.905, 0.7695),
        # eta_0 = 0.1, eta_1 = 0.1 / (1 + 1 * 1) = 0.05
        (SGD(learning_rate=0.1, decay=1.0), 0.95, 0.925),
        # a constant gradient gives m = (1 - beta_1^t) g, v = (1 - beta_2^t) g**2:
        # each step moves by eta * g / (|g| + eps / sqrt(1 - beta_2^t))
        (
            Adam(learning_rate=0.1),
            1 - 0.1 * 0.5 / (0.5 + 1e-8 / np.sqrt(1 - 0.999)),
            1
            - 0.1 * 0.5 / (0.5 + 1e-8 / np.sqrt(1 - 0.999))
            - 0.1 * 0.5 / (0.5 + 1e-8 / np.sqrt(1 - 0.999**2)),
        ),
        # with decay the second step is eta / (1 + decay) = 0.05
        (
            Adam(learning_rate=0.1, decay=1.0),
            1 - 0.1 * 0.5 / (0.5 + 1e-8 / np.sqrt(1 - 0.999)),
            1
            - 0.1 * 0.5 / (0.5 + 1e-8 / np.sqrt(1 - 0.999))
            - 0.05 * 0.5 / (0.5 + 1e-8 / np.sqrt(1 - 0.999**2)),
        ),
    ],
    ids=["sgd", "momentum", "nesterov", "sgd-decay", "adam", "adam-decay"],
)
def test_scalar_updates_computed_by_hand(optimizer, after_one, after_two):
    w, g = np.array([1.0]), np.array([0.5])
    optimizer.step([w], [g])
    assert_allclose(w, [after_one], rtol=RTOL)
    optimizer.step([w], [g])
    assert_allclose(w, [after_two], rtol=RTOL)


@pytest.mark.parametrize(
    "make, current",
    [
        (lambda: SGD(learning_rate=0.3, decay=0.25), lambda t: 0.3 / (1 + 0.25 * t)),
        (lambda: Adam(learning_rate=0.3, decay=2.0), lambda t: 0.3 / (1 + 2.0 * t)),
    ],
    ids=["sgd", "adam"],
)
def test_current_learning_rate_decays_with_updates_so_far(make, current):
    optimizer = make()
    w, g = np.ones(2), np.ones(2)
    for t in range(3):
        assert_allclose(optimizer.current_learning_rate, current(t), rtol=RTOL)
        optimizer.step([w], [g])


def test_sgd_updates_parameters_in_place():
    params, grads = _problem()
    originals = list(params)
    SGD(learning_rate=0.1, momentum=0.5).step(params, grads[0])
    assert all(p is o for p, o in zip(params, originals, strict=True))


def test_step_leaves_gradients_untouched():
    params, grads = _problem()
    before = [g.copy() for g in grads[0]]
    for optimizer in (SGD(learning_rate=0.1, momentum=0.9, nesterov=True), Adam()):
        optimizer.step(params, grads[0])
        for got, want in zip(grads[0], before, strict=True):
            assert_array_equal(got, want)


@pytest.mark.parametrize(
    "make, exception, name",
    [
        (lambda: SGD(learning_rate=0.0), ValueError, "learning_rate"),
        (lambda: SGD(learning_rate=-0.1), ValueError, "learning_rate"),
        (lambda: SGD(learning_rate=np.nan), ValueError, "learning_rate"),
        (lambda: SGD(learning_rate=np.inf), ValueError, "learning_rate"),
        (lambda: SGD(learning_rate="0.1"), TypeError, "learning_rate"),
        (lambda: SGD(learning_rate=True), TypeError, "learning_rate"),
        (lambda: SGD(decay=-1.0), ValueError, "decay"),
        (lambda: SGD(momentum=1.0), ValueError, "momentum"),
        (lambda: SGD(momentum=-0.5), ValueError, "momentum"),
        (lambda: SGD(momentum=None), TypeError, "momentum"),
        (lambda: SGD(momentum=0.9, nesterov="yes"), TypeError, "nesterov"),
        (lambda: Adam(learning_rate=0.0), ValueError, "learning_rate"),
        (lambda: Adam(beta_1=1.0), ValueError, "beta_1"),
        (lambda: Adam(beta_1=-0.1), ValueError, "beta_1"),
        (lambda: Adam(beta_2=1.5), ValueError, "beta_2"),
        (lambda: Adam(epsilon=0.0), ValueError, "epsilon"),
        (lambda: Adam(epsilon=-1e-8), ValueError, "epsilon"),
        (lambda: Adam(decay=np.inf), ValueError, "decay"),
    ],
)
def test_invalid_hyperparameters_raise_naming_the_argument(make, exception, name):
    with pytest.raises(exception, match=name):
        make()


@pytest.mark.parametrize(
    "make",
    [
        lambda: SGD(learning_rate=0.1, momentum=0.9),
        lambda: SGD(learning_rate=0.1, momentum=0.9, nesterov=True, decay=0.3),
        lambda: Adam(learning_rate=0.1, decay=0.3),
    ],
    ids=["momentum", "nesterov-decay", "adam-decay"],
)
def test_state_survives_pickling_and_training_continues_identically(make):
    params, grads = _problem()
    optimizer = make()
    optimizer.step(params, grads[0])
    restored = pickle.loads(pickle.dumps(optimizer))

    assert restored.iterations == optimizer.iterations == 1
    assert restored._scratch is None  # transient scratch arrays are not pickled
    if isinstance(optimizer, SGD):
        state = ("velocities",)
    else:
        state = ("first_moments", "second_moments")
    for name in state:
        got, want = getattr(restored, name), getattr(optimizer, name)
        for a, b in zip(got, want, strict=True):
            assert_array_equal(a, b)

    params_restored = [p.copy() for p in params]
    optimizer.step(params, grads[1])
    restored.step(params_restored, grads[1])
    assert restored.iterations == 2
    for got, want in zip(params_restored, params, strict=True):
        assert_array_equal(got, want)
