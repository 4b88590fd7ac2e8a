"""Reliability tests (issue 8) of ScratchMLPClassifier and ScratchMLPRegressor.

A trusted estimator never crashes on bad input with an unrelated traceback, never
keeps NaN weights, never loses a fitted model, and never executes code from a file
it was asked to load.  This module checks, for both estimators:

* bad input, property-based (hypothesis) and hand-written: every rejection is a
  ``ValueError`` or ``TypeError`` whose message names the offending argument;
* numerical robustness: extreme input scales and learning rates either train to
  finite weights or raise an error naming ``learning_rate``, and a failed step
  leaves the previous fitted state intact;
* interruption: ``KeyboardInterrupt`` keeps the last completed epoch;
* persistence: pickle, joblib and ``skops.io``, the stored package version, the
  size of a saved model;
* memory: chunked prediction keeps the peak extra memory bounded;
* concurrency: predictions from 8 threads at once agree.

Everything runs on tiny data and tiny networks; the hypothesis tests draw 50
examples each (derandomized, no example database) so the module stays fast.
``benchmarks/reliability_report.py`` reuses the strategies below for a longer
run and prints the counts.
"""

import copy
import pickle
import re
import threading
import tracemalloc
import warnings
from collections import Counter

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier

import sknn_scratch
from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor, nn

pytestmark = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning",
    "ignore::sklearn.exceptions.DataConversionWarning",
)

ESTIMATORS = [ScratchMLPClassifier, ScratchMLPRegressor]
SOLVERS = ["sgd", "adam", "lbfgs"]
ACTIVATIONS = ["relu", "tanh", "logistic", "identity"]
#: the only exception types bad input may raise (InvalidParameterError and
#: NotFittedError are ValueError subclasses)
ACCEPTED = (ValueError, TypeError)
N_SAMPLES, N_FEATURES = 12, 3

HYPOTHESIS = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# ---------------------------------------------------------------- helpers
def make(Estimator, **params):
    """A tiny, seeded, fast estimator; ``params`` override the defaults."""
    defaults = {
        "hidden_layer_sizes": (3,),
        "max_iter": 2,
        "batch_size": 4,
        "random_state": 0,
    }
    return Estimator(**{**defaults, **params})


def tiny_data(Estimator, n_samples=N_SAMPLES, n_features=N_FEATURES, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features))
    if Estimator is ScratchMLPClassifier:
        return X, valid_y(Estimator, n_samples)
    return X, X[:, 0] - X[:, 1]


def valid_y(Estimator, n_samples):
    """Good targets of length ``n_samples``: 3 classes, or a ramp."""
    if Estimator is ScratchMLPClassifier:
        return np.arange(n_samples) % 3
    return np.linspace(-1.0, 1.0, n_samples)


def n_rows(X):
    """Rows of ``X`` as a user would count them (12 when there are none)."""
    if isinstance(X, list):
        return len(X)
    shape = getattr(X, "shape", ())
    return shape[0] if len(shape) > 0 else N_SAMPLES


def classes_kwargs(Estimator):
    """The ``classes`` a first partial_fit of ``Estimator`` needs on tiny_data."""
    return {"classes": [0, 1, 2]} if Estimator is ScratchMLPClassifier else {}


def weights(estimator):
    return [*estimator.coefs_, *estimator.intercepts_]


def all_finite(estimator):
    return all(np.isfinite(a).all() for a in weights(estimator))


def assert_same_weights(a, b):
    for W_a, W_b in zip(weights(a), weights(b), strict=True):
        assert np.array_equal(W_a, W_b)


def outputs(estimator, X):
    """Every prediction method's output, to compare models by behaviour."""
    if isinstance(estimator, ScratchMLPClassifier):
        return [
            estimator.predict(X),
            estimator.predict_proba(X),
            estimator.decision_function(X),
        ]
    return [estimator.predict(X)]


_ARGUMENT_PATTERNS = {
    "X": r"(?<![A-Za-z0-9_])X(?![A-Za-z0-9_])",
    "y": r"(?<![A-Za-z0-9_])y(?![A-Za-z0-9_])|\blabels?\b|\btargets?\b",
    "sample_weight": r"(?i)sample[_ ]weights?",
}


def names_argument(message, argument):
    """Whether an error message names ``argument`` (X, y, sample_weight, a param)."""
    pattern = _ARGUMENT_PATTERNS.get(argument, re.escape(argument))
    return re.search(pattern, message) is not None


#: outcome -> count over every attempt made through ``attempt`` (the report reads it)
TALLY = Counter()


def attempt(action):
    """Run ``action``; return the exception it raised (None if none).

    Everything is caught, warnings turned errors by the pytest configuration
    included, so a property test can say which types it saw.
    """
    try:
        action()
    except Exception as exc:  # classify every failure, whatever its type
        _record(type(exc).__name__)
        return exc
    _record("ok")
    return None


def _record(outcome):
    TALLY[outcome] += 1
    if currently_in_test_context():
        event(outcome)  # shown by pytest --hypothesis-show-statistics


def check_fit_outcome(Estimator, X, y, sample_weight=None, **params):
    """Fit on possibly bad input: a ValueError/TypeError, or a sane fitted model.

    Returns the exception (None when the fit succeeded).
    """
    estimator = make(Estimator, **params)
    exc = attempt(lambda: estimator.fit(X, y, sample_weight=sample_weight))
    assert exc is None or isinstance(exc, ACCEPTED), f"{type(exc).__name__}: {exc}"
    if exc is None:
        assert all_finite(estimator), "fit succeeded with non-finite weights"
    return exc


# ---------------------------------------------------------------- strategies
FLOATS = st.floats(allow_nan=True, allow_infinity=True)
FINITE = st.floats(allow_nan=False, allow_infinity=False)  # 5e-324 to 1.8e308
TEXT = st.sampled_from(["", "a", "1", "1e3", "nan", "inf", "-", " x", "é"])
SCALAR_JUNK = st.one_of(
    st.none(), FLOATS, st.integers(max_value=5), TEXT, st.complex_numbers()
)


def _elements(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return st.floats(width=8 * dtype.itemsize, allow_nan=True, allow_infinity=True)
    if dtype.kind == "c":
        return st.complex_numbers(allow_nan=True, allow_infinity=True)
    if dtype.kind == "U":
        return TEXT
    if dtype.kind == "O":
        return st.one_of(SCALAR_JUNK, st.binary(max_size=2))
    return None  # hypothesis' default for the dtype


ARRAY_DTYPES = [
    np.float64,
    np.float32,
    np.float16,
    np.int64,
    np.uint8,
    np.bool_,
    np.complex128,
    np.dtype("U3"),
    np.dtype(object),
    np.dtype("datetime64[s]"),
]


@st.composite
def junk_arrays(draw, shape, dtypes=ARRAY_DTYPES):
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    return draw(hnp.arrays(dtype, shape, elements=_elements(dtype)))


@st.composite
def junk_dataframes(draw):
    n_rows = draw(st.integers(0, 6))
    kinds = draw(
        st.lists(
            st.sampled_from(
                ["float", "int", "str", "category", "datetime", "nullable", "bool"]
            ),
            min_size=1,
            max_size=4,
        )
    )
    columns = {}
    for i, kind in enumerate(kinds):
        if kind == "float":
            values = draw(st.lists(FLOATS, min_size=n_rows, max_size=n_rows))
        elif kind == "int":
            values = draw(
                st.lists(st.integers(-5, 5), min_size=n_rows, max_size=n_rows)
            )
        elif kind in ("str", "category"):
            values = draw(st.lists(TEXT, min_size=n_rows, max_size=n_rows))
            if kind == "category":
                values = pd.Categorical(values)
        elif kind == "datetime":
            values = pd.to_datetime(np.arange(n_rows), unit="D")
        elif kind == "nullable":
            values = pd.array(
                draw(
                    st.lists(
                        st.one_of(st.none(), st.floats(-10, 10)),
                        min_size=n_rows,
                        max_size=n_rows,
                    )
                ),
                dtype="Float64",
            )
        else:
            values = draw(st.lists(st.booleans(), min_size=n_rows, max_size=n_rows))
        columns[f"c{i}"] = values
    return pd.DataFrame(columns)


@st.composite
def junk_sparse(draw):
    dense = draw(
        hnp.arrays(
            np.float64,
            hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=6),
            elements=st.one_of(st.just(0.0), FLOATS),
        )
    )
    make_sparse = draw(st.sampled_from([sp.csr_matrix, sp.csr_array, sp.coo_matrix]))
    return make_sparse(dense)


def junk_X():
    """Anything a user might pass as ``X``: many kinds of bad, some good."""
    return st.one_of(
        junk_arrays(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)),
        junk_arrays(st.just((N_SAMPLES, N_FEATURES)), dtypes=ARRAY_DTYPES[:3]),
        hnp.arrays(np.float64, (N_SAMPLES, N_FEATURES), elements=FINITE),
        junk_dataframes(),
        junk_sparse(),
        SCALAR_JUNK,
        st.lists(st.lists(st.one_of(FLOATS, TEXT), max_size=4), max_size=6),
    )


def junk_y():
    """Targets for a valid 12-row X: wrong lengths, NaN, strings, shapes..."""
    return st.one_of(
        junk_arrays(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=13)),
        junk_arrays(st.just(N_SAMPLES)),
        junk_arrays(st.just((N_SAMPLES, 2)), dtypes=[np.float64, np.int64]),
        hnp.arrays(np.float64, N_SAMPLES, elements=FINITE),  # valid, maybe extreme
        st.lists(SCALAR_JUNK, min_size=N_SAMPLES, max_size=N_SAMPLES),
        SCALAR_JUNK,
    )


def junk_sample_weight():
    return st.one_of(
        junk_arrays(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=13)),
        junk_arrays(st.just(N_SAMPLES), dtypes=[np.float64, np.int64]),
        hnp.arrays(np.float64, N_SAMPLES, elements=FINITE.map(abs)),
        st.lists(SCALAR_JUNK, min_size=N_SAMPLES, max_size=N_SAMPLES),
        SCALAR_JUNK,
    )


#: constructor-parameter junk: wrong types and out-of-range numbers.  Positive
#: integers stay out (a huge hidden layer or max_iter is valid, only slow).
PARAM_JUNK = st.one_of(
    st.text(max_size=4),
    st.integers(max_value=0),
    st.floats(max_value=-1e-12),
    st.floats(min_value=1.0, max_value=1e6).filter(lambda v: not v.is_integer()),
    st.sampled_from([np.nan, np.inf, -np.inf, np.float64("nan"), np.int64(-3)]),
    st.none(),
    st.lists(SCALAR_JUNK, max_size=3),
    st.tuples(SCALAR_JUNK, SCALAR_JUNK),
    st.dictionaries(TEXT, FLOATS, max_size=2),
    st.complex_numbers(),
    st.binary(max_size=3),
    st.builds(object),
)


# ---------------------------------------------------------------- bad input: properties
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@HYPOTHESIS
@given(X=junk_X())
def test_fit_on_junk_X_raises_only_value_or_type_error(Estimator, X):
    check_fit_outcome(Estimator, X, valid_y(Estimator, n_rows(X)))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@HYPOTHESIS
@given(y=junk_y())
def test_fit_on_junk_y_raises_only_value_or_type_error(Estimator, y):
    X, _ = tiny_data(Estimator)
    check_fit_outcome(Estimator, X, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@HYPOTHESIS
@given(sample_weight=junk_sample_weight())
def test_fit_on_junk_sample_weight_raises_only_value_or_type_error(
    Estimator, sample_weight
):
    X, y = tiny_data(Estimator)
    check_fit_outcome(Estimator, X, y, sample_weight=sample_weight)


@pytest.mark.parametrize(
    "Estimator, param",
    [(E, p) for E in ESTIMATORS for p in sorted(E().get_params())],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
@HYPOTHESIS
@given(value=PARAM_JUNK)
def test_junk_constructor_parameter_is_rejected_naming_it(Estimator, param, value):
    X, y = tiny_data(Estimator)
    exc = check_fit_outcome(Estimator, X, y, **{param: value})
    if exc is None:
        return  # the junk happened to be valid (e.g. None for scoring)
    message = str(exc)
    # A valid but extreme value (l2=1e6) may make training diverge: that error
    # must name the learning rate, the knob to turn.
    expected = "learning_rate" if "diverged" in message else param
    assert names_argument(message, expected), (
        f"{param}={value!r}: the {type(exc).__name__} does not name {expected!r}: "
        f"{message}"
    )


@pytest.fixture(scope="module", params=ESTIMATORS, ids=lambda E: E.__name__)
def fitted(request):
    X, y = tiny_data(request.param)
    return make(request.param).fit(X, y)


@HYPOTHESIS
@given(X=junk_X())
def test_predict_on_junk_X_raises_only_value_or_type_error(fitted, X):
    methods = ["predict"]
    if isinstance(fitted, ScratchMLPClassifier):
        methods += ["predict_proba", "predict_log_proba", "decision_function"]
    for method in methods:
        result = {}

        def predict(method=method, result=result):
            result["output"] = getattr(fitted, method)(X)

        exc = attempt(predict)
        assert exc is None or isinstance(exc, ACCEPTED), (
            f"{method}: {type(exc).__name__}: {exc}"
        )
        if exc is None:
            output = np.asarray(result["output"], dtype=float)
            assert np.isfinite(output).all(), f"{method} returned non-finite values"


# ---------------------------------------------------------------- bad input: by hand
def _with(X, index, value):
    X = X.astype(float)
    X[index] = value
    return X


def _sparse_nan(X):
    X = sp.csr_matrix(X)
    X.data[0] = np.nan
    return X


def _frame(X, **extra):
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    for name, values in extra.items():
        frame[name] = values
    return frame


BAD_X = {
    "nan": lambda X: _with(X, (1, 1), np.nan),
    "inf": lambda X: _with(X, (1, 1), np.inf),
    "-inf": lambda X: _with(X, (1, 1), -np.inf),
    "empty": lambda X: X[:0],
    "no-features": lambda X: X[:, :0],
    "1-D": lambda X: X[:, 0],
    "3-D": lambda X: X[:, :, None],
    "object-strings": lambda X: np.full(X.shape, "a", dtype=object),
    "str-dtype": lambda X: np.full(X.shape, "a"),
    "complex": lambda X: X + 1j,
    "sparse-nan": _sparse_nan,
    "frame-str-column": lambda X: _frame(X, s=["a"] * len(X)),
    "frame-category-column": lambda X: _frame(
        X, c=pd.Categorical(["u", "v"] * (len(X) // 2))
    ),
    "frame-datetime-column": lambda X: _frame(
        X, d=pd.to_datetime(np.arange(len(X)), unit="D")
    ),
    "frame-NA": lambda X: (
        _frame(X).astype("Float64").mask(np.eye(len(X), X.shape[1], dtype=bool))
    ),
    "None": lambda X: None,
    "scalar": lambda X: 3.0,
    "ragged-lists": lambda X: [list(row[: 1 + i % 2]) for i, row in enumerate(X)],
}


def _fit_bad_X(Estimator, case):
    X, y = tiny_data(Estimator)
    X_bad = BAD_X[case](X)
    return attempt(lambda: make(Estimator).fit(X_bad, y[: n_rows(X_bad)]))


def _assert_rejected(exc, what):
    assert exc is not None, f"{what} was accepted"
    assert isinstance(exc, ACCEPTED), f"{what}: {type(exc).__name__}: {exc}"


def _assert_all_named(failures, argument):
    """Assert every error in ``{case: exception}`` names ``argument``."""
    unnamed = {
        case: "(accepted: no error)" if exc is None else str(exc)
        for case, exc in failures.items()
        if exc is None or not names_argument(str(exc), argument)
    }
    assert not unnamed, f"errors that do not name {argument!r}:\n" + "\n".join(
        f"  {case}: {message[:160]!r}" for case, message in unnamed.items()
    )


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("case", list(BAD_X))
def test_bad_X_at_fit_raises_value_or_type_error(Estimator, case):
    _assert_rejected(_fit_bad_X(Estimator, case), f"X {case}")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_bad_X_at_fit_errors_name_X(Estimator):
    _assert_all_named({case: _fit_bad_X(Estimator, case) for case in BAD_X}, "X")


PREDICT_BAD_X = {
    **{k: BAD_X[k] for k in ["nan", "inf", "empty", "1-D", "3-D", "str-dtype"]},
    **{k: BAD_X[k] for k in ["complex", "sparse-nan", "frame-str-column", "None"]},
    "wrong-n-features": lambda X: X[:, :2],
    "extra-feature": lambda X: np.hstack([X, X[:, :1]]),
}


def _predict_bad_X(fitted, case, method):
    X, _ = tiny_data(type(fitted))
    X_bad = PREDICT_BAD_X[case](X)
    return attempt(lambda: getattr(fitted, method)(X_bad))


def _methods(estimator):
    if isinstance(estimator, ScratchMLPClassifier):
        return ["predict", "predict_proba", "predict_log_proba", "decision_function"]
    return ["predict"]


@pytest.mark.parametrize("case", list(PREDICT_BAD_X))
def test_bad_X_at_predict_raises_value_or_type_error(fitted, case):
    for method in _methods(fitted):
        _assert_rejected(_predict_bad_X(fitted, case, method), f"{method}: {case}")


def test_bad_X_at_predict_errors_name_X(fitted):
    _assert_all_named(
        {
            f"{method} {case}": _predict_bad_X(fitted, case, method)
            for case in PREDICT_BAD_X
            for method in _methods(fitted)
        },
        "X",
    )


def _y_nan(y):
    return _with(y[:, None], (0, 0), np.nan).ravel()


BAD_Y = {
    ScratchMLPClassifier: {
        "one-class": lambda y: np.zeros_like(y),
        "nan-label": _y_nan,
        "inf-label": lambda y: _with(y[:, None], (0, 0), np.inf).ravel(),
        "continuous": lambda y: np.linspace(0.0, 1.0, len(y)),
        "too-short": lambda y: y[:-1],
        "too-long": lambda y: np.r_[y, y[:1]],
        "None": lambda y: None,
        "3-D": lambda y: y[:, None, None],
        "complex": lambda y: y + 1j,
        "object-None": lambda y: np.array([None, 1] * (len(y) // 2), dtype=object),
    },
    ScratchMLPRegressor: {
        "nan": _y_nan,
        "inf": lambda y: _with(y[:, None], (0, 0), np.inf).ravel(),
        "too-short": lambda y: y[:-1],
        "None": lambda y: None,
        "3-D": lambda y: y[:, None, None],
        "complex": lambda y: y + 1j,
        "strings": lambda y: np.full(len(y), "a"),
        "object-None": lambda y: np.array([None, 1.0] * (len(y) // 2), dtype=object),
    },
}


def _fit_bad_y(Estimator, case):
    X, y = tiny_data(Estimator)
    y_bad = BAD_Y[Estimator][case](y)
    return attempt(lambda: make(Estimator).fit(X, y_bad))


@pytest.mark.parametrize(
    "Estimator, case",
    [(E, case) for E in ESTIMATORS for case in BAD_Y[E]],
    ids=lambda v: v if isinstance(v, str) else v.__name__,
)
def test_bad_y_raises_value_or_type_error(Estimator, case):
    _assert_rejected(_fit_bad_y(Estimator, case), f"y {case}")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_bad_y_errors_name_y(Estimator):
    _assert_all_named({c: _fit_bad_y(Estimator, c) for c in BAD_Y[Estimator]}, "y")


BAD_SAMPLE_WEIGHT = {
    "negative": lambda n: np.r_[-1.0, np.ones(n - 1)],
    "nan": lambda n: np.r_[np.nan, np.ones(n - 1)],
    "inf": lambda n: np.r_[np.inf, np.ones(n - 1)],
    "all-zero": np.zeros,
    "too-short": lambda n: np.ones(n - 1),
    "too-long": lambda n: np.ones(n + 1),
    "2-D": lambda n: np.ones((n, 1)),
    "2-D-wide": lambda n: np.ones((n, 2)),
    "strings": lambda n: np.full(n, "a"),
    "complex": lambda n: np.ones(n) + 1j,
}


def _fit_bad_sample_weight(Estimator, case, method):
    X, y = tiny_data(Estimator)
    estimator = make(Estimator)
    sample_weight = BAD_SAMPLE_WEIGHT[case](len(y))
    extra = classes_kwargs(Estimator) if method == "partial_fit" else {}
    fit = getattr(estimator, method)
    return attempt(lambda: fit(X, y, sample_weight=sample_weight, **extra))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("case", list(BAD_SAMPLE_WEIGHT))
def test_bad_sample_weight_raises_value_or_type_error(Estimator, method, case):
    exc = _fit_bad_sample_weight(Estimator, case, method)
    _assert_rejected(exc, f"sample_weight {case}")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_bad_sample_weight_errors_name_sample_weight(Estimator):
    _assert_all_named(
        {
            f"{method} {case}": _fit_bad_sample_weight(Estimator, case, method)
            for case in BAD_SAMPLE_WEIGHT
            for method in ["fit", "partial_fit"]
        },
        "sample_weight",
    )


@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_bad_class_weight_values_are_rejected_naming_class_weight(solver):
    X, y = tiny_data(ScratchMLPClassifier)
    problems = []
    for value in [np.nan, np.inf, -1.0, "a", None, [1.0]]:
        clf = make(ScratchMLPClassifier, solver=solver, class_weight={0: value})
        exc = attempt(lambda clf=clf: clf.fit(X, y))
        if exc is None:
            problems.append(f"{{0: {value!r}}} accepted (n_iter_={clf.n_iter_})")
        elif not isinstance(exc, ACCEPTED):
            problems.append(f"{{0: {value!r}}}: {type(exc).__name__}: {exc}")
        elif not names_argument(str(exc), "class_weight"):
            problems.append(f"{{0: {value!r}}}: {str(exc)[:140]!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "param, value",
    [
        ("hidden_layer_sizes", "abc"),
        ("hidden_layer_sizes", (3, "a")),
        ("hidden_layer_sizes", (3.5,)),
        ("hidden_layer_sizes", np.nan),
        ("learning_rate", np.inf),
        ("learning_rate", np.nan),
        ("momentum", -0.1),
        ("beta_1", 1.0),
        ("beta_2", np.nan),
        ("epsilon", 0.0),
        ("n_iter_no_change", 0),
        ("validation_fraction", 1.0),
        ("batch_size", "big"),
        ("max_fun", 0),
        ("tol", -1.0),
        ("decay", np.nan),
        ("random_state", -1),
        ("random_state", "seed"),
        ("verbose", -1),
        ("warm_start", "yes"),
        ("dtype", np.float16),
        ("scoring", "accurracy"),
    ],
)
def test_bad_parameter_value_is_rejected_naming_it(Estimator, param, value):
    X, y = tiny_data(Estimator)
    exc = attempt(lambda: make(Estimator, **{param: value}).fit(X, y))
    _assert_rejected(exc, f"{param}={value!r}")
    assert names_argument(str(exc), param), str(exc)


# ---------------------------------------------------------------- failed calls
def _refit_failures(Estimator, X, y):
    """Calls that fail after X and y passed validation (ValueError expected)."""
    failures = {
        "validation_data-not-a-tuple": lambda m: m.fit(X, y, validation_data=X),
        "validation_data-lengths": lambda m: m.fit(X, y, validation_data=(X, y[:-1])),
        "fewer-features-and-negative-sample_weight": lambda m: m.fit(
            X[:, :2], y, sample_weight=-np.ones(len(y))
        ),
    }
    if Estimator is ScratchMLPClassifier:
        failures["one-class-y"] = lambda m: m.fit(X, np.zeros_like(y))
        failures["validation_data-unseen-label"] = lambda m: m.fit(
            X, y, validation_data=(X, y + 10)
        )
    return failures


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_failed_refit_keeps_the_fitted_model(Estimator):
    X, y = tiny_data(Estimator)
    broken = []
    for case, refit in _refit_failures(Estimator, X, y).items():
        estimator = make(Estimator, max_iter=5).fit(X, y)
        before = copy.deepcopy(estimator)
        with pytest.raises(ACCEPTED):
            refit(estimator)
        exc = attempt(lambda e=estimator: outputs(e, X))
        if exc is not None:
            broken.append(f"{case}: predict now raises {type(exc).__name__}: {exc}")
            continue
        if estimator.n_iter_ != before.n_iter_ or any(
            not np.array_equal(a, b)
            for a, b in zip(weights(estimator), weights(before), strict=True)
        ):
            broken.append(f"{case}: the fitted weights were replaced")
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
@pytest.mark.parametrize(
    "param, value, fitted",
    [
        ("hidden_layer_sizes", (4,), r"\(3,\)"),
        ("dtype", "float32", "'float64'"),
    ],
)
def test_continuing_with_another_network_raises(Estimator, how, param, value, fitted):
    X, y = tiny_data(Estimator)
    estimator = make(Estimator, dtype="float64", warm_start=True)
    estimator.partial_fit(X, y, **classes_kwargs(Estimator))
    before = copy.deepcopy(estimator)
    estimator.set_params(**{param: value})
    train = estimator.fit if how == "warm_start" else estimator.partial_fit
    with pytest.raises(ValueError, match=rf"{param}=.* differs .* network's {fitted}"):
        train(X, y)
    assert_same_weights(estimator, before)
    assert estimator.n_iter_ == before.n_iter_
    estimator.set_params(**{param: before.get_params()[param]})
    train(X, y)  # with the fitted network's settings it goes on
    assert estimator.n_iter_ > before.n_iter_


def test_failed_first_partial_fit_leaves_estimator_unfitted():
    X, y = tiny_data(ScratchMLPClassifier)
    clf = make(ScratchMLPClassifier)
    with pytest.raises(ValueError):
        clf.partial_fit(X, y, classes=[1, 2])  # y also holds 0
    with pytest.raises(NotFittedError):
        clf.predict(X)
    clf.partial_fit(X, y, classes=[0, 1, 2])  # the right call must now work
    assert clf.n_iter_ == 1


def test_failed_first_fit_leaves_estimator_unfitted():
    X, y = tiny_data(ScratchMLPClassifier)
    clf = make(ScratchMLPClassifier)
    with pytest.raises(ValueError):
        clf.fit(X, np.zeros_like(y))
    with pytest.raises(NotFittedError):
        clf.predict(X)


# ---------------------------------------------------------------- numerical robustness
def _train_or_raise_naming_learning_rate(estimator, X, y, fit=None):
    exc = attempt(lambda: (fit or estimator.fit)(X, y))
    if exc is not None:
        assert isinstance(exc, ValueError), f"{type(exc).__name__}: {exc}"
        assert "learning_rate" in str(exc), str(exc)
        return exc
    assert all_finite(estimator), "training kept non-finite weights"
    for output in outputs(estimator, X):
        assert np.isfinite(np.asarray(output, dtype=float)).all()
    return None


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("scale", [1e-6, 1e6])
def test_scaled_inputs_train_or_raise_naming_learning_rate(Estimator, solver, scale):
    X, y = tiny_data(Estimator, n_samples=24)
    estimator = make(Estimator, solver=solver, max_iter=5)
    _train_or_raise_naming_learning_rate(estimator, X * scale, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@HYPOTHESIS
@given(
    log_learning_rate=st.floats(-1.0, 4.0),
    scale=st.sampled_from([1e-6, 1.0, 1e6]),
    activation=st.sampled_from(ACTIVATIONS),
)
def test_extreme_learning_rate_converges_or_raises_naming_it(
    Estimator, log_learning_rate, scale, activation
):
    X, y = tiny_data(Estimator, n_samples=24)
    estimator = make(
        Estimator,
        solver="sgd",
        learning_rate=10.0**log_learning_rate,
        activation=activation,
        max_iter=5,
    )
    _train_or_raise_naming_learning_rate(estimator, X * scale, y)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_failed_step_keeps_previous_fitted_state(Estimator, how):
    X, y = tiny_data(Estimator, n_samples=24)
    n_failed = Counter()

    @HYPOTHESIS
    @given(log_learning_rate=st.floats(-1.0, 4.0))
    def check(log_learning_rate):
        estimator = make(
            Estimator, solver="sgd", learning_rate=1e-4, warm_start=True, max_iter=2
        )
        if how == "warm_start":
            estimator.fit(X, y)
        else:
            estimator.partial_fit(X, y, **classes_kwargs(Estimator))
        estimator.set_params(learning_rate=10.0**log_learning_rate, max_iter=5)
        step = estimator.fit if how == "warm_start" else estimator.partial_fit
        for _ in range(1 if how == "warm_start" else 3):
            before = copy.deepcopy(estimator)
            expected = outputs(before, X)
            if _train_or_raise_naming_learning_rate(estimator, X, y, fit=step):
                n_failed["steps"] += 1
                assert_same_weights(estimator, before)
                assert estimator.n_iter_ == before.n_iter_
                assert estimator.loss_curve_ == before.loss_curve_
                for got, want in zip(outputs(estimator, X), expected, strict=True):
                    assert_array_equal(got, want)
                break

    check()
    assert n_failed["steps"] > 0, "no learning rate made training fail"


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_lbfgs_with_non_finite_loss_raises_or_trains(Estimator):
    # sgd/adam raise a ValueError here; L-BFGS must not silently keep the
    # untrained initial weights.
    X, y = tiny_data(Estimator)
    estimator = make(Estimator, solver="lbfgs", max_iter=5)
    exc = attempt(lambda: estimator.fit(X * 1e300, y))
    if exc is not None:
        assert isinstance(exc, ValueError), f"{type(exc).__name__}: {exc}"
        return
    assert estimator.n_iter_ >= 1 and np.isfinite(estimator.loss_), (
        f"fit returned untrained weights: n_iter_={estimator.n_iter_}, "
        f"loss_={estimator.loss_}, stop_reason_={estimator.stop_reason_!r}"
    )


@pytest.mark.parametrize("scale", [1e200, 1e300])
def test_huge_regression_targets_predict_finite_or_raise(scale):
    X, y = tiny_data(ScratchMLPRegressor)
    reg = make(ScratchMLPRegressor)
    exc = attempt(lambda: reg.fit(X, y * scale))
    if exc is not None:
        assert isinstance(exc, ValueError), f"{type(exc).__name__}: {exc}"
        assert names_argument(str(exc), "y"), str(exc)
        return
    assert np.isfinite(reg.predict(X)).all(), "finite targets, non-finite predictions"


# ---------------------------------------------------------------- interruption
class InterruptAt:
    """A callback raising KeyboardInterrupt at the end of the ``n``-th epoch."""

    def __init__(self, n_epochs):
        self.n_epochs = n_epochs
        self.n_ended = 0

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        if context.parent is None:  # the whole fit ending, not an epoch
            return False
        self.n_ended += 1
        if self.n_ended == self.n_epochs:
            raise KeyboardInterrupt
        return False


def _interrupt_call(monkeypatch, method_name, n):
    """Make ``nn.Model.<method_name>`` raise KeyboardInterrupt on its n-th call."""
    original = getattr(nn.Model, method_name)
    calls = Counter()

    def interrupted(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(nn.Model, method_name, interrupted)


def _assert_usable(estimator, X):
    assert estimator.stop_reason_ == "interrupted"
    assert all_finite(estimator)
    for output in outputs(estimator, X):
        assert np.isfinite(np.asarray(output, dtype=float)).all()


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_keyboard_interrupt_from_callback_during_fit(Estimator, solver):
    X, y = tiny_data(Estimator)
    estimator = make(Estimator, solver=solver, max_iter=5, tol=0)
    estimator.set_callbacks(InterruptAt(3))
    with pytest.warns(UserWarning, match="interrupted"):
        estimator.fit(X, y)
    _assert_usable(estimator, X)
    assert estimator.n_iter_ == 3
    estimator.set_callbacks()
    estimator.partial_fit(X, y)  # training can go on
    assert estimator.n_iter_ == 4


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_keyboard_interrupt_from_callback_during_partial_fit(Estimator):
    X, y = tiny_data(Estimator)
    estimator = make(Estimator).set_callbacks(InterruptAt(2))
    estimator.partial_fit(X, y, **classes_kwargs(Estimator))
    with pytest.warns(UserWarning, match="interrupted"):
        estimator.partial_fit(X, y)
    _assert_usable(estimator, X)
    assert estimator.n_iter_ == 2  # the interrupted call's epoch had completed


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_keyboard_interrupt_in_third_epoch_of_fit(Estimator, solver, monkeypatch):
    X, y = tiny_data(Estimator)
    reference = make(Estimator, solver=solver, max_iter=2, tol=0).fit(X, y)
    _interrupt_call(monkeypatch, "train_epoch", 3)
    estimator = make(Estimator, solver=solver, max_iter=5, tol=0)
    with pytest.warns(UserWarning, match="interrupted"):
        estimator.fit(X, y)
    _assert_usable(estimator, X)
    assert estimator.n_iter_ == 2
    assert_same_weights(estimator, reference)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_keyboard_interrupt_in_third_partial_fit(Estimator, solver, monkeypatch):
    X, y = tiny_data(Estimator)
    _interrupt_call(monkeypatch, "train_epoch", 3)
    estimator = make(Estimator, solver=solver)
    estimator.partial_fit(X, y, **classes_kwargs(Estimator))
    estimator.partial_fit(X, y)
    before = copy.deepcopy(estimator)
    with pytest.warns(UserWarning, match="interrupted"):
        estimator.partial_fit(X, y)
    _assert_usable(estimator, X)
    assert estimator.n_iter_ == before.n_iter_ == 2
    assert_same_weights(estimator, before)
    for got, want in zip(outputs(estimator, X), outputs(before, X), strict=True):
        assert_array_equal(got, want)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_keyboard_interrupt_before_any_epoch_still_gives_a_model(
    Estimator, monkeypatch
):
    X, y = tiny_data(Estimator)
    _interrupt_call(monkeypatch, "train_epoch", 1)
    estimator = make(Estimator)
    with pytest.warns(UserWarning, match="interrupted"):
        estimator.fit(X, y)
    _assert_usable(estimator, X)
    assert estimator.n_iter_ == 0


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_keyboard_interrupt_during_lbfgs(Estimator, monkeypatch):
    X, y = tiny_data(Estimator)
    _interrupt_call(monkeypatch, "flat_loss_and_gradient", 4)
    estimator = make(Estimator, solver="lbfgs", max_iter=20)
    with pytest.warns(UserWarning, match="interrupted"):
        estimator.fit(X, y)
    _assert_usable(estimator, X)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_keyboard_interrupt_while_lbfgs_validates(Estimator, monkeypatch):
    X, y = tiny_data(Estimator)
    _interrupt_call(monkeypatch, "predict", 3)  # scoring the third iteration
    estimator = make(Estimator, solver="lbfgs", max_iter=20, early_stopping=True)
    with pytest.warns(UserWarning, match="interrupted"):
        estimator.fit(X, y)
    _assert_usable(estimator, X)
    assert estimator.n_iter_ == 2
    assert len(estimator.loss_curve_) == len(estimator.validation_scores_) == 2
    assert estimator.best_validation_score_ == max(estimator.validation_scores_)


# ---------------------------------------------------------------- persistence
def _round_trip(estimator, how, tmp_path):
    path = tmp_path / "model.bin"
    if how == "joblib":
        joblib.dump(estimator, path)
        return joblib.load(path)
    if how == "pickle":
        return pickle.loads(pickle.dumps(estimator))
    sio = pytest.importorskip("skops.io")
    sio.dump(estimator, path)
    return sio.load(path, trusted=sio.get_untrusted_types(file=path))


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("how", ["pickle", "joblib", "skops"])
def test_round_trip_predicts_and_trains_on_identically(
    Estimator, solver, how, tmp_path
):
    X, y = tiny_data(Estimator)
    estimator = make(Estimator, solver=solver, max_iter=3).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # same version: no warning at load
        loaded = _round_trip(estimator, how, tmp_path)
    assert type(loaded) is type(estimator)
    for got, want in zip(outputs(loaded, X), outputs(estimator, X), strict=True):
        assert_array_equal(got, want)
    if solver != "lbfgs":  # the optimizer state and random stream came along too
        estimator.partial_fit(X, y)
        loaded.partial_fit(X, y)
        assert_same_weights(loaded, estimator)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_skops_lists_only_the_estimator_class_as_untrusted(Estimator, solver):
    sio = pytest.importorskip("skops.io")
    X, y = tiny_data(Estimator)
    estimator = make(Estimator, solver=solver, early_stopping=True).fit(X, y)
    data = sio.dumps(estimator)
    # The optimizer state kept for partial_fit is saved as builtins and arrays.
    untrusted = sio.get_untrusted_types(data=data)
    assert untrusted == [f"{Estimator.__module__}.{Estimator.__name__}"]
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.loads(data)  # nothing of ours is trusted unless the user says so


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_pickled_state_carries_the_package_version(Estimator):
    X, y = tiny_data(Estimator)
    estimator = make(Estimator).fit(X, y)
    assert estimator.__getstate__()["_sknn_version"] == sknn_scratch.__version__
    assert sknn_scratch.__version__.encode() in pickle.dumps(estimator)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("how", ["pickle", "joblib", "skops"])
def test_loading_a_model_saved_by_another_version_warns(Estimator, how, tmp_path):
    X, y = tiny_data(Estimator)
    estimator = make(Estimator).fit(X, y)
    estimator._sknn_version = "0.0.1-elsewhere"
    with pytest.warns(UserWarning, match=r"0\.0\.1-elsewhere"):
        loaded = _round_trip(estimator, how, tmp_path)
    assert_array_equal(loaded.predict(X), estimator.predict(X))


def test_setting_a_state_from_another_version_warns():
    X, y = tiny_data(ScratchMLPClassifier)
    state = make(ScratchMLPClassifier).fit(X, y).__getstate__()
    state["_sknn_version"] = "9.9.9"
    loaded = ScratchMLPClassifier.__new__(ScratchMLPClassifier)
    with pytest.warns(UserWarning, match=r"9\.9\.9"):
        loaded.__setstate__(state)
    assert_array_equal(
        loaded.predict(X), make(ScratchMLPClassifier).fit(X, y).predict(X)
    )


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_a_state_holding_the_optimizer_object_still_loads(solver):
    # Files saved before the optimizer was stored as builtins hold the object.
    X, y = tiny_data(ScratchMLPRegressor)
    estimator = make(ScratchMLPRegressor, solver=solver).fit(X, y)
    state = {**estimator.__getstate__(), "_optimizer": estimator._optimizer}
    loaded = ScratchMLPRegressor.__new__(ScratchMLPRegressor)
    loaded.__setstate__(copy.deepcopy(state))
    estimator.partial_fit(X, y)
    loaded.partial_fit(X, y)
    assert_same_weights(loaded, estimator)


def _saved_state_nbytes(estimator):
    """Bytes of the parameters plus the optimizer's accumulated state."""
    optimizer = estimator._optimizer
    state = [
        array
        for name in type(optimizer)._state
        if isinstance(getattr(optimizer, name), list)
        for array in getattr(optimizer, name)
    ]
    return sum(a.nbytes for a in weights(estimator) + state)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_fitted_pickle_carries_no_scratch_buffers(solver, record_property):
    # The seed's MNIST architecture, fitted briefly on random data.
    rng = np.random.default_rng(0)
    X, y = rng.random((256, 784)), np.arange(256) % 10
    params = {"hidden_layer_sizes": (128, 128), "solver": solver, "max_iter": 2}
    ours = ScratchMLPClassifier(**params, batch_size=64, random_state=0).fit(X, y)
    theirs = MLPClassifier(**params, batch_size=64, random_state=0).fit(X, y)
    ours_size, theirs_size = len(pickle.dumps(ours)), len(pickle.dumps(theirs))
    record_property("pickle_bytes_sknn_scratch", ours_size)
    record_property("pickle_bytes_sklearn", theirs_size)
    state = _saved_state_nbytes(ours)
    assert state <= ours_size <= state * 1.02 + 32_000, (ours_size, state)
    assert ours_size <= theirs_size, (ours_size, theirs_size)
    loaded = pickle.loads(pickle.dumps(ours))
    assert loaded._optimizer._scratch is None


# ---------------------------------------------------------------- memory
def _mnist_shaped_model(dtype):
    rng = np.random.default_rng(0)
    X = rng.random((256, 784)).astype(dtype)
    return ScratchMLPClassifier(
        hidden_layer_sizes=(128, 128), max_iter=1, batch_size=64, random_state=0
    ).fit(X, np.arange(256) % 10)


def _peak_bytes(function, *args):
    tracemalloc.start()
    try:
        result = function(*args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, result


def test_predict_proba_on_large_input_is_chunked(record_property):
    clf = _mnist_shaped_model(np.float32)
    X = np.zeros((200_000, 784), dtype=np.float32)
    peak, proba = _peak_bytes(clf.predict_proba, X)
    record_property("predict_proba_peak_bytes_200k", peak)
    assert proba.shape == (200_000, 10)
    # A full-size hidden activation alone would be 200_000 * 128 * 4 = 102 MB.
    assert peak < 100e6, f"peak {peak / 1e6:.0f} MB"


@pytest.mark.parametrize(
    "model_dtype, input_dtype",
    [(np.float64, np.float32), (np.float64, np.uint8), (np.float32, np.float64)],
    ids=["float64-model-float32-X", "float64-model-uint8-X", "float32-model-float64-X"],
)
def test_predict_memory_stays_bounded_when_X_needs_conversion(
    model_dtype, input_dtype, record_property
):
    # MNIST arrives as uint8; a model fitted on float64 data then predicts on
    # float32 or uint8 pixels.  Converting the whole X up front costs a copy of
    # X in the model's dtype, which grows with the number of rows.
    clf = _mnist_shaped_model(model_dtype)
    X = np.zeros((100_000, 784), dtype=input_dtype)
    peak, _ = _peak_bytes(clf.predict_proba, X)
    record_property("predict_proba_peak_bytes_100k", peak)
    assert peak < 100e6, (
        f"peak {peak / 1e6:.0f} MB for an input of {X.nbytes / 1e6:.0f} MB"
    )


# ---------------------------------------------------------------- concurrency
@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_predictions_from_8_threads_agree(Estimator, sparse):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 20))
    y = (
        X[:, 0] - X[:, 1]
        if Estimator is ScratchMLPRegressor
        else valid_y(Estimator, 400)
    )
    estimator = Estimator(hidden_layer_sizes=(32, 32), max_iter=3, random_state=0).fit(
        X, y
    )
    X_big = np.tile(X, (100, 1))  # 40_000 rows: three chunks of 16_384 rows
    if sparse:
        X_big = sp.csr_matrix(np.where(np.abs(X_big) > 1, X_big, 0.0))
    methods = _methods(estimator)
    expected = {m: getattr(estimator, m)(X_big) for m in methods}
    barrier = threading.Barrier(8)
    results, errors = [], []

    def work():
        try:
            barrier.wait()
            for _ in range(2):
                results.append({m: getattr(estimator, m)(X_big) for m in methods})
        except Exception as exc:  # report it in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert len(results) == 16
    for result in results:
        for method in methods:
            assert_array_equal(result[method], expected[method])
