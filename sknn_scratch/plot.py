"""Training curves of a fitted network, drawn the way scikit-learn's Displays are.

:class:`TrainingCurveDisplay` holds the per-epoch curves a fit records (training
loss and score, and the validation loss and score when validating) and draws
them in two panels side by side, with the epoch the model kept marked.

matplotlib is an optional dependency (the ``plot`` extra): it is imported only
when something is drawn, so ``import sknn_scratch.plot`` works without it.
"""

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

_INSTALL_HINT = 'pip install "sknn-scratch[plot]"'

# What ``stop_reason_`` means, in the words of a figure title.
_STOP_REASONS = {
    "converged": "converged",
    "early_stopping": "early stopping",
    "max_iter": "max_iter reached",
    "callback": "stopped by a callback",
    "interrupted": "interrupted",
}


def _check_matplotlib_support(caller_name):
    """Raise an ImportError naming the ``plot`` extra when matplotlib is missing.

    Parameters
    ----------
    caller_name : str
        The function or method that needs matplotlib, named in the message.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"{caller_name} requires matplotlib, which is not installed. "
            f"Install it with the plot extra: {_INSTALL_HINT}"
        ) from exc


def _check_axes_pair(ax):
    """Return ``ax`` as an object array of two distinct matplotlib Axes."""
    from matplotlib.axes import Axes

    axes = np.empty(0, dtype=object)
    if not isinstance(ax, Axes | str):
        try:
            axes = np.ravel(np.array(ax, dtype=object))
        except TypeError:  # not a sequence at all
            pass
    if axes.size != 2 or not all(isinstance(a, Axes) for a in axes):
        raise ValueError(
            "ax must be an array or list of two matplotlib Axes (loss panel, "
            f"score panel), got {ax!r}"
        )
    if axes[0] is axes[1]:
        raise ValueError("ax must hold two different Axes, got the same one twice")
    return axes


def _style(default, user):
    """Merge user line styles over the defaults, resolving aliases (``c``, ``ls``)."""
    from matplotlib.cbook import normalize_kwargs
    from matplotlib.lines import Line2D

    return {
        **normalize_kwargs(default, Line2D),
        **normalize_kwargs(user or {}, Line2D),
    }


class TrainingCurveDisplay:
    """Training curves visualization: loss and score per epoch.

    Two panels side by side: the loss per epoch (left) and the score per epoch
    (right), each with the training curve and, when the fit was validated, the
    validation curve.  The best epoch, whose weights a validated model keeps, is
    marked by a vertical dashed line in both panels and a ring on the validation
    curves; without validation the mark is at the lowest training loss.

    It is recommended to use :meth:`TrainingCurveDisplay.from_estimator` to
    create a display from a fitted :class:`~sknn_scratch.ScratchMLPClassifier`
    or :class:`~sknn_scratch.ScratchMLPRegressor`.  All parameters are stored
    as attributes.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Mean training loss of each epoch.

    score_curve : array-like of shape (n_epochs,)
        Training score of each epoch.

    validation_loss_curve : array-like of shape (n_validated,), default=None
        Validation loss of each validated epoch.  When shorter than
        ``loss_curve`` (a warm-started fit that only validated its last
        epochs), it is aligned with the last epochs.

    validation_score_curve : array-like of shape (n_validated,), default=None
        Validation score of each validated epoch, aligned like
        ``validation_loss_curve``.

    best_epoch : int, default=None
        Epoch (1-based) to mark: the best validation score, or the lowest
        training loss when not validating.  None marks nothing.

    loss_name : str, default="Loss"
        Label of the loss axis.

    score_name : str, default="Score"
        Label of the score axis, e.g. ``"Accuracy"`` or ``"R²"``.

    validation_score_name : str, default=None
        Name of the validation score when it is another metric than the
        training score (an estimator's ``scoring``).  The legend then names both
        metrics and the score axis reads "Score".

    stop_reason : str, default=None
        Why training stopped (an estimator's ``stop_reason_``), shown in the
        title.

    estimator_name : str, default=None
        Name of the estimator, shown in the title.

    x_label : str, default="Epoch"
        Label of the horizontal axes; ``"Iteration"`` for L-BFGS.

    Attributes
    ----------
    ax_ : ndarray of matplotlib Axes of shape (2,)
        The loss panel and the score panel.

    figure_ : matplotlib Figure
        Figure containing the two panels.

    loss_lines_ : list of matplotlib Line2D
        The training loss curve and, when validating, the validation loss curve.

    score_lines_ : list of matplotlib Line2D
        The training score curve and, when validating, the validation score
        curve.

    best_epoch_lines_ : list of matplotlib Line2D or None
        The vertical lines at ``best_epoch`` in the loss and the score panel;
        None when ``best_epoch`` is None.

    best_markers_ : list of matplotlib Line2D or None
        The rings at ``best_epoch`` on the validation curves (on the training
        curves when not validating); None when ``best_epoch`` is None.

    title_ : matplotlib Text or None
        The figure title, None when drawn with ``title=""``.

    See Also
    --------
    TrainingCurveDisplay.from_estimator : Plot the curves of a fitted estimator.
    sklearn.model_selection.LearningCurveDisplay : Score against training set size.

    Examples
    --------
    >>> from sknn_scratch.plot import TrainingCurveDisplay
    >>> display = TrainingCurveDisplay(
    ...     loss_curve=[1.1, 0.62, 0.45, 0.38],
    ...     score_curve=[0.55, 0.78, 0.86, 0.90],
    ...     validation_loss_curve=[0.80, 0.55, 0.50, 0.52],
    ...     validation_score_curve=[0.70, 0.83, 0.87, 0.86],
    ...     best_epoch=3,
    ...     score_name="Accuracy",
    ... ).plot()
    >>> [line.get_label() for line in display.score_lines_]
    ['Training', 'Validation']
    """

    def __init__(
        self,
        *,
        loss_curve,
        score_curve,
        validation_loss_curve=None,
        validation_score_curve=None,
        best_epoch=None,
        loss_name="Loss",
        score_name="Score",
        validation_score_name=None,
        stop_reason=None,
        estimator_name=None,
        x_label="Epoch",
    ):
        self.loss_curve = loss_curve
        self.score_curve = score_curve
        self.validation_loss_curve = validation_loss_curve
        self.validation_score_curve = validation_score_curve
        self.best_epoch = best_epoch
        self.loss_name = loss_name
        self.score_name = score_name
        self.validation_score_name = validation_score_name
        self.stop_reason = stop_reason
        self.estimator_name = estimator_name
        self.x_label = x_label

    def plot(
        self,
        ax=None,
        *,
        title=None,
        line_kw=None,
        validation_line_kw=None,
        best_epoch_line_kw=None,
    ):
        """Plot visualization.

        Parameters
        ----------
        ax : array-like of two matplotlib Axes, default=None
            The loss panel and the score panel, e.g. the ``axes`` of
            ``plt.subplots(1, 2)``.  If None, a new figure with two panels side
            by side is created.

        title : str, default=None
            Figure title.  None writes the estimator, why training stopped and
            after how many epochs; ``""`` writes none.

        line_kw : dict, default=None
            Keyword arguments of ``Axes.plot`` for the training curves.

        validation_line_kw : dict, default=None
            Keyword arguments of ``Axes.plot`` for the validation curves.

        best_epoch_line_kw : dict, default=None
            Keyword arguments of ``Axes.axvline`` for the best-epoch lines.

        Returns
        -------
        display : :class:`~sknn_scratch.plot.TrainingCurveDisplay`
            The display, with the drawn artists as attributes.
        """
        _check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator

        loss = np.asarray(self.loss_curve, dtype=float)
        score = np.asarray(self.score_curve, dtype=float)
        if loss.ndim != 1 or loss.shape != score.shape:
            raise ValueError(
                "loss_curve and score_curve must be 1-d and of the same length, "
                f"got shapes {loss.shape} and {score.shape}"
            )
        epochs = np.arange(1, loss.size + 1)
        validating = self.validation_loss_curve is not None
        if validating:
            val_loss = np.asarray(self.validation_loss_curve, dtype=float)
            val_score = np.asarray(self.validation_score_curve, dtype=float)
            if (
                val_loss.ndim != 1
                or val_loss.shape != val_score.shape
                or val_loss.size > loss.size
            ):
                raise ValueError(
                    "validation_loss_curve and validation_score_curve must be 1-d "
                    "and of the same length, at most that of loss_curve; got shapes "
                    f"{val_loss.shape} and {val_score.shape} for {loss.size} epochs"
                )
            # a warm start that began validating late validated the last epochs
            val_epochs = epochs[loss.size - val_loss.size :]

        if ax is None:
            _, ax = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
        axes = _check_axes_pair(ax)
        loss_ax, score_ax = axes

        two_metrics = validating and self.validation_score_name not in (
            None,
            self.score_name,
        )
        if two_metrics:
            score_labels = (
                f"Training ({self.score_name})",
                f"Validation ({self.validation_score_name})",
            )
        else:
            score_labels = ("Training", "Validation")

        train_style = _style({"color": "C0", "linewidth": 1.8}, line_kw)
        val_style = _style(
            {"color": "C1", "linestyle": "--", "linewidth": 1.8}, validation_line_kw
        )
        self.loss_lines_ = loss_ax.plot(epochs, loss, label="Training", **train_style)
        self.score_lines_ = score_ax.plot(
            epochs, score, label=score_labels[0], **train_style
        )
        if validating:
            self.loss_lines_ += loss_ax.plot(
                val_epochs, val_loss, label="Validation", **val_style
            )
            self.score_lines_ += score_ax.plot(
                val_epochs, val_score, label=score_labels[1], **val_style
            )

        self.best_epoch_lines_ = self.best_markers_ = None
        if self.best_epoch is not None:
            best = int(self.best_epoch)
            vline_style = _style(
                {"color": "0.35", "linestyle": (0, (4, 3)), "linewidth": 1.0},
                best_epoch_line_kw,
            )
            unit = self.x_label.lower()
            label = (
                f"Best {unit} ({best})"
                if validating
                else f"Lowest loss ({unit} {best})"
            )
            self.best_epoch_lines_ = [
                a.axvline(best, label=label, zorder=1, **vline_style) for a in axes
            ]
            # the rings sit on the curves the best epoch was chosen from
            marked = self.loss_lines_[-1], self.score_lines_[-1]
            self.best_markers_ = []
            for a, line in zip(axes, marked, strict=True):
                x, y = line.get_data()
                at = np.flatnonzero(x == best)
                self.best_markers_ += a.plot(
                    x[at],
                    y[at],
                    linestyle="none",
                    marker="o",
                    markersize=8,
                    markerfacecolor="white",
                    markeredgecolor=line.get_color(),
                    markeredgewidth=2.0,
                    zorder=3,
                    label="_best",
                )

        loss_ax.set(xlabel=self.x_label, ylabel=self.loss_name)
        score_ax.set(
            xlabel=self.x_label, ylabel="Score" if two_metrics else self.score_name
        )
        for a in axes:
            a.xaxis.set_major_locator(MaxNLocator(integer=True))
            a.grid(True, alpha=0.3)
            a.legend(loc="best", frameon=False)

        fig = loss_ax.figure
        if title is None:
            title = self._default_title(loss.size)
        self.title_ = fig.suptitle(title, wrap=True) if title else None

        self.ax_ = axes
        self.figure_ = fig
        return self

    def _default_title(self, n_epochs):
        """'<estimator>: <stop reason> after <n> epochs' (the legend has the best)."""
        unit = self.x_label.lower()
        details = f"{n_epochs} {unit}{'s' if n_epochs != 1 else ''}"
        if self.stop_reason is not None:
            reason = _STOP_REASONS.get(self.stop_reason, self.stop_reason)
            details = f"{reason} after {details}"
        if self.estimator_name:
            return f"{self.estimator_name}: {details}"
        return details[:1].upper() + details[1:]

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        ax=None,
        name=None,
        title=None,
        line_kw=None,
        validation_line_kw=None,
        best_epoch_line_kw=None,
    ):
        """Plot the training curves of a fitted estimator.

        The loss panel shows ``loss_curve_`` (and ``validation_loss_curve_``),
        the score panel ``accuracy_curve_`` (and ``validation_scores_``): the
        accuracy for a classifier, R² for a regressor, or the estimator's
        ``scoring`` for the validation curve when it sets one.

        Parameters
        ----------
        estimator : ScratchMLPClassifier or ScratchMLPRegressor
            A fitted estimator, or a fitted :class:`~sklearn.pipeline.Pipeline`
            whose last step is one.

        ax : array-like of two matplotlib Axes, default=None
            The loss panel and the score panel.  If None, a new figure with two
            panels side by side is created.

        name : str, default=None
            Name of the estimator in the title; None uses its class name.

        title : str, default=None
            Figure title.  None writes the estimator, why training stopped and
            after how many epochs; ``""`` writes none.

        line_kw : dict, default=None
            Keyword arguments of ``Axes.plot`` for the training curves.

        validation_line_kw : dict, default=None
            Keyword arguments of ``Axes.plot`` for the validation curves.

        best_epoch_line_kw : dict, default=None
            Keyword arguments of ``Axes.axvline`` for the best-epoch lines.

        Returns
        -------
        display : :class:`~sknn_scratch.plot.TrainingCurveDisplay`
            The display, with the drawn artists as attributes.

        Raises
        ------
        NotFittedError
            If the estimator is not fitted.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.preprocessing import StandardScaler
        >>> from sknn_scratch import ScratchMLPClassifier
        >>> from sknn_scratch.plot import TrainingCurveDisplay
        >>> X, y = load_iris(return_X_y=True)
        >>> X = StandardScaler().fit_transform(X)
        >>> clf = ScratchMLPClassifier(
        ...     hidden_layer_sizes=(16,), early_stopping=True, validation_fraction=0.2,
        ...     n_iter_no_change=5, max_iter=200, random_state=0).fit(X, y)
        >>> display = TrainingCurveDisplay.from_estimator(clf)
        >>> len(display.loss_lines_)  # training and validation
        2
        """
        _check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_is_fitted(estimator)
        if hasattr(estimator, "steps"):  # a Pipeline: its last step is the network
            estimator = estimator[-1]
        if not hasattr(estimator, "accuracy_curve_"):
            raise TypeError(
                f"{cls.__name__}.from_estimator needs a fitted ScratchMLPClassifier "
                "or ScratchMLPRegressor (or a Pipeline ending in one), got "
                f"{type(estimator).__name__}"
            )

        classifier = is_classifier(estimator)
        validating = estimator.validation_scores_ is not None
        scoring = getattr(estimator, "scoring", None)
        validation_score_name = None
        if validating and scoring is not None:
            validation_score_name = (
                scoring
                if isinstance(scoring, str)
                else getattr(scoring, "__name__", "custom scorer")
            )
        lbfgs = getattr(estimator, "solver", None) == "lbfgs"
        display = cls(
            loss_curve=estimator.loss_curve_,
            score_curve=estimator.accuracy_curve_,
            validation_loss_curve=estimator.validation_loss_curve_,
            validation_score_curve=estimator.validation_scores_,
            best_epoch=getattr(estimator, "best_epoch_", None),
            loss_name="Loss (cross-entropy)" if classifier else "Loss (squared error)",
            score_name="Accuracy" if classifier else "R²",
            validation_score_name=validation_score_name,
            stop_reason=getattr(estimator, "stop_reason_", None),
            estimator_name=type(estimator).__name__ if name is None else name,
            x_label="Iteration" if lbfgs else "Epoch",
        )
        return display.plot(
            ax=ax,
            title=title,
            line_kw=line_kw,
            validation_line_kw=validation_line_kw,
            best_epoch_line_kw=best_epoch_line_kw,
        )
