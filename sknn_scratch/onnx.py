"""Export fitted estimators to ONNX through skl2onnx.

The fitted attributes carry scikit-learn's MLP names (``coefs_``,
``intercepts_``, ``n_layers_``, ``activation``, ``out_activation_``,
``classes_``), so skl2onnx's own converters for
:class:`~sklearn.neural_network.MLPClassifier` and
:class:`~sklearn.neural_network.MLPRegressor` write the graph.  This module only
registers the estimators with skl2onnx and hands those converters a read-only
view of the fitted network that differs from the estimator where scikit-learn's
MLPs and ours differ:

* the regressor standardizes its targets inside the estimator; the view folds
  ``y * scale + mean`` into the output layer (exact, the output is linear);
* skl2onnx's MLP regressor converter flattens several targets into one column;
  the graph reshapes them back to ``(n_samples, n_targets)``;
* the classifier converter reads a fitted ``_label_binarizer``, which the view
  supplies.

skl2onnx, onnx and onnxruntime form the optional ``onnx`` extra: they are
imported only when something is exported, so ``import sknn_scratch.onnx`` works
without them.
"""

from numbers import Integral
from types import SimpleNamespace

import numpy as np
from sklearn.utils.validation import check_array, check_is_fitted

from ._classifier import ScratchMLPClassifier
from ._regressor import ScratchMLPRegressor

__all__ = ["register_converters", "to_onnx"]

_INSTALL_HINT = 'pip install "sknn-scratch[onnx]"'

# skl2onnx registers its MLPClassifier converter with these options.
_CLASSIFIER_OPTIONS = {
    "zipmap": [True, False, "columns"],
    "output_class_labels": [False, True],
    "nocl": [True, False],
}


def _import_skl2onnx(caller_name):
    try:
        import skl2onnx
    except ImportError as exc:
        raise ImportError(
            f"{caller_name} requires skl2onnx, which is not installed. Install it "
            f"with the onnx extra: {_INSTALL_HINT}"
        ) from exc
    return skl2onnx


def _export_classes(classes):
    """``classes_`` in a form skl2onnx's label output can carry, or a ValueError.

    The ONNX graph returns labels as int64 or as strings; a label of any other
    kind would come back changed (0.5 as 0), so it is refused.
    """
    values = classes.tolist()
    if all(isinstance(v, str) for v in values):
        return classes
    integral = all(
        isinstance(v, Integral | bool) or (isinstance(v, float) and v.is_integer())
        for v in values
    )
    if integral and all(
        np.iinfo(np.int32).min <= v <= np.iinfo(np.int32).max for v in values
    ):
        return np.asarray(values, dtype=np.int64)
    raise ValueError(
        "to_onnx exports class labels that are all strings or all integers "
        "(within int32, skl2onnx's label type); this classifier's classes_ are "
        f"{classes.tolist()!r}. Refit on integer or string labels."
    )


def _network_view(estimator):
    """The fitted network as skl2onnx's MLP converters read an MLP.

    Parameters
    ----------
    estimator : ScratchMLPClassifier or ScratchMLPRegressor
        A fitted estimator.

    Returns
    -------
    view : types.SimpleNamespace
        ``coefs_``, ``intercepts_``, ``n_layers_``, ``n_outputs_``,
        ``activation``, ``out_activation_``, and for a classifier ``classes_``
        and ``_label_binarizer.y_type_``.
    """
    coefs = list(estimator.coefs_)
    intercepts = list(estimator.intercepts_)
    view = SimpleNamespace(
        n_layers_=estimator.n_layers_,
        n_outputs_=estimator.n_outputs_,
        activation=estimator.activation,
        out_activation_=estimator.out_activation_,
    )
    if isinstance(estimator, ScratchMLPClassifier):
        if estimator._multilabel:
            raise ValueError(
                "to_onnx cannot export a multilabel ScratchMLPClassifier: "
                "skl2onnx's MLP converter (which this export reuses) writes an "
                "ai.onnx.ml Binarizer that onnxruntime runs only on float32, "
                "declares the label output 1-D, and with two labels returns four "
                "probability columns. Binary and multiclass classifiers export."
            )
        view.classes_ = _export_classes(estimator.classes_)
        y_type = "multiclass" if len(view.classes_) > 2 else "binary"
        view._label_binarizer = SimpleNamespace(y_type_=y_type)
    else:
        # predict() returns output * _y_scale + _y_mean; the output layer is
        # linear, so the affine map folds into its weights and biases.
        scale = estimator._y_scale.astype(np.float64)
        mean = estimator._y_mean.astype(np.float64)
        coefs[-1] = coefs[-1].astype(np.float64) * scale
        intercepts[-1] = intercepts[-1].astype(np.float64) * scale + mean
    view.coefs_, view.intercepts_ = coefs, intercepts
    return view


class _OperatorView:
    """An skl2onnx operator seen with another ``raw_operator`` (and outputs)."""

    def __init__(self, operator, raw_operator, output_full_names=None):
        self._operator = operator
        self.raw_operator = raw_operator
        self.output_full_names = (
            operator.output_full_names
            if output_full_names is None
            else output_full_names
        )

    def __getattr__(self, name):
        return getattr(self._operator, name)


def _classifier_shapes(operator):
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
    )

    # skl2onnx looks the options up by the estimator's type: give it the real one.
    _network_view(operator.raw_operator)  # refuses what cannot be exported
    calculate_linear_classifier_output_shapes(operator)


def _convert_classifier(scope, operator, container):
    from skl2onnx.operator_converters.multilayer_perceptron import (
        convert_sklearn_mlp_classifier,
    )

    view = _network_view(operator.raw_operator)
    convert_sklearn_mlp_classifier(scope, _OperatorView(operator, view), container)


def _regressor_shapes(operator):
    from skl2onnx.common.shape_calculator import (
        calculate_linear_regressor_output_shapes,
    )

    calculate_linear_regressor_output_shapes(operator)  # (n_samples, 1)
    n_outputs = operator.raw_operator.n_outputs_
    if n_outputs > 1:
        output = operator.outputs[0]
        n_samples = operator.inputs[0].get_first_dimension()
        output.set_type(type(output.type)([n_samples, n_outputs]))


def _convert_regressor(scope, operator, container):
    from skl2onnx.common._apply_operation import apply_reshape
    from skl2onnx.operator_converters.multilayer_perceptron import (
        convert_sklearn_mlp_regressor,
    )

    view = _network_view(operator.raw_operator)
    if view.n_outputs_ == 1:
        convert_sklearn_mlp_regressor(scope, _OperatorView(operator, view), container)
        return
    # skl2onnx's converter ends in a reshape to (-1, 1), which turns n_targets
    # columns into n_samples * n_targets rows (row-major); reshape them back.
    flat = scope.get_unique_variable_name("flat_predictions")
    convert_sklearn_mlp_regressor(
        scope, _OperatorView(operator, view, output_full_names=[flat]), container
    )
    apply_reshape(
        scope,
        flat,
        operator.output_full_names,
        container,
        desired_shape=(-1, view.n_outputs_),
    )


def register_converters():
    """Register the estimators with skl2onnx.

    :func:`to_onnx` calls this itself.  Call it before ``skl2onnx.to_onnx`` to
    convert a scikit-learn pipeline or meta-estimator that contains a
    :class:`~sknn_scratch.ScratchMLPClassifier` or
    :class:`~sknn_scratch.ScratchMLPRegressor`.  Registering again is harmless.

    Examples
    --------
    >>> from skl2onnx import to_onnx as skl2onnx_to_onnx
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn_scratch import ScratchMLPClassifier
    >>> from sknn_scratch.onnx import register_converters
    >>> X, y = load_iris(return_X_y=True)
    >>> pipe = make_pipeline(
    ...     StandardScaler(),
    ...     ScratchMLPClassifier((8,), solver="lbfgs", max_iter=50, random_state=0),
    ... ).fit(X, y)
    >>> register_converters()
    >>> onx = skl2onnx_to_onnx(pipe, X[:1], options={"zipmap": False})
    >>> [output.name for output in onx.graph.output]
    ['label', 'probabilities']
    """
    skl2onnx = _import_skl2onnx("register_converters")
    skl2onnx.update_registered_converter(
        ScratchMLPClassifier,
        "SknnScratchMLPClassifier",
        _classifier_shapes,
        _convert_classifier,
        options=_CLASSIFIER_OPTIONS,
    )
    skl2onnx.update_registered_converter(
        ScratchMLPRegressor,
        "SknnScratchMLPRegressor",
        _regressor_shapes,
        _convert_regressor,
    )


def to_onnx(estimator, X_sample, **kwargs):
    """Convert a fitted estimator to an ONNX model with skl2onnx.

    The graph is written by skl2onnx's converters for scikit-learn's MLPs,
    adapted where the estimators differ from those (the regressor's target
    scaling is folded into the output layer; several targets keep their own
    columns), and runs in any ONNX runtime.  Its
    single input, ``"X"``, takes a float matrix of shape ``(n_samples,
    n_features)``.  A classifier's graph returns ``label`` of shape
    ``(n_samples,)`` (int64 or string labels) and ``probabilities`` of shape
    ``(n_samples, n_classes)``, which reproduce ``predict`` and
    ``predict_proba``; a regressor's returns ``variable`` of shape
    ``(n_samples, n_targets)`` (``(n_samples, 1)`` for a single target), which
    reproduces ``predict``.

    Parameters
    ----------
    estimator : ScratchMLPClassifier or ScratchMLPRegressor
        The fitted estimator.  Multilabel classifiers cannot be exported (a
        ValueError says why), nor classifiers whose labels are neither all
        integers nor all strings.

    X_sample : array-like of shape (n_samples, n_features)
        Rows like those the graph will receive; only their number of columns
        and their dtype are used.  float32 gives a graph computing in float32
        with a float32 input; any other dtype is converted to float64 and gives
        a graph computing in float64.

    **kwargs
        Passed to :func:`skl2onnx.to_onnx` (``target_opset``, ``name``,
        ``options``, ...).  Unless ``options`` is given, a classifier is
        exported with ``{"zipmap": False}`` so that probabilities come out as
        a plain tensor rather than a list of dictionaries (ONNX's ZipMap,
        which makes those dictionaries, takes float32 only).

    Returns
    -------
    onnx_model : onnx.ModelProto
        The model; ``onnx_model.SerializeToString()`` gives the bytes that
        :class:`onnxruntime.InferenceSession` loads.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If the estimator is not fitted.

    TypeError
        If ``estimator`` is not one of the two estimators.

    ValueError
        If the estimator cannot be exported (see ``estimator``), or
        ``X_sample`` is not a 2-D numeric array with ``n_features_in_``
        columns.

    ImportError
        If skl2onnx is not installed (the ``onnx`` extra).

    See Also
    --------
    register_converters : Make skl2onnx convert pipelines holding the estimators.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklearn.datasets import load_iris
    >>> from sknn_scratch import ScratchMLPClassifier
    >>> from sknn_scratch.onnx import to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = ScratchMLPClassifier(
    ...     (16,), solver="lbfgs", max_iter=100, random_state=0
    ... ).fit(X, y)
    >>> onx = to_onnx(clf, X[:1])
    >>> session = ort.InferenceSession(
    ...     onx.SerializeToString(), providers=["CPUExecutionProvider"]
    ... )
    >>> labels, proba = session.run(None, {"X": X})
    >>> bool(np.abs(proba - clf.predict_proba(X)).max() < 1e-5)
    True
    >>> bool((labels == clf.predict(X)).all())
    True
    """
    if not isinstance(estimator, ScratchMLPClassifier | ScratchMLPRegressor):
        raise TypeError(
            "to_onnx converts a ScratchMLPClassifier or ScratchMLPRegressor, got "
            f"{type(estimator).__name__}; for a pipeline holding one, call "
            "register_converters() and then skl2onnx.to_onnx"
        )
    check_is_fitted(estimator)
    _network_view(estimator)  # refuses what cannot be exported, before skl2onnx
    try:
        X_sample = check_array(
            X_sample, dtype=[np.float64, np.float32], input_name="X_sample"
        )
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"X_sample: {exc}") from exc
    if X_sample.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X_sample has {X_sample.shape[1]} features, but "
            f"{type(estimator).__name__} was fitted on {estimator.n_features_in_}"
        )
    skl2onnx = _import_skl2onnx("to_onnx")
    register_converters()
    if isinstance(estimator, ScratchMLPClassifier):
        kwargs.setdefault("options", {"zipmap": False})
    return skl2onnx.to_onnx(estimator, X_sample[:1], **kwargs)
