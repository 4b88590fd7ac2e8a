"""ScratchMLPClassifier: the NumPy MLP as a scikit-learn classifier."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_consistent_length, column_or_1d

from ._base import BaseMLP, _native_labels
from ._docs import compose
from ._sklearn_compat import StrOptions, _fit_context


def _target_type(y):
    """'binary', 'multiclass' or 'multilabel-indicator'; anything else raises."""
    if (
        y.dtype == object
        and y.ndim == 1
        and all(isinstance(v, str | Integral) for v in y)
    ):
        # Labels of mixed types (ints and strings) are fine, but True == 1 and
        # False == 0, so bools beside other integers would merge into one class.
        if len({isinstance(v, bool) for v in y if not isinstance(v, str)}) == 2:
            raise ValueError(
                "y mixes bools and integers as labels; True and 1 (False and 0) "
                "would be one class. Give the labels one type."
            )
        return "multiclass"
    kind = type_of_target(y, input_name="y")
    if kind in ("binary", "multiclass", "multilabel-indicator"):
        return kind
    check_classification_targets(y)  # scikit-learn's message for continuous targets
    raise ValueError(
        f"{kind} targets are not supported; y must be labels or a "
        "multilabel indicator matrix"
    )


def _unique_labels(labels):
    """Sorted distinct labels; numbers before strings when the types are mixed."""
    labels = _native_labels(np.asarray(labels))
    if labels.dtype != object:
        return np.unique(labels)
    ordered = sorted(set(labels.tolist()), key=lambda v: (isinstance(v, str), v))
    result = np.empty(len(ordered), dtype=object)
    result[:] = ordered
    return result


def _mixed_types(labels):
    """Whether ``labels`` are a vector that mixes strings and other objects."""
    labels = np.asarray(labels)
    return (
        labels.dtype == object
        and labels.ndim == 1
        and len({isinstance(v, str) for v in labels}) == 2
    )


def _dict_class_weights(class_weight, classes):
    """Per-class weights from a ``{label: weight}`` dict; classes not in it get 1.

    Keys are matched as they are, so float and mixed-type labels work (scikit-learn's
    ``compute_class_weight`` casts labels to int or str first).  As there, a key
    that names no class raises, unless every class has a weight.
    """
    for label, weight in class_weight.items():
        if (
            not isinstance(weight, Real)
            or isinstance(weight, bool)
            or not np.isfinite(weight)
            or weight < 0
        ):
            raise ValueError(
                "class_weight values must be finite numbers >= 0, got "
                f"{weight!r} for class {label!r}"
            )
    classes = classes.tolist()
    unknown = [label for label in class_weight if label not in classes]
    if unknown and any(label not in class_weight for label in classes):
        raise ValueError(
            f"class_weight names labels that are not classes: {unknown!r}; the "
            f"classes are {classes!r}"
        )
    return np.array([class_weight.get(label, 1.0) for label in classes], float)


def _balanced_weights(indices, n_classes):
    """scikit-learn's 'balanced' n / (n_classes * count); absent classes count 1."""
    counts = np.bincount(indices, minlength=n_classes)
    return len(indices) / (n_classes * np.maximum(counts, 1))


class ScratchMLPClassifier(ClassifierMixin, BaseMLP):
    __doc__ = compose(
        """Multi-layer perceptron classifier trained by backpropagation, in NumPy.

    A drop-in alternative to :class:`sklearn.neural_network.MLPClassifier` built on
    :mod:`sknn_scratch.nn`: softmax output and cross-entropy for multiclass
    targets, one logistic output for binary targets, one logistic output per label
    for multilabel indicator targets.

    Parameters
    ----------
    {parameters}

    class_weight : dict, 'balanced' or None, default=None
        Weights multiplied into ``sample_weight`` per class.  'balanced' uses
        ``n_samples / (n_classes * count)``; in ``partial_fit`` the counts come
        from the first batch (classes absent from it count as 1) and stay fixed.
        A dict is not accepted for multilabel targets.

    {parameters_end}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (for multilabel targets, the label indices).

    {attributes}

    See Also
    --------
    ScratchMLPRegressor : The same network for regression.
    sklearn.neural_network.MLPClassifier : scikit-learn's MLP classifier.

    Notes
    -----
    Per minibatch the loss is the weighted mean cross-entropy plus
    ``l1 * sum|W| + l2 * sum W**2``, the weights being ``sample_weight`` times the
    class weights.  Saved models (pickle, joblib) execute code when loaded: load
    only files you trust, or use ``skops.io``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn_scratch import ScratchMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> clf = make_pipeline(StandardScaler(), ScratchMLPClassifier(
    ...     hidden_layer_sizes=(16,), learning_rate=0.05, random_state=0))
    >>> clf.fit(X_train, y_train).score(X_test, y_test) > 0.9
    True
    >>> clf.predict_proba(X_test[:1]).shape
    (1, 3)
    """
    )

    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(128, 128),
        activation="relu",
        *,
        solver="sgd",
        l1=0.0,
        l2=0.0,
        learning_rate=0.01,
        decay=0.0,
        momentum=0.9,
        nesterov=False,
        batch_size=128,
        max_iter=200,
        shuffle=True,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        dropout=0.0,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        max_fun=15000,
        scoring=None,
        class_weight=None,
        dtype=None,
        random_state=None,
        verbose=0,
        warm_start=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.l1 = l1
        self.l2 = l2
        self.learning_rate = learning_rate
        self.decay = decay
        self.momentum = momentum
        self.nesterov = nesterov
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.dropout = dropout
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.max_fun = max_fun
        self.scoring = scoring
        self.class_weight = class_weight
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    # ------------------------------------------------------------ public API
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Fit the network to ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multilabel indicator matrix.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples in the loss.
        validation_data : tuple (X_val, y_val), default=None
            Scored at the end of every epoch (every iteration for 'lbfgs') and
            used for early stopping: training keeps the best epoch's weights.
            Taken as given: a Pipeline's earlier steps do not transform it
            (see the user guide's "Early stopping").

        Returns
        -------
        self : ScratchMLPClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, validation_data)

    @available_if(BaseMLP._check_partial_fit)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch on ``(X, y)``, keeping the weights and optimizer state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data of this call.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multilabel indicator matrix.
        classes : array-like of shape (n_classes,), default=None
            All the labels that will ever appear; required on the first call.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples in the loss.

        Returns
        -------
        self : ScratchMLPClassifier
            The updated estimator.
        """
        if not hasattr(self, "classes_"):
            if classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit."
                )
        elif classes is not None and not np.array_equal(
            _unique_labels(classes), self.classes_
        ):
            raise ValueError(
                f"classes={classes!r} differs from the classes of the previous "
                f"calls, {self.classes_!r}."
            )
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def predict(self, X):
        """Predict class labels (or the label indicator matrix) for ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        output = self._forward(X)
        if self._multilabel:
            return (output > 0.5).astype(int)
        if self.out_activation_ == "softmax":
            return self.classes_[np.argmax(output, axis=1)]
        return self.classes_[(output[:, 0] > 0.5).astype(np.intp)]

    def predict_proba(self, X):
        """Class probabilities, one column per class in the order of ``classes_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        output = self._forward(X)
        # Keep probabilities inside (0, 1): a saturated output rounds to exactly
        # 0 or 1; moving it to the nearest normal float keeps log-probabilities
        # finite and moves a probability by at most one unit in the last place.
        dtype = output.dtype
        np.clip(
            output, np.finfo(dtype).tiny, np.nextafter(dtype.type(1), 0), out=output
        )
        if self.out_activation_ == "softmax":
            return output
        return output if self._multilabel else np.hstack([1 - output, output])

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities.

        This is ``log(predict_proba(X))``.  Probabilities are kept at least the
        smallest normal float, so the logs are finite (at least about -708 in
        float64, -87 in float32).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        proba = self.predict_proba(X)
        return np.log(proba, out=proba)

    def decision_function(self, X):
        """The output layer's pre-activation values (logits).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One column per output unit; 1-D for binary targets (one logistic
            output), like scikit-learn's classifiers.
        """
        logits = self._forward(X, logits=True)
        if self.out_activation_ == "logistic" and not self._multilabel:
            return logits[:, 0]
        return logits

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of ``predict(X)`` against ``y`` (subset accuracy, multilabel).

        As :meth:`sklearn.base.ClassifierMixin.score`; labels that mix strings
        and numbers, which scikit-learn's ``accuracy_score`` refuses, are
        compared as they are.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            True labels, or the true label indicator matrix.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the mean.

        Returns
        -------
        score : float
        """
        if not sp.issparse(y):
            y = _native_labels(np.asarray(y))
        if not (_mixed_types(y) or _mixed_types(getattr(self, "classes_", ()))):
            return super().score(X, y, sample_weight=sample_weight)
        predicted = self.predict(X)
        y = column_or_1d(y, warn=True)
        check_consistent_length(y, predicted, sample_weight)
        return float(np.average(predicted == y, weights=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    # ------------------------------------------------------------ BaseMLP hooks
    def _encode_targets(
        self, y, *, reset, classes=None, dtype=np.float64, sample_weight=None
    ):
        kind = _target_type(y)
        if reset:
            self._multilabel = kind == "multilabel-indicator"
            self.__dict__.pop("_partial_class_weight", None)
            if self._multilabel:
                self.classes_ = np.arange(y.shape[1])
                self.n_outputs_ = y.shape[1]
                if classes is not None and not np.isin(self.classes_, classes).all():
                    raise ValueError(
                        f"classes={list(classes)!r} must name the {y.shape[1]} "
                        f"columns of the multilabel indicator y: "
                        f"{self.classes_.tolist()}"
                    )
            else:
                self.classes_ = _unique_labels(y if classes is None else classes)
                if len(self.classes_) < 2:
                    raise ValueError(
                        f"{type(self).__name__} needs samples of at least 2 classes "
                        f"in y; got 1 class: {self.classes_[0]!r}"
                    )
                self.n_outputs_ = len(self.classes_) if len(self.classes_) > 2 else 1
            multiclass = not self._multilabel and len(self.classes_) > 2
            self.out_activation_ = "softmax" if multiclass else "logistic"
        if self._multilabel:
            if kind != "multilabel-indicator" or y.shape[1] != self.n_outputs_:
                raise ValueError(
                    f"y must be a multilabel indicator matrix with {self.n_outputs_} "
                    "columns, as in the first fit"
                )
            if not np.isin(y, (0, 1)).all():
                raise ValueError(
                    "a multilabel indicator y must hold only 0 and 1; got "
                    f"{np.unique(y)[:5].tolist()}"
                )
            return y.astype(dtype)
        if kind == "multilabel-indicator":
            raise ValueError(
                "y is a multilabel indicator matrix, but the estimator "
                "was fitted on class labels"
            )
        indices = self._label_indices(y)
        if self.out_activation_ == "softmax":
            return indices
        return indices.astype(dtype).reshape(-1, 1)

    def _label_indices(self, y):
        unseen = None
        if self.classes_.dtype == object or y.dtype == object:
            lookup = {label: i for i, label in enumerate(self.classes_.tolist())}
            indices = np.fromiter(
                (lookup.get(v, -1) for v in y.tolist()), np.intp, len(y)
            )
            if (indices < 0).any():
                unseen = y[indices < 0]
        else:
            try:
                indices = np.searchsorted(self.classes_, y)
                indices[indices == len(self.classes_)] = 0
                known = self.classes_[indices] == y
            except TypeError:  # e.g. strings against numeric classes
                known = np.zeros(len(y), dtype=bool)
            if not known.all():
                unseen = y[~known]
        if unseen is not None:
            raise ValueError(
                f"y contains labels not seen in the first fit: "
                f"{_unique_labels(unseen)[:5].tolist()}; known classes: "
                f"{self.classes_.tolist()}"
            )
        return indices

    def _target_weights(self, y, y_encoded, sample_weight, incremental):
        if self.class_weight is None:
            return sample_weight
        if self._multilabel:
            if self.class_weight != "balanced":
                raise ValueError(
                    "class_weight as a dict is not supported for multilabel y; use "
                    "'balanced' or sample_weight"
                )
            weights = compute_sample_weight("balanced", y)
        else:
            indices = y_encoded.ravel().astype(np.intp)
            n_classes = len(self.classes_)
            if self.class_weight != "balanced":
                per_class = _dict_class_weights(self.class_weight, self.classes_)
            elif incremental:
                if not hasattr(self, "_partial_class_weight"):
                    self._partial_class_weight = _balanced_weights(indices, n_classes)
                per_class = self._partial_class_weight
            else:
                per_class = _balanced_weights(indices, n_classes)
            weights = per_class[indices]
        weights = weights.astype(
            y_encoded.dtype if y_encoded.dtype.kind == "f" else float
        )
        return weights if sample_weight is None else sample_weight * weights

    def _stratify(self, y_encoded):
        return None if self._multilabel else y_encoded.ravel()

    def _default_score(self, y_encoded, output, sample_weight):
        if self.out_activation_ == "softmax":
            correct = np.argmax(output, axis=1) == y_encoded
        else:
            correct = np.all((output > 0.5) == (y_encoded > 0.5), axis=1)
        return np.average(correct, weights=sample_weight)
