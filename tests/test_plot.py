"""Tests of sknn_scratch.plot.TrainingCurveDisplay."""

import sys

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_diabetes, load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor
from sknn_scratch.plot import TrainingCurveDisplay

matplotlib.use("Agg")  # draw off-screen, whatever the environment's default


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def clf_validated(iris):
    X, y = iris
    return ScratchMLPClassifier(
        hidden_layer_sizes=(16,),
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=5,
        random_state=0,
    ).fit(X, y)


@pytest.fixture(scope="module")
def clf_plain(iris):
    X, y = iris
    return ScratchMLPClassifier(
        hidden_layer_sizes=(16,), n_iter_no_change=3, tol=1e-2, random_state=0
    ).fit(X, y)


def test_from_estimator_draws_validation_curves(clf_validated):
    clf = clf_validated
    assert clf.stop_reason_ == "early_stopping"
    display = TrainingCurveDisplay.from_estimator(clf)

    assert isinstance(display, TrainingCurveDisplay)
    assert display.ax_.shape == (2,)
    assert display.figure_ is display.ax_[0].figure is display.ax_[1].figure
    assert len(display.loss_lines_) == len(display.score_lines_) == 2

    epochs = np.arange(1, clf.n_iter_ + 1)
    curves = [
        (display.loss_lines_[0], clf.loss_curve_),
        (display.loss_lines_[1], clf.validation_loss_curve_),
        (display.score_lines_[0], clf.accuracy_curve_),
        (display.score_lines_[1], clf.validation_scores_),
    ]
    for line, curve in curves:
        assert_array_equal(line.get_xdata(), epochs)
        assert_allclose(line.get_ydata(), curve)
    assert [line.get_label() for line in display.score_lines_] == [
        "Training",
        "Validation",
    ]
    # the curves, the best-epoch line and its ring are all the panel holds
    loss_ax, score_ax = display.ax_
    assert len(loss_ax.get_lines()) == len(score_ax.get_lines()) == 4

    best = clf.best_epoch_
    for vline, ax in zip(display.best_epoch_lines_, display.ax_, strict=True):
        assert_array_equal(vline.get_xdata(), [best, best])
        assert vline.get_linestyle() == "--"
        assert vline in ax.get_lines()
    loss_ring, score_ring = display.best_markers_
    assert_array_equal(score_ring.get_xdata(), [best])
    assert_allclose(score_ring.get_ydata(), [clf.best_validation_score_])
    assert_allclose(loss_ring.get_ydata(), [clf.validation_loss_curve_[best - 1]])

    assert loss_ax.get_xlabel() == score_ax.get_xlabel() == "Epoch"
    assert "Loss" in loss_ax.get_ylabel()
    assert score_ax.get_ylabel() == "Accuracy"
    legend = [t.get_text() for t in score_ax.get_legend().get_texts()]
    assert legend == ["Training", "Validation", f"Best epoch ({best})"]
    title = display.title_.get_text()
    assert "ScratchMLPClassifier" in title
    assert f"early stopping after {clf.n_iter_} epochs" in title


def test_from_estimator_without_validation_draws_training_only(clf_plain):
    clf = clf_plain
    assert clf.validation_scores_ is None
    display = TrainingCurveDisplay.from_estimator(clf)

    assert len(display.loss_lines_) == len(display.score_lines_) == 1
    assert_allclose(display.loss_lines_[0].get_ydata(), clf.loss_curve_)
    assert_allclose(display.score_lines_[0].get_ydata(), clf.accuracy_curve_)
    # without validation, the mark is at the lowest training loss
    best = clf.best_epoch_
    assert best == np.argmin(clf.loss_curve_) + 1
    assert_array_equal(display.best_epoch_lines_[0].get_xdata(), [best, best])
    assert_allclose(display.best_markers_[0].get_ydata(), [min(clf.loss_curve_)])
    assert display.best_epoch_lines_[0].get_label() == f"Lowest loss (epoch {best})"
    assert "Validation" not in [
        t.get_text() for t in display.ax_[0].get_legend().get_texts()
    ]


def test_from_estimator_regressor_scores_r2():
    X, y = load_diabetes(return_X_y=True)
    X, y = StandardScaler().fit_transform(X), (y - y.mean()) / y.std()
    reg = ScratchMLPRegressor(
        hidden_layer_sizes=(16,),
        solver="adam",
        learning_rate=0.003,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=5,
        random_state=0,
    ).fit(X, y)
    display = TrainingCurveDisplay.from_estimator(reg)

    loss_ax, score_ax = display.ax_
    assert "R²" in score_ax.get_ylabel()
    assert "squared error" in loss_ax.get_ylabel()
    assert_allclose(display.score_lines_[1].get_ydata(), reg.validation_scores_)
    assert "ScratchMLPRegressor" in display.title_.get_text()


@pytest.mark.parametrize("as_list", [False, True])
def test_from_estimator_draws_on_given_axes(clf_validated, as_list):
    fig, axes = plt.subplots(2, 1)
    ax = list(axes) if as_list else axes
    display = TrainingCurveDisplay.from_estimator(clf_validated, ax=ax)

    assert display.figure_ is fig
    assert display.ax_[0] is axes[0] and display.ax_[1] is axes[1]
    assert display.loss_lines_[0] in axes[0].get_lines()
    assert display.score_lines_[0] in axes[1].get_lines()


def test_plot_twice_on_a_new_figure(clf_validated):
    display = TrainingCurveDisplay.from_estimator(clf_validated)
    first = display.figure_
    display.plot()
    assert display.figure_ is not first
    assert len(plt.get_fignums()) == 2


def test_from_estimator_unfitted_raises():
    with pytest.raises(NotFittedError):
        TrainingCurveDisplay.from_estimator(ScratchMLPClassifier())


@pytest.mark.parametrize("n_axes", [1, 3])
def test_ax_of_wrong_length_raises(clf_validated, n_axes):
    _, axes = plt.subplots(1, n_axes, squeeze=False)
    with pytest.raises(ValueError, match="two matplotlib Axes"):
        TrainingCurveDisplay.from_estimator(clf_validated, ax=axes[0])


def test_single_axes_or_same_axes_twice_raise(clf_validated):
    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="two matplotlib Axes"):
        TrainingCurveDisplay.from_estimator(clf_validated, ax=ax)
    with pytest.raises(ValueError, match="two different Axes"):
        TrainingCurveDisplay.from_estimator(clf_validated, ax=[ax, ax])


def test_missing_matplotlib_names_the_extra(clf_validated, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import raises ImportError
    hint = r'pip install "sknn-scratch\[plot\]"'
    with pytest.raises(ImportError, match=hint) as excinfo:
        TrainingCurveDisplay.from_estimator(clf_validated)
    assert "TrainingCurveDisplay.from_estimator requires matplotlib" in str(
        excinfo.value
    )
    display = TrainingCurveDisplay(loss_curve=[1.0], score_curve=[0.5])
    with pytest.raises(ImportError, match=hint):
        display.plot()


def test_from_estimator_accepts_a_pipeline(iris):
    X, y = iris
    pipe = make_pipeline(
        StandardScaler(),
        ScratchMLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0),
    )
    with pytest.warns(ConvergenceWarning):
        pipe.fit(X, y)
    display = TrainingCurveDisplay.from_estimator(pipe)
    assert_allclose(display.loss_lines_[0].get_ydata(), pipe[-1].loss_curve_)
    assert "max_iter reached after 5 epochs" in display.title_.get_text()


def test_from_estimator_rejects_other_estimators(iris):
    X, y = iris
    with pytest.raises(TypeError, match="ScratchMLPClassifier or ScratchMLPRegressor"):
        TrainingCurveDisplay.from_estimator(LogisticRegression().fit(X, y))


def test_lbfgs_counts_iterations(iris):
    X, y = iris
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(8,), solver="lbfgs", max_iter=5, random_state=0
    )
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    display = TrainingCurveDisplay.from_estimator(clf)
    assert display.ax_[0].get_xlabel() == "Iteration"
    assert "after 5 iterations" in display.title_.get_text()


def test_custom_scoring_names_both_metrics(iris):
    X, y = iris
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(8,),
        early_stopping=True,
        n_iter_no_change=3,
        scoring="balanced_accuracy",
        random_state=0,
    ).fit(X, y)
    display = TrainingCurveDisplay.from_estimator(clf)
    labels = [line.get_label() for line in display.score_lines_]
    assert labels == ["Training (Accuracy)", "Validation (balanced_accuracy)"]
    assert display.ax_[1].get_ylabel() == "Score"


def test_title_and_line_styles_can_be_set(clf_validated):
    display = TrainingCurveDisplay.from_estimator(
        clf_validated,
        title="",
        line_kw={"c": "black", "lw": 3},  # aliases resolve over the defaults
        validation_line_kw={"linestyle": ":"},
        best_epoch_line_kw={"color": "red"},
    )
    assert display.title_ is None
    train, validation = display.loss_lines_
    assert train.get_color() == "black" and train.get_linewidth() == 3
    assert validation.get_linestyle() == ":"
    assert display.best_epoch_lines_[1].get_color() == "red"

    display.plot(title="Digits")
    assert display.title_.get_text() == "Digits"


def test_constructor_aligns_late_validation_with_the_last_epochs():
    display = TrainingCurveDisplay(
        loss_curve=[1.0, 0.8, 0.6, 0.5],
        score_curve=[0.5, 0.6, 0.7, 0.8],
        validation_loss_curve=[0.7, 0.65],
        validation_score_curve=[0.72, 0.75],
        best_epoch=4,
    ).plot()
    assert_array_equal(display.loss_lines_[1].get_xdata(), [3, 4])
    assert_allclose(display.best_markers_[1].get_ydata(), [0.75])
    assert display.title_.get_text() == "4 epochs"


def test_constructor_without_best_epoch_marks_nothing():
    display = TrainingCurveDisplay(loss_curve=[1.0, 0.5], score_curve=[0.4, 0.9])
    display.plot()
    assert display.best_epoch_lines_ is None and display.best_markers_ is None
    assert len(display.ax_[0].get_lines()) == 1


@pytest.mark.parametrize(
    "curves",
    [
        {"loss_curve": [1.0, 0.5], "score_curve": [0.5]},
        {
            "loss_curve": [1.0, 0.5],
            "score_curve": [0.5, 0.6],
            "validation_loss_curve": [0.9, 0.8, 0.7],
            "validation_score_curve": [0.5, 0.6, 0.7],
        },
    ],
)
def test_inconsistent_curves_raise(curves):
    with pytest.raises(ValueError, match="same length"):
        TrainingCurveDisplay(**curves).plot()
