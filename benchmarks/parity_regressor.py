"""R² parity: ScratchMLPRegressor against scikit-learn's MLPRegressor.

Both regressors train with the same settings, per solver:

* ``sgd``: classical momentum 0.9 (no Nesterov), a constant learning rate, the
  same batch size and number of epochs, reshuffling every epoch;
* ``adam``: the same learning rate, ``beta_1``, ``beta_2``, ``epsilon`` and epochs;
* ``lbfgs``: the same ``max_iter``, ``max_fun`` and ``tol`` (the projected-gradient
  tolerance of SciPy's L-BFGS-B).

Every epoch of the stochastic solvers runs (``tol=0``, an infinite
``n_iter_no_change``, no early stopping).  The L2 penalty is the same:
scikit-learn's ``alpha`` is ``l2 = alpha / (2 * batch_size)`` here, with
``batch_size`` the number of training rows for 'lbfgs' (full batch).  Both
initialise as scikit-learn does (weights and biases Glorot-uniform); the random
draws differ, so the scores differ by seed-to-seed noise: on diabetes the
per-seed standard deviation is about 0.1, and only many seeds (``--seeds``)
resolve the 0.02 of the rule there.

Targets: X is standardized (StandardScaler fitted on the training part) for
both; y is given as is.  ScratchMLPRegressor standardizes y internally (and
maps predictions back), which makes its fit independent of the units of y.
The reference is therefore scikit-learn's own way of doing the same:
``TransformedTargetRegressor(MLPRegressor(...), transformer=StandardScaler())``
("sklearn std y").  MLPRegressor on the raw y is shown too ("sklearn raw y"),
but it is no reference: its R² depends on the units y happens to be in.  The
unit sweep below the table shows this on diabetes: the same data with y
multiplied by 0.01, 0.1, 1 and 10 (R² is unit-free) gives scikit-learn's
raw-y MLPRegressor R² from about -0.4 to 0.44 with adam, and ours one number.
A scikit-learn fit that diverges on the raw y (non-finite weights) is shown as
"diverged".

Regression data sets: ``make_regression`` (1000 x 20, noise 10), scikit-learn's
bundled diabetes, and ``make_friedman1`` (20000 x 10, noise 1; nonlinear).  Each
is split 75/25 anew for every seed (3 seeds; diabetes, whose R² moves most
from split to split, 20); the model seeds vary with it.
Rule: our mean test R² is at most 0.02 below the reference's, or higher.

Classification (L-BFGS only): ScratchMLPClassifier(solver='lbfgs') against
MLPClassifier(solver='lbfgs') with the same hidden layers, ``max_iter``, ``tol``
and penalty, on iris, breast_cancer and digits (stratified 75/25 split, 5 seeds).
Rule: our mean test accuracy is at most 0.5 points below scikit-learn's.

Run from the repository root::

    python benchmarks/parity_regressor.py            # the full run, a few minutes
    python benchmarks/parity_regressor.py --quick    # smaller data, fewer seeds
    python benchmarks/parity_regressor.py --help

It prints one table for regression and one for classification, the total time,
and exits with status 1 when any row fails its rule.  Every fit runs with one
BLAS thread by default (``--blas-threads``), so the fit times compare the
implementations rather than thread oversubscription on a busy machine.
"""

import argparse
import sys
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    make_friedman1,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor

R2_TOLERANCE = 0.02
ACCURACY_TOLERANCE_POINTS = 0.5
SOLVERS = ("sgd", "adam", "lbfgs")
ALPHA = 1e-4
LEARNING_RATES = {"sgd": 0.01, "adam": 0.001}


@dataclass
class Config:
    """How one regression data set is trained (shared by every solver)."""

    hidden: tuple
    batch_size: int
    epochs: int  # sgd / adam
    lbfgs_max_iter: int
    seeds: int = 3  # unless --seeds says otherwise


def regression_datasets(quick):
    """name -> (loader(seed) returning X, y; Config)."""
    friedman_rows = 5000 if quick else 20000
    return {
        "make_regression": (
            lambda seed: make_regression(
                n_samples=1000, n_features=20, noise=10.0, random_state=seed
            ),
            Config((64,), 32, 50 if quick else 200, 200),
        ),
        "diabetes": (
            lambda seed: load_diabetes(return_X_y=True),
            # 331 training rows: one split's R² moves by ~0.1, so more seeds
            Config((64,), 32, 50 if quick else 200, 200, seeds=20),
        ),
        "friedman1": (
            lambda seed: make_friedman1(
                n_samples=friedman_rows, n_features=10, noise=1.0, random_state=seed
            ),
            Config((64, 64), 128, 20 if quick else 50, 200 if quick else 500),
        ),
    }


CLASSIFICATION_DATASETS = {
    "iris": load_iris,
    "breast_cancer": load_breast_cancer,
    "digits": load_digits,
}


# ---------------------------------------------------------------- regression
@dataclass
class RegressionResult:
    dataset: str
    solver: str
    ours: list = field(default_factory=list)
    sk_raw: list = field(default_factory=list)  # NaN where scikit-learn diverged
    sk_std: list = field(default_factory=list)  # the reference
    ours_seconds: list = field(default_factory=list)
    sk_seconds: list = field(default_factory=list)  # the standardized-y fits

    @staticmethod
    def _mean(values):
        finite = [v for v in values if np.isfinite(v)]
        return float(np.mean(finite)) if finite else np.nan

    @property
    def diff(self):
        return self._mean(self.ours) - self._mean(self.sk_std)

    @property
    def diff_sem(self):
        """Standard error of ``diff`` from the per-seed (paired) differences."""
        differences = np.subtract(self.ours, self.sk_std)
        if len(differences) < 2:
            return np.nan
        return float(np.std(differences, ddof=1) / np.sqrt(len(differences)))

    @property
    def ok(self):
        return self.diff >= -R2_TOLERANCE


def regressor_pair(solver, config, n_train, seed):
    """ScratchMLPRegressor and MLPRegressor configured alike for ``solver``."""
    batch = n_train if solver == "lbfgs" else config.batch_size
    iterations = config.lbfgs_max_iter if solver == "lbfgs" else config.epochs
    lr = LEARNING_RATES.get(solver, 1e-3)
    ours = ScratchMLPRegressor(
        hidden_layer_sizes=config.hidden,
        activation="relu",
        solver=solver,
        l2=ALPHA / (2 * batch),
        learning_rate=lr,
        momentum=0.9,
        nesterov=False,
        batch_size=config.batch_size,
        max_iter=iterations,
        shuffle=True,
        tol=0.0,
        n_iter_no_change=np.inf,
        early_stopping=False,
        random_state=seed,
    )
    theirs = MLPRegressor(
        hidden_layer_sizes=config.hidden,
        activation="relu",
        solver=solver,
        alpha=ALPHA,
        learning_rate="constant",
        learning_rate_init=lr,
        momentum=0.9,
        nesterovs_momentum=False,
        batch_size=config.batch_size,
        max_iter=iterations,
        shuffle=True,
        tol=0.0,
        n_iter_no_change=np.inf,
        early_stopping=False,
        random_state=seed,
    )
    return ours, theirs


def timed_fit(estimator, X, y):
    start = time.perf_counter()
    estimator.fit(X, y)
    return time.perf_counter() - start


def check_epochs(estimator, solver, expected):
    if solver != "lbfgs" and estimator.n_iter_ != expected:
        raise RuntimeError(
            f"{type(estimator).__name__}({solver}) ran {estimator.n_iter_} epochs, "
            f"expected {expected}"
        )


def split_and_scale(loader, seed):
    """75/25 split of ``loader(seed)``, X standardized on the training part."""
    X, y = loader(seed)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def raw_score(estimator, X_train, y_train, X_test, y_test):
    """Test R² of ``estimator`` fitted on the raw y; NaN when the fit diverges."""
    try:
        with warnings.catch_warnings():  # overflow on the way to diverging
            warnings.simplefilter("ignore", RuntimeWarning)
            estimator.fit(X_train, y_train)
    except ValueError:  # "Solver produced non-finite parameter weights"
        return np.nan
    return estimator.score(X_test, y_test)


def run_regression(name, loader, config, seeds, solvers):
    results = {solver: RegressionResult(name, solver) for solver in solvers}
    for seed in seeds:
        X_train, X_test, y_train, y_test = split_and_scale(loader, seed)
        for solver in solvers:
            result = results[solver]
            ours, theirs = regressor_pair(solver, config, len(y_train), seed)
            result.ours_seconds.append(timed_fit(ours, X_train, y_train))
            check_epochs(ours, solver, config.epochs)
            result.ours.append(ours.score(X_test, y_test))
            result.sk_raw.append(raw_score(theirs, X_train, y_train, X_test, y_test))
            ours, theirs = regressor_pair(solver, config, len(y_train), seed)
            reference = TransformedTargetRegressor(theirs, transformer=StandardScaler())
            seconds = timed_fit(reference, X_train, y_train)
            check_epochs(reference.regressor_, solver, config.epochs)
            result.sk_seconds.append(seconds)
            result.sk_std.append(reference.score(X_test, y_test))
    return list(results.values())


UNIT_FACTORS = (0.01, 0.1, 1.0, 10.0)


def run_unit_sweep(loader, config, seeds, solvers, factors=UNIT_FACTORS):
    """Test R² with y in other units: {(solver, factor): (ours, sklearn raw y)}.

    R² does not change with the units of y; a regressor whose fit does not
    depend on them gives the same score for every factor.
    """
    scores = {}
    for seed in seeds:
        X_train, X_test, y_train, y_test = split_and_scale(loader, seed)
        for solver in solvers:
            for factor in factors:
                ours, theirs = regressor_pair(solver, config, len(y_train), seed)
                y_fit, y_true = y_train * factor, y_test * factor
                ours_list, theirs_list = scores.setdefault((solver, factor), ([], []))
                ours_list.append(ours.fit(X_train, y_fit).score(X_test, y_true))
                theirs_list.append(raw_score(theirs, X_train, y_fit, X_test, y_true))
    return scores


def format_unit_sweep(scores):
    header = f"{'solver':<6} {'y times':>8} {'ours R²':>15} {'sklearn raw y':>22}"
    lines = [header, "-" * len(header)]
    for (solver, factor), (ours, theirs) in scores.items():
        lines.append(
            f"{solver:<6} {factor:>8g} {format_r2(ours):>15} {format_r2(theirs):>22}"
        )
    return "\n".join(lines)


def format_r2(values):
    finite = [v for v in values if np.isfinite(v)]
    if not finite:
        return "diverged"
    text = f"{np.mean(finite):.4f}±{np.std(finite):.4f}"
    if len(finite) < len(values):
        text += f" ({len(values) - len(finite)} div)"
    return text


def format_regression_table(results):
    header = (
        f"{'dataset':<16} {'solver':<6} {'ours R²':>15} {'sklearn raw y':>22} "
        f"{'sklearn std y':>15} {'diff':>8} {'±sem':>6} {'ours s':>7} {'skl s':>7}"
        "  verdict"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.dataset:<16} {r.solver:<6} {format_r2(r.ours):>15} "
            f"{format_r2(r.sk_raw):>22} {format_r2(r.sk_std):>15} "
            f"{r.diff:>+8.4f} {r.diff_sem:>6.4f} {np.mean(r.ours_seconds):>7.2f} "
            f"{np.mean(r.sk_seconds):>7.2f}  {'ok' if r.ok else 'FAIL'}"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------- classification
@dataclass
class ClassificationResult:
    dataset: str
    ours: list = field(default_factory=list)
    theirs: list = field(default_factory=list)
    ours_seconds: list = field(default_factory=list)
    theirs_seconds: list = field(default_factory=list)

    @property
    def diff_points(self):
        return 100 * (np.mean(self.ours) - np.mean(self.theirs))

    @property
    def ok(self):
        return self.diff_points >= -ACCURACY_TOLERANCE_POINTS


def run_classification(name, hidden, max_iter, seeds):
    X, y = CLASSIFICATION_DATASETS[name](return_X_y=True)
    result = ClassificationResult(name)
    for seed in seeds:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, stratify=y, random_state=seed
        )
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
        ours = ScratchMLPClassifier(
            hidden_layer_sizes=hidden,
            activation="relu",
            solver="lbfgs",
            l2=ALPHA / (2 * len(y_train)),
            max_iter=max_iter,
            tol=1e-4,
            random_state=seed,
        )
        theirs = MLPClassifier(
            hidden_layer_sizes=hidden,
            activation="relu",
            solver="lbfgs",
            alpha=ALPHA,
            max_iter=max_iter,
            tol=1e-4,
            random_state=seed,
        )
        result.ours_seconds.append(timed_fit(ours, X_train, y_train))
        result.ours.append(ours.score(X_test, y_test))
        result.theirs_seconds.append(timed_fit(theirs, X_train, y_train))
        result.theirs.append(theirs.score(X_test, y_test))
    return result


def format_classification_table(results):
    header = (
        f"{'dataset':<14} {'seeds':>5} {'ours acc %':>13} {'sklearn acc %':>13} "
        f"{'diff pts':>8} {'ours s':>7} {'skl s':>7}  verdict"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        ours = f"{100 * np.mean(r.ours):.2f}±{100 * np.std(r.ours):.2f}"
        theirs = f"{100 * np.mean(r.theirs):.2f}±{100 * np.std(r.theirs):.2f}"
        lines.append(
            f"{r.dataset:<14} {len(r.ours):>5} {ours:>13} {theirs:>13} "
            f"{r.diff_points:>+8.2f} {np.mean(r.ours_seconds):>7.2f} "
            f"{np.mean(r.theirs_seconds):>7.2f}  {'ok' if r.ok else 'FAIL'}"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------- main
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=(
            "Compare ScratchMLPRegressor with scikit-learn's MLPRegressor (test R², "
            "solvers sgd, adam, lbfgs) and ScratchMLPClassifier with MLPClassifier "
            "(lbfgs, test accuracy) under matching settings. Exits 1 when ours is "
            f"more than {R2_TOLERANCE} R² or {ACCURACY_TOLERANCE_POINTS} accuracy "
            "points below scikit-learn anywhere."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller friedman1 (5000 rows), fewer epochs, 2 seeds everywhere",
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=None,
        help="regression seeds (default 3, diabetes 20; quick 2)",
    )
    parser.add_argument(
        "--classification-seeds",
        type=int,
        default=None,
        help="classification seeds (default 5; quick 2)",
    )
    parser.add_argument(
        "--solvers",
        nargs="+",
        choices=SOLVERS,
        default=list(SOLVERS),
        help="regression solvers to compare",
    )
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=[*regression_datasets(False), *CLASSIFICATION_DATASETS],
        default=[*regression_datasets(False), *CLASSIFICATION_DATASETS],
        help="data sets to run",
    )
    parser.add_argument(
        "--classification-hidden",
        type=int,
        nargs="*",
        default=[64],
        help="hidden layer sizes of the lbfgs classifiers",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help=(
            "BLAS threads for every fit (0 = the library default). One thread keeps "
            "scikit-learn's small matrix products from oversubscribing a busy "
            "machine; ScratchMLPRegressor picks one thread for them by itself"
        ),
    )
    parser.add_argument(
        "--no-unit-sweep",
        action="store_true",
        help="skip the diabetes table with y in other units",
    )
    parser.add_argument(
        "--classification-max-iter",
        type=int,
        default=200,
        help="max_iter of the lbfgs classifiers",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.blas_threads > 0:
        with threadpool_limits(limits=args.blas_threads, user_api="blas"):
            return run(args)
    return run(args)


def run(args):
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    classification_seeds = range(args.classification_seeds or (2 if args.quick else 5))
    start = time.perf_counter()
    print(f"BLAS threads: {args.blas_threads or 'library default'}", flush=True)

    regression_results = []
    for name, (loader, config) in regression_datasets(args.quick).items():
        if name not in args.datasets:
            continue
        seeds = range(args.seeds or (2 if args.quick else config.seeds))
        print(
            f"{name}: hidden={config.hidden} batch={config.batch_size} "
            f"epochs={config.epochs} lbfgs max_iter={config.lbfgs_max_iter} "
            f"alpha={ALPHA} lr={LEARNING_RATES} momentum=0.9 seeds={len(seeds)}",
            flush=True,
        )
        regression_results += run_regression(name, loader, config, seeds, args.solvers)
    classification_results = []
    hidden = tuple(args.classification_hidden)
    for name in CLASSIFICATION_DATASETS:
        if name not in args.datasets:
            continue
        print(
            f"{name}: lbfgs hidden={hidden} max_iter={args.classification_max_iter} "
            f"alpha={ALPHA} seeds={len(classification_seeds)}",
            flush=True,
        )
        classification_results.append(
            run_classification(
                name, hidden, args.classification_max_iter, classification_seeds
            )
        )

    failed = []
    if regression_results:
        print(
            "\nRegression: test R², mean±std over seeds. y is given raw to both; "
            "ScratchMLPRegressor standardizes it internally, and the reference is "
            "scikit-learn doing the same: TransformedTargetRegressor(MLPRegressor, "
            "StandardScaler()) ('sklearn std y'; ok: diff >= "
            f"-{R2_TOLERANCE}). 'sklearn raw y' is MLPRegressor on y as given, for "
            "information: it depends on y's units (unit sweep below). "
            "'±sem' = standard error of diff over the seeds. "
            "'s' = mean fit seconds (sklearn: the reference fit).\n"
        )
        print(format_regression_table(regression_results))
        failed += [f"{r.dataset}/{r.solver}" for r in regression_results if not r.ok]
    sweep_solvers = [solver for solver in args.solvers if solver != "lbfgs"]
    if "diabetes" in args.datasets and sweep_solvers and not args.no_unit_sweep:
        loader, config = regression_datasets(args.quick)["diabetes"]
        seeds = range(args.seeds or (2 if args.quick else 3))
        print(
            "\nUnit sweep, diabetes: the same split and settings with y multiplied "
            "by a factor (test R², mean±std over seeds).  Ours does not depend on "
            "y's units, scikit-learn's MLPRegressor on the raw y does.\n"
        )
        print(format_unit_sweep(run_unit_sweep(loader, config, seeds, sweep_solvers)))
    if classification_results:
        print(
            "\nClassification, solver='lbfgs': test accuracy, mean±std over seeds "
            f"(ok: diff >= -{ACCURACY_TOLERANCE_POINTS} points).\n"
        )
        print(format_classification_table(classification_results))
        failed += [r.dataset for r in classification_results if not r.ok]
    print(f"\ntotal time: {time.perf_counter() - start:.1f} s")
    if failed:
        print(
            "FAIL: ours below scikit-learn beyond the tolerance on " + ", ".join(failed)
        )
        return 1
    print("all rows within tolerance of scikit-learn (or above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
