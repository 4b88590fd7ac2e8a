"""Behaviour of the core :class:`~sknn_scratch.nn.Model`: the seed's example on
scikit-learn's digits, label formats, dtypes, prediction, determinism, dropout,
input validation, divergence, sample weights and pickling.
"""

import math
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sknn_scratch.nn import (
    SGD,
    Adam,
    DivergenceError,
    Dropout,
    HiddenLayer,
    Identity,
    InputLayer,
    MeanSquaredError,
    Model,
    ReLU,
    Sigmoid,
    SoftMax,
    Tanh,
)
from sknn_scratch.nn.model import _check_finite


@pytest.fixture(scope="module")
def digits():
    """Digits pixels scaled to [-1, 1] as float32, split as in the seed's example."""
    X, y = load_digits(return_X_y=True)
    X = (X / 8.0 - 1.0).astype(np.float32)
    return train_test_split(X, y, test_size=0.25, random_state=0)


@pytest.fixture(scope="module")
def small():
    """300 digits in float64, for the quick tests."""
    X, y = load_digits(return_X_y=True)
    return X[:300] / 8.0 - 1.0, y[:300]


def _small_model(hidden=ReLU, dropout=None, optimizer=None, seed=0):
    model = Model()
    model.add(HiddenLayer(64, 16, random_state=seed))
    model.add(hidden())
    if dropout is not None:
        model.add(Dropout(dropout, random_state=seed + 10))
    model.add(HiddenLayer(16, 10, random_state=seed + 1))
    model.add(SoftMax())
    model.wrap(optimizer=optimizer)
    return model


def _train(model, X, y, **kwargs):
    defaults = {"epochs": 2, "batch_size": 32, "print_every": 0, "random_state": 0}
    return model.train(X, y, **{**defaults, **kwargs})


# ------------------------------------------------------------------ seed example
def test_seed_example_learns_digits(digits, capsys):
    X_train, X_test, y_train, y_test = digits
    from sknn_scratch.nn import HiddenLayer, Model, ReLU, SoftMax

    model = Model()
    model.add(HiddenLayer(X_train.shape[1], 128, random_state=0))
    model.add(ReLU())
    model.add(HiddenLayer(128, 128, random_state=1))
    model.add(ReLU())
    model.add(HiddenLayer(128, 10, random_state=2))
    model.add(SoftMax())
    model.wrap()
    cost_wrt, accuracy_wrt = model.train(
        X_train,
        y_train,
        validation_data=(X_test, y_test),
        epochs=10,
        batch_size=128,
        print_every=100,
        random_state=0,
    )

    n_steps = math.ceil(len(X_train) / 128) * 10
    assert len(cost_wrt) == len(accuracy_wrt) == n_steps
    assert np.all(np.isfinite(cost_wrt))
    assert all(0.0 <= a <= 1.0 for a in accuracy_wrt)
    assert np.mean(cost_wrt[-11:]) < np.mean(cost_wrt[:11])
    assert model.evaluate(X_test, y_test)[1] >= 0.95
    out = capsys.readouterr().out
    assert "loss" in out
    assert "validation" in out


def test_print_every_zero_prints_nothing(small, capsys):
    X, y = small
    cost, accuracy = _train(_small_model(), X, y, print_every=0)
    assert len(cost) == len(accuracy) == 2 * math.ceil(300 / 32)
    assert capsys.readouterr().out == ""


# ------------------------------------------------------------- labels and dtypes
def test_one_hot_labels_train_like_class_indices(small):
    X, y = small
    by_index, by_one_hot = _small_model(), _small_model()
    history_index = _train(by_index, X, y)
    history_one_hot = _train(by_one_hot, X, np.eye(10)[y])
    assert history_index[1] == history_one_hot[1]
    assert_allclose(history_index[0], history_one_hot[0], rtol=1e-12)
    for a, b in zip(by_index.parameters(), by_one_hot.parameters(), strict=True):
        assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_dtype_follows_X(small, dtype):
    X, y = small
    model = _small_model()
    _train(model, X.astype(dtype), y)
    assert model.dtype == dtype
    assert all(p.dtype == dtype for p in model.parameters())
    assert model.predict(X.astype(dtype)).dtype == dtype


@pytest.mark.parametrize(
    "dtype, other", [(np.float32, np.float64), (np.float64, np.float32)]
)
def test_training_dtype_follows_X_not_validation_data(small, dtype, other):
    X, y = small
    model = _small_model()
    validation_data = (X.astype(other), y)
    _train(model, X.astype(dtype), y, validation_data=validation_data, print_every=5)
    assert model.dtype == dtype


def test_integer_X_trains_in_float64(small):
    X, y = small
    model = _small_model()
    _train(model, (X * 8 + 8).astype(np.int64), y)
    assert model.dtype == np.float64


# -------------------------------------------------------------------- prediction
def test_predict_returns_probabilities(small):
    X, y = small
    model = _small_model()
    _train(model, X, y)
    proba = model.predict(X)
    assert proba.shape == (300, 10)
    assert np.all(proba >= 0)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("batch_size", [1, 7, 64, 299])
def test_predict_in_chunks_matches_one_chunk(small, batch_size):
    X, y = small
    model = _small_model()
    _train(model, X, y)
    whole = model.predict(X, batch_size=10_000)
    # equal up to BLAS blocking, which may depend on the number of rows
    chunked = model.predict(X, batch_size=batch_size)
    assert_allclose(chunked, whole, rtol=1e-13, atol=1e-15)


def test_predict_does_not_change_the_model(small):
    X, y = small
    model = _small_model()
    _train(model, X, y)
    before = [p.copy() for p in model.parameters()]
    model.predict(X.astype(np.float32))
    assert model.dtype == np.float64
    for got, want in zip(model.parameters(), before, strict=True):
        assert got.dtype == want.dtype
        assert_array_equal(got, want)


def _snapshot(layer):
    state = {}
    for name, value in vars(layer).items():
        if isinstance(value, np.ndarray):
            state[name] = (value, value.copy())
        elif isinstance(value, np.random.Generator):
            state[name] = (value, value.bit_generator.state)
        else:
            state[name] = (value, None)
    return state


def _assert_same_state(layer, snapshot):
    assert vars(layer).keys() == snapshot.keys()
    for name, (obj, content) in snapshot.items():
        value = getattr(layer, name)
        assert value is obj, f"{type(layer).__name__}.{name} was replaced"
        if isinstance(value, np.ndarray):
            assert_array_equal(value, content, err_msg=f"{type(layer).__name__}.{name}")
        elif isinstance(value, np.random.Generator):
            assert value.bit_generator.state == content


@pytest.mark.parametrize(
    "make",
    [
        InputLayer,
        lambda: HiddenLayer(4, 4, 0.1, 0.1, random_state=0),
        ReLU,
        Tanh,
        Sigmoid,
        Identity,
        SoftMax,
        lambda: Dropout(0.5, random_state=0),
    ],
    ids=[
        "input",
        "hidden",
        "relu",
        "tanh",
        "sigmoid",
        "identity",
        "softmax",
        "dropout",
    ],
)
def test_inference_forward_does_not_touch_layer_state(make):
    rng = np.random.default_rng(0)
    layer = make()
    layer.forward(rng.normal(size=(6, 4)), training=True)
    layer.backward(rng.normal(size=(6, 4)))
    snapshot = _snapshot(layer)
    layer.forward(rng.normal(size=(3, 4)), training=False)
    _assert_same_state(layer, snapshot)


def test_model_inference_does_not_touch_state(small):
    X, y = small
    model = _small_model(hidden=Tanh)
    model.train_step(X[:20], y[:20])
    snapshots = [_snapshot(layer) for layer in model.layers]
    model.forward(X[20:25], training=False)
    model.predict(X[25:40], batch_size=4)
    for layer, snapshot in zip(model.layers, snapshots, strict=True):
        _assert_same_state(layer, snapshot)


def test_evaluate_returns_loss_with_penalty_and_accuracy(small):
    X, y = small
    model = Model()
    model.add(HiddenLayer(64, 10, l2=0.01, random_state=0))
    model.add(SoftMax())
    model.wrap()
    _train(model, X, y)
    proba = model.predict(X)
    loss, accuracy = model.evaluate(X, y)
    W = model.parameters()[0]
    expected = -np.mean(np.log(proba[np.arange(len(y)), y])) + 0.01 * np.sum(W**2)
    assert_allclose(loss, expected, rtol=1e-12)
    assert accuracy == np.mean(proba.argmax(axis=1) == y)


# ------------------------------------------------------------------- determinism
def test_same_seeds_give_bit_identical_weights(small):
    X, y = small
    first, second, reshuffled = _small_model(), _small_model(), _small_model()
    _train(first, X, y)
    _train(second, X, y)
    _train(reshuffled, X, y, random_state=1)
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert_array_equal(a, b)
    assert not all(
        np.array_equal(a, b)
        for a, b in zip(first.parameters(), reshuffled.parameters(), strict=True)
    )


# ----------------------------------------------------------------------- dropout
def test_dropout_model_trains_and_is_identity_at_predict(small):
    X, y = small
    model = _small_model(dropout=0.3)
    cost, _ = _train(model, X, y, epochs=15)
    assert np.mean(cost[-10:]) < 0.5 * np.mean(cost[:10])
    assert model.evaluate(X, y)[1] > 0.8

    without_dropout = X
    for layer in model.layers:
        if not isinstance(layer, Dropout):
            without_dropout = layer.forward(without_dropout)
    assert_array_equal(model.predict(X), without_dropout)
    assert_array_equal(model.predict(X), model.predict(X))
    assert not np.array_equal(model.forward(X, training=True), without_dropout)


# ------------------------------------------------------------------ validation
@pytest.fixture
def wrapped(small):
    X, y = small
    return _small_model(), X, y


def _nan_X(X):
    X = X.copy()
    X[3, 5] = np.nan
    return X


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda m, X, y: m.train(X[:, :63], y),
            "63 features, but the network expects 64",
        ),
        (lambda m, X, y: m.predict(X[:, :63]), "63 features"),
        (lambda m, X, y: m.predict(X[0]), "2-D"),
        (lambda m, X, y: m.predict(X[None]), "2-D"),
        (lambda m, X, y: m.train(X[0], y[:1]), "2-D"),
        (lambda m, X, y: m.train(_nan_X(X), y), "NaN"),
        (lambda m, X, y: m.predict(np.full_like(X, np.inf)), "NaN or infinity"),
        (lambda m, X, y: m.train(X, np.where(y == 0, 10, y)), r"\[0, 9\]"),
        (lambda m, X, y: m.train(X, np.where(y == 0, -1, y)), r"\[0, 9\]"),
        (lambda m, X, y: m.train(X, y + 0.5), "whole numbers"),
        (lambda m, X, y: m.train(X, y[:-1]), "300 samples but y has 299"),
        (lambda m, X, y: m.train(X, np.eye(9)[y % 9]), r"shape \(n_samples, 10\)"),
        (lambda m, X, y: m.train(X, y.reshape(-1, 1, 1)), "y must be"),
        (lambda m, X, y: m.predict(X.astype(str)), "numeric"),
        (lambda m, X, y: m.train(X, y, validation_data=(X[:, :10], y)), "10 features"),
        (lambda m, X, y: m.train(X, y, epochs=-1), "epochs"),
        (lambda m, X, y: m.train(X, y, batch_size=0), "batch_size"),
        (lambda m, X, y: m.predict(X[:0]), "no samples"),
    ],
    ids=[
        "train-n-features",
        "predict-n-features",
        "X-1d",
        "X-3d",
        "train-X-1d",
        "X-nan",
        "X-inf",
        "label-too-large",
        "label-negative",
        "label-fractional",
        "y-length",
        "one-hot-width",
        "y-3d",
        "X-strings",
        "validation-n-features",
        "epochs",
        "batch-size",
        "X-empty",
    ],
)
def test_bad_input_raises_clear_value_error(wrapped, call, match):
    model, X, y = wrapped
    with pytest.raises(ValueError, match=match):
        call(model, X, y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_finiteness_check_sums_first_but_is_exact(dtype, sparse):
    # Row sums find NaN and infinity cheaply; a sum that overflows must not be
    # taken for an infinite input, and one bad value among many must be found.
    huge = np.full((5, 4), np.finfo(dtype).max / 2, dtype=dtype)
    huge[:, 1] = -huge[:, 1] * 0.5  # mixed signs: some sums overflow, not all
    assert not np.isfinite(huge.sum(axis=1)).all()  # the sums do overflow
    as_input = sp.csr_matrix if sparse else np.asarray
    _check_finite(as_input(huge))  # finite values: no error
    for bad in (np.nan, np.inf, -np.inf):
        X = np.ones((300, 7), dtype=dtype)
        X[123, 4] = bad
        with pytest.raises(ValueError, match="NaN or infinity"):
            _check_finite(as_input(X))
    _check_finite(np.full((3, 2), np.iinfo(np.int64).max))  # integers: finite


def test_non_chaining_layer_sizes_raise_at_wrap():
    model = Model()
    model.add(HiddenLayer(4, 8, random_state=0))
    model.add(ReLU())
    model.add(HiddenLayer(7, 3, random_state=0))
    model.add(SoftMax())
    with pytest.raises(ValueError, match=r"do not chain.*8 outputs.*expects 7 inputs"):
        model.wrap()


def test_model_without_hidden_layer_raises_at_wrap():
    model = Model()
    model.add(SoftMax())
    with pytest.raises(ValueError, match="HiddenLayer"):
        model.wrap()


def test_train_before_wrap_raises(small):
    X, y = small
    model = Model()
    model.add(HiddenLayer(64, 10, random_state=0))
    with pytest.raises(RuntimeError, match="wrap"):
        model.train(X, y)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: HiddenLayer(3, 0), "n_neurons"),
        (lambda: HiddenLayer(0, 3), "n_inputs"),
        (lambda: HiddenLayer(3, 2.5), "n_neurons"),
        (lambda: HiddenLayer(3, 2, l1=-1), "l1"),
        (lambda: HiddenLayer(3, 2, l2=np.nan), "l2"),
        (lambda: HiddenLayer(3, 2, init="bogus"), "init"),
        (lambda: Dropout(rate=1.0), "rate"),
        (lambda: Dropout(rate=-0.1), "rate"),
    ],
    ids=[
        "n-neurons-0",
        "n-inputs-0",
        "n-neurons-float",
        "l1",
        "l2",
        "init",
        "rate-1",
        "rate-neg",
    ],
)
def test_bad_layer_arguments_raise_naming_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_add_rejects_non_layers():
    with pytest.raises(TypeError, match="Layer"):
        Model().add(np.ones(3))


@pytest.mark.parametrize(
    "method, batch_size",
    [
        (method, batch_size)
        for method in ["predict", "train", "train_epoch"]
        for batch_size in [0, -1, 2.5, True]
        # train_epoch counts True as 1: the estimators pass it on as given
        if not (method == "train_epoch" and batch_size is True)
    ],
    ids=str,
)
def test_bad_batch_size_raises_naming_it(wrapped, method, batch_size):
    # predict once returned uninitialised memory for -1; 0 and 2.5 failed in range()
    model, X, y = wrapped
    call = {
        "predict": lambda: model.predict(X, batch_size=batch_size),
        "train": lambda: model.train(X, y, batch_size=batch_size, print_every=0),
        "train_epoch": lambda: model.train_epoch(X, y, batch_size=batch_size),
    }[method]
    with pytest.raises(ValueError, match=r"batch_size must be None or an int >= 1"):
        call()
    assert model.optimizer.iterations == 0


def test_batch_size_larger_than_n_samples_is_one_batch(wrapped):
    model, X, y = wrapped
    cost, _ = model.train(X[:20], y[:20], batch_size=1000, print_every=0)
    assert len(cost) == 1
    assert_array_equal(model.predict(X, batch_size=1000), model.predict(X))


@pytest.mark.parametrize(
    "sample_weight, match",
    [
        (np.ones(3), r"shape \(300,\), got shape \(3,\)"),
        (np.ones((300, 1)), r"1-D .* got shape \(300, 1\)"),
        (2.0, r"got shape \(\)"),
        (np.where(np.arange(300) == 7, np.nan, 1.0), "NaN or infinity"),
        (np.where(np.arange(300) == 7, np.inf, 1.0), "NaN or infinity"),
        (np.where(np.arange(300) == 7, -1.0, 1.0), ">= 0, got -1.0"),
        (np.zeros(300), "positive, finite sum, got 0.0"),
        (np.full(300, 1e307), "positive, finite sum, got inf"),
        (np.array(["1"] * 300), "numeric"),
    ],
    ids=["length", "2d", "scalar", "nan", "inf", "negative", "zero", "sum-inf", "str"],
)
def test_evaluate_rejects_bad_sample_weight(wrapped, sample_weight, match):
    model, X, y = wrapped
    with pytest.raises(ValueError, match=f"sample_weight.*{match}"):
        model.evaluate(X, y, sample_weight=sample_weight)


def test_evaluate_weights_the_loss_and_the_accuracy(wrapped):
    model, X, y = wrapped
    weight = np.tile([0, 1, 2], 100)  # integers, a list works as well
    proba = model.predict(X)
    losses = -np.log(proba[np.arange(len(y)), y])
    hits = proba.argmax(axis=1) == y
    loss, accuracy = model.evaluate(X, y, sample_weight=list(weight))
    assert_allclose(loss, np.average(losses, weights=weight), rtol=1e-12)
    assert accuracy == pytest.approx(np.average(hits, weights=weight), abs=1e-12)
    assert model.evaluate(X, y)[1] == pytest.approx(hits.mean(), abs=1e-12)


@pytest.mark.parametrize(
    "call",
    [
        lambda m, X, y: m.train(X[:, :63], y),
        lambda m, X, y: m.train(X, y[:-1]),
        lambda m, X, y: m.train(X, y, validation_data=(X[:, :63], y)),
        lambda m, X, y: m.train(X, y, validation_data=(X,)),
        lambda m, X, y: m.train(X, y, epochs=-1),
        lambda m, X, y: m.train(X, y, batch_size=0),
    ],
    ids=["n-features", "y-length", "validation", "validation-pair", "epochs", "batch"],
)
def test_failed_train_leaves_the_model_unchanged(wrapped, call):
    # float32 X on a float64 model: train once converted the parameters to
    # float32 before it found the error
    model, X, y = wrapped
    before = [p.copy() for p in model.parameters()]
    with pytest.raises(ValueError):
        call(model, X.astype(np.float32), y)
    assert model.dtype == np.float64
    assert model.optimizer.iterations == 0
    for got, want in zip(model.parameters(), before, strict=True):
        assert got.dtype == np.float64
        assert_array_equal(got, want)


@pytest.mark.parametrize(
    "validation_data, match",
    [
        (lambda X, y: (X,), "pair .* got tuple of length 1"),
        (lambda X, y: (X, y, None), "pair .* got tuple of length 3"),
        (lambda X, y: X[:2], "pair .* got ndarray"),
        (lambda X, y: (X, None), "got None for y_val"),
        (lambda X, y: (None, y), "got None for X_val"),
        (lambda X, y: (X, y[:-1]), "300 samples but y has 299"),
    ],
    ids=["1-tuple", "3-tuple", "array", "y-none", "X-none", "y-length"],
)
def test_bad_validation_data_raises_naming_it(wrapped, validation_data, match):
    model, X, y = wrapped
    with pytest.raises(ValueError, match=f"validation_data.*{match}"):
        model.train(X, y, validation_data=validation_data(X, y), print_every=0)


@pytest.mark.parametrize("layers", [[], [SoftMax()]], ids=["empty", "no-dense"])
def test_predict_without_hidden_layer_raises(small, layers):
    X, _ = small
    model = Model()
    for layer in layers:
        model.add(layer)
    with pytest.raises(ValueError, match="no HiddenLayer"):
        model.predict(X)


def test_predict_before_wrap_matches_after_wrap(small):
    # the estimators predict through unwrapped models: that must keep working
    X, _ = small
    model = Model()
    model.add(HiddenLayer(64, 10, random_state=0))
    model.add(SoftMax())
    before = model.predict(X)
    model.wrap()
    assert_array_equal(model.predict(X), before)


# -------------------------------------------------------------------- divergence
@pytest.mark.parametrize("task", ["regression", "classification"])
def test_huge_learning_rate_raises_divergence_error(task):
    X, y = load_digits(return_X_y=True)  # unscaled pixels, 0..16
    model = Model()
    if task == "regression":
        model.add(HiddenLayer(64, 32, random_state=0))
        model.add(ReLU())
        model.add(HiddenLayer(32, 1, random_state=1))
        model.add(Identity())
        y = y.astype(float)
    else:
        model.add(HiddenLayer(64, 32, random_state=0))
        model.add(Identity())
        model.add(HiddenLayer(32, 10, random_state=1))
        model.add(SoftMax())
    model.wrap(optimizer=SGD(learning_rate=1e6))
    assert issubclass(DivergenceError, ValueError)
    with pytest.raises(DivergenceError, match="learning rate"):
        model.train(X, y, epochs=5, batch_size=64, print_every=0, random_state=0)


# --------------------------------------------------------------- sample weights
def test_zero_weight_batches_are_skipped(small):
    X, y = small
    X, y = X[:50], y[:50]
    weight = np.ones(50)
    weight[10:20] = 0.0
    keep = weight > 0

    model, reference = _small_model(), _small_model()
    calls = []
    model.train_epoch(
        X,
        y,
        batch_size=10,
        sample_weight=weight,
        shuffle=False,
        on_batch=lambda loss, accuracy: calls.append(loss),
    )
    reference.train_epoch(
        X[keep], y[keep], batch_size=10, sample_weight=weight[keep], shuffle=False
    )
    assert len(calls) == 4
    assert model.optimizer.iterations == 4
    for a, b in zip(model.parameters(), reference.parameters(), strict=True):
        assert_array_equal(a, b)


def test_all_zero_sample_weights_raise(small):
    X, y = small
    model = _small_model()
    before = [p.copy() for p in model.parameters()]
    with pytest.raises(ValueError, match="sample_weight"):
        model.train_epoch(X, y, batch_size=32, sample_weight=np.zeros(len(y)))
    assert model.optimizer.iterations == 0
    for got, want in zip(model.parameters(), before, strict=True):
        assert_array_equal(got, want)


@pytest.mark.parametrize("batch_size", [None, 16])
def test_integer_sample_weights_match_repeated_rows(small, batch_size):
    X, y = small
    X, y = X[:40], y[:40]
    weight = np.tile([1, 2, 0, 3], 10)
    weighted, repeated = _small_model(), _small_model()
    weighted.train_step(X, y, sample_weight=weight)
    repeated.train_step(np.repeat(X, weight, axis=0), np.repeat(y, weight))
    for a, b in zip(weighted.parameters(), repeated.parameters(), strict=True):
        assert_allclose(a, b, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------- pickling
@pytest.fixture
def trained(digits):
    X_train, _, y_train, _ = digits
    model = Model()
    model.add(HiddenLayer(64, 32, random_state=0))
    model.add(ReLU())
    model.add(Dropout(0.1, random_state=1))
    model.add(HiddenLayer(32, 10, random_state=2))
    model.add(SoftMax())
    model.wrap()
    model.train(
        X_train, y_train, epochs=2, batch_size=512, print_every=0, random_state=0
    )
    return model


def test_pickle_round_trip_predicts_and_trains_identically(trained, digits):
    X_train, X_test, y_train, _ = digits
    restored = pickle.loads(pickle.dumps(trained))
    assert_array_equal(restored.predict(X_test), trained.predict(X_test))
    assert restored.optimizer.iterations == trained.optimizer.iterations

    for model in (trained, restored):
        model.train(
            X_train, y_train, epochs=1, batch_size=512, print_every=0, random_state=5
        )
    for a, b in zip(restored.parameters(), trained.parameters(), strict=True):
        assert_array_equal(a, b)


def _reachable_arrays(obj, path="model", seen=None):
    """``{path: array}`` for every ndarray reachable via attributes and containers."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return {}
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return {path: obj}
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, list | tuple):
        items = enumerate(obj)
    elif hasattr(obj, "__dict__") and type(obj).__module__.startswith("sknn_scratch"):
        items = vars(obj).items()
    else:
        return {}
    found = {}
    for key, value in items:
        found.update(_reachable_arrays(value, f"{path}.{key}", seen))
    return found


def test_pickle_drops_transient_buffers(trained):
    blob = pickle.dumps(trained)
    restored = pickle.loads(blob)
    kept = _reachable_arrays(restored)
    parameters = {
        f"model.layers.{i}.{name}"
        for i, layer in enumerate(restored.layers)
        if layer.trainable
        for name in ("weights", "biases")
    }
    velocities = {f"model.optimizer.velocities.{i}" for i in range(len(parameters))}
    assert set(kept) == parameters | velocities

    # weights and biases, and one velocity per parameter array
    state_bytes = 2 * sum(p.nbytes for p in trained.parameters())
    assert len(blob) < state_bytes + 8_000


def test_pickled_adam_model_keeps_moments(small):
    X, y = small
    model = _small_model(optimizer=Adam(learning_rate=0.01))
    _train(model, X, y)
    restored = pickle.loads(pickle.dumps(model))
    for name in ("first_moments", "second_moments"):
        got, want = getattr(restored.optimizer, name), getattr(model.optimizer, name)
        for a, b in zip(got, want, strict=True):
            assert_array_equal(a, b)


def test_regression_model_trains_with_squared_error(small):
    X, _ = small
    target = (X[:, :3] @ np.array([0.5, -1.0, 2.0]))[:, None]
    model = Model()
    model.add(HiddenLayer(64, 16, init="glorot", random_state=0))
    model.add(Tanh())
    model.add(HiddenLayer(16, 1, init="glorot", random_state=1))
    model.wrap(optimizer=Adam(learning_rate=0.01))
    assert isinstance(model.loss, MeanSquaredError)
    cost, _ = _train(model, X, target, epochs=30)
    assert cost[-1] < 0.1 * cost[0]
    assert model.evaluate(X, target)[1] > 0.9
