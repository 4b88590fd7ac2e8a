"""ScratchMLPRegressor: the NumPy MLP as a scikit-learn regressor."""

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if

from ._base import BaseMLP, _check_range
from ._docs import compose
from ._sklearn_compat import _fit_context


def _target_scaling(y, sample_weight):
    """Weighted mean and standard deviation of each float64 target (std 1 if constant).

    Weighted statistics keep integer weights equivalent to repeated rows.
    """
    if sample_weight is not None and not np.sum(sample_weight) > 0:
        sample_weight = None  # fit() reports the all-zero weights itself
    # Work relative to the largest |y| so that squaring cannot overflow.
    magnitude = np.max(np.abs(y), axis=0)
    magnitude[magnitude == 0] = 1
    unit = y / magnitude
    mean = np.average(unit, axis=0, weights=sample_weight)
    std = np.sqrt(np.average((unit - mean) ** 2, axis=0, weights=sample_weight))
    mean, std = mean * magnitude, std * magnitude
    # A constant target still shows the mean's rounding error, up to about
    # n * eps * |mean|: that is no spread to scale by.  (Relative to the mean
    # only, so that targets of any units keep their spread.)
    rounding = len(y) * np.finfo(y.dtype).eps * np.abs(mean)
    std[~(std > rounding)] = 1
    return mean, std


class ScratchMLPRegressor(RegressorMixin, BaseMLP):
    __doc__ = compose(
        """Multi-layer perceptron regressor trained by backpropagation, in NumPy.

    A drop-in alternative to :class:`sklearn.neural_network.MLPRegressor` built on
    :mod:`sknn_scratch.nn`: an identity output layer and half the mean squared
    error, for one or several targets.

    Parameters
    ----------
    {parameters}

    {parameters_end}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    ScratchMLPClassifier : The same network for classification.
    sklearn.neural_network.MLPRegressor : scikit-learn's MLP regressor.

    Notes
    -----
    The targets are standardized inside the estimator (per target, with the
    weighted mean and standard deviation of the first fit) and predictions are
    mapped back, as ``TransformedTargetRegressor(transformer=StandardScaler())``
    would do: the default step size works whatever the scale of ``y``, and the
    fit does not depend on the units ``y`` is given in.
    Per minibatch the loss is half the squared error, summed over the targets
    and averaged over the rows (weighted by ``sample_weight``), on the
    standardized targets, plus ``l1 * sum|W| + l2 * sum W**2``: the objective
    whose gradient scikit-learn's MLPRegressor follows (its ``loss_curve_``
    divides by the number of targets as well, scikit-learn issue #8349).  The
    per-epoch scores (``accuracy_curve_``, ``validation_scores_``) are R².
    Saved models (pickle, joblib) execute code when loaded: load only files you
    trust, or use ``skops.io``.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn_scratch import ScratchMLPRegressor
    >>> X, y = make_regression(n_samples=300, n_features=5, noise=1.0, random_state=0)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X, y / y.std(), random_state=0)
    >>> reg = make_pipeline(StandardScaler(), ScratchMLPRegressor(
    ...     hidden_layer_sizes=(32,), random_state=0))
    >>> reg.fit(X_train, y_train).score(X_test, y_test) > 0.95
    True
    """
    )

    _curve_name = "r2"

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
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Fit the network to ``X`` and ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples in the loss.
        validation_data : tuple (X_val, y_val), default=None
            Scored (R², or ``scoring``) at the end of every epoch (every
            iteration for 'lbfgs') and used for early stopping: training keeps
            the best epoch's weights.
            Taken as given: a Pipeline's earlier steps do not transform it
            (see the user guide's "Early stopping").

        Returns
        -------
        self : ScratchMLPRegressor
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, validation_data)

    @available_if(BaseMLP._check_partial_fit)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on ``(X, y)``, keeping the weights and optimizer state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data of this call.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples in the loss.

        Returns
        -------
        self : ScratchMLPRegressor
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predict the targets of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            1-D when the model was fitted on a 1-D ``y``.
        """
        output = self._forward(X)
        output *= self._y_scale
        output += self._y_mean
        return output.ravel() if self._single_target else output

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    # ------------------------------------------------------------ BaseMLP hooks
    def _encode_targets(
        self, y, *, reset, classes=None, dtype=np.float64, sample_weight=None
    ):
        try:
            # Standardized in float64 whatever the compute dtype, so that the
            # statistics of float32 training are as exact as float64's.
            y = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"y must be numeric for a regressor: {exc}") from None
        if y.ndim not in (1, 2):
            raise ValueError(f"y must be 1-D or 2-D, got shape {y.shape}")
        if not np.isfinite(y).all():
            raise ValueError("y contains NaN, infinity or None")
        single_target = y.ndim == 1
        n_outputs = 1 if single_target else y.shape[1]
        y = y.reshape(-1, n_outputs)
        if reset:
            self._single_target = single_target
            self.n_outputs_ = n_outputs
            self.out_activation_ = "identity"
            _check_range(y, dtype, name="y")  # predictions come back in dtype
            mean, scale = _target_scaling(y, sample_weight)
            self._y_mean, self._y_scale = mean.astype(dtype), scale.astype(dtype)
        elif n_outputs != self.n_outputs_:
            raise ValueError(
                f"y has {n_outputs} targets, but the estimator was fitted on "
                f"{self.n_outputs_}"
            )
        standardized = (y - self._y_mean.astype(np.float64)) / self._y_scale
        return standardized.astype(dtype, copy=False)

    def _loss_in_tol_units(self, loss):
        # The loss sums the squared error over the targets, the objective whose
        # gradient scikit-learn descends; the loss scikit-learn reports, and
        # compares with tol, is the mean over them.
        return loss / self.n_outputs_

    def _default_score(self, y_encoded, output, sample_weight):
        return r2_score(y_encoded, output, sample_weight=sample_weight)
