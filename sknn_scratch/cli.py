"""The ``sknn-scratch`` command line: ``demo``, ``train`` and ``predict``.

Every constructor parameter of :class:`~sknn_scratch.ScratchMLPClassifier` is an
option of ``train`` (``--learning-rate 0.05``, ``--hidden-layer-sizes 128,128``,
``--no-shuffle``...); the options are generated from the estimator's parameters,
so the two cannot drift apart.
"""

import argparse
import json
import pickle
import sys
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sknn_scratch import ScratchMLPClassifier

DATASETS = ("digits", "mnist", "fashion-mnist")
# Options whose defaults differ from the estimator's: the seed's MNIST network
# (784-128-128-10, batch 128, momentum 0.9) for 10 epochs, with a larger, decaying
# step and a progress bar.  Measured: 97.9-98.0 % test accuracy on MNIST.
TRAIN_DEFAULTS = {"max_iter": 10, "learning_rate": 0.1, "decay": 1e-3, "verbose": 1}
# What joblib.load raises on a file that is not a saved model: a CSV or .npy file
# gives IndexError, random bytes KeyError, an empty file EOFError, a pickle of a
# class that is not installed ImportError.  OSError is reported on its own.
_NOT_A_MODEL_ERRORS = (
    AttributeError,
    EOFError,
    ImportError,
    LookupError,
    TypeError,
    ValueError,
    pickle.UnpicklingError,
)


def scale_pixels(X, high=255.0):
    """Map pixel values from [0, high] to [0, 1] as float32.

    [0, 1] rather than the seed's [-1, 1]: with [-1, 1] every background pixel
    feeds a large constant into the first layer, which slows SGD down (measured
    on MNIST, 10 epochs: about 97.5 % against 98 %).
    """
    return np.asarray(X, dtype=np.float32) / np.float32(high)


def _parse_value(text):
    """Read an option value: none, true/false, an int, a float, JSON, or a string."""
    lowered = text.strip().lower()
    if lowered in ("none", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if text.lstrip().startswith("{"):
        try:  # class_weight as a JSON object; its keys become ints when they can
            return {_parse_value(k): v for k, v in json.loads(text).items()}
        except (ValueError, AttributeError):
            pass
    return text


def _positive_int(text):
    """An argparse type: an int >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an int >= 1, got {text!r}")
    return value


def _parse_sizes(text):
    """``128,128`` -> (128, 128); an empty string -> () (no hidden layer)."""
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated ints such as 128,128, got {text!r}"
        ) from None


def _add_estimator_options(parser):
    group = parser.add_argument_group("estimator parameters (ScratchMLPClassifier)")
    for name, default in ScratchMLPClassifier().get_params().items():
        default = TRAIN_DEFAULTS.get(name, default)
        flag = "--" + name.replace("_", "-")
        if name == "hidden_layer_sizes":
            group.add_argument(
                flag,
                type=_parse_sizes,
                default=default,
                metavar="N,N",
                help=f"default: {default}",
            )
        elif isinstance(default, bool):
            group.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=default
            )
        else:
            group.add_argument(
                flag,
                type=_parse_value,
                default=default,
                metavar="VALUE",
                help=f"default: {default}",
            )


def _load_dataset(name, data_dir):
    """Return ``(X_train, y_train), (X_test, y_test), high`` (pixels in 0..high)."""
    if name == "digits":
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        X, y = load_digits(return_X_y=True)
        split = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
        return (split[0], split[2]), (split[1], split[3]), 16.0
    from sknn_scratch.datasets import _TITLES, _WrongKindError, load_mnist

    try:
        train, test = load_mnist(data_dir, kind=name)
    except _WrongKindError as exc:  # a CLI user chooses the kind with --dataset
        raise ValueError(
            f"{exc.path} is the {_TITLES[exc.kind]} file {exc.name}; "
            f"use --dataset {exc.kind}"
        ) from None
    return train, test, 255.0


def _fit_quietly(estimator, X, y):
    """Fit without the ConvergenceWarning: the command prints the stop reason."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)


def _fail(parser, message):
    parser.error(message.splitlines()[0] if message else "failed")


def _check_output(parser, path, plot=False):
    """Fail before any training if ``path`` cannot be written.

    The folder must exist; a plot's extension must be a format matplotlib
    writes (checked only when matplotlib is installed: without it
    :func:`_save_plot` writes nothing and says why).
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        reason = "is not a directory" if folder.exists() else "does not exist"
        _fail(parser, f"cannot write {path}: the folder {folder} {reason}")
    if path.is_dir():
        _fail(parser, f"cannot write {path}: it is a directory")
    if not plot or not path.suffix:  # no suffix: matplotlib writes PNG
        return
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        return
    formats = FigureCanvasBase.get_supported_filetypes()
    if path.suffix[1:].lower() not in formats:
        _fail(
            parser,
            f"cannot write {path}: matplotlib does not write {path.suffix!r} "
            f"files (supported: {', '.join(sorted(formats))})",
        )


def _train(args, parser):
    from sklearn.metrics import classification_report
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    params = {k: getattr(args, k) for k in ScratchMLPClassifier().get_params()}
    clf = ScratchMLPClassifier(**params)
    try:
        clf._validate_params()  # a bad value: one line naming it, exit status 2
    except ValueError as exc:
        _fail(parser, str(exc))
    if args.dataset == "digits" and args.data_dir is not None:
        _fail(parser, "--data-dir applies to mnist and fashion-mnist, not digits")
    if args.save:
        _check_output(parser, args.save)
    if args.plot:
        _check_output(parser, args.plot, plot=True)
    try:
        (X_train, y_train), (X_test, y_test), high = _load_dataset(
            args.dataset, args.data_dir
        )
    except (OSError, ValueError) as exc:
        _fail(parser, f"cannot load {args.dataset}: {exc}")
    model = make_pipeline(
        FunctionTransformer(scale_pixels, kw_args={"high": high}), clf
    )
    print(f"Training {clf.hidden_layer_sizes} on {len(X_train)} {args.dataset} images")
    try:
        _fit_quietly(model, X_train, y_train)
    except (TypeError, ValueError) as exc:  # values valid alone, not together
        _fail(parser, str(exc))
    accuracy = model.score(X_test, y_test)
    if args.report:
        print(classification_report(y_test, model.predict(X_test), digits=3))
    print(
        f"Test accuracy: {accuracy:.4f} after {clf.n_iter_} epochs "
        f"({clf.stop_reason_}); final training loss {clf.loss_:.4f}"
    )
    if args.save:
        import joblib

        try:
            joblib.dump(model, args.save)
        except OSError as exc:
            _fail(parser, f"cannot write {args.save}: {exc}")
        print(f"Saved the model (scaling + network) to {args.save}")
    if args.plot:
        _save_plot(clf, args.plot, parser)
    return 0


def _save_plot(clf, path, parser):
    try:
        from sknn_scratch.plot import TrainingCurveDisplay

        display = TrainingCurveDisplay.from_estimator(clf)
    except ImportError as exc:
        print(f"Not writing {path}: {exc}", file=sys.stderr)
        return
    try:
        display.figure_.savefig(path, dpi=120, bbox_inches="tight")
    except OSError as exc:
        _fail(parser, f"cannot write {path}: {exc}")
    print(f"Wrote the training curves to {path}")


def _read_input(path):
    path = Path(path)
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False)
    return np.loadtxt(path, delimiter=",", ndmin=2)


def _predict(args, parser):
    import joblib

    try:
        model = joblib.load(args.model)
    except OSError as exc:
        _fail(parser, f"cannot load model {args.model}: {exc}")
    except _NOT_A_MODEL_ERRORS as exc:
        _fail(
            parser,
            f"cannot load model {args.model}: not a saved model "
            f"({': '.join(filter(None, (type(exc).__name__, str(exc))))})",
        )
    if not hasattr(model, "predict"):
        _fail(
            parser,
            f"cannot load model {args.model}: it holds a "
            f"{type(model).__name__}, not a model",
        )
    try:
        X = _read_input(args.input)
    except (OSError, ValueError) as exc:
        _fail(parser, f"cannot read input {args.input}: {exc}")
    try:
        if args.proba:
            result = model.predict_proba(X)
            header = ",".join(str(c) for c in model.classes_)
        else:
            result = model.predict(X).reshape(-1, 1)
            header = "prediction"
    except ValueError as exc:
        _fail(parser, f"cannot predict on {args.input}: {exc}")
    fmt = "%.6g" if args.proba else "%s"
    if not args.output:
        np.savetxt(
            sys.stdout, result, delimiter=",", header=header, comments="", fmt=fmt
        )
        return 0
    try:
        with open(args.output, "w") as out:
            np.savetxt(out, result, delimiter=",", header=header, comments="", fmt=fmt)
    except OSError as exc:
        _fail(parser, f"cannot write {args.output}: {exc}")
    return 0


def _demo(args, parser):
    """Train on scikit-learn's bundled digits: no download, no arguments."""
    from sklearn.datasets import load_digits
    from sklearn.metrics import classification_report
    from sklearn.model_selection import train_test_split

    _check_output(parser, args.plot, plot=True)
    X, y = load_digits(return_X_y=True)
    X = scale_pixels(X, high=16.0)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(128, 128),
        learning_rate=0.05,
        max_iter=args.epochs,
        early_stopping=True,  # the plot shows validation curves
        validation_fraction=0.2,  # 270 images: a steadier choice of best epoch
        n_iter_no_change=20,
        random_state=0,
        verbose=1,
    )
    print(f"Training {clf.hidden_layer_sizes} on {len(X_train)} digit images (8x8)")
    _fit_quietly(clf, X_train, y_train)
    print(classification_report(y_test, clf.predict(X_test), digits=3))
    print(
        f"Test accuracy: {clf.score(X_test, y_test):.4f} after {clf.n_iter_} "
        f"epochs ({clf.stop_reason_}, best epoch {clf.best_epoch_})"
    )
    _save_plot(clf, args.plot, parser)
    return 0


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: the problem, exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser():
    """The argument parser of ``sknn-scratch``."""
    parser = _Parser(
        prog="sknn-scratch",
        description="A neural network written from scratch in NumPy.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser(
        "demo", help="train on scikit-learn's bundled digits (no download)"
    )
    demo.add_argument(
        "--epochs", type=_positive_int, default=100, help="maximum epochs (100)"
    )
    demo.add_argument(
        "--plot",
        default="training_curves.png",
        help="where to write the curves (training_curves.png)",
    )
    demo.set_defaults(run=_demo)

    train = commands.add_parser(
        "train", help="train ScratchMLPClassifier on digits, MNIST or Fashion-MNIST"
    )
    train.add_argument("--dataset", choices=DATASETS, default="mnist")
    train.add_argument(
        "--data-dir",
        default=None,
        help="folder of the IDX .gz files of mnist or fashion-mnist "
        "(default: the download cache)",
    )
    train.add_argument("--save", metavar="MODEL.joblib", help="save the fitted model")
    train.add_argument("--plot", metavar="CURVES.png", help="write the training curves")
    train.add_argument("--report", action="store_true", help="print a per-class report")
    _add_estimator_options(train)
    train.set_defaults(run=_train)

    predict = commands.add_parser(
        "predict",
        help="predict with a saved model (joblib files run code: trust the source)",
    )
    predict.add_argument("--model", required=True, metavar="MODEL.joblib")
    predict.add_argument(
        "--input",
        required=True,
        metavar="X.npy|X.csv",
        help="raw features, one row per sample",
    )
    predict.add_argument("--proba", action="store_true", help="class probabilities")
    predict.add_argument("--output", metavar="OUT.csv", help="default: standard output")
    predict.set_defaults(run=_predict)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    command = parser._subparsers._group_actions[0].choices[args.command]
    return args.run(args, command)


if __name__ == "__main__":
    sys.exit(main())
