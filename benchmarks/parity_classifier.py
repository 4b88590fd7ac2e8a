"""Accuracy parity: ScratchMLPClassifier against scikit-learn's MLPClassifier.

Both estimators train with the same settings: minibatch SGD with momentum 0.9
(classical momentum, no Nesterov), a constant learning rate, the same hidden
layers, batch size, number of epochs (every epoch runs: ``tol=0`` and a huge
``n_iter_no_change``, no early stopping), reshuffling every epoch, and the same
L2 penalty (scikit-learn's ``alpha`` is ``l2 = alpha / (2 * batch_size)`` here).
Both initialise alike too: weights and biases uniform in
+-sqrt(6 / (fan_in + fan_out)).

Data sets: scikit-learn's bundled digits, iris, breast_cancer and wine
(stratified 75/25 split, StandardScaler fitted on the training part; the split
and the model seeds vary with each seed, both estimators see the same split),
and MNIST from the original IDX gzip files (pixels scaled to [-1, 1], float32,
784-128-128-10, 10 epochs, batch 128, learning rate 0.01).

Run from the repository root::

    python benchmarks/parity_classifier.py --data-dir ../shared/data/mnist
    python benchmarks/parity_classifier.py --quick          # skip MNIST

It prints one row per data set: mean ± standard deviation of the test accuracy
over the seeds for both estimators, the difference in percentage points, the
mean fit time of each, and a verdict, "ok" when ours is at most 0.5 points below
scikit-learn's.  The exit status is 1 when any data set fails that rule.
"""

import argparse
import gzip
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from _matched import matched_pair
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data" / "mnist"
TOLERANCE_POINTS = 0.5
SMALL_DATASETS = {
    "digits": load_digits,
    "iris": load_iris,
    "breast_cancer": load_breast_cancer,
    "wine": load_wine,
}


@dataclass
class Settings:
    hidden: tuple
    batch_size: int
    learning_rate: float
    epochs: int
    alpha: float
    momentum: float = 0.9


@dataclass
class Result:
    name: str
    ours: list = field(default_factory=list)
    theirs: list = field(default_factory=list)
    ours_seconds: list = field(default_factory=list)
    theirs_seconds: list = field(default_factory=list)

    @property
    def diff_points(self):
        return 100 * (np.mean(self.ours) - np.mean(self.theirs))

    @property
    def ok(self):
        return self.diff_points >= -TOLERANCE_POINTS


def make_pair(settings, seed):
    """The two estimators, configured alike."""
    return matched_pair(
        hidden=settings.hidden,
        batch_size=settings.batch_size,
        learning_rate=settings.learning_rate,
        momentum=settings.momentum,
        epochs=settings.epochs,
        alpha=settings.alpha,
        seed=seed,
    )


def fit_score(estimator, X_train, y_train, X_test, y_test, epochs):
    start = time.perf_counter()
    estimator.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    if estimator.n_iter_ != epochs:
        raise RuntimeError(
            f"{type(estimator).__name__} ran {estimator.n_iter_} epochs, "
            f"expected {epochs}"
        )
    return estimator.score(X_test, y_test), seconds


def run_split(result, settings, seed, X_train, y_train, X_test, y_test):
    ours, theirs = make_pair(settings, seed)
    acc, sec = fit_score(ours, X_train, y_train, X_test, y_test, settings.epochs)
    result.ours.append(acc)
    result.ours_seconds.append(sec)
    acc, sec = fit_score(theirs, X_train, y_train, X_test, y_test, settings.epochs)
    result.theirs.append(acc)
    result.theirs_seconds.append(sec)


def run_small(name, settings, seeds):
    X, y = SMALL_DATASETS[name](return_X_y=True)
    result = Result(name)
    for seed in seeds:
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.25, stratify=y, random_state=seed
        )
        scaler = StandardScaler().fit(X_train)
        run_split(
            result,
            settings,
            seed,
            scaler.transform(X_train),
            y_train,
            scaler.transform(X_test),
            y_test,
        )
    return result


def read_idx(path, offset):
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_mnist(data_dir):
    """(X_train, y_train, X_test, y_test), pixels in [-1, 1] as float32."""
    parts = []
    for prefix in ("train", "t10k"):
        images = read_idx(data_dir / f"{prefix}-images-idx3-ubyte.gz", 16)
        labels = read_idx(data_dir / f"{prefix}-labels-idx1-ubyte.gz", 8)
        X = images.reshape(-1, 784).astype(np.float32) / np.float32(127.5) - 1
        parts += [X, labels.astype(np.int64)]
    return tuple(parts)


def mnist_files_present(data_dir):
    names = [
        f"{prefix}-{kind}-idx{dim}-ubyte.gz"
        for prefix in ("train", "t10k")
        for kind, dim in (("images", 3), ("labels", 1))
    ]
    return all((data_dir / name).is_file() for name in names)


def run_mnist(data_dir, settings, seeds):
    X_train, y_train, X_test, y_test = load_mnist(data_dir)
    result = Result("mnist")
    for seed in seeds:
        run_split(result, settings, seed, X_train, y_train, X_test, y_test)
    return result


def format_table(results):
    header = (
        f"{'dataset':<14} {'seeds':>5} {'ours acc %':>14} {'sklearn acc %':>14} "
        f"{'diff pts':>8} {'ours s':>8} {'sklearn s':>9}  verdict"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        ours = f"{100 * np.mean(r.ours):.2f}±{100 * np.std(r.ours):.2f}"
        theirs = f"{100 * np.mean(r.theirs):.2f}±{100 * np.std(r.theirs):.2f}"
        lines.append(
            f"{r.name:<14} {len(r.ours):>5} {ours:>14} {theirs:>14} "
            f"{r.diff_points:>+8.2f} {np.mean(r.ours_seconds):>8.2f} "
            f"{np.mean(r.theirs_seconds):>9.2f}  {'ok' if r.ok else 'FAIL'}"
        )
    return "\n".join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=(
            "Compare the test accuracy of ScratchMLPClassifier and scikit-learn's "
            "MLPClassifier trained with matching SGD settings. Exits 1 when ours "
            f"is more than {TOLERANCE_POINTS} points below scikit-learn anywhere."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="directory with the MNIST IDX gzip files (skipped when absent)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="skip MNIST, run the small data sets"
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=20,
        help="seeds per small data set (one test sample of iris is 2.6 points)",
    )
    parser.add_argument("--mnist-seeds", type=int, default=2, help="seeds for MNIST")
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=[*SMALL_DATASETS, "mnist"],
        default=[*SMALL_DATASETS, "mnist"],
        help="data sets to run",
    )
    parser.add_argument(
        "--hidden",
        type=int,
        nargs="*",
        default=[64],
        help="hidden layer sizes for the small data sets",
    )
    parser.add_argument(
        "--batch-size", type=int, default=32, help="batch size (small data sets)"
    )
    parser.add_argument(
        "--learning-rate", type=float, default=0.01, help="step size (small sets)"
    )
    parser.add_argument(
        "--epochs", type=int, default=200, help="epochs (small data sets)"
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=1e-4,
        help="scikit-learn's L2 alpha for both (ours: l2 = alpha / (2 * batch))",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    small = Settings(
        hidden=tuple(args.hidden),
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        epochs=args.epochs,
        alpha=args.alpha,
    )
    mnist = Settings(
        hidden=(128, 128),
        batch_size=128,
        learning_rate=0.01,
        epochs=10,
        alpha=args.alpha,
    )
    print(
        f"small data sets: hidden={small.hidden} batch={small.batch_size} "
        f"lr={small.learning_rate} epochs={small.epochs} alpha={small.alpha} "
        f"momentum={small.momentum} seeds={args.seeds}",
        flush=True,
    )
    start = time.perf_counter()
    results = []
    for name in args.datasets:
        if name == "mnist":
            continue
        results.append(run_small(name, small, range(args.seeds)))
        print(f"  {name} done", flush=True)
    if "mnist" in args.datasets:
        if args.quick:
            print("MNIST skipped (--quick)")
        elif not mnist_files_present(args.data_dir):
            print(f"MNIST skipped: IDX files not found in {args.data_dir}")
        else:
            print(
                f"mnist: hidden={mnist.hidden} batch={mnist.batch_size} "
                f"lr={mnist.learning_rate} epochs={mnist.epochs} "
                f"alpha={mnist.alpha} float32 seeds={args.mnist_seeds}",
                flush=True,
            )
            results.append(run_mnist(args.data_dir, mnist, range(args.mnist_seeds)))
    print()
    print(format_table(results))
    print(f"\ntotal time: {time.perf_counter() - start:.1f} s")
    failed = [r.name for r in results if not r.ok]
    if failed:
        print(
            f"FAIL: ours more than {TOLERANCE_POINTS} points below scikit-learn on "
            + ", ".join(failed)
        )
        return 1
    print(f"all data sets within {TOLERANCE_POINTS} points of scikit-learn (or above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
