"""Behaviour and integration tests of ScratchMLPClassifier.

Each test checks one behaviour of the public estimator (section 1 of the API
contract) on small data sets and small networks, so the module runs in seconds.
"""

import copy
import io
import pickle
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import minimize
from scipy.stats import loguniform
from sklearn.base import clone
from sklearn.callback import ProgressBar, ScoringMonitor
from sklearn.datasets import (
    load_iris,
    make_blobs,
    make_classification,
    make_multilabel_classification,
)
from sklearn.exceptions import (
    ConvergenceWarning,
    DataConversionWarning,
    NotFittedError,
)
from sklearn.metrics import f1_score, log_loss, recall_score
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    cross_val_score,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPClassifier, _base, nn
from sknn_scratch._progress import EpochProgress

# Most fits stop at a small max_iter on purpose; the tests about stopping turn
# ConvergenceWarning back on (pytest.warns) or into an error where it must not occur.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SOLVERS = ["sgd", "adam", "lbfgs"]
STOCHASTIC_SOLVERS = ["sgd", "adam"]
LEARNING_RATES = {"sgd": 0.05, "adam": 0.01, "lbfgs": 0.01}


def make_clf(solver="sgd", **params):
    """A small, seeded classifier; ``params`` override the defaults."""
    defaults = {
        "hidden_layer_sizes": (16,),
        "learning_rate": LEARNING_RATES.get(solver, 0.01),
        "batch_size": 32,
        "max_iter": 30,
        "random_state": 0,
    }
    return ScratchMLPClassifier(solver=solver, **{**defaults, **params})


def assert_same_weights(a, b):
    assert len(a.coefs_) == len(b.coefs_)
    for W_a, W_b in zip(a.coefs_, b.coefs_, strict=True):
        assert_array_equal(W_a, W_b)
    for b_a, b_b in zip(a.intercepts_, b.intercepts_, strict=True):
        assert_array_equal(b_a, b_b)


def assert_close_weights(a, b, rtol=1e-6, atol=1e-9):
    for W_a, W_b in zip(a.coefs_, b.coefs_, strict=True):
        assert_allclose(W_a, W_b, rtol=rtol, atol=atol)
    for b_a, b_b in zip(a.intercepts_, b.intercepts_, strict=True):
        assert_allclose(b_a, b_b, rtol=rtol, atol=atol)


def weights_differ(a, b):
    return any(
        not np.array_equal(W_a, W_b)
        for W_a, W_b in zip(a.coefs_, b.coefs_, strict=True)
    )


class StopAfter:
    """A callback that asks to stop once ``n_epochs`` epochs have ended."""

    def __init__(self, n_epochs):
        self.n_epochs = n_epochs
        self.n_setup = self.n_teardown = self.n_ended = 0

    def setup(self, estimator, context):
        self.n_setup += 1

    def teardown(self, estimator, context):
        self.n_teardown += 1

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        if context.parent is None:  # the end of the whole fit, not of an epoch
            return False
        self.n_ended += 1
        return self.n_ended >= self.n_epochs


class InterruptAt(StopAfter):
    """A callback that raises KeyboardInterrupt once ``n_epochs`` epochs have ended."""

    def on_fit_task_end(self, estimator, context):
        if super().on_fit_task_end(estimator, context):
            raise KeyboardInterrupt
        return False


# ---------------------------------------------------------------- data
@pytest.fixture(scope="module")
def iris_raw():
    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def iris(iris_raw):
    X, y = iris_raw
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(
        n_samples=200, n_features=6, n_informative=4, random_state=0
    )
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def imbalanced():
    """A 90/10 binary problem, split into (X_train, X_test, y_train, y_test)."""
    X, y = make_classification(
        n_samples=400,
        n_features=8,
        n_informative=4,
        weights=[0.9, 0.1],
        class_sep=0.5,
        flip_y=0,
        random_state=0,
    )
    return train_test_split(X, y, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def multilabel():
    X, Y = make_multilabel_classification(
        n_samples=150, n_features=6, n_classes=3, random_state=0
    )
    return StandardScaler().fit_transform(X), Y


# ---------------------------------------------------------------- integration
@pytest.mark.parametrize("solver", SOLVERS)
def test_pipeline_fit_predict_score(iris_raw, solver):
    X, y = iris_raw
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, stratify=y, random_state=0
    )
    pipe = make_pipeline(StandardScaler(), make_clf(solver))
    pipe.fit(X_train, y_train)
    assert pipe.predict(X_test).shape == y_test.shape
    assert_array_equal(pipe.classes_, [0, 1, 2])
    assert pipe.score(X_test, y_test) > 0.85


@pytest.mark.parametrize(
    "param_grid",
    [
        {"hidden_layer_sizes": [(4,), (8,)], "l1": [0.0, 1e-3]},
        {"l2": [0.0, 1e-3], "learning_rate": [0.01, 0.05]},
        {"decay": [0.0, 1e-2], "momentum": [0.5, 0.9]},
    ],
)
def test_grid_search_over_training_parameters(iris, param_grid):
    X, y = iris
    search = GridSearchCV(
        make_clf(max_iter=20), param_grid, cv=2, n_jobs=2, error_score="raise"
    )
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_
    for name, value in search.best_params_.items():
        assert value in param_grid[name]
        assert best.get_params()[name] == value
    assert best.n_iter_ == 20
    assert search.best_score_ > 0.7


def test_randomized_search(iris):
    X, y = iris
    distributions = {
        "learning_rate": loguniform(1e-3, 1e-1),
        "l2": loguniform(1e-6, 1e-2),
    }
    search = RandomizedSearchCV(
        make_clf(max_iter=20),
        distributions,
        n_iter=3,
        cv=2,
        random_state=0,
        error_score="raise",
    )
    search.fit(X, y)
    learning_rates = [p["learning_rate"] for p in search.cv_results_["params"]]
    assert len(set(learning_rates)) == 3
    assert all(1e-3 <= lr <= 1e-1 for lr in learning_rates)
    assert search.best_estimator_.learning_rate == search.best_params_["learning_rate"]
    assert search.best_estimator_.l2 == search.best_params_["l2"]
    assert search.best_score_ > 0.6


def test_cross_val_score(iris):
    X, y = iris
    scores = cross_val_score(make_clf(), X, y, cv=3)
    assert scores.shape == (3,)
    assert scores.mean() > 0.85


@pytest.mark.parametrize("fitted", [False, True])
def test_clone_is_unfitted_with_same_params(iris, fitted):
    X, y = iris
    clf = make_clf(l2=1e-4, dropout=0.1, class_weight="balanced")
    if fitted:
        clf.fit(X, y)
    cloned = clone(clf)
    assert cloned is not clf
    assert cloned.get_params() == clf.get_params()
    assert not hasattr(cloned, "coefs_")
    with pytest.raises(NotFittedError):
        cloned.predict(X)


# ---------------------------------------------------------------- persistence
def _dump_and_load(clf, path, how):
    if how == "joblib":
        joblib.dump(clf, path)
        return joblib.load(path)
    with open(path, "wb") as f:
        pickle.dump(clf, f)
    with open(path, "rb") as f:
        return pickle.load(f)


@pytest.mark.parametrize("how", ["joblib", "pickle"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_persistence_round_trip_predicts_identically(iris, tmp_path, how, solver):
    X, y = iris
    clf = make_clf(solver).fit(X, y)
    restored = _dump_and_load(clf, tmp_path / "clf.bin", how)
    assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert_array_equal(restored.predict(X), clf.predict(X))
    assert_same_weights(restored, clf)


@pytest.mark.parametrize("how", ["joblib", "pickle"])
@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_persisted_model_continues_partial_fit(iris, tmp_path, how, solver):
    X, y = iris
    clf = make_clf(solver, dropout=0.2)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    clf.partial_fit(X, y)
    restored = _dump_and_load(clf, tmp_path / "clf.bin", how)
    before = copy.deepcopy(clf)
    clf.partial_fit(X, y)
    restored.partial_fit(X, y)
    # The restored copy carries the weights, optimizer state and random stream.
    assert weights_differ(restored, before)
    assert_same_weights(restored, clf)
    assert restored.n_iter_ == clf.n_iter_ == 3


# ---------------------------------------------------------------- reproducibility
@pytest.mark.parametrize("solver", SOLVERS)
def test_same_random_state_gives_identical_fits(binary, solver):
    X, y = binary
    dropout = 0.0 if solver == "lbfgs" else 0.2
    params = {"shuffle": True, "dropout": dropout, "early_stopping": True}
    first = make_clf(solver, **params).fit(X, y)
    second = make_clf(solver, **params).fit(X, y)
    assert_same_weights(first, second)
    assert first.loss_curve_ == second.loss_curve_
    assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    assert_array_equal(first.predict(X), second.predict(X))


@pytest.mark.parametrize("solver", SOLVERS)
def test_different_random_state_gives_different_weights(binary, solver):
    X, y = binary
    first = make_clf(solver, random_state=0).fit(X, y)
    second = make_clf(solver, random_state=1).fit(X, y)
    assert weights_differ(first, second)


# ---------------------------------------------------------------- partial_fit
@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_partial_fit_streaming_reaches_good_accuracy(binary, solver):
    X, y = binary
    clf = make_clf(solver)
    for _ in range(10):
        for chunk in np.array_split(np.arange(len(y)), 4):
            clf.partial_fit(X[chunk], y[chunk], classes=[0, 1])
    assert clf.n_iter_ == 40
    assert clf.score(X, y) > 0.85


def test_partial_fit_requires_classes_on_first_call(binary):
    X, y = binary
    with pytest.raises(ValueError, match="classes"):
        make_clf().partial_fit(X, y)


def test_partial_fit_rejects_other_classes_later(binary):
    X, y = binary
    clf = make_clf().partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y, classes=[0, 1, 2])


def _spy_on_orders(monkeypatch):
    """Record the row order of every epoch the estimators run."""
    orders = []
    train_epoch = nn.Model.train_epoch

    def spy(self, X, y, **kwargs):
        orders.append(kwargs["order"].copy())
        return train_epoch(self, X, y, **kwargs)

    monkeypatch.setattr(nn.Model, "train_epoch", spy)
    return orders


def test_fit_shuffles_like_sklearn(iris, monkeypatch):
    # scikit-learn shuffles the previous epoch's order, with permutations drawn
    # from one RandomState right after the initial weights.
    X, y = iris
    orders = _spy_on_orders(monkeypatch)
    clf = make_clf(shuffle=True, max_iter=3, random_state=5).fit(X, y)
    stream = np.random.RandomState(5)
    for W, b in zip(clf.coefs_, clf.intercepts_, strict=True):
        stream.uniform(size=W.shape)  # the initial weights and biases
        stream.uniform(size=b.shape)
    expected = np.arange(len(y))
    assert len(orders) == 3
    for order in orders:
        expected = expected[stream.permutation(len(y))]
        assert_array_equal(order, expected)


def test_partial_fit_draws_a_new_order_every_call(iris, monkeypatch):
    # Each call shuffles its own rows; the stream continues from one call to
    # the next (scikit-learn reseeds it at every call and repeats the order).
    X, y = iris
    orders = _spy_on_orders(monkeypatch)
    clf = make_clf(shuffle=True, random_state=5)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    clf.partial_fit(X, y)
    assert len(orders) == 2
    for order in orders:
        assert_array_equal(np.sort(order), np.arange(len(y)))
    assert not np.array_equal(orders[0], orders[1])


def test_partial_fit_not_available_for_lbfgs():
    clf = make_clf("lbfgs")
    assert not hasattr(clf, "partial_fit")
    assert hasattr(make_clf("sgd"), "partial_fit")


# ---------------------------------------------------------------- sample_weight
@pytest.mark.parametrize("solver", SOLVERS)
def test_zero_sample_weight_equals_dropping_rows(iris, solver):
    X, y = iris
    sample_weight = np.ones(len(y))
    sample_weight[::3] = 0
    kept = sample_weight > 0
    params = {"batch_size": 1000, "shuffle": False, "max_iter": 20}
    weighted = make_clf(solver, **params).fit(X, y, sample_weight=sample_weight)
    dropped = make_clf(solver, **params).fit(X[kept], y[kept])
    assert weighted.n_iter_ == dropped.n_iter_
    assert_close_weights(weighted, dropped)


@pytest.mark.parametrize("solver", SOLVERS)
def test_integer_sample_weight_equals_repeated_rows(iris, solver):
    X, y = iris
    sample_weight = np.random.default_rng(0).integers(0, 4, size=len(y))
    params = {"batch_size": 1000, "shuffle": False, "max_iter": 20}
    weighted = make_clf(solver, **params).fit(X, y, sample_weight=sample_weight)
    repeated = make_clf(solver, **params).fit(
        np.repeat(X, sample_weight, axis=0), np.repeat(y, sample_weight)
    )
    assert weighted.n_iter_ == repeated.n_iter_
    assert_close_weights(weighted, repeated)


# ---------------------------------------------------------------- input types
@pytest.mark.parametrize("sparse_format", ["csr", "csc"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_sparse_input_fits_like_dense(iris, sparse_format, solver):
    X, y = iris
    X = np.where(np.abs(X) < 0.5, 0.0, X)  # make it actually sparse
    X_sparse = sp.csr_matrix(X).asformat(sparse_format)
    dense = make_clf(solver, shuffle=True).fit(X, y)
    sparse = make_clf(solver, shuffle=True).fit(X_sparse, y)
    assert_close_weights(sparse, dense)
    assert_array_equal(sparse.predict(X_sparse), dense.predict(X))
    assert_allclose(dense.predict_proba(X_sparse), dense.predict_proba(X), rtol=1e-10)


def test_dataframe_input_sets_feature_names(iris):
    X, y = iris
    columns = ["sepal_l", "sepal_w", "petal_l", "petal_w"]
    clf = make_clf().fit(pd.DataFrame(X, columns=columns), y)
    assert_array_equal(clf.feature_names_in_, columns)
    assert clf.n_features_in_ == 4
    reference = make_clf().fit(X, y)
    assert_array_equal(
        clf.predict_proba(pd.DataFrame(X, columns=columns)), reference.predict_proba(X)
    )


def test_array_input_sets_no_feature_names(iris):
    X, y = iris
    clf = make_clf().fit(X, y)
    assert not hasattr(clf, "feature_names_in_")


def test_predict_with_renamed_columns_raises(iris):
    X, y = iris
    clf = make_clf().fit(pd.DataFrame(X, columns=["a", "b", "c", "d"]), y)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(pd.DataFrame(X, columns=["a", "b", "c", "z"]))


def test_predict_with_array_after_dataframe_fit_warns(iris):
    X, y = iris
    clf = make_clf().fit(pd.DataFrame(X, columns=["a", "b", "c", "d"]), y)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        clf.predict(X)


def test_predict_with_dataframe_after_array_fit_warns(iris):
    X, y = iris
    clf = make_clf().fit(X, y)
    with pytest.warns(UserWarning, match="fitted without feature names"):
        clf.predict(pd.DataFrame(X, columns=["a", "b", "c", "d"]))


# ---------------------------------------------------------------- targets
@pytest.mark.parametrize("solver", SOLVERS)
def test_binary_target_has_one_logistic_output(binary, solver):
    X, y = binary
    clf = make_clf(solver).fit(X, y)
    assert clf.out_activation_ == "logistic"
    assert clf.n_outputs_ == 1
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), 2)
    assert_allclose(proba.sum(axis=1), 1.0)
    decision = clf.decision_function(X)
    assert decision.shape == (len(y),)
    assert_allclose(proba[:, 1], 1 / (1 + np.exp(-decision)), rtol=1e-6)
    assert_array_equal(clf.predict(X), clf.classes_[(decision > 0).astype(int)])
    assert clf.score(X, y) > 0.85


@pytest.mark.parametrize("solver", SOLVERS)
def test_multiclass_target_has_softmax_output(iris, solver):
    X, y = iris
    clf = make_clf(solver).fit(X, y)
    assert clf.out_activation_ == "softmax"
    assert clf.n_outputs_ == 3
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    assert_allclose(proba.sum(axis=1), 1.0)
    decision = clf.decision_function(X)
    assert decision.shape == (150, 3)
    assert_array_equal(np.argmax(decision, axis=1), np.argmax(proba, axis=1))
    assert_array_equal(clf.predict(X), clf.classes_[np.argmax(proba, axis=1)])
    assert clf.score(X, y) > 0.9


@pytest.mark.parametrize("solver", SOLVERS)
def test_multilabel_target_gives_indicator_predictions(multilabel, solver):
    X, Y = multilabel
    clf = make_clf(solver).fit(X, Y)
    assert clf.out_activation_ == "logistic"
    assert clf.n_outputs_ == 3
    assert_array_equal(clf.classes_, [0, 1, 2])
    predicted = clf.predict(X)
    assert predicted.shape == Y.shape
    assert set(np.unique(predicted)) <= {0, 1}
    proba = clf.predict_proba(X)
    assert proba.shape == Y.shape
    assert ((proba > 0) & (proba < 1)).all()
    assert_array_equal(predicted, (proba > 0.5).astype(int))
    assert (predicted == Y).mean() > 0.75


@pytest.mark.parametrize("n_classes", [2, 3])
def test_string_labels_come_back_as_given(iris, n_classes):
    X, y = iris
    keep = y < n_classes
    names = np.array(["setosa", "versicolor", "virginica"])
    y_str = names[y[keep]]
    clf = make_clf().fit(X[keep], y_str)
    assert_array_equal(clf.classes_, names[:n_classes])
    predicted = clf.predict(X[keep])
    assert predicted.dtype == y_str.dtype
    assert set(predicted) <= set(names[:n_classes])
    assert np.mean(predicted == y_str) > 0.85


def test_mixed_type_object_labels_come_back_as_given():
    X, y = make_blobs(n_samples=150, centers=3, cluster_std=1.0, random_state=0)
    labels = np.empty(3, dtype=object)
    labels[:] = [1, "a", 2]
    y_mixed = labels[y]
    clf = make_clf().fit(X, y_mixed)
    assert sorted(map(str, clf.classes_)) == ["1", "2", "a"]
    predicted = clf.predict(X)
    assert predicted.dtype == object
    assert_array_equal(predicted, clf.classes_[clf.predict_proba(X).argmax(axis=1)])
    assert np.mean(predicted == y_mixed) > 0.9
    assert {type(v) for v in predicted[predicted == "a"]} == {str}
    assert {type(v) for v in predicted[predicted != "a"]} == {int}


def _mixed(values):
    labels = np.empty(len(values), dtype=object)
    labels[:] = values
    return labels


def test_mixed_type_labels_score_as_accuracy():
    X, y = make_blobs(n_samples=150, centers=3, cluster_std=3.0, random_state=0)
    y_mixed = _mixed([1, "a", 2])[y]
    clf = make_clf(max_iter=5).fit(X, y_mixed)
    correct = clf.predict(X) == y_mixed
    assert 0.5 < correct.mean() < 1
    assert clf.score(X, y_mixed) == pytest.approx(correct.mean())
    weights = np.linspace(0, 1, len(y))
    assert clf.score(X, y_mixed, sample_weight=weights) == pytest.approx(
        np.average(correct, weights=weights)
    )
    # A cross-validation fold may train on the integer labels only and be
    # scored on all of them.
    ints = y != 1
    partial = make_clf(max_iter=5).fit(X[ints], y_mixed[ints].astype(int))
    assert partial.score(X, y_mixed) == pytest.approx(
        np.mean(partial.predict(X) == y_mixed)
    )
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        clf.score(X, y_mixed[:10])


def test_labels_mixing_bools_and_integers_raise():
    X, y = make_blobs(n_samples=60, centers=3, random_state=0)
    with pytest.raises(ValueError, match="mixes bools and integers"):
        make_clf(max_iter=2).fit(X, _mixed([True, 1, 2])[y])
    bools = make_clf(max_iter=2).fit(X, _mixed([True, False, True])[y])
    assert bools.classes_.tolist() == [False, True]
    with_str = make_clf(max_iter=2).fit(X, _mixed([True, "a", False])[y])
    assert with_str.classes_.tolist() == [False, True, "a"]


@pytest.mark.parametrize("values", [[0, 1, 2], [True, False, True]], ids=str)
def test_labels_held_as_objects_work_like_numbers(values):
    # E.g. a pandas object column of ints: scikit-learn's metrics refuse such
    # labels, so they are taken as the numbers they are.
    X, y = make_blobs(n_samples=90, centers=3, random_state=0)
    as_objects, as_numbers = _mixed(values)[y], np.array(values)[y]
    clf = make_clf(max_iter=5).fit(X, as_objects)
    reference = make_clf(max_iter=5).fit(X, as_numbers)
    assert clf.classes_.dtype == reference.classes_.dtype
    assert_array_equal(clf.classes_, reference.classes_)
    assert_same_weights(clf, reference)
    assert clf.score(X, as_objects) == reference.score(X, as_numbers)
    params = {"max_iter": 5, "early_stopping": True, "scoring": "accuracy"}
    stopped = make_clf(**params).fit(X, as_objects)
    expected = make_clf(**params).fit(X, as_numbers).best_validation_score_
    assert stopped.best_validation_score_ == expected
    streamed = make_clf().partial_fit(X, as_objects, classes=_mixed(values))
    assert streamed.classes_.dtype == reference.classes_.dtype


def test_dict_class_weight_with_mixed_type_labels():
    X, y = make_blobs(n_samples=90, centers=3, random_state=0)
    labels = _mixed([1, "a", 2])[y]
    class_weight = {"a": 3.0, 2: 0.5}
    weighted = make_clf(max_iter=3, class_weight=class_weight).fit(X, labels)
    per_row = np.array([class_weight.get(label, 1.0) for label in labels])
    by_rows = make_clf(max_iter=3).fit(X, labels, sample_weight=per_row)
    assert_same_weights(weighted, by_rows)


def test_dict_class_weight_naming_no_class_raises(binary):
    X, y = binary
    with pytest.raises(
        ValueError, match=r"not classes: \[7\]; the classes are \[0, 1\]"
    ):
        make_clf(class_weight={0: 2.0, 7: 3.0}).fit(X, y)
    # As in scikit-learn, extra keys are fine when every class has a weight
    # (a cross-validation fold may lack a class).
    extra = make_clf(max_iter=3, class_weight={0: 2.0, 1: 1.0, 7: 3.0}).fit(X, y)
    only = make_clf(max_iter=3, class_weight={0: 2.0}).fit(X, y)
    assert_same_weights(extra, only)


# ---------------------------------------------------------------- probabilities
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_predict_log_proba_is_log_of_predict_proba(request, target):
    data = {"binary": "binary", "multiclass": "iris", "multilabel": "multilabel"}
    X, y = request.getfixturevalue(data[target])
    clf = make_clf().fit(X, y)
    assert_allclose(clf.predict_log_proba(X), np.log(clf.predict_proba(X)))


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_predict_log_proba_is_finite_for_saturated_outputs(request, target, dtype):
    data = {"binary": "binary", "multiclass": "iris", "multilabel": "multilabel"}
    X, y = request.getfixturevalue(data[target])
    clf = make_clf(dtype=dtype).fit(X, y)
    clf.coefs_[-1] *= 1e4  # huge logits: some probabilities round to 0 or 1
    clf.intercepts_[-1] *= 1e4
    proba = clf.predict_proba(X)
    assert proba.min() < 1e-30
    log_proba = clf.predict_log_proba(X)
    assert np.isfinite(log_proba).all()
    assert_allclose(np.exp(log_proba), proba, rtol=1e-5, atol=1e-30)


# ---------------------------------------------------------------- class_weight
@pytest.mark.parametrize("class_weight", ["balanced", {0: 1.0, 1: 9.0}])
@pytest.mark.parametrize("solver", SOLVERS)
def test_class_weight_raises_minority_recall(imbalanced, class_weight, solver):
    X_train, X_test, y_train, y_test = imbalanced
    # Full-batch L-BFGS separates this small training set exactly, and then the
    # class weights hardly move the solution; an L2 penalty keeps the classes
    # overlapping so that their weights matter.
    penalty = {"l2": 1e-2} if solver == "lbfgs" else {}
    plain = make_clf(solver, **penalty).fit(X_train, y_train)
    weighted = make_clf(solver, class_weight=class_weight, **penalty).fit(
        X_train, y_train
    )
    assert weights_differ(weighted, plain)
    assert recall_score(y_test, weighted.predict(X_test)) > recall_score(
        y_test, plain.predict(X_test)
    )


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_partial_fit_balanced_class_weight_comes_from_first_batch(imbalanced, solver):
    X, _, y, _ = imbalanced
    first = np.arange(100)
    # The second batch has a very different class balance from the first.
    minority = np.flatnonzero(y == 1)
    second = np.concatenate([minority[minority >= 100], np.arange(100, 140)])
    counts = np.bincount(y[first], minlength=2)
    from_first_batch = {c: len(first) / (2 * counts[c]) for c in (0, 1)}

    balanced = make_clf(solver, class_weight="balanced")
    fixed = make_clf(solver, class_weight=from_first_batch)
    for clf in (balanced, fixed):
        clf.partial_fit(X[first], y[first], classes=[0, 1])
        clf.partial_fit(X[second], y[second])
    assert_close_weights(balanced, fixed, rtol=1e-12, atol=0)


def test_sparse_multilabel_indicator_trains_as_dense(multilabel):
    X, Y = multilabel
    dense = make_clf(max_iter=5).fit(X, Y)
    sparse = make_clf(max_iter=5).fit(X, sp.csr_matrix(Y))
    assert_same_weights(sparse, dense)


def test_partial_fit_multilabel_classes_must_name_the_columns(multilabel):
    X, Y = multilabel
    with pytest.raises(ValueError, match=r"must name the 3 columns"):
        make_clf().partial_fit(X, Y, classes=["a", "b"])
    clf = make_clf().partial_fit(X, Y, classes=[0, 1, 2])
    assert_array_equal(clf.classes_, [0, 1, 2])


def test_multilabel_indicator_other_than_0_and_1_raises(multilabel):
    X, Y = multilabel
    with pytest.raises(ValueError, match="only 0 and 1; got \\[0, 2\\]"):
        make_clf().fit(X, Y * 2)


def test_dict_class_weight_with_multilabel_raises(multilabel):
    X, Y = multilabel
    with pytest.raises(ValueError, match="class_weight"):
        make_clf(class_weight={0: 1.0, 1: 2.0}).fit(X, Y)


# ---------------------------------------------------------------- stopping
@pytest.mark.parametrize("solver", SOLVERS)
def test_early_stopping_records_validation_curves(binary, solver):
    X, y = binary
    clf = make_clf(
        solver, early_stopping=True, n_iter_no_change=2, max_iter=500, tol=1e-3
    ).fit(X, y)
    assert clf.stop_reason_ == "early_stopping"
    assert clf.n_iter_ < 500
    assert len(clf.validation_scores_) == clf.n_iter_
    assert len(clf.validation_loss_curve_) == clf.n_iter_
    assert 1 <= clf.best_epoch_ <= clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.validation_scores_[clf.best_epoch_ - 1] == clf.best_validation_score_


@pytest.mark.parametrize("solver", SOLVERS)
def test_early_stopping_keeps_the_best_weights(binary, solver, monkeypatch):
    X, y = binary
    splits = []
    split = _base.train_test_split

    def spy(*arrays, **kwargs):
        splits.append(split(*arrays, **kwargs))
        return splits[-1]

    monkeypatch.setattr(_base, "train_test_split", spy)
    clf = make_clf(
        solver, early_stopping=True, n_iter_no_change=3, max_iter=200, tol=0
    ).fit(X, y)
    assert len(splits) == 1
    _, X_val, _, y_val = splits[0][:4]
    assert len(y_val) == 20
    assert clf.best_epoch_ < clf.n_iter_  # the last epoch was not the best one
    assert clf.score(X_val, y_val) == clf.best_validation_score_


@pytest.mark.parametrize("solver", SOLVERS)
def test_validation_data_is_scored_every_epoch(binary, solver):
    X, y = binary
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
    clf = make_clf(solver, n_iter_no_change=3, max_iter=200, tol=0)
    clf.fit(X_train, y_train, validation_data=(X_val, y_val))
    assert clf.stop_reason_ == "early_stopping"
    assert len(clf.validation_scores_) == clf.n_iter_
    assert len(clf.validation_loss_curve_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.score(X_val, y_val) == clf.best_validation_score_


@pytest.mark.parametrize("then", ["partial_fit", "warm_start"])
def test_unvalidated_epochs_drop_earlier_validation_curves(binary, then):
    # Validation curves cover the last epochs of loss_curve_; epochs without
    # validation after validated ones would break that, and the best validated
    # epoch would no longer be the model's.
    X, y = binary
    clf = make_clf(max_iter=3, tol=0, warm_start=then == "warm_start")
    clf.fit(X, y, validation_data=(X, y))
    assert len(clf.validation_scores_) == 3
    (clf.partial_fit if then == "partial_fit" else clf.fit)(X, y)
    assert clf.validation_scores_ is None
    assert clf.validation_loss_curve_ is None
    assert clf.best_validation_score_ is None
    assert clf.best_epoch_ == np.argmin(clf.loss_curve_) + 1
    if then == "warm_start":  # validating again starts new curves
        clf.fit(X, y, validation_data=(X, y))
        assert len(clf.validation_scores_) == 3 < clf.n_iter_


@pytest.mark.parametrize("solver", SOLVERS)
def test_tol_convergence_stops_without_warning(iris, solver):
    X, y = iris
    clf = make_clf(solver, tol=1e-2, n_iter_no_change=2, max_iter=500)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.stop_reason_ == "converged"
    assert clf.n_iter_ < 500


@pytest.mark.parametrize("solver", SOLVERS)
def test_max_iter_reached_warns(iris, solver):
    X, y = iris
    clf = make_clf(solver, tol=0, max_iter=3)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        clf.fit(X, y)
    assert clf.stop_reason_ == "max_iter"
    assert clf.n_iter_ == 3


@pytest.mark.parametrize("solver", SOLVERS)
def test_validation_scoring_by_name(imbalanced, solver):
    X_train, X_val, y_train, y_val = imbalanced
    X_train, X_val = X_train / 3, X_val / 3
    clf = make_clf(solver, scoring="f1_macro", n_iter_no_change=3, max_iter=60)
    clf.fit(X_train, y_train, validation_data=(X_val, y_val))
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == pytest.approx(
        f1_score(y_val, clf.predict(X_val), average="macro"), abs=1e-12
    )


@pytest.mark.parametrize("solver", SOLVERS)
def test_validation_scoring_by_callable(iris, solver):
    X, y = iris
    X_train, X_val, y_train, y_val = train_test_split(X, y, stratify=y, random_state=0)

    def neg_log_loss(estimator, X, y):
        return -log_loss(y, estimator.predict_proba(X), labels=estimator.classes_)

    clf = make_clf(solver, scoring=neg_log_loss, max_iter=20)
    clf.fit(X_train, y_train, validation_data=(X_val, y_val))
    assert len(clf.validation_scores_) == clf.n_iter_
    # Without penalties, the validation loss is exactly the log loss.
    assert_allclose(clf.validation_scores_, -np.asarray(clf.validation_loss_curve_))


def test_column_shaped_validation_labels_are_scored_as_labels(iris):
    # A (n, 1) y_val used to broadcast against the predictions: wrong scores.
    X, y = iris
    X_train, X_val, y_train, y_val = train_test_split(X, y, stratify=y, random_state=0)
    flat = make_clf(max_iter=5).fit(X_train, y_train, validation_data=(X_val, y_val))
    column = make_clf(max_iter=5)
    with pytest.warns(DataConversionWarning):
        column.fit(X_train, y_train, validation_data=(X_val, y_val.reshape(-1, 1)))
    assert column.validation_scores_ == flat.validation_scores_
    assert column.best_validation_score_ == column.score(X_val, y_val)


def test_validation_scoring_on_named_features_does_not_warn(iris):
    X, y = iris
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = make_clf(early_stopping=True, scoring="accuracy", max_iter=3)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", "X does not have valid feature names")
        clf.fit(frame, y)
    assert len(clf.validation_scores_) == 3


def test_validation_x_beyond_the_compute_dtype_raises(iris):
    X, y = iris
    X_val = X.copy()
    X_val[0, 0] = 1e39  # finite in float64, infinite in float32
    clf = make_clf(dtype="float32")
    with pytest.raises(ValueError, match="validation_data X_val: values beyond"):
        clf.fit(X, y, validation_data=(X_val, y))


def test_lbfgs_line_search_failure_warns_without_blaming_max_iter(iris, monkeypatch):
    X, y = iris

    def failing_search(fun, x0, **kwargs):
        result = minimize(fun, x0, **{**kwargs, "options": {"maxiter": 2}})
        result.success, result.message = False, "ABNORMAL_TERMINATION_IN_LNSRCH"
        return result

    monkeypatch.setattr(_base, "minimize", failing_search)
    with pytest.warns(ConvergenceWarning, match="line search failed") as record:
        make_clf("lbfgs", max_iter=100).fit(X, y)
    assert "max_iter" not in str(record[0].message)


# ---------------------------------------------------------------- warm_start
@pytest.mark.parametrize("solver", SOLVERS)
def test_warm_start_continues_training(iris, solver):
    X, y = iris
    clf = make_clf(solver, warm_start=True, max_iter=5, tol=0).fit(X, y)
    first_losses = list(clf.loss_curve_)
    clf.fit(X, y)
    assert clf.n_iter_ == 10
    assert len(clf.loss_curve_) == len(clf.accuracy_curve_) == 10
    assert clf.loss_curve_[:5] == first_losses
    if solver != "lbfgs":
        assert clf.t_ == 10 * len(y)


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_warm_start_starts_from_previous_weights(iris, solver):
    X, y = iris
    clf = make_clf(solver, warm_start=True, max_iter=10).fit(X, y)
    previous = copy.deepcopy(clf)
    clf.set_params(learning_rate=1e-12, max_iter=1).fit(X, y)
    assert weights_differ(clf, previous)  # it did train ...
    assert_close_weights(clf, previous, rtol=0, atol=1e-8)  # ... from there


@pytest.mark.parametrize("solver", SOLVERS)
def test_refit_without_warm_start_starts_afresh(iris, solver):
    X, y = iris
    clf = make_clf(solver, max_iter=5).fit(X, y)
    clf.fit(X, y)
    fresh = make_clf(solver, max_iter=5).fit(X, y)
    assert clf.n_iter_ == 5
    assert len(clf.loss_curve_) == 5
    assert_same_weights(clf, fresh)


# ---------------------------------------------------------------- dropout
@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_dropout_trains_and_predicts_deterministically(iris, solver):
    X, y = iris
    clf = make_clf(solver, dropout=0.3).fit(X, y)
    assert weights_differ(clf, make_clf(solver, dropout=0.0).fit(X, y))
    assert clf.score(X, y) > 0.85
    assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))
    assert_array_equal(clf.predict(X), clf.predict(X))


def test_dropout_with_lbfgs_raises_naming_both(iris):
    X, y = iris
    clf = make_clf("lbfgs", max_iter=5).fit(X, y)
    fitted = copy.deepcopy(clf)
    with pytest.raises(ValueError, match=r"dropout=0\.3 needs solver='sgd' or 'adam'"):
        clf.set_params(dropout=0.3).fit(X, y)
    assert_same_weights(clf, fitted)  # the failed fit kept the fitted model


# ---------------------------------------------------------------- dtype
@pytest.mark.parametrize(
    "X_dtype, dtype, expected",
    [
        (np.float32, None, np.float32),
        (np.float64, None, np.float64),
        (np.int64, None, np.float64),
        (np.float64, "float32", np.float32),
        (np.float32, "float64", np.float64),
    ],
)
@pytest.mark.parametrize("solver", SOLVERS)
def test_compute_dtype(iris_raw, X_dtype, dtype, expected, solver):
    X, y = iris_raw
    X = (X * 10).astype(X_dtype) if X_dtype == np.int64 else X.astype(X_dtype)
    clf = make_clf(solver, dtype=dtype, learning_rate=0.01).fit(X, y)
    assert {W.dtype for W in clf.coefs_} == {np.dtype(expected)}
    assert {b.dtype for b in clf.intercepts_} == {np.dtype(expected)}
    assert clf.predict_proba(X).dtype == expected
    assert clf.predict_log_proba(X).dtype == expected
    assert clf.decision_function(X).dtype == expected
    assert np.isfinite(clf.loss_curve_).all()


@pytest.mark.parametrize("shuffle", [True, False])
def test_float32_training_on_float64_X_converts_minibatches_not_X(shuffle):
    # Converting each minibatch as it is gathered rounds exactly as converting
    # all of X first, so the two fits agree bit for bit; but no float32 copy of
    # X is ever made.
    X, y = make_classification(n_samples=4000, n_features=100, random_state=0)
    params = dict(dtype="float32", shuffle=shuffle, max_iter=2, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = make_clf(**params).fit(X.astype(np.float32), y)
        tracemalloc.start()
        clf = make_clf(**params).fit(X, y)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    for a, b in zip(reference.coefs_, clf.coefs_, strict=True):
        assert_array_equal(a, b)
    assert peak < X.nbytes / 4  # a float32 copy of X alone is X.nbytes / 2


def test_float64_values_beyond_float32_range_raise_naming_X():
    X, y = make_classification(n_samples=50, random_state=0)
    X[3, 2] = 1e39
    with pytest.raises(ValueError, match="X: values beyond the range of float32"):
        make_clf(dtype="float32").fit(X, y)


# ---------------------------------------------------------------- architecture
@pytest.mark.parametrize("solver", SOLVERS)
def test_no_hidden_layer_is_softmax_regression(iris, solver):
    X, y = iris
    clf = make_clf(solver, hidden_layer_sizes=()).fit(X, y)
    assert clf.n_layers_ == 2
    assert [W.shape for W in clf.coefs_] == [(4, 3)]
    assert [b.shape for b in clf.intercepts_] == [(3,)]
    assert clf.score(X, y) > 0.85


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_every_activation_learns(iris, activation):
    X, y = iris
    clf = make_clf(activation=activation, hidden_layer_sizes=(8, 8)).fit(X, y)
    assert clf.n_layers_ == 4
    assert [W.shape for W in clf.coefs_] == [(4, 8), (8, 8), (8, 3)]
    assert clf.score(X, y) > 0.85


# ---------------------------------------------------------------- attributes
@pytest.mark.parametrize("solver", SOLVERS)
def test_fitted_attributes(iris, solver):
    X, y = iris
    clf = make_clf(solver, max_iter=12, tol=0).fit(X, y)
    assert clf.n_iter_ == 12
    assert len(clf.loss_curve_) == clf.n_iter_
    assert len(clf.accuracy_curve_) == clf.n_iter_
    assert len(clf.learning_rate_curve_) == clf.n_iter_
    assert all(0 <= a <= 1 for a in clf.accuracy_curve_)
    assert clf.loss_ == clf.loss_curve_[-1]
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.n_features_in_ == 4
    assert clf.n_layers_ == 3
    assert clf.n_outputs_ == 3
    assert clf.out_activation_ == "softmax"
    assert [W.shape for W in clf.coefs_] == [(4, 16), (16, 3)]
    assert [b.shape for b in clf.intercepts_] == [(16,), (3,)]
    assert clf.stop_reason_ == "max_iter"
    assert clf.validation_scores_ is None


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_samples_seen(iris, solver):
    X, y = iris
    clf = make_clf(solver, max_iter=7, tol=0).fit(X, y)
    assert clf.t_ == clf.n_iter_ * len(y) == 7 * 150


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_learning_rate_curve_decays(iris, solver):
    X, y = iris
    clf = make_clf(solver, decay=0.01, max_iter=8, tol=0).fit(X, y)
    curve = np.asarray(clf.learning_rate_curve_)
    assert len(curve) == 8
    assert (np.diff(curve) < 0).all()
    # lr_t = learning_rate / (1 + decay * t): the last of 8 x 5 updates has t = 39.
    assert curve[-1] == pytest.approx(clf.learning_rate / (1 + 0.01 * 39))


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_learning_rate_curve_is_constant_without_decay(iris, solver):
    X, y = iris
    clf = make_clf(solver, decay=0.0, max_iter=5, tol=0).fit(X, y)
    assert_allclose(clf.learning_rate_curve_, clf.learning_rate)


# ---------------------------------------------------------------- verbose
@pytest.mark.parametrize("solver", SOLVERS)
def test_verbose_0_prints_nothing(iris, solver, capfd):
    X, y = iris
    make_clf(solver, max_iter=5, verbose=0).fit(X, y)
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err == ""


@pytest.mark.parametrize("solver", SOLVERS)
def test_verbose_1_shows_progress(iris, solver, capfd):
    X, y = iris
    make_clf(solver, max_iter=5, tol=0, verbose=1).fit(X, y)
    assert capfd.readouterr().out.strip() != ""


def test_progress_bar_keeps_the_bar_and_every_metric_in_80_columns():
    # an 80-column terminal, or a log (where rich assumes 80 columns)
    from rich.console import Console  # the test extra installs rich

    out = io.StringIO()
    progress = EpochProgress(
        200, 1, "ScratchMLPClassifier", console=Console(file=out, width=80)
    )
    metrics = {"loss": 0.0141, "accuracy": 1.0, "val_loss": 0.0976, "val_score": 0.9733}
    progress.update(36, metrics)
    progress.close()
    text = out.getvalue()
    assert "ScratchMLPClassifier" in text
    assert "━" in text  # the bar
    assert "36/200" in text
    for name, value in metrics.items():
        assert f"{name} {value:.4f}" in text
    assert max(map(len, text.splitlines())) <= 80


@pytest.mark.parametrize("solver", SOLVERS)
def test_verbose_2_prints_a_line_per_epoch(iris, solver, capfd):
    X, y = iris
    clf = make_clf(solver, max_iter=5, tol=0, verbose=2).fit(X, y)
    lines = capfd.readouterr().out.splitlines()
    assert len([line for line in lines if "epoch" in line]) == clf.n_iter_ == 5


# ---------------------------------------------------------------- callbacks
@pytest.mark.parametrize("solver", SOLVERS)
def test_scoring_monitor_logs_every_epoch(iris, solver):
    X, y = iris
    monitor = ScoringMonitor(scoring="accuracy")
    clf = make_clf(solver, max_iter=6, tol=0).set_callbacks(monitor).fit(X, y)
    rows = monitor.get_logs().data
    epochs = [row for row in rows if row["task_name"] != "fit"]
    assert len(epochs) == clf.n_iter_ == 6
    assert [row["task_id"] for row in epochs] == list(range(6))
    assert all(0 <= row["accuracy"] <= 1 for row in epochs)
    assert epochs[-1]["accuracy"] == clf.score(X, y)
    # and the finished model, as scikit-learn's own estimators log it
    (fit,) = [row for row in rows if row["task_name"] == "fit"]
    assert fit["accuracy"] == clf.score(X, y)


@pytest.mark.parametrize("solver", SOLVERS)
def test_scoring_monitor_logs_the_kept_best_epoch(iris, solver):
    X, y = iris
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
    monitor = ScoringMonitor(scoring="accuracy")
    clf = make_clf(solver, max_iter=40, n_iter_no_change=3).set_callbacks(monitor)
    clf.fit(X_train, y_train, validation_data=(X_val, y_val))
    assert clf.best_epoch_ < clf.n_iter_  # the model is an earlier epoch's
    rows = monitor.get_logs().data
    (fit,) = [row for row in rows if row["task_name"] == "fit"]
    assert fit["accuracy"] == clf.score(X_train, y_train)
    assert fit["accuracy"] == rows[clf.best_epoch_]["accuracy"]


@pytest.mark.parametrize("solver", SOLVERS)
def test_callback_stop_request_ends_training(iris, solver):
    X, y = iris
    callback = StopAfter(4)
    clf = make_clf(solver, max_iter=50, tol=0).set_callbacks(callback)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.stop_reason_ == "callback"
    assert clf.n_iter_ == 4
    assert len(clf.loss_curve_) == 4
    assert callback.n_setup == callback.n_teardown == 1


def test_progress_bar_callback_runs(iris):
    X, y = iris
    clf = make_clf(max_iter=5, tol=0).set_callbacks(ProgressBar()).fit(X, y)
    assert clf.n_iter_ == 5
    assert clf.score(X, y) > 0.8


# ---------------------------------------------------------------- interruption
@pytest.mark.parametrize("solver", SOLVERS)
def test_keyboard_interrupt_keeps_last_completed_epoch(iris, solver):
    X, y = iris
    clf = make_clf(solver, max_iter=50, tol=0).set_callbacks(InterruptAt(3))
    with pytest.warns(UserWarning, match="interrupted"):
        clf.fit(X, y)
    assert clf.stop_reason_ == "interrupted"
    assert clf.n_iter_ == 3
    stopped = make_clf(solver, max_iter=50, tol=0).set_callbacks(StopAfter(3))
    stopped.fit(X, y)
    assert_same_weights(clf, stopped)
    assert_array_equal(clf.predict(X), stopped.predict(X))


@pytest.mark.parametrize("solver", STOCHASTIC_SOLVERS)
def test_keyboard_interrupt_mid_epoch_rolls_back_the_epoch(iris, solver, monkeypatch):
    X, y = iris
    reference = make_clf(solver, max_iter=3, tol=0).fit(X, y)
    n_steps = 0
    train_step = nn.Model.train_step

    def interrupted_step(self, *args, **kwargs):
        nonlocal n_steps
        n_steps += 1
        if n_steps == 3 * 5 + 2:  # the third update of the fourth epoch
            raise KeyboardInterrupt
        return train_step(self, *args, **kwargs)

    monkeypatch.setattr(nn.Model, "train_step", interrupted_step)
    clf = make_clf(solver, max_iter=50, tol=0)
    with pytest.warns(UserWarning, match="interrupted"):
        clf.fit(X, y)
    assert clf.stop_reason_ == "interrupted"
    assert clf.n_iter_ == 3
    assert len(clf.loss_curve_) == 3
    assert_same_weights(clf, reference)


# ---------------------------------------------------------------- divergence
def _diverging_clf(**params):
    return make_clf(activation="identity", learning_rate=1e6, batch_size=128, **params)


@pytest.mark.parametrize("n_iter_no_change", [2, 10])
def test_divergence_raises_naming_learning_rate(iris_raw, n_iter_no_change):
    # The loss saturates while the weights blow up: that is no convergence.
    X, y = iris_raw
    clf = _diverging_clf(max_iter=100, n_iter_no_change=n_iter_no_change)
    with pytest.raises(ValueError, match="learning_rate"):
        clf.fit(X, y)


def test_divergence_on_first_fit_leaves_estimator_unfitted(iris_raw):
    X, y = iris_raw
    clf = _diverging_clf(max_iter=100)
    with pytest.raises(ValueError, match="learning_rate"):
        clf.fit(X, y)
    assert not hasattr(clf, "coefs_")
    with pytest.raises(NotFittedError):
        clf.predict(X)


def test_divergence_during_warm_start_keeps_previous_state(iris_raw):
    X, y = iris_raw
    clf = make_clf(activation="identity", learning_rate=1e-3, warm_start=True)
    clf.fit(X, y)
    before = copy.deepcopy(clf)
    # No stop on a flat loss here: that the saturated loss must not pass for
    # convergence is test_divergence_raises_naming_learning_rate's business.
    clf.set_params(
        learning_rate=1e6, batch_size=128, max_iter=100, n_iter_no_change=np.inf
    )
    with pytest.raises(ValueError, match="learning_rate"):
        clf.fit(X, y)
    assert_same_weights(clf, before)
    assert clf.n_iter_ == before.n_iter_
    assert clf.loss_curve_ == before.loss_curve_
    assert_array_equal(clf.predict_proba(X), before.predict_proba(X))


def test_divergence_during_partial_fit_keeps_previous_state(iris_raw):
    X, y = iris_raw
    clf = _diverging_clf().set_params(learning_rate=1e-3)
    clf.partial_fit(X, y, classes=[0, 1, 2])  # a sound fitted state first
    clf.set_params(learning_rate=1e6)  # takes effect in the next partial_fit
    for _ in range(100):
        before = copy.deepcopy(clf)
        try:
            clf.partial_fit(X, y)
        except ValueError as exc:
            error = exc
            break
    else:
        pytest.fail("partial_fit with learning_rate=1e6 never diverged")
    assert "learning_rate" in str(error)
    assert before.n_iter_ >= 1
    assert_same_weights(clf, before)
    assert clf.n_iter_ == before.n_iter_
    assert_array_equal(clf.predict(X), before.predict(X))


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_X_at_fit_raises(iris, value):
    X, y = iris
    X = X.copy()
    X[3, 1] = value
    with pytest.raises(ValueError, match=r"NaN|infinity"):
        make_clf().fit(X, y)


def test_nan_X_at_predict_raises(iris):
    X, y = iris
    clf = make_clf().fit(X, y)
    X = X.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.predict(X)


def test_wrong_feature_count_at_predict_raises(iris):
    X, y = iris
    clf = make_clf().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :3])


def test_single_class_y_raises(iris):
    X, y = iris
    with pytest.raises(ValueError, match="class"):
        make_clf().fit(X[y == 0], y[y == 0])


def test_continuous_y_raises(iris):
    X, _ = iris
    y = np.linspace(0, 1, len(X))
    with pytest.raises(ValueError, match="Unknown label type"):
        make_clf().fit(X, y)


def test_negative_sample_weight_raises(iris):
    X, y = iris
    sample_weight = np.ones(len(y))
    sample_weight[5] = -1
    with pytest.raises(ValueError, match=r"[Nn]egative"):
        make_clf().fit(X, y, sample_weight=sample_weight)


def test_all_zero_sample_weight_raises(iris):
    X, y = iris
    with pytest.raises(ValueError, match=r"[Ss]ample weight"):
        make_clf().fit(X, y, sample_weight=np.zeros(len(y)))


def test_inconsistent_lengths_raise(iris):
    X, y = iris
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        make_clf().fit(X, y[:-1])


def test_predict_before_fit_raises(iris):
    X, _ = iris
    with pytest.raises(NotFittedError):
        make_clf().predict(X)


@pytest.mark.parametrize(
    "param, value",
    [
        ("learning_rate", -1),
        ("learning_rate", 0),
        ("hidden_layer_sizes", (0,)),
        ("hidden_layer_sizes", (16, -2)),
        ("activation", "bogus"),
        ("solver", "x"),
        ("batch_size", 0),
        ("dtype", "float16"),
        ("momentum", 1.0),
        ("dropout", 1.0),
        ("validation_fraction", 0.0),
        ("max_iter", 0),
        ("l1", -0.1),
        ("l2", -0.1),
        ("class_weight", "bogus"),
        ("scoring", "not_a_scorer"),
    ],
)
def test_invalid_parameter_raises_naming_it(iris, param, value):
    X, y = iris
    with pytest.raises(ValueError, match=param):
        make_clf(**{param: value}).fit(X, y)


@pytest.mark.parametrize(
    "make_validation_data, match",
    [
        (lambda X, y: X, "validation_data"),
        (lambda X, y: (X, y, y), "validation_data"),
        (lambda X, y: (X, y[:-1]), "validation_data"),
        (lambda X, y: (X, None), "validation_data .*None for y_val"),
        (lambda X, y: (X, 3), "validation_data: y_val must be an array"),
        (lambda X, y: (X[:, :3], y), "validation_data: X has 3 features"),
        (lambda X, y: (X, np.where(y == 2, 7, y)), "validation_data: .*not seen"),
        (lambda X, y: (np.full_like(X, np.nan), y), "validation_data: .*NaN"),
    ],
    ids=[
        "not-a-tuple",
        "three-items",
        "lengths",
        "none",
        "scalar",
        "features",
        "labels",
        "nan",
    ],
)
def test_malformed_validation_data_raises(iris, make_validation_data, match):
    # Each message names validation_data: X_val's and y_val's faults are not
    # the training data's.
    X, y = iris
    with pytest.raises(ValueError, match=match):
        make_clf().fit(X, y, validation_data=make_validation_data(X, y))


@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_wrong_feature_count_when_continuing_is_blamed_on_X(iris, how):
    X, y = iris
    clf = make_clf(max_iter=2, warm_start=how == "warm_start")
    if how == "partial_fit":
        clf.partial_fit(X, y, classes=[0, 1, 2])
    else:
        clf.fit(X, y)
    with pytest.raises(ValueError, match=r"^X has 3 features, but"):
        getattr(clf, "partial_fit" if how == "partial_fit" else "fit")(X[:, :3], y)


# ---------------------------------------------------------------- threads
def test_concurrent_predictions_agree(iris):
    X, y = iris
    clf = make_clf().fit(X, y)
    X_big = np.tile(X, (20, 1))
    expected = clf.predict_proba(X_big)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(clf.predict_proba, [X_big] * 16))
    for result in results:
        assert_array_equal(result, expected)
