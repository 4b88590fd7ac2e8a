"""ONNX export: onnxruntime reproduces predict_proba / predict to 1e-5.

Every activation, binary and multiclass classifiers with integer, float-integral,
boolean and string labels, single- and multi-target regressors, in float64 and
float32.  The data are generated here; the networks are trained for a few
epochs only, which is enough to move the weights away from their initial values
(an untrained network would not test the export of the trained state).
"""

import numpy as np
import onnxruntime as ort
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from skl2onnx import to_onnx as skl2onnx_to_onnx
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor
from sknn_scratch.onnx import register_converters, to_onnx

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ACTIVATIONS = ["relu", "tanh", "logistic", "identity"]
DTYPES = [np.float64, np.float32]
TOL = 1e-5  # the contract: onnxruntime reproduces the outputs to 1e-5


def _run(onnx_model, X):
    session = ort.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {"X": X})


def _classification(n_classes, dtype):
    X, y = make_classification(
        n_samples=120,
        n_features=6,
        n_informative=4,
        n_classes=n_classes,
        random_state=0,
    )
    return X.astype(dtype), y


def _regression(n_targets, dtype):
    X, y = make_regression(
        n_samples=120, n_features=6, n_targets=n_targets, noise=0.1, random_state=0
    )
    # Targets of a few units (the regressor predicts them back through its
    # target scaling, which the export folds into the output layer).
    return X.astype(dtype), (y / 20 + 3).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_classifier_onnx_reproduces_predict_proba(activation, n_classes, dtype):
    X, y = _classification(n_classes, dtype)
    clf = ScratchMLPClassifier(
        (8, 5), activation, solver="adam", max_iter=15, random_state=0
    ).fit(X, y)
    onnx_model = to_onnx(clf, X)

    labels, proba = _run(onnx_model, X)

    assert proba.dtype == dtype
    assert proba.shape == (len(X), n_classes)
    assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=TOL)
    assert_array_equal(labels, clf.predict(X))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_targets", [1, 3])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_regressor_onnx_reproduces_predict(activation, n_targets, dtype):
    X, y = _regression(n_targets, dtype)
    reg = ScratchMLPRegressor(
        (8, 5), activation, solver="adam", max_iter=15, random_state=0
    ).fit(X, y)
    onnx_model = to_onnx(reg, X)

    (prediction,) = _run(onnx_model, X)

    expected = reg.predict(X).reshape(len(X), n_targets)
    assert prediction.dtype == dtype
    assert prediction.shape == expected.shape
    assert_allclose(prediction, expected, rtol=TOL, atol=TOL)


def test_regressor_onnx_includes_target_scaling():
    # Targets far from zero mean / unit spread: an export of coefs_ alone would
    # be off by the whole target scaling.
    X, y = _regression(1, np.float64)
    reg = ScratchMLPRegressor((8,), solver="lbfgs", max_iter=50, random_state=0)
    reg.fit(X, 1000 * y - 5000)

    (prediction,) = _run(to_onnx(reg, X), X)

    assert_allclose(prediction.ravel(), reg.predict(X), rtol=TOL, atol=TOL)


@pytest.mark.parametrize(
    "labels",
    [
        np.array(["cat", "dog"]),
        np.array(["a", "b", "c"]),
        np.array([-4, 10, 7]),
        np.array([1.0, 2.0]),
        np.array([False, True]),
    ],
    ids=["str-binary", "str-multiclass", "int", "float-integral", "bool"],
)
def test_classifier_onnx_returns_labels_of_any_supported_kind(labels):
    X, y = _classification(len(labels), np.float64)
    y = labels[y]
    clf = ScratchMLPClassifier((8,), max_iter=10, random_state=0).fit(X, y)

    predicted, proba = _run(to_onnx(clf, X), X)

    assert_array_equal(predicted, clf.predict(X))
    assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=TOL)


def test_float32_sample_gives_float32_graph_for_float64_model():
    X, y = _classification(3, np.float64)
    clf = ScratchMLPClassifier((8,), max_iter=10, random_state=0).fit(X, y)

    onnx_model = to_onnx(clf, X.astype(np.float32))
    _, proba = _run(onnx_model, X.astype(np.float32))

    assert proba.dtype == np.float32
    assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=TOL)


def test_no_hidden_layer_exports():
    X, y = _classification(3, np.float64)
    clf = ScratchMLPClassifier((), max_iter=10, random_state=0).fit(X, y)

    _, proba = _run(to_onnx(clf, X), X)

    assert_allclose(proba, clf.predict_proba(X), rtol=0, atol=TOL)


def test_zipmap_option_is_passed_to_skl2onnx():
    X, y = _classification(3, np.float32)  # ONNX's ZipMap takes float32 only
    clf = ScratchMLPClassifier((8,), max_iter=10, random_state=0).fit(X, y)

    _, proba = _run(to_onnx(clf, X, options={"zipmap": True}), X[:2])

    assert isinstance(proba, list) and sorted(proba[0]) == [0, 1, 2]
    assert_allclose(
        [[row[k] for k in range(3)] for row in proba],
        clf.predict_proba(X[:2]),
        atol=TOL,
    )


def test_pipeline_converts_after_register_converters():
    X, y = _classification(3, np.float64)
    pipe = make_pipeline(
        StandardScaler(), ScratchMLPClassifier((8,), max_iter=10, random_state=0)
    ).fit(X, y)

    register_converters()
    onnx_model = skl2onnx_to_onnx(pipe, X[:1], options={"zipmap": False})
    labels, proba = _run(onnx_model, X)

    assert_array_equal(labels, pipe.predict(X))
    assert_allclose(proba, pipe.predict_proba(X), rtol=0, atol=TOL)


@pytest.mark.parametrize("Estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_unfitted_estimator_raises(Estimator):
    with pytest.raises(NotFittedError, match="not fitted"):
        to_onnx(Estimator(), np.zeros((1, 3)))


def test_other_estimator_raises_type_error():
    X, y = _classification(2, np.float64)
    with pytest.raises(TypeError, match="ScratchMLPClassifier or ScratchMLPRegressor"):
        to_onnx(LogisticRegression().fit(X, y), X)


def test_multilabel_classifier_raises_with_reason():
    X, _ = _classification(2, np.float64)
    Y = (X[:, :3] > 0).astype(int)
    clf = ScratchMLPClassifier((8,), max_iter=5, random_state=0).fit(X, Y)
    with pytest.raises(ValueError, match=r"multilabel.*Binarizer"):
        to_onnx(clf, X)


@pytest.mark.parametrize(
    "labels",
    [np.array([1, "b"], dtype=object), np.array([0, 2**40])],
    ids=["mixed", "beyond-int32"],
)
def test_classifier_with_labels_onnx_cannot_carry_raises(labels):
    X, y = _classification(2, np.float64)
    clf = ScratchMLPClassifier((4,), max_iter=5, random_state=0).fit(X, labels[y])
    with pytest.raises(ValueError, match="all strings or all integers"):
        to_onnx(clf, X)


def test_X_sample_with_wrong_feature_count_raises():
    X, y = _classification(2, np.float64)
    clf = ScratchMLPClassifier((4,), max_iter=5, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"X_sample has 5 features.*fitted on 6"):
        to_onnx(clf, X[:, :5])
    with pytest.raises(ValueError, match="X_sample: Expected 2D array"):
        to_onnx(clf, X[0])
