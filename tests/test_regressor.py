"""Behaviour and integration tests of ScratchMLPRegressor.

Each test checks one behaviour of the public regressor (section 1b of the API
contract) on small data sets and small networks, so the module runs in seconds.
The last part checks the objective the 'lbfgs' solver minimises,
``Model.flat_loss_and_gradient``, against central differences through whole
networks.
"""

import pickle
import warnings

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPRegressor, nn

# Most fits stop at a small max_iter on purpose; the tests about stopping turn
# ConvergenceWarning back on (pytest.warns) or into an error where it must not occur.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SOLVERS = ["sgd", "adam", "lbfgs"]
STOCHASTIC_SOLVERS = ["sgd", "adam"]
FULL_BATCH = {"batch_size": 1000, "shuffle": False, "max_iter": 20}


def make_reg(solver="sgd", **params):
    """A small, seeded regressor; ``params`` override the defaults."""
    defaults = {
        "hidden_layer_sizes": (16,),
        "learning_rate": 0.01,
        "batch_size": 32,
        "max_iter": 30,
        "random_state": 0,
    }
    return ScratchMLPRegressor(solver=solver, **{**defaults, **params})


def assert_same_weights(a, b):
    assert len(a.coefs_) == len(b.coefs_)
    for W_a, W_b in zip(a.coefs_, b.coefs_, strict=True):
        assert_array_equal(W_a, W_b)
    for b_a, b_b in zip(a.intercepts_, b.intercepts_, strict=True):
        assert_array_equal(b_a, b_b)


# ---------------------------------------------------------------- data
@pytest.fixture(scope="module")
def regression():
    """200 x 5 standardized features; y left on its raw scale (std ~ 100)."""
    X, y = make_regression(
        n_samples=200, n_features=5, n_informative=4, noise=5.0, random_state=0
    )
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def multi_target(regression):
    """Three targets of different scales, one of them nonlinear."""
    X, y = regression
    Y = np.column_stack([y, -0.01 * y + 3.0, 50.0 * np.tanh(X[:, 0] * X[:, 1])])
    return X, Y


@pytest.fixture(scope="module")
def split(regression):
    return train_test_split(*regression, test_size=0.3, random_state=0)


# ---------------------------------------------------------------- targets
@pytest.mark.parametrize("solver", SOLVERS)
def test_single_output_predicts_1d(regression, solver):
    X, y = regression
    reg = make_reg(solver).fit(X, y)
    prediction = reg.predict(X)
    assert prediction.shape == (len(y),)
    assert reg.n_outputs_ == 1
    assert reg.out_activation_ == "identity"
    assert reg.coefs_[-1].shape == (16, 1)


@pytest.mark.parametrize("solver", SOLVERS)
def test_multi_output_predicts_one_column_per_target(multi_target, solver):
    X, Y = multi_target
    reg = make_reg(solver).fit(X, Y)
    assert reg.predict(X).shape == (len(Y), 3)
    assert reg.n_outputs_ == 3
    assert reg.coefs_[-1].shape == (16, 3)
    assert reg.intercepts_[-1].shape == (3,)


@pytest.mark.parametrize("solver", SOLVERS)
def test_score_is_r2(regression, solver):
    X, y = regression
    reg = make_reg(solver).fit(X, y)
    prediction = reg.predict(X)
    assert reg.score(X, y) == pytest.approx(r2_score(y, prediction), rel=1e-12)
    assert reg.score(X, y) > 0.9
    weights = np.random.default_rng(0).uniform(0, 3, size=len(y))
    assert reg.score(X, y, sample_weight=weights) == pytest.approx(
        r2_score(y, prediction, sample_weight=weights), rel=1e-12
    )


@pytest.mark.parametrize("solver", SOLVERS)
def test_multi_output_score_is_uniform_average_r2(multi_target, solver):
    X, Y = multi_target
    reg = make_reg(solver).fit(X, Y)
    expected = r2_score(Y, reg.predict(X), multioutput="uniform_average")
    assert reg.score(X, Y) == pytest.approx(expected, rel=1e-12)
    assert reg.score(X, Y) > 0.5


@pytest.mark.parametrize("solver", SOLVERS)
def test_target_scale_does_not_change_the_fit(regression, solver):
    # Targets are standardized inside the estimator (class Notes): an affine
    # change of y changes the predictions by the same map and nothing else.
    X, y = regression
    small = make_reg(solver).fit(X, y)
    large = make_reg(solver).fit(X, 1000.0 * y + 5.0)
    assert large.score(X, 1000.0 * y + 5.0) == pytest.approx(
        small.score(X, y), abs=1e-6
    )
    assert_allclose(
        large.predict(X),
        1000.0 * small.predict(X) + 5.0,
        rtol=1e-6,
        atol=1e-6 * 1000.0 * y.std(),
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("factor, offset", [(1e-9, 0.0), (1.0, 1e7)], ids=str)
def test_small_or_offset_targets_are_standardized(regression, dtype, factor, offset):
    # The spread of y * 1e-9 is below n * eps of float32, and 1e7 + y computed
    # in float32 has rounding errors of order n * eps * 1e7: neither may be
    # taken for a constant target (which is left unscaled).
    X, y = regression
    moved = factor * y + offset
    plain = make_reg(dtype=dtype).fit(X, y)
    reg = make_reg(dtype=dtype).fit(X, moved)
    assert_allclose(reg._y_scale, factor * y.std(), rtol=1e-6)
    assert reg.score(X, moved) == pytest.approx(plain.score(X, y), abs=1e-4)
    assert reg.score(X, moved) > 0.9


@pytest.mark.parametrize("solver", SOLVERS)
def test_raw_target_scale_learns_with_default_step(regression, solver):
    # Without the internal standardization, y with std ~ 1e5 would diverge or
    # stall at learning_rate=0.01.
    X, y = regression
    y_large = 1000.0 * y + 1e4
    reg = make_reg(solver).fit(X, y_large)
    assert np.isfinite(reg.loss_curve_).all()
    assert reg.score(X, y_large) > 0.9


@pytest.mark.parametrize("value", [3.0, -1234.567, 1e-9])
@pytest.mark.parametrize("solver", SOLVERS)
def test_constant_target_fits_and_predicts_the_constant(regression, solver, value):
    X, _ = regression
    y = np.full(X.shape[0], value)
    # A constant target has nothing to standardize: the loss is in y's units and
    # tiny from the start, so a small tol keeps training until the random initial
    # function is flattened.
    reg = make_reg(solver, max_iter=300, tol=1e-8).fit(X, y)
    prediction = reg.predict(X)
    assert np.isfinite(reg.loss_curve_).all()
    assert np.isfinite(prediction).all()
    assert_allclose(prediction, value, atol=0.25)


# ---------------------------------------------------------------- sample_weight
@pytest.mark.parametrize("solver", SOLVERS)
def test_integer_sample_weight_equals_repeated_rows(regression, solver):
    X, y = regression
    sample_weight = np.random.default_rng(0).integers(0, 4, size=len(y))
    weighted = make_reg(solver, **FULL_BATCH).fit(X, y, sample_weight=sample_weight)
    repeated = make_reg(solver, **FULL_BATCH).fit(
        np.repeat(X, sample_weight, axis=0), np.repeat(y, sample_weight)
    )
    assert weighted.n_iter_ == repeated.n_iter_
    assert_allclose(
        weighted.predict(X), repeated.predict(X), rtol=1e-6, atol=1e-6 * y.std()
    )


@pytest.mark.parametrize("solver", SOLVERS)
def test_training_r2_curve_is_weighted(regression, solver):
    # Rows of weight 0 with wild targets must not drag the training R² down.
    X, y = regression
    sample_weight = np.ones(len(y))
    sample_weight[::2] = 0
    y_noisy = np.where(sample_weight > 0, y, 1e4)
    reg = make_reg(solver, **FULL_BATCH).fit(X, y_noisy, sample_weight=sample_weight)
    # One full batch: the epoch's R² is the (standardized) weighted R² of the
    # network before the epoch's step; the last epoch's is close to score's.
    assert reg.accuracy_curve_[-1] > 0.5  # unweighted it is below -1
    assert reg.accuracy_curve_[-1] == pytest.approx(
        reg.score(X, y_noisy, sample_weight=sample_weight), abs=0.05
    )


@pytest.mark.parametrize("solver", SOLVERS)
def test_zero_sample_weight_equals_dropping_rows(regression, solver):
    X, y = regression
    sample_weight = np.ones(len(y))
    sample_weight[::3] = 0
    kept = sample_weight > 0
    y_noisy = y.copy()
    y_noisy[~kept] = 1e6  # the dropped rows' targets must not matter at all
    weighted = make_reg(solver, **FULL_BATCH).fit(
        X, y_noisy, sample_weight=sample_weight
    )
    dropped = make_reg(solver, **FULL_BATCH).fit(X[kept], y[kept])
    assert weighted.n_iter_ == dropped.n_iter_
    assert_allclose(
        weighted.predict(X), dropped.predict(X), rtol=1e-6, atol=1e-6 * y.std()
    )


@pytest.mark.parametrize("solver", SOLVERS)
def test_multi_output_integer_sample_weight_equals_repeated_rows(multi_target, solver):
    X, Y = multi_target
    sample_weight = np.random.default_rng(1).integers(0, 3, size=len(Y))
    weighted = make_reg(solver, **FULL_BATCH).fit(X, Y, sample_weight=sample_weight)
    repeated = make_reg(solver, **FULL_BATCH).fit(
        np.repeat(X, sample_weight, axis=0), np.repeat(Y, sample_weight, axis=0)
    )
    assert_allclose(
        weighted.predict(X), repeated.predict(X), rtol=1e-6, atol=1e-6 * Y.std()
    )


# ---------------------------------------------------------------- validation
@pytest.mark.parametrize("solver", SOLVERS)
def test_early_stopping_records_r2_every_epoch(regression, solver):
    X, y = regression
    reg = make_reg(
        solver, early_stopping=True, n_iter_no_change=3, tol=1e-3, max_iter=500
    ).fit(X, y)
    assert reg.stop_reason_ == "early_stopping"
    assert reg.n_iter_ < 500
    assert len(reg.validation_scores_) == reg.n_iter_
    assert len(reg.validation_loss_curve_) == reg.n_iter_
    assert all(score <= 1.0 for score in reg.validation_scores_)
    assert reg.best_validation_score_ == max(reg.validation_scores_)
    assert reg.validation_scores_[reg.best_epoch_ - 1] == reg.best_validation_score_
    assert reg.best_validation_score_ > 0.9


@pytest.mark.parametrize("n_targets", [1, 3])
@pytest.mark.parametrize("solver", SOLVERS)
def test_validation_scores_are_r2_of_the_kept_weights(multi_target, solver, n_targets):
    # The model keeps the best epoch's weights, so its R² on the validation set
    # (computed by scikit-learn, on the raw targets) is the best recorded score.
    X, Y = multi_target
    Y = Y[:, 0] if n_targets == 1 else Y
    X_train, X_val, Y_train, Y_val = train_test_split(X, Y, random_state=0)
    reg = make_reg(solver, max_iter=15).fit(
        X_train, Y_train, validation_data=(X_val, Y_val)
    )
    assert len(reg.validation_scores_) == reg.n_iter_ == 15
    expected = r2_score(Y_val, reg.predict(X_val))
    assert reg.best_validation_score_ == pytest.approx(expected, rel=1e-9)
    assert reg.best_validation_score_ == max(reg.validation_scores_)


@pytest.mark.parametrize("solver", SOLVERS)
def test_no_validation_scores_without_validation(regression, solver):
    X, y = regression
    reg = make_reg(solver).fit(X, y)
    assert reg.validation_scores_ is None
    assert len(reg.accuracy_curve_) == len(reg.loss_curve_) == reg.n_iter_


# ---------------------------------------------------------------- stopping
@pytest.mark.parametrize("solver", SOLVERS)
def test_max_iter_reached_warns(regression, solver):
    X, y = regression
    reg = make_reg(solver, max_iter=3, tol=0.0)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        reg.fit(X, y)
    assert reg.stop_reason_ == "max_iter"
    assert reg.n_iter_ == 3


@pytest.mark.parametrize("solver", SOLVERS)
def test_tol_convergence_stops_without_warning(regression, solver):
    X, y = regression
    reg = make_reg(solver, tol=1e-2, n_iter_no_change=2, max_iter=500)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.fit(X, y)
    assert reg.stop_reason_ == "converged"
    assert reg.n_iter_ < 500


def test_lbfgs_loss_curve_has_one_entry_per_iteration(regression):
    X, y = regression
    reg = make_reg("lbfgs", max_iter=60, tol=0.0).fit(X, y)
    curve = np.asarray(reg.loss_curve_)
    assert reg.n_iter_ == 60
    assert len(curve) == len(reg.accuracy_curve_) == reg.n_iter_
    assert reg.t_ == 60 * len(y)
    assert curve[-1] < 0.1 * curve[0]
    # Every accepted L-BFGS step satisfies the sufficient-decrease condition.
    assert np.all(np.diff(curve) <= 1e-12 * np.abs(curve[:-1]))
    assert reg.loss_ == curve[-1]
    assert reg.best_loss_ == curve.min()


def test_lbfgs_max_fun_stops_with_convergence_warning(regression):
    X, y = regression
    reg = make_reg("lbfgs", max_iter=200, max_fun=5, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        reg.fit(X, y)
    assert reg.n_iter_ <= 5
    assert reg.stop_reason_ != "converged"
    assert np.isfinite(reg.predict(X)).all()


@pytest.mark.parametrize(
    "activation, learning_rate", [("tanh", 1.0), ("logistic", 10.0)]
)
def test_finite_divergence_warns(regression, activation, learning_rate):
    # Bounded hidden units keep the weights and the loss finite for hundreds of
    # epochs while the loss grows a million-fold per epoch (through the output
    # bias with 'logistic'): that is no convergence, and must not pass silently.
    X, y = regression
    reg = make_reg(activation=activation, learning_rate=learning_rate, max_iter=50)
    with pytest.warns(ConvergenceWarning, match=r"diverged: .* learning rate"):
        reg.fit(X, y)
    assert reg.loss_curve_[-1] > 1e4 * min(reg.loss_curve_)


def test_unscaled_data_of_sklearn_checks_fits_with_a_warning(regression):
    # scikit-learn's estimator checks fit the default estimator on X ~ N(100, 1)
    # and expect a model back; its loss explodes, and the user is told.
    rng = np.random.RandomState(0)
    X, y = rng.normal(loc=100, size=(80, 2)), rng.normal(size=80)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        reg = ScratchMLPRegressor(random_state=0).fit(X, y)
    assert reg.predict(X).shape == (80,)
    with warnings.catch_warnings():  # a sound fit does not warn
        warnings.simplefilter("error", ConvergenceWarning)
        make_reg(max_iter=300, tol=1e-2, n_iter_no_change=2).fit(*regression)


# ---------------------------------------------------------------- partial_fit
@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_partial_fit_streaming_improves_r2(regression, solver):
    X, y = regression
    chunks = np.array_split(np.arange(len(y)), 4)
    reg = make_reg(solver)
    reg.partial_fit(X[chunks[0]], y[chunks[0]])
    first = reg.score(X, y)
    for _ in range(10):
        for chunk in chunks:
            reg.partial_fit(X[chunk], y[chunk])
    assert reg.n_iter_ == 41
    assert reg.t_ == len(chunks[0]) + 10 * len(y)
    assert reg.score(X, y) > first
    assert reg.score(X, y) > 0.9


def test_partial_fit_not_available_for_lbfgs():
    assert not hasattr(make_reg("lbfgs"), "partial_fit")
    assert hasattr(make_reg("sgd"), "partial_fit")
    assert hasattr(make_reg("adam"), "partial_fit")


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_partial_fit_rejects_a_different_number_of_targets(multi_target, solver):
    X, Y = multi_target
    reg = make_reg(solver).partial_fit(X, Y[:, 0])
    with pytest.raises(ValueError, match="targets"):
        reg.partial_fit(X, Y)
    reg = make_reg(solver).partial_fit(X, Y)
    with pytest.raises(ValueError, match="targets"):
        reg.partial_fit(X, Y[:, :2])


# ---------------------------------------------------------------- warm_start
@pytest.mark.parametrize("solver", SOLVERS)
def test_warm_start_continues_training(regression, solver):
    X, y = regression
    reg = make_reg(solver, max_iter=5, tol=0.0).fit(X, y)
    first_curve = list(reg.loss_curve_)
    reg.set_params(warm_start=True).fit(X, y)
    assert reg.n_iter_ == 10
    assert len(reg.loss_curve_) == 10
    assert reg.loss_curve_[:5] == first_curve
    # It starts from the trained weights, not from a fresh initialisation.
    assert reg.loss_curve_[5] < first_curve[0]
    assert reg.loss_curve_[-1] < first_curve[-1]


@pytest.mark.parametrize("solver", SOLVERS)
def test_refit_without_warm_start_starts_afresh(regression, solver):
    X, y = regression
    reg = make_reg(solver, max_iter=5, tol=0.0).fit(X, y)
    first_curve = list(reg.loss_curve_)
    reg.fit(X, y)
    assert reg.n_iter_ == 5
    assert reg.loss_curve_ == first_curve


# ---------------------------------------------------------------- reproducibility
@pytest.mark.parametrize("solver", SOLVERS)
def test_same_random_state_gives_identical_fits(regression, solver):
    X, y = regression
    dropout = 0.0 if solver == "lbfgs" else 0.1
    params = {"shuffle": True, "early_stopping": True, "dropout": dropout}
    first = make_reg(solver, **params).fit(X, y)
    second = make_reg(solver, **params).fit(X, y)
    assert_same_weights(first, second)
    assert first.loss_curve_ == second.loss_curve_
    assert_array_equal(first.predict(X), second.predict(X))


@pytest.mark.parametrize("solver", SOLVERS)
def test_different_random_state_gives_different_weights(regression, solver):
    X, y = regression
    first = make_reg(solver, random_state=0).fit(X, y)
    second = make_reg(solver, random_state=1).fit(X, y)
    assert not np.array_equal(first.coefs_[0], second.coefs_[0])


# ---------------------------------------------------------------- persistence
def _dump_and_load(reg, path, how):
    if how == "joblib":
        joblib.dump(reg, path)
        return joblib.load(path)
    with open(path, "wb") as f:
        pickle.dump(reg, f)
    with open(path, "rb") as f:
        return pickle.load(f)


@pytest.mark.parametrize("how", ["joblib", "pickle"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_persistence_round_trip_predicts_identically(
    multi_target, tmp_path, how, solver
):
    X, Y = multi_target
    for targets in (Y[:, 0], Y):
        reg = make_reg(solver).fit(X, targets)
        restored = _dump_and_load(reg, tmp_path / "reg.bin", how)
        assert_array_equal(restored.predict(X), reg.predict(X))
        assert restored.predict(X).shape == targets.shape
        assert_same_weights(restored, reg)
        assert restored.score(X, targets) == reg.score(X, targets)


# ---------------------------------------------------------------- integration
@pytest.mark.parametrize("solver", SOLVERS)
def test_pipeline_and_grid_search(split, solver):
    X_train, X_test, y_train, y_test = split
    X_train, X_test = 10.0 * X_train + 3.0, 10.0 * X_test + 3.0  # the scaler's job
    pipe = make_pipeline(StandardScaler(), make_reg(solver, max_iter=20))
    assert pipe.fit(X_train, y_train).score(X_test, y_test) > 0.8
    search = GridSearchCV(
        pipe,
        {"scratchmlpregressor__hidden_layer_sizes": [(4,), (16,)]},
        cv=2,
    ).fit(X_train, y_train)
    assert len(search.cv_results_["mean_test_score"]) == 2
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_["scratchmlpregressor__hidden_layer_sizes"] in [
        (4,),
        (16,),
    ]
    assert search.score(X_test, y_test) == pytest.approx(
        r2_score(y_test, search.predict(X_test)), rel=1e-12
    )
    assert search.score(X_test, y_test) > 0.8


# ---------------------------------------------------------------- dtypes
@pytest.mark.parametrize("solver", SOLVERS)
def test_float32_input_gives_float32_model(regression, solver):
    X, y = regression
    reg = make_reg(solver).fit(X.astype(np.float32), y)
    assert all(W.dtype == np.float32 for W in reg.coefs_)
    assert all(b.dtype == np.float32 for b in reg.intercepts_)
    prediction = reg.predict(X.astype(np.float32))
    assert prediction.dtype == np.float32
    assert np.isfinite(prediction).all()
    assert reg.score(X, y) > 0.9


@pytest.mark.parametrize("solver", SOLVERS)
def test_float64_input_gives_float64_model(regression, solver):
    X, y = regression
    reg = make_reg(solver).fit(X, y.astype(np.float32))
    assert all(W.dtype == np.float64 for W in reg.coefs_)
    assert reg.predict(X).dtype == np.float64


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("solver", SOLVERS)
def test_non_finite_y_raises(regression, solver, bad):
    X, y = regression
    y = y.copy()
    y[7] = bad
    with pytest.raises(ValueError, match=r"y contains (NaN|infinity)"):
        make_reg(solver).fit(X, y)


@pytest.mark.parametrize("solver", SOLVERS)
def test_string_y_raises(regression, solver):
    X, _ = regression
    y = np.array(["low", "high"] * (X.shape[0] // 2))
    with pytest.raises(ValueError, match="numeric"):
        make_reg(solver).fit(X, y)


def test_y_of_wrong_length_raises(regression):
    X, y = regression
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        make_reg().fit(X, y[:-1])


@pytest.mark.parametrize("solver", SOLVERS)
def test_predict_with_wrong_feature_count_raises(regression, solver):
    X, y = regression
    reg = make_reg(solver).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        reg.predict(X[:, :3])
    with pytest.raises(ValueError, match="features"):
        reg.predict(np.hstack([X, X]))


# ---------------------------------------------------------------- lbfgs objective
OUTPUT_LAYERS = {
    "regression": nn.Identity,  # squared error
    "multiclass": nn.SoftMax,  # categorical cross-entropy (fused)
    "multilabel": nn.Sigmoid,  # binary cross-entropy (fused)
}


def _network(task, l1=0.01, l2=0.02, seed=0):
    """A float64 core Model for ``task``, with L1/L2 on every dense layer."""
    n_outputs = 3
    model = nn.Model()
    model.add(nn.HiddenLayer(4, 6, l1, l2, random_state=seed, dtype=np.float64))
    model.add(nn.Tanh())
    model.add(nn.HiddenLayer(6, 5, l1, l2, random_state=seed + 1, dtype=np.float64))
    model.add(nn.ReLU())
    model.add(
        nn.HiddenLayer(5, n_outputs, l1, l2, random_state=seed + 2, dtype=np.float64)
    )
    model.add(OUTPUT_LAYERS[task]())
    model.wrap()
    for layer in model.trainable_layers:
        # |W| is not differentiable at 0: keep every weight well away from it.
        layer.weights[...] = np.where(layer.weights >= 0, 1.0, -1.0) * np.maximum(
            np.abs(layer.weights), 0.05
        )
        layer.biases[...] = np.linspace(-0.3, 0.3, layer.biases.size)
    return model


def _targets(task, n_samples, rng):
    if task == "regression":
        return rng.normal(size=(n_samples, 3))
    if task == "multiclass":
        return rng.integers(0, 3, size=n_samples)
    return rng.integers(0, 2, size=(n_samples, 3)).astype(np.float64)


def _relu_inputs(model, X):
    """The pre-activations every ReLU layer sees for ``X``."""
    inputs, A = [], X
    for layer in model.layers:
        if isinstance(layer, nn.ReLU):
            inputs.append(A)
        A = layer.forward(A, training=False)
    return inputs


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("task", ["regression", "multiclass", "multilabel"])
def test_flat_gradient_matches_central_differences(task, weighted):
    rng = np.random.default_rng(42)
    X = rng.normal(size=(15, 4))
    y = _targets(task, 15, rng)
    sample_weight = rng.uniform(0.2, 3.0, size=15) if weighted else None
    if weighted:
        sample_weight[[2, 9]] = 0.0
    model = _network(task)
    theta = model.flat_parameters()
    assert theta.dtype == np.float64
    assert theta.size == 4 * 6 + 6 + 6 * 5 + 5 + 5 * 3 + 3
    # A kink of ReLU within reach of a finite-difference step would spoil the check.
    assert min(np.abs(Z).min() for Z in _relu_inputs(model, X)) > 1e-3

    loss, gradient = model.flat_loss_and_gradient(theta, X, y, sample_weight)
    assert gradient.dtype == np.float64
    assert gradient.shape == theta.shape
    assert np.isfinite(loss)

    eps = 1e-5
    numeric = np.empty_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = eps
        loss_plus, _ = model.flat_loss_and_gradient(theta + step, X, y, sample_weight)
        loss_minus, _ = model.flat_loss_and_gradient(theta - step, X, y, sample_weight)
        numeric[i] = (loss_plus - loss_minus) / (2 * eps)
    assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-8)
    # The penalties are part of the objective: without them the gradient differs.
    assert (
        np.abs(gradient - _unpenalized_gradient(task, theta, X, y, sample_weight)).max()
        > 1e-3
    )


def _unpenalized_gradient(task, theta, X, y, sample_weight):
    model = _network(task, l1=0.0, l2=0.0)
    return model.flat_loss_and_gradient(theta, X, y, sample_weight)[1]


@pytest.mark.parametrize("task", ["regression", "multiclass", "multilabel"])
def test_flat_loss_is_weighted_mean_loss_plus_penalty(task):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(10, 4))
    y = _targets(task, 10, rng)
    sample_weight = rng.integers(0, 4, size=10)
    model = _network(task)
    theta = model.flat_parameters()
    loss, _ = model.flat_loss_and_gradient(theta, X, y, sample_weight)
    # Integer weights are repeated rows.
    repeated_loss, _ = model.flat_loss_and_gradient(
        theta,
        np.repeat(X, sample_weight, axis=0),
        np.repeat(y, sample_weight, axis=0),
    )
    assert loss == pytest.approx(repeated_loss, rel=1e-12)
    penalty = sum(
        0.01 * np.abs(layer.weights).sum() + 0.02 * (layer.weights**2).sum()
        for layer in model.trainable_layers
    )
    unpenalized = _network(task, l1=0.0, l2=0.0)
    data_loss, _ = unpenalized.flat_loss_and_gradient(theta, X, y, sample_weight)
    assert loss == pytest.approx(data_loss + penalty, rel=1e-12)


def test_flat_parameters_round_trip():
    model = _network("regression")
    params = model.parameters()
    theta = model.flat_parameters()
    expected = np.concatenate([p.ravel() for p in params])
    assert_array_equal(theta, expected)
    assert theta.size == sum(p.size for p in params)
    new_theta = np.random.default_rng(0).normal(size=theta.size)
    model.set_flat_parameters(new_theta)
    assert_array_equal(model.flat_parameters(), new_theta)
    # Written in place: the arrays the optimizer (and coefs_) hold see the values.
    for before, after in zip(params, model.parameters(), strict=True):
        assert before is after
    assert_array_equal(params[0].ravel(), new_theta[: params[0].size])
    # flat_parameters returns a copy: changing it leaves the model alone.
    copy_ = model.flat_parameters()
    copy_[:] = 0.0
    assert_array_equal(model.flat_parameters(), new_theta)


@pytest.mark.parametrize("delta", [-1, 1, -7])
def test_set_flat_parameters_wrong_length_raises(delta):
    model = _network("regression")
    theta = model.flat_parameters()
    wrong = np.ones(theta.size + delta)
    with pytest.raises(ValueError, match="theta"):
        model.set_flat_parameters(wrong)


@pytest.mark.parametrize("delta", [-1, 1, -7])
def test_set_flat_parameters_wrong_length_leaves_parameters_unchanged(delta):
    # Fail fast: a rejected vector must not have been half written.
    model = _network("regression")
    theta = model.flat_parameters()
    with pytest.raises(ValueError):
        model.set_flat_parameters(np.ones(theta.size + delta))
    assert_array_equal(model.flat_parameters(), theta)
