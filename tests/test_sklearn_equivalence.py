"""Same start, same batches, same steps: our estimators follow scikit-learn's MLP.

scikit-learn's MLPClassifier and MLPRegressor implement the same mathematics
(forward pass, fused output gradient, L2 penalty, SGD with classical momentum,
Adam).  Started from the same weights, fed the same minibatches in the same
order (``shuffle=False``) with the same hyperparameters, both estimators must
end a few epochs later at the same weights, up to floating-point rounding.
This checks the algorithms against each other directly, without the
seed-to-seed noise that limits the accuracy comparisons in ``benchmarks/``.

The regressor standardizes its targets internally (see the user guide), so
scikit-learn is given the targets standardized the same way.
"""

from itertools import pairwise

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import (
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N_SAMPLES, BATCH, EPOCHS, ALPHA = 256, 32, 5, 1e-3  # every minibatch is full
HIDDEN = (16, 8)


def settings(solver, n_samples=N_SAMPLES, nesterov=False, alpha=ALPHA):
    """Matching (ours, scikit-learn's) constructor arguments for ``solver``."""
    learning_rate = 0.05 if solver == "sgd" else 0.01
    batch = n_samples if solver == "lbfgs" else BATCH  # lbfgs: the full batch
    common = {
        "hidden_layer_sizes": HIDDEN,
        "activation": "relu",
        "solver": solver,
        "batch_size": BATCH,
        "momentum": 0.9,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-8,
        "shuffle": False,
        "tol": 0.0,
        "n_iter_no_change": np.inf,
        "warm_start": True,
        "random_state": 0,
    }
    ours = {
        **common,
        "learning_rate": learning_rate,
        "nesterov": nesterov,
        # scikit-learn adds alpha * W / batch to the gradient: l2 * sum(W²)
        # with l2 = alpha / (2 * batch) has that gradient.
        "l2": alpha / (2 * batch),
        "dtype": "float64",
    }
    theirs = {
        **common,
        "learning_rate": "constant",
        "learning_rate_init": learning_rate,
        "nesterovs_momentum": nesterov,
        "alpha": alpha,
    }
    return ours, theirs


def glorot_weights(sizes, seed=42):
    """Initial weights and biases, uniform within +-sqrt(6 / (fan_in + fan_out))."""
    rng = np.random.default_rng(seed)
    coefs, intercepts = [], []
    for n_in, n_out in pairwise(sizes):
        limit = np.sqrt(6.0 / (n_in + n_out))
        coefs.append(rng.uniform(-limit, limit, (n_in, n_out)))
        intercepts.append(rng.uniform(-limit, limit, n_out))
    return coefs, intercepts


def train_from(estimator, start, X, y, sample_weight=None):
    """Set up ``estimator`` with one epoch, reset it to ``start``, train EPOCHS.

    Both libraries build their fitted attributes on the first fit and, with
    ``warm_start=True``, the next ``fit`` continues from the current weights
    with a fresh optimizer (zero velocity or moments).
    """
    estimator.set_params(max_iter=1).fit(X, y, sample_weight=sample_weight)
    for current, initial in zip(
        estimator.coefs_ + estimator.intercepts_,
        start[0] + start[1],
        strict=True,
    ):
        assert current.shape == initial.shape
        current[...] = initial  # in place: the arrays are the network's own
    estimator.set_params(max_iter=EPOCHS).fit(X, y, sample_weight=sample_weight)
    return estimator


def classification_data(task):
    """Standardized features and labels for 'binary', 'multiclass', 'multilabel'."""
    if task == "multilabel":
        X, y = make_multilabel_classification(
            n_samples=N_SAMPLES, n_features=6, n_classes=3, random_state=0
        )
    else:
        X, y = make_classification(
            n_samples=N_SAMPLES,
            n_features=6,
            n_informative=4,
            n_classes=2 if task == "binary" else 3,
            random_state=0,
        )
    return StandardScaler().fit_transform(X), y


def regression_data(n_targets):
    """Standardized features; raw targets far from mean 0 and std 1."""
    X, y = make_regression(
        n_samples=N_SAMPLES,
        n_features=6,
        n_targets=n_targets,
        noise=5.0,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), 40.0 * y + 300.0


def assert_same_network(ours, theirs):
    for W_ours, W_theirs in zip(ours.coefs_, theirs.coefs_, strict=True):
        assert_allclose(W_ours, W_theirs, rtol=1e-7, atol=1e-9)
    for b_ours, b_theirs in zip(ours.intercepts_, theirs.intercepts_, strict=True):
        assert_allclose(b_ours, b_theirs, rtol=1e-7, atol=1e-9)


def train_both(ours, theirs, case, X, y, n_outputs, y_theirs=None):
    """Train ``ours`` and ``theirs`` from one start; check they moved alike."""
    solver, nesterov = case
    start = glorot_weights([X.shape[1], *HIDDEN, n_outputs])
    ours_params, theirs_params = settings(solver, nesterov=nesterov)
    ours = train_from(ours(**ours_params), start, X, y)
    theirs = train_from(
        theirs(**theirs_params), start, X, y if y_theirs is None else y_theirs
    )
    # the runs moved away from the start, and by a lot more than the tolerance
    assert np.abs(theirs.coefs_[0] - start[0][0]).max() > 1e-2
    assert_same_network(ours, theirs)
    return ours, theirs


SOLVER_CASES = {
    "sgd": ("sgd", False),
    "sgd-nesterov": ("sgd", True),
    "adam": ("adam", False),
    "lbfgs": ("lbfgs", False),
}


@pytest.mark.parametrize("case", SOLVER_CASES.values(), ids=SOLVER_CASES.keys())
@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_classifier_follows_sklearn(case, task):
    X, y = classification_data(task)
    n_outputs = 1 if task == "binary" else 3
    ours, theirs = train_both(
        ScratchMLPClassifier, MLPClassifier, case, X, y, n_outputs
    )
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-9)


# scikit-learn's lbfgs line-searches on a loss that does not match its gradient
# when there are several targets (scikit-learn issue #8349), so with lbfgs only
# one target can follow the same path.
REGRESSION_CASES = [
    pytest.param(case, n_targets, id=f"{name}-{n_targets}")
    for name, case in SOLVER_CASES.items()
    for n_targets in (1, 2)
    if not (name == "lbfgs" and n_targets > 1)
]


@pytest.mark.parametrize("case, n_targets", REGRESSION_CASES)
def test_regressor_follows_sklearn_on_standardized_targets(case, n_targets):
    X, y = regression_data(n_targets)
    standardized = (y - y.mean(axis=0)) / y.std(axis=0)
    ours, theirs = train_both(
        ScratchMLPRegressor, MLPRegressor, case, X, y, n_targets, standardized
    )
    expected = theirs.predict(X) * y.std(axis=0) + y.mean(axis=0)
    assert_allclose(ours.predict(X), expected, rtol=1e-9)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("estimators", ["classifier", "regressor"])
def test_sample_weight_follows_sklearn(solver, estimators):
    X, y = make_regression(n_samples=N_SAMPLES, n_features=6, noise=5.0, random_state=1)
    X = StandardScaler().fit_transform(X)
    weights = np.random.default_rng(0).uniform(0.1, 3.0, N_SAMPLES)
    # No penalty: with sample weights scikit-learn divides the L2 gradient by the
    # batch's sum of weights, ours by its size (so that scaling all weights
    # changes nothing); the data terms are the same weighted means.
    ours_params, theirs_params = settings(solver, alpha=0.0)
    if estimators == "classifier":
        y = (y > np.median(y)).astype(int)
        ours, theirs, y_theirs = ScratchMLPClassifier, MLPClassifier, y
    else:
        ours, theirs = ScratchMLPRegressor, MLPRegressor
        mean = np.average(y, weights=weights)
        std = np.sqrt(np.average((y - mean) ** 2, weights=weights))
        y_theirs = (y - mean) / std  # standardized as ours does, with the weights
    start = glorot_weights([X.shape[1], *HIDDEN, 1])
    assert_same_network(
        train_from(ours(**ours_params), start, X, y, weights),
        train_from(theirs(**theirs_params), start, X, y_theirs, weights),
    )


# -- the same random_state: the same start and the same minibatches -------------
#
# The estimators draw the initial weights (W then b, layer by layer) and every
# epoch's shuffle from one RandomState, in scikit-learn's order.  Given the same
# random_state they train the same network as scikit-learn's MLP: no weights are
# copied over and the rows are shuffled.  ``N_SAMPLES`` is a multiple of
# ``BATCH``, so the L2 term is the same on every minibatch.

SAME_SEED_CASES = ["sgd", "adam", "lbfgs"]


def same_seed_settings(solver, alpha=ALPHA):
    ours, theirs = settings(solver, alpha=alpha)
    for params in (ours, theirs):
        params.update(shuffle=True, warm_start=False, max_iter=EPOCHS, random_state=7)
    return ours, theirs


@pytest.mark.parametrize("solver", SAME_SEED_CASES)
@pytest.mark.parametrize("activation", ["relu", "logistic", "tanh"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
def test_same_random_state_trains_sklearns_classifier(solver, activation, task):
    X, y = classification_data(task)
    ours_params, theirs_params = same_seed_settings(solver)
    ours_params["activation"] = theirs_params["activation"] = activation
    ours = ScratchMLPClassifier(**ours_params).fit(X, y)
    theirs = MLPClassifier(**theirs_params).fit(X, y)
    assert_same_network(ours, theirs)
    assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-9)


@pytest.mark.parametrize(
    "solver, n_targets",
    # not lbfgs with several targets: see REGRESSION_CASES
    [(s, n) for s in SAME_SEED_CASES for n in (1, 2) if (s, n) != ("lbfgs", 2)],
)
def test_same_random_state_trains_sklearns_regressor(solver, n_targets):
    X, y = regression_data(n_targets)
    ours_params, theirs_params = same_seed_settings(solver)
    ours = ScratchMLPRegressor(**ours_params).fit(X, y)
    # scikit-learn on the targets ours trains on (standardized), and its
    # predictions mapped back: TransformedTargetRegressor with a StandardScaler
    theirs = TransformedTargetRegressor(
        MLPRegressor(**theirs_params), transformer=StandardScaler()
    ).fit(X, y)
    assert_same_network(ours, theirs.regressor_)
    assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-9)


@pytest.mark.parametrize("n_targets", [1, 3])
def test_training_loss_convergence_stops_where_sklearn_does(n_targets):
    # ``tol`` applies to scikit-learn's loss, the mean over the targets, where
    # ours sums them.  (Exact without a penalty, which is not divided.)
    X, y = regression_data(n_targets)
    ours_params, theirs_params = same_seed_settings("sgd", alpha=0.0)
    for params in (ours_params, theirs_params):
        params.update(max_iter=300, tol=1e-3, n_iter_no_change=3)
    ours = ScratchMLPRegressor(**ours_params).fit(X, y)
    theirs = TransformedTargetRegressor(
        MLPRegressor(**theirs_params), transformer=StandardScaler()
    ).fit(X, y)
    assert ours.stop_reason_ == "converged"
    assert ours.n_iter_ == theirs.regressor_.n_iter_ < 300
    assert_allclose(
        np.array(ours.loss_curve_) / n_targets, theirs.regressor_.loss_curve_
    )
    assert_same_network(ours, theirs.regressor_)


# Early stopping draws the hold-out from the same stream, right after the
# initial weights, as scikit-learn does, and keeps the best epoch's weights.
# Multiclass differs on purpose: scikit-learn stratifies the hold-out only when
# its one-hot targets have one column (binary), ours for every single-label
# problem, as scikit-learn's pull request #13164 meant to.
@pytest.mark.parametrize("estimators", ["binary", "regressor"])
def test_same_random_state_early_stopping_matches_sklearn(estimators):
    # No penalty: the hold-out leaves a partial last minibatch (see settings).
    ours_params, theirs_params = same_seed_settings("sgd", alpha=0.0)
    for params in (ours_params, theirs_params):
        params.update(early_stopping=True, max_iter=200, tol=1e-4, n_iter_no_change=5)
    if estimators == "binary":
        X, y = classification_data("binary")
        ours = ScratchMLPClassifier(**ours_params).fit(X, y)
        theirs = MLPClassifier(**theirs_params).fit(X, y)
    else:
        X, y = regression_data(1)
        ours = ScratchMLPRegressor(**ours_params).fit(X, y)
        theirs = TransformedTargetRegressor(
            MLPRegressor(**theirs_params), transformer=StandardScaler()
        ).fit(X, y)
        theirs = theirs.regressor_
    assert ours.n_iter_ == theirs.n_iter_ < 200  # stopped early, at the same epoch
    assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=1e-9)
    assert_same_network(ours, theirs)
