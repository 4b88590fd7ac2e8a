"""Finite-difference checks of every backward pass of the NumPy core.

Central differences (``eps = 1e-5``, float64) against each layer's ``backward``
alone, each loss's ``backward`` and ``fused_backward``, and the gradients of whole
:class:`~sknn_scratch.nn.Model` networks for every hidden activation, output/loss
pair and penalty.
"""

import itertools

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sknn_scratch.nn import (
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    Dropout,
    HiddenLayer,
    Identity,
    MeanSquaredError,
    Model,
    ReLU,
    Sigmoid,
    SoftMax,
    Tanh,
)

EPS = 1e-5
RTOL = 1e-6
ATOL = 1e-8

PENALTIES = {
    "none": (0.0, 0.0),
    "l1": (0.05, 0.0),
    "l2": (0.0, 0.1),
    "l1+l2": (0.05, 0.1),
}
ACTIVATIONS = [ReLU, Tanh, Sigmoid, Identity, SoftMax]
HIDDEN_ACTIVATIONS = [ReLU, Tanh, Sigmoid, Identity]
OUTPUTS = {
    "softmax-cce": (SoftMax, CategoricalCrossEntropy),
    "sigmoid-bce": (Sigmoid, BinaryCrossEntropy),
    "identity-mse": (Identity, MeanSquaredError),
}


def numerical_gradient(f, array):
    """Central differences of the scalar ``f()`` w.r.t. every entry of ``array``.

    ``array`` is perturbed in place (and restored), so ``f`` must read it.
    """
    grad = np.empty_like(array, dtype=np.float64)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + EPS
        plus = f()
        array[index] = original - EPS
        minus = f()
        array[index] = original
        grad[index] = (plus - minus) / (2 * EPS)
    return grad


def away_from_zero(values, margin=0.1):
    """``values`` pushed at least ``margin`` away from 0 (keeps |.| and ReLU smooth)."""
    return np.sign(values) * (margin + np.abs(values))


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# --------------------------------------------------------------------- layers alone
@pytest.mark.parametrize("l1, l2", PENALTIES.values(), ids=PENALTIES.keys())
def test_hidden_layer_backward_matches_finite_differences(l1, l2):
    rng = np.random.default_rng(0)
    layer = HiddenLayer(4, 3, l1, l2, random_state=0)
    layer.weights[...] = away_from_zero(layer.weights)
    layer.biases[...] = rng.normal(size=3)
    X = rng.normal(size=(5, 4))
    G = rng.normal(size=(5, 3))

    def loss():
        return float(np.sum(G * layer.forward(X, training=True))) + layer.penalty()

    loss()
    dinputs = layer.backward(G).copy()
    dweights, dbiases = layer.dweights.copy(), layer.dbiases.copy()

    assert_allclose(dinputs, numerical_gradient(loss, X), rtol=RTOL, atol=ATOL)
    assert_allclose(
        dweights, numerical_gradient(loss, layer.weights), rtol=RTOL, atol=ATOL
    )
    assert_allclose(
        dbiases, numerical_gradient(loss, layer.biases), rtol=RTOL, atol=ATOL
    )


@pytest.mark.parametrize("l1, l2", PENALTIES.values(), ids=PENALTIES.keys())
def test_hidden_layer_penalty_is_documented_formula(l1, l2):
    layer = HiddenLayer(6, 4, l1, l2, random_state=1)
    W = layer.weights
    expected = l1 * np.abs(W).sum() + l2 * (W**2).sum()
    assert_allclose(layer.penalty(), expected, rtol=1e-14, atol=0)


def test_hidden_layer_without_input_gradient_gives_same_parameter_gradients():
    rng = np.random.default_rng(1)
    X, G = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    full = HiddenLayer(4, 3, 0.05, 0.1, random_state=0)
    first = HiddenLayer(4, 3, 0.05, 0.1, random_state=0)
    first.needs_input_gradient = False
    for layer in (full, first):
        layer.forward(X, training=True)
        layer.backward(G)
    assert first.dinputs is None
    assert_array_equal(first.dweights, full.dweights)
    assert_array_equal(first.dbiases, full.dbiases)


@pytest.mark.parametrize("activation", ACTIVATIONS, ids=lambda cls: cls.__name__)
def test_activation_backward_matches_finite_differences(activation):
    rng = np.random.default_rng(2)
    layer = activation()
    X = away_from_zero(rng.normal(size=(6, 4)))  # ReLU's kink stays out of reach
    G = rng.normal(size=(6, 4))

    def loss():
        return float(np.sum(G * layer.forward(X, training=True)))

    loss()
    dinputs = layer.backward(G).copy()
    assert_allclose(dinputs, numerical_gradient(loss, X), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    "activation, reference",
    [
        (ReLU, lambda z: np.maximum(z, 0)),
        (Tanh, np.tanh),
        (Sigmoid, sigmoid),
        (Identity, lambda z: z),
        (SoftMax, softmax),
    ],
    ids=["relu", "tanh", "sigmoid", "identity", "softmax"],
)
@pytest.mark.parametrize("training", [False, True], ids=["inference", "training"])
def test_activation_forward_matches_formula(activation, reference, training):
    Z = np.random.default_rng(3).normal(scale=3.0, size=(7, 5))
    output = np.array(activation().forward(Z, training=training))
    assert_allclose(output, reference(Z), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "shape",
    [(1, 2), (128, 10), (3, SoftMax.NARROW), (3, SoftMax.NARROW + 1), (2, 300)],
    ids=["one-row", "mnist-batch", "narrow-limit", "just-wide", "wide"],
)
def test_softmax_matches_formula_for_narrow_and_wide_outputs(shape, dtype):
    # narrow outputs take the transposed path, wide ones the direct one
    Z = np.random.default_rng(5).normal(scale=5.0, size=shape)
    Z[0, 0] = 200.0  # exp(200) overflows float32: the maximum must come off first
    P = SoftMax().forward(Z.astype(dtype), training=True)
    eps = np.finfo(dtype).eps
    assert P.dtype == dtype and P.flags.c_contiguous
    assert_allclose(P, softmax(Z), rtol=20 * eps, atol=10 * np.finfo(dtype).tiny)
    assert_allclose(P.sum(axis=1), 1.0, rtol=10 * eps)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("shape", [(1, 3), (4, 3), (4, 1), (2, 40)])
def test_softmax_leaves_its_inputs_alone(shape, order):
    # a one-row or Fortran-ordered input transposes into a contiguous view:
    # the narrow path must still work on a copy
    Z = np.asarray(np.random.default_rng(6).normal(size=shape), order=order)
    before = Z.copy()
    layer = SoftMax()
    for P in (layer.forward(Z), layer.forward(Z, training=True), layer.infer(Z)):
        assert_allclose(P, softmax(before), rtol=1e-13)
    assert_array_equal(Z, before)


@pytest.mark.parametrize("rate", [0.0, 0.25, 0.75])
def test_dropout_backward_uses_the_forward_mask(rate):
    rng = np.random.default_rng(4)
    layer = Dropout(rate, random_state=0)
    X = rng.normal(size=(300, 4))
    G = rng.normal(size=(300, 4))
    output = layer.forward(X, training=True).copy()
    mask = np.ones_like(X) if layer._mask is None else layer._mask.copy()
    dinputs = layer.backward(G).copy()

    assert set(np.unique(mask)) <= {0.0, 1.0 / (1.0 - rate)}
    assert abs(np.mean(mask == 0) - rate) < 0.05
    assert_allclose(output, X * mask, rtol=1e-15, atol=0)
    # the layer is linear for a fixed mask: dL/dX of sum(G * X * mask) is G * mask
    assert_allclose(dinputs, G * mask, rtol=1e-15, atol=0)


# --------------------------------------------------------------------------- losses
def _loss_case(name, rng, n_samples=6):
    """Return ``(loss, n_outputs, y)`` for one target convention."""
    if name == "cce-index":
        return CategoricalCrossEntropy(), 4, rng.integers(0, 4, n_samples)
    if name == "cce-onehot":
        return CategoricalCrossEntropy(), 4, np.eye(4)[rng.integers(0, 4, n_samples)]
    if name == "bce-multilabel":
        y = rng.integers(0, 2, (n_samples, 3)).astype(float)
        y[0] = [0.25, 0.5, 0.9]  # soft targets in [0, 1] are allowed
        return BinaryCrossEntropy(), 3, y
    if name == "bce-1d":
        return BinaryCrossEntropy(), 1, rng.integers(0, 2, n_samples).astype(float)
    if name == "mse-multioutput":
        return MeanSquaredError(), 3, rng.normal(size=(n_samples, 3))
    if name == "mse-1d":
        return MeanSquaredError(), 1, rng.normal(size=n_samples)
    raise AssertionError(name)


LOSS_CASES = [
    "cce-index",
    "cce-onehot",
    "bce-multilabel",
    "bce-1d",
    "mse-multioutput",
    "mse-1d",
]


def _sample_weight(weighted, n_samples, rng):
    if not weighted:
        return None
    weight = rng.uniform(0.2, 3.0, n_samples)
    weight[1] = 0.0
    return weight


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", LOSS_CASES)
def test_loss_backward_matches_finite_differences(case, weighted):
    rng = np.random.default_rng(5)
    loss, n_outputs, y = _loss_case(case, rng)
    sample_weight = _sample_weight(weighted, len(y), rng)
    Z = rng.normal(scale=0.5, size=(len(y), n_outputs))
    # predictions in the loss's domain, away from the clipping bounds
    if isinstance(loss, CategoricalCrossEntropy):
        P = softmax(Z)
    elif isinstance(loss, BinaryCrossEntropy):
        P = sigmoid(Z)
    else:
        P = Z

    def value():
        return loss.calculate(P, y, sample_weight)

    analytic = loss.backward(P, y, sample_weight).copy()
    assert analytic.shape == P.shape
    assert_allclose(analytic, numerical_gradient(value, P), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", LOSS_CASES)
def test_loss_fused_backward_matches_finite_differences(case, weighted):
    rng = np.random.default_rng(6)
    loss, n_outputs, y = _loss_case(case, rng)
    sample_weight = _sample_weight(weighted, len(y), rng)
    activation = loss.fused_activation()
    Z = rng.normal(size=(len(y), n_outputs))

    def value():
        return loss.calculate(activation.forward(Z), y, sample_weight)

    analytic = loss.fused_backward(activation.forward(Z), y, sample_weight).copy()
    assert_allclose(analytic, numerical_gradient(value, Z), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("case", LOSS_CASES)
def test_integer_sample_weight_equals_repeated_rows(case):
    rng = np.random.default_rng(7)
    loss, n_outputs, y = _loss_case(case, rng)
    weight = np.array([1, 3, 0, 2, 1, 4])
    activation = loss.fused_activation()
    P = activation.forward(rng.normal(size=(len(y), n_outputs)))
    P_repeated, y_repeated = np.repeat(P, weight, axis=0), np.repeat(y, weight, axis=0)

    assert_allclose(
        loss.calculate(P, y, weight),
        loss.calculate(P_repeated, y_repeated),
        rtol=1e-13,
    )
    weighted = loss.fused_backward(P, y, weight).copy()
    repeated = loss.fused_backward(P_repeated, y_repeated)
    rows = np.repeat(np.arange(len(y)), weight)
    summed = np.zeros_like(weighted)
    np.add.at(summed, rows, repeated)
    assert_allclose(weighted, summed, rtol=1e-13, atol=1e-16)


# ------------------------------------------------------------------ whole networks
def _relu_margin(model, X):
    """Smallest |input| of any ReLU in the network (must stay far above EPS)."""
    margin = np.inf
    for layer in model.layers:
        if isinstance(layer, ReLU):
            margin = min(margin, np.abs(X).min())
        X = layer.forward(X)
    return margin


def _targets(loss, rng, n_samples, n_outputs):
    if isinstance(loss, CategoricalCrossEntropy):
        return rng.integers(0, n_outputs, n_samples)
    if isinstance(loss, BinaryCrossEntropy):
        y = rng.integers(0, 2, (n_samples, n_outputs)).astype(float)
        y[0, 0] = 0.3
        return y
    return rng.normal(size=(n_samples, n_outputs))


def _network(hidden, output, loss, l1, l2, weighted, sizes=(5, 7, 6, 3), n_samples=8):
    """A wrapped 3-layer Model and a batch whose ReLU inputs are far from the kink."""
    for seed in range(100):
        rng = np.random.default_rng(seed)
        model = Model()
        for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
            layer = HiddenLayer(n_in, n_out, l1, l2, init="glorot", random_state=rng)
            layer.weights[...] = away_from_zero(layer.weights)
            layer.biases[...] = rng.normal(scale=0.5, size=n_out)
            model.add(layer)
            if i < len(sizes) - 2:
                model.add(hidden())
        if output is not None:
            model.add(output())
        model.wrap(loss=loss)
        X = rng.normal(size=(n_samples, sizes[0]))
        if _relu_margin(model, X) > 1e-3:
            y = _targets(loss, rng, n_samples, sizes[-1])
            y = model.loss.check_targets(y, sizes[-1])
            return model, X, y, _sample_weight(weighted, n_samples, rng)
    raise AssertionError("no seed keeps the ReLU inputs away from 0")


def _check_network_gradients(model, X, y, sample_weight):
    model.loss_and_gradients(X, y, sample_weight)
    analytic = [g.copy() for g in model.gradients()]
    assert model.trainable_layers[0].dinputs is None  # by design: nobody needs dL/dX

    def loss():
        return model.loss_and_gradients(X, y, sample_weight)[0]

    for param, grad in zip(model.parameters(), analytic, strict=True):
        assert grad.shape == param.shape
        assert_allclose(grad, numerical_gradient(loss, param), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("l1, l2", PENALTIES.values(), ids=PENALTIES.keys())
@pytest.mark.parametrize("output, loss", OUTPUTS.values(), ids=OUTPUTS.keys())
@pytest.mark.parametrize("hidden", HIDDEN_ACTIVATIONS, ids=lambda cls: cls.__name__)
def test_network_gradients_match_finite_differences(
    hidden, output, loss, l1, l2, weighted
):
    _check_network_gradients(*_network(hidden, output, loss(), l1, l2, weighted))


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize(
    "output, loss",
    [
        (SoftMax, MeanSquaredError),
        (Sigmoid, MeanSquaredError),
        (Tanh, MeanSquaredError),
        (None, MeanSquaredError),
        (SoftMax, BinaryCrossEntropy),
    ],
    ids=["softmax-mse", "sigmoid-mse", "tanh-mse", "linear-mse", "softmax-bce"],
)
def test_unfused_network_gradients_match_finite_differences(output, loss, weighted):
    # the loss does not pair with the output activation: backward chains both Jacobians
    _check_network_gradients(*_network(Tanh, output, loss(), 0.05, 0.1, weighted))


def test_network_loss_includes_penalties():
    model, X, y, _ = _network(
        ReLU, SoftMax, CategoricalCrossEntropy(), 0.05, 0.1, weighted=False
    )
    loss, output = model.loss_and_gradients(X, y)
    expected = model.loss.calculate(model.forward(X), y) + sum(
        0.05 * np.abs(W).sum() + 0.1 * (W**2).sum() for W in model.parameters()[::2]
    )
    assert_allclose(loss, expected, rtol=1e-12)
    assert_allclose(output, model.forward(X), rtol=1e-14)
