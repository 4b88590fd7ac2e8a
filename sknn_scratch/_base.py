"""The estimator base shared by the classifier and the regressor.

The two estimators differ only in their targets (labels or numbers), their output
activation and their default validation score; everything else lives here: the
parameters and their validation, building a core :class:`~sknn_scratch.nn.Model`
around ``coefs_``/``intercepts_``, the epoch loop with its stopping rules,
callbacks and progress display, L-BFGS, and the forward pass used by ``predict``.
"""

import copy
import re
import warnings
from abc import ABCMeta, abstractmethod
from contextlib import contextmanager
from itertools import pairwise
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.base import BaseEstimator
from sklearn.callback import CallbackSupportMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import (
    check_array,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from . import __version__, nn
from ._progress import EpochProgress
from ._sklearn_compat import Interval, Options, StrOptions, _check_sample_weight
from .nn._blas import training_threads

_SOLVER_OF = {optimizer: solver for solver, optimizer in nn.OPTIMIZERS.items()}

_DTYPES = {"float32": np.float32, "float64": np.float64}


class _BestEpoch:
    """The best score so far, its epoch, and the epochs since it last improved.

    An epoch (an L-BFGS iteration) *improves* when its score beats the best by
    more than ``tol``; ``copy_parameters``, when given, snapshots the weights of
    each new best so that training can end on them.
    """

    def __init__(self, tol):
        self.tol = tol
        self.score, self.epoch, self.parameters, self.stale = -np.inf, None, None, 0

    def update(self, score, epoch, copy_parameters=None):
        self.stale = 0 if score > self.score + self.tol else self.stale + 1
        if score > self.score:
            self.score, self.epoch = score, epoch
            if copy_parameters is not None:
                self.parameters = copy_parameters()


# Frames between a training loop (_fit_stochastic, _fit_lbfgs) and the user's call:
# loop <- _fit_unchecked <- _fit <- fit/partial_fit <- _fit_context's wrapper <- user.
_USER_LEVEL = 6


@contextmanager
def _naming_errors(culprit):
    """Prefix a ValueError/TypeError with the argument at fault, ``culprit()``.

    scikit-learn's and NumPy's messages ("Expected 2D array, got 1D array
    instead") often do not say which argument they mean.  The type and the
    original text are kept.
    """
    try:
        yield
    except (ValueError, TypeError) as exc:
        name = culprit()
        if re.search(rf"\b{name}\b", str(exc)):
            raise
        kind = TypeError if isinstance(exc, TypeError) else ValueError
        raise kind(f"{name}: {exc}") from exc


def _check_range(X, dtype, name="X"):
    """Raise ValueError if float ``X`` has values that overflow ``dtype``."""
    if X.dtype == dtype:
        return  # nothing to convert, nothing to overflow
    limit = np.finfo(dtype).max
    if X.size and (X.max() > limit or X.min() < -limit):
        raise ValueError(
            f"{name}: values beyond the range of {np.dtype(dtype).name} "
            f"(+-{limit:.4g}); scale it or train with dtype='float64'"
        )


def _native_labels(y):
    """An object vector of only integers (or only bools) as an int (bool) array.

    scikit-learn's metrics refuse integer labels held as objects (e.g. from a
    pandas object column); as numbers they work everywhere.
    """
    if y.dtype == object and y.ndim == 1 and y.size:
        if all(isinstance(v, bool) for v in y):
            return y.astype(bool)
        if all(isinstance(v, Integral) and not isinstance(v, bool) for v in y):
            return np.array(y.tolist())  # int64, or objects beyond its range
    return y


def _targets(y):
    """``y`` as the estimators take it: dense, a single column as a vector, and
    integer labels held as objects as integers."""
    # A sparse y is e.g. MultiLabelBinarizer(sparse_output=True)'s.
    y = y.toarray() if sp.issparse(y) else np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)  # scikit-learn's DataConversionWarning
    return _native_labels(y)


def _bad_X(estimator, X, dtype, continuing):
    """Whether ``X`` alone fails validation (so the error is about X, not y)."""
    try:
        if continuing:  # the feature count and names must match the fitted ones
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                validate_data(
                    estimator, X, accept_sparse="csr", dtype=dtype, reset=False
                )
        else:
            check_array(X, accept_sparse="csr", dtype=dtype)
    except (ValueError, TypeError):
        return True
    return False


def _hidden_sizes(hidden_layer_sizes):
    sizes = (
        [hidden_layer_sizes]
        if isinstance(hidden_layer_sizes, Integral)
        else list(hidden_layer_sizes)
    )
    if not all(
        isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes
    ):
        raise ValueError(
            "hidden_layer_sizes must be a tuple of ints >= 1 (or () for no hidden "
            f"layer), got {hidden_layer_sizes!r}"
        )
    return [int(s) for s in sizes]


class BaseMLP(CallbackSupportMixin, BaseEstimator, metaclass=ABCMeta):
    """Everything the MLP classifier and regressor share; not for direct use."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions({"relu", "tanh", "logistic", "identity"})],
        "solver": [StrOptions({"sgd", "adam", "lbfgs"})],
        "l1": [Interval(Real, 0, None, closed="left")],
        "l2": [Interval(Real, 0, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "decay": [Interval(Real, 0, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterov": ["boolean"],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "dtype": [StrOptions(set(_DTYPES)), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
    }

    # ------------------------------------------------------------ subclass hooks
    @abstractmethod
    def _encode_targets(
        self, y, *, reset, classes=None, dtype=np.float64, sample_weight=None
    ):
        """Check ``y``, set target attributes when ``reset``; return y for the loss."""

    @abstractmethod
    def _default_score(self, y_encoded, output, sample_weight):
        """The validation score when ``scoring=None`` (accuracy, R²)."""

    def _target_weights(self, y, y_encoded, sample_weight, incremental):
        """Per-sample weights from the targets (class_weight); the base adds none."""
        return sample_weight

    def _stratify(self, y_encoded):
        """Labels to stratify the early-stopping split by, or None."""
        return None

    # ------------------------------------------------------------ fitting
    def _fit(
        self,
        X,
        y,
        sample_weight=None,
        validation_data=None,
        incremental=False,
        classes=None,
    ):
        """Fit, continue (warm_start) or update (partial_fit); see ``fit``.

        On divergence the estimator gets back the state it had before the call.
        """
        previous = self._fitted_state()
        try:
            self._fit_unchecked(
                X, y, sample_weight, validation_data, incremental, classes
            )
        except BaseException as exc:
            # Whatever failed (bad input found late, divergence, ...), the
            # estimator keeps exactly the state it had: fitted or not.
            self._restore_state(previous)
            if not isinstance(exc, nn.DivergenceError):
                raise
            raise ValueError(
                f"{type(self).__name__}: {exc} With this estimator: lower "
                f"learning_rate (it is {self.learning_rate}) or standardize X. "
                "The estimator keeps the state it had before this call."
            ) from exc
        return self

    def _fitted_state(self):
        params = self.get_params(deep=False)
        return {
            key: copy.deepcopy(value)
            for key, value in vars(self).items()
            if key not in params
            and not key.startswith(("_skl", "_callback", "_parent"))
        }

    def _restore_state(self, state):
        for key in [k for k in self._fitted_state() if k not in state]:
            delattr(self, key)
        self.__dict__.update(state)

    def _check_same_network(self):
        """warm_start and partial_fit go on with the fitted network as it is."""
        fitted = {
            "hidden_layer_sizes": tuple(W.shape[1] for W in self.coefs_[:-1]),
            "dtype": self.coefs_[0].dtype.name,
        }
        asked = {
            "hidden_layer_sizes": tuple(self._hidden),
            "dtype": self.dtype or fitted["dtype"],  # None: whatever was fitted
        }
        for name, value in asked.items():
            if value != fitted[name]:
                raise ValueError(
                    f"{name}={getattr(self, name)!r} differs from the fitted "
                    f"network's {fitted[name]!r}; fit with warm_start=False to "
                    "start afresh"
                )

    def _compute_dtype(self, continuing):
        if continuing:
            return self.coefs_[0].dtype
        if self.dtype is None:
            return [np.float64, np.float32]
        return _DTYPES[self.dtype]

    def _fit_unchecked(
        self, X, y, sample_weight, validation_data, incremental, classes
    ):
        continuing = hasattr(self, "coefs_") and (incremental or self.warm_start)
        self._hidden = _hidden_sizes(self.hidden_layer_sizes)
        if self.solver == "lbfgs" and self.dropout:
            # As LogisticRegression rejects a penalty its solver cannot handle.
            raise ValueError(
                f"dropout={self.dropout!r} needs solver='sgd' or 'adam', not "
                "'lbfgs': L-BFGS's line search compares losses at several points "
                "and would stop on the noise of dropout's fresh masks. Use "
                "dropout=0.0 with 'lbfgs'."
            )
        if continuing:
            self._check_same_network()
        dtype = self._compute_dtype(continuing)
        accepted = dtype
        lazy = self.solver != "lbfgs" and not sp.issparse(X)
        if lazy and not isinstance(dtype, list):
            # Dense float X of the other float dtype stays as it is: minibatches
            # are converted as they are gathered, never a copy of all of X.
            accepted = [dtype, *(d for d in (np.float64, np.float32) if d != dtype)]
        with _naming_errors(lambda: "X" if _bad_X(self, X, dtype, continuing) else "y"):
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse="csr",
                multi_output=True,
                dtype=accepted,
                reset=not continuing,
            )
        y = _targets(y)
        dtype = X.dtype if isinstance(dtype, list) else np.dtype(dtype)
        _check_range(X, dtype)
        if sample_weight is not None:
            with _naming_errors(lambda: "sample_weight"):
                sample_weight = _check_sample_weight(
                    sample_weight, X, dtype=dtype, ensure_non_negative=True
                )
        with _naming_errors(lambda: "y"):
            y_encoded = self._encode_targets(
                y,
                reset=not continuing,
                classes=classes,
                dtype=dtype,
                sample_weight=sample_weight,
            )
        sample_weight = self._target_weights(y, y_encoded, sample_weight, incremental)

        if not continuing:
            self._random_state = check_random_state(self.random_state)
            self._initialize(X.shape[1], dtype)
        self._optimizer = (
            None  # L-BFGS keeps no optimizer state between fits
            if self.solver == "lbfgs"
            else self._make_optimizer(
                previous=getattr(self, "_optimizer", None) if incremental else None
            )
        )
        self._sknn_version = __version__

        model = self._build_model(training=True)
        sizes = [X.shape[1], *self._hidden, self.n_outputs_]
        validation = None
        if not incremental:
            X, y, y_encoded, sample_weight, validation = self._split_validation(
                X, y, y_encoded, sample_weight, validation_data
            )
        if validation is not None:
            if self.validation_scores_ is None:
                self.validation_scores_, self.validation_loss_curve_ = [], []
        elif self.validation_scores_ is not None:
            # Unvalidated epochs after validated ones: the curves would no longer
            # cover the last epochs of loss_curve_, and the best validated epoch
            # is no longer the model's.  They describe an earlier network.
            self.validation_scores_ = self.validation_loss_curve_ = None
            self.best_validation_score_ = None
        if self.solver == "lbfgs":
            with training_threads(X.shape[0], sizes, dtype):
                self._fit_lbfgs(model, X, y, y_encoded, sample_weight, validation)
            return
        batch_size = self._batch_size(X.shape[0])
        # Without a fixed random_state no run reproduces another anyway, so the
        # BLAS thread count may follow the machine's load even where it changes
        # the last bits of the results (float32; see nn/_blas.py).
        tune = True if self.random_state is None else None
        with training_threads(batch_size, sizes, dtype, tune=tune):
            self._fit_stochastic(
                model,
                X,
                y,
                y_encoded,
                sample_weight,
                validation,
                incremental,
                batch_size,
            )

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        return min(self.batch_size, n_samples)

    def _initialize(self, n_features, dtype):
        """Fresh weights and empty training records."""
        sizes = [n_features, *self._hidden, self.n_outputs_]
        self.n_layers_ = len(sizes)
        self.coefs_, self.intercepts_ = [], []
        for n_in, n_out in pairwise(sizes):
            # scikit-learn's scheme and draws: weights then biases, uniform within
            # +-sqrt(6 / (fan_in + fan_out)) (2 instead of 6 for logistic), from
            # the same RandomState stream, so the same random_state starts
            # where scikit-learn's MLP starts.  Measured against He
            # initialisation on these shallow networks, it matches or beats it
            # (iris, friedman1, make_regression).
            layer = nn.HiddenLayer(
                n_in,
                n_out,
                init="glorot_logistic" if self.activation == "logistic" else "glorot",
                bias_init="uniform",
                random_state=self._random_state,
                dtype=dtype,
            )
            self.coefs_.append(layer.weights)
            self.intercepts_.append(layer.biases)
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self.accuracy_curve_ = []
        self.learning_rate_curve_ = []
        self.validation_scores_ = None
        self.validation_loss_curve_ = None
        self.best_validation_score_ = None

    def _make_optimizer(self, previous=None):
        """The solver's optimizer with the current hyperparameters.

        ``previous`` (partial_fit) keeps its state, velocities or moments and
        step count, so a ``set_params(learning_rate=...)`` between calls takes
        effect without restarting the momentum.
        """
        if self.solver == "adam":
            optimizer = nn.Adam(
                learning_rate=self.learning_rate,
                beta_1=self.beta_1,
                beta_2=self.beta_2,
                epsilon=self.epsilon,
                decay=self.decay,
            )
        else:
            optimizer = nn.SGD(
                learning_rate=self.learning_rate,
                decay=self.decay,
                momentum=self.momentum,
                nesterov=self.nesterov,
            )
        if type(previous) is type(optimizer):
            optimizer.continue_from(previous)
        return optimizer

    def _build_model(self, training):
        """A core Model whose layers wrap ``coefs_``/``intercepts_`` (no copies)."""
        model = nn.Model()
        last = len(self.coefs_) - 1
        for i, (W, b) in enumerate(zip(self.coefs_, self.intercepts_, strict=True)):
            model.add(nn.HiddenLayer.from_arrays(W, b, l1=self.l1, l2=self.l2))
            if i < last:
                model.add(nn.ACTIVATIONS[self.activation]())
                if training and self.dropout:
                    model.add(nn.Dropout(self.dropout, random_state=self._random_state))
        model.add(nn.ACTIVATIONS[self.out_activation_]())
        if training:
            model.wrap(optimizer=self._optimizer)
        return model

    def _split_validation(self, X, y, y_encoded, sample_weight, validation_data):
        """Hold out the validation set: ``validation_data`` or an early-stop split."""
        if validation_data is not None:
            if not (
                isinstance(validation_data, tuple | list) and len(validation_data) == 2
            ):
                raise ValueError("validation_data must be a tuple (X_val, y_val)")
            X_val, y_val = validation_data
            if X_val is None or y_val is None:
                raise ValueError(
                    "validation_data must be a tuple (X_val, y_val); got None for "
                    + ("X_val" if X_val is None else "y_val")
                )
            # Errors about X_val and y_val name validation_data, not X and y.
            with _naming_errors(lambda: "validation_data"):
                X_val = validate_data(
                    self, X_val, accept_sparse="csr", dtype=X.dtype, reset=False
                )
                _check_range(X_val, self.coefs_[0].dtype, name="validation_data X_val")
                y_val = _targets(y_val)
                if y_val.ndim == 0:
                    raise ValueError(f"y_val must be an array, got {y_val!r}")
                if y_val.shape[0] != X_val.shape[0]:
                    raise ValueError(
                        f"validation_data has {X_val.shape[0]} rows in X_val but "
                        f"{y_val.shape[0]} in y_val"
                    )
                y_val_encoded = self._encode_targets(y_val, reset=False, dtype=X.dtype)
            return X, y, y_encoded, sample_weight, (X_val, y_val, y_val_encoded, None)
        if not self.early_stopping:
            return X, y, y_encoded, sample_weight, None
        if X.shape[0] < 2:
            raise ValueError(
                "early_stopping needs at least 2 samples, one to train on and one "
                f"to validate on; got {X.shape[0]} sample"
            )
        stratify = self._stratify(y_encoded)
        if stratify is not None:
            n_val = int(np.ceil(self.validation_fraction * len(stratify)))
            counts = np.unique(stratify, return_counts=True)[1]
            if counts.min() < 2 or min(n_val, len(stratify) - n_val) < len(counts):
                stratify = None  # too few samples for every class on both sides
        arrays = [X, y, y_encoded] + ([] if sample_weight is None else [sample_weight])
        parts = train_test_split(
            *arrays,
            test_size=self.validation_fraction,
            random_state=self._random_state,
            stratify=stratify,
        )
        train, val = parts[0::2], parts[1::2]
        if sample_weight is None:
            train.append(None)
            val.append(None)
        return (*train, tuple(val))

    def _validate_epoch(self, model, validation):
        X_val, y_val, y_val_encoded, weights = validation
        if weights is not None and not weights.sum() > 0:
            weights = None  # a hold-out of zero-weight rows: score it unweighted
        output = model.predict(X_val, check_input=False)
        loss = model.loss.calculate(output, y_val_encoded, weights) + model.penalty()
        if self.scoring is None:
            score = self._default_score(y_val_encoded, output, weights)
        else:
            kwargs = {} if weights is None else {"sample_weight": weights}
            with warnings.catch_warnings():
                # X_val was validated into an array: no feature names to check.
                warnings.filterwarnings("ignore", "X does not have valid feature names")
                score = check_scoring(self, self.scoring)(self, X_val, y_val, **kwargs)
        return float(score), float(loss)

    def _record_validation(self, score, val_loss, metrics):
        """Append an epoch's validation score and loss to the curves and metrics."""
        self.validation_scores_.append(score)
        self.validation_loss_curve_.append(val_loss)
        metrics.update(val_loss=val_loss, val_score=score)

    def _stop_requested(self, subcontext, X, y, metadata):
        """End an epoch's (or iteration's) callback sub-task; True if asked to stop."""
        return subcontext.call_on_fit_task_end(
            estimator=self,
            X=X,
            y=y,
            metadata=metadata,
            reconstruction_attributes=self._reconstruction_attributes,
        )

    def _warn_interrupted(self, unit):
        warnings.warn(
            f"{type(self).__name__}: training interrupted; keeping the weights "
            f"of the last completed {unit} ({self.n_iter_}).",
            UserWarning,
            stacklevel=_USER_LEVEL + 1,
        )

    def _reconstruction_attributes(self):
        return {
            "coefs_": [W.copy() for W in self.coefs_],
            "intercepts_": [b.copy() for b in self.intercepts_],
        }

    def _fit_stochastic(
        self, model, X, y, y_encoded, sample_weight, validation, incremental, batch_size
    ):
        """The epoch loop of the sgd and adam solvers."""
        n_samples = X.shape[0]
        epochs = 1 if incremental else self.max_iter
        params = model.parameters()
        checkpoint = [p.copy() for p in params]  # weights after the last full epoch
        saved_optimizer = copy.deepcopy(self._optimizer)  # and the optimizer state
        best = _BestEpoch(self.tol)  # of the validation score, or of -loss
        stop_reason = "max_iter"
        metadata = {} if sample_weight is None else {"sample_weight": sample_weight}
        context = self._init_callback_context(max_subtasks=epochs)
        context.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)
        progress = EpochProgress(epochs, self.verbose, type(self).__name__)
        # scikit-learn shuffles the previous epoch's order rather than the rows'
        # own order; drawing the same permutations from the same RandomState,
        # the same random_state visits the rows in the same minibatches.
        order = np.arange(n_samples)
        try:
            for epoch in range(epochs):
                if self.shuffle:
                    order = order[self._random_state.permutation(n_samples)]
                subcontext = context.subcontext(task_name="epoch")
                subcontext.call_on_fit_task_begin(
                    estimator=self, X=X, y=y, metadata=metadata
                )
                loss, accuracy = model.train_epoch(
                    X,
                    y_encoded,
                    batch_size=batch_size,
                    sample_weight=sample_weight,
                    order=order if self.shuffle else None,
                    shuffle=False,
                )
                if validation is not None:
                    score, val_loss = self._validate_epoch(model, validation)
                # The epoch is complete: checkpoint it and record it in one go, so
                # an interruption never leaves half an epoch behind.
                for saved, param in zip(checkpoint, params, strict=True):
                    np.copyto(saved, param)
                saved_optimizer = copy.deepcopy(self._optimizer)
                self.n_iter_ += 1
                self.t_ += n_samples
                self.loss_curve_.append(loss)
                self.accuracy_curve_.append(accuracy)
                self.learning_rate_curve_.append(self._last_learning_rate())
                metrics = {"loss": loss, self._curve_name: accuracy}
                if validation is None:
                    best.update(-self._loss_in_tol_units(loss), self.n_iter_)
                else:
                    self._record_validation(score, val_loss, metrics)
                    best.update(score, self.n_iter_, lambda: [p.copy() for p in params])
                progress.update(epoch + 1, metrics)
                if self._stop_requested(subcontext, X, y, metadata):
                    stop_reason = "callback"
                    break
                if best.stale > self.n_iter_no_change and not incremental:
                    stop_reason = (
                        "early_stopping" if validation is not None else "converged"
                    )
                    break
        except KeyboardInterrupt:
            for saved, param in zip(checkpoint, params, strict=True):
                np.copyto(param, saved)
            self._optimizer = saved_optimizer
            stop_reason = "interrupted"
            self._warn_interrupted("epoch")
        finally:
            progress.close()
        if best.parameters is not None:
            for param, kept in zip(params, best.parameters, strict=True):
                np.copyto(param, kept)
            self.best_validation_score_, self.best_epoch_ = best.score, best.epoch
        elif self.loss_curve_:  # the model is the last epoch's
            self._warn_if_loss_exploded()
        self._finish(stop_reason, incremental)
        self._end_fit_task(context, X, y, metadata)

    def _end_fit_task(self, context, X, y, metadata):
        """Tell the callbacks that fit ended; its result is the estimator itself."""
        context.call_on_fit_task_end(
            estimator=self, X=X, y=y, metadata=metadata, reconstruction_attributes={}
        )

    _curve_name = "accuracy"

    def _loss_in_tol_units(self, loss):
        """The training loss in the units ``tol`` applies to (scikit-learn's)."""
        return loss

    #: no sound training ends with a loss this many times its best one
    EXPLOSIVE_LOSS_GROWTH = 1e4

    def _warn_if_loss_exploded(self):
        """Warn when the final training loss is far above the best one.

        The divergence checks catch non-finite values.  A step too large for
        squared error on unscaled X, or with bounded hidden units, can instead
        grow the loss by orders of magnitude and leave it finite (and flat, so
        that the no-improvement rule reads 'converged').  That is no error:
        scikit-learn's own checks fit on X ~ N(100, 1) and expect a model back;
        but the model is not to be trusted, and silence would hide it.  The
        losses are in standardized units (probabilities, standardized targets),
        so a best loss below 1 counts as 1.
        """
        final, best = self.loss_curve_[-1], min(self.loss_curve_)
        if not final <= self.EXPLOSIVE_LOSS_GROWTH * max(best, 1.0):
            warnings.warn(
                f"{type(self).__name__}: training diverged: the training loss "
                f"ended at {final:.3g} against {best:.3g} at best. The learning "
                f"rate ({self.learning_rate}) is probably too large; lower it or "
                "standardize X.",
                ConvergenceWarning,
                stacklevel=_USER_LEVEL + 1,
            )

    def _last_learning_rate(self):
        """Step size of the latest update (what the epoch ended with)."""
        optimizer = self._optimizer
        return optimizer.learning_rate / (
            1.0 + optimizer.decay * max(optimizer.iterations - 1, 0)
        )

    def _finish(self, stop_reason, incremental, limit=None, advice=None):
        """Set the summary attributes; warn when a budget (``limit``) ran out."""
        self.stop_reason_ = stop_reason
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else None
        self.best_loss_ = min(self.loss_curve_) if self.loss_curve_ else None
        if not self.validation_scores_ and self.loss_curve_:
            self.best_epoch_ = int(np.argmin(self.loss_curve_)) + 1
        if stop_reason == "max_iter" and not incremental:
            unit = "iterations" if self.solver == "lbfgs" else "epochs"
            limit = limit or f"max_iter={self.max_iter} {unit}"
            advice = advice or f"consider raising {limit.split('=')[0]}"
            warnings.warn(
                f"{type(self).__name__}: stopped after {limit} without converging; "
                f"{advice}.",
                ConvergenceWarning,
                stacklevel=_USER_LEVEL + 1,
            )

    def _fit_lbfgs(self, model, X, y, y_encoded, sample_weight, validation):
        """L-BFGS-B over the flattened parameters; loss and gradient from the core.

        When validating, each iteration's parameters are scored, and training
        stops and keeps the best of them as the epoch loop does.
        """
        last = {}

        def loss_and_gradient(theta):
            loss, gradient = model.flat_loss_and_gradient(
                theta, X, y_encoded, sample_weight
            )
            if not np.isfinite(loss):
                raise model._diverged(f"the loss became {loss}")
            output = model.layers[-1].output
            last["accuracy"] = model.loss.accuracy(output, y_encoded, sample_weight)
            return loss, gradient

        metadata = {} if sample_weight is None else {"sample_weight": sample_weight}
        context = self._init_callback_context(max_subtasks=self.max_iter)
        context.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)
        progress = EpochProgress(self.max_iter, self.verbose, type(self).__name__)
        last_theta = model.flat_parameters()  # of the last completed iteration
        best = _BestEpoch(self.tol)  # of the validation score
        stop_reason = None

        def on_iteration(intermediate_result):
            nonlocal stop_reason
            if validation is not None:
                model.set_flat_parameters(intermediate_result.x)
                score, val_loss = self._validate_epoch(model, validation)
            # Record the iteration in one go (an interruption leaves none half done).
            last_theta[:] = intermediate_result.x
            self.n_iter_ += 1
            self.t_ += X.shape[0]
            self.loss_curve_.append(float(intermediate_result.fun))
            self.accuracy_curve_.append(last["accuracy"])
            self.learning_rate_curve_.append(np.nan)  # a line search, not a fixed step
            metrics = {"loss": self.loss_curve_[-1]}
            if validation is not None:
                self._record_validation(score, val_loss, metrics)
                best.update(score, self.n_iter_, intermediate_result.x.copy)
            progress.update(self.n_iter_, metrics)
            subcontext = context.subcontext(task_name="iteration")
            subcontext.call_on_fit_task_begin(
                estimator=self, X=X, y=y, metadata=metadata
            )
            if self._stop_requested(subcontext, X, y, metadata):
                stop_reason = "callback"
                raise StopIteration
            if best.stale > self.n_iter_no_change:
                stop_reason = "early_stopping"
                raise StopIteration

        try:
            result = minimize(
                loss_and_gradient,
                last_theta.copy(),
                method="L-BFGS-B",
                jac=True,
                callback=on_iteration,
                options={
                    "maxiter": self.max_iter,
                    "maxfun": self.max_fun,
                    "gtol": self.tol,
                },
            )
            if stop_reason is None:
                stop_reason = "converged" if result.success else "max_iter"
            limit = advice = None
            if result.nfev >= self.max_fun:
                limit = f"max_fun={self.max_fun} loss evaluations"
            elif not result.success and result.nit < self.max_iter:
                limit = f"{result.nit} iterations"
                advice = (
                    f"the line search failed ({result.message}); scale X, raise "
                    "tol, or train with dtype='float64'"
                )
            theta = result.x
        except KeyboardInterrupt:
            stop_reason, theta, limit, advice = "interrupted", last_theta, None, None
            self._warn_interrupted("iteration")
        finally:
            progress.close()
        if best.parameters is not None:
            theta = best.parameters
            self.best_validation_score_, self.best_epoch_ = best.score, best.epoch
        model.set_flat_parameters(theta)
        model.check_divergence()
        self._finish(stop_reason, incremental=False, limit=limit, advice=advice)
        self._end_fit_task(context, X, y, metadata)

    # ------------------------------------------------------------ predicting
    def _forward(self, X, logits=False):
        """Validated ``X`` through the fitted network; chunked, thread-safe."""
        check_is_fitted(self)
        # Numeric X is taken as it is, then converted and checked for NaN and
        # infinity chunk by chunk inside predict: no converted copy of all of X,
        # and one pass over it instead of two.
        with _naming_errors(lambda: "X"):
            dense = not sp.issparse(X)
            X = validate_data(
                self,
                X,
                accept_sparse="csr",
                dtype="numeric",
                reset=False,
                ensure_all_finite=not dense,
            )
            return self._build_model(training=False).predict(
                X, logits=logits, check_input=False, check_finite=dense
            )

    def _check_partial_fit(self):
        if self.solver == "lbfgs":
            raise AttributeError(
                "partial_fit is only available for the stochastic solvers 'sgd' and "
                "'adam', not for 'lbfgs'."
            )
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def __getstate__(self):
        state = super().__getstate__()  # may be self.__dict__ itself
        optimizer = state.get("_optimizer")
        if optimizer is not None:
            state = dict(state)
            # skops trusts builtins and arrays but not our optimizer classes, so
            # the optimizer is saved as its name and attributes (floats, and
            # lists of arrays) and rebuilt by __setstate__.
            state["_optimizer"] = {
                "solver": _SOLVER_OF[type(optimizer)],
                "attributes": optimizer.__getstate__(),
            }
        return state

    def __setstate__(self, state):
        state = dict(state)
        saved_optimizer = state.get("_optimizer")
        if isinstance(saved_optimizer, dict):
            optimizer = object.__new__(nn.OPTIMIZERS[saved_optimizer["solver"]])
            optimizer.__dict__.update(saved_optimizer["attributes"])
            state["_optimizer"] = optimizer
        saved = state.get("_sknn_version")
        if saved is not None and saved != __version__:
            warnings.warn(
                f"This {type(self).__name__} was saved with sknn_scratch {saved} and "
                f"is loaded with {__version__}; results may differ.",
                UserWarning,
                stacklevel=2,
            )
        self.__dict__.update(state)
