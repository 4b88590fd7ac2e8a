"""The ``sknn-scratch`` command line."""

import argparse
import sys


def _demo(args):
    """Train on scikit-learn's bundled digits: no download, no arguments."""
    from sklearn.datasets import load_digits
    from sklearn.metrics import classification_report
    from sklearn.model_selection import train_test_split

    from sknn_scratch import ScratchMLPClassifier

    X, y = load_digits(return_X_y=True)
    X = (X / 8.0 - 1.0).astype("float32")  # pixels 0..16 -> [-1, 1], trained in float32
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    clf = ScratchMLPClassifier(
        hidden_layer_sizes=(128, 128),
        learning_rate=0.02,
        max_iter=args.epochs,
        early_stopping=True,
        n_iter_no_change=20,
        random_state=0,
        verbose=1,
    )
    print(f"Training {clf.hidden_layer_sizes} on {len(X_train)} digit images ...")
    clf.fit(X_train, y_train)
    accuracy = clf.score(X_test, y_test)
    print(classification_report(y_test, clf.predict(X_test), digits=3))
    print(
        f"Test accuracy: {accuracy:.4f} after {clf.n_iter_} epochs ({clf.stop_reason_})"
    )
    return 0


def build_parser():
    """The argument parser of ``sknn-scratch``."""
    parser = argparse.ArgumentParser(
        prog="sknn-scratch",
        description="A neural network written from scratch in NumPy.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="train on scikit-learn's bundled digits")
    demo.add_argument("--epochs", type=int, default=100, help="maximum epochs (100)")
    demo.set_defaults(run=_demo)
    return parser


def main(argv=None):
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
