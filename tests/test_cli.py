"""Tests of the ``sknn-scratch`` command line (sknn_scratch.cli.main).

Every error a user can cause is one line, ``sknn-scratch <command>: error: ...``,
with exit status 2, as argparse reports a bad option; output paths are checked
before any training.  Training runs on scikit-learn's bundled digits for one
epoch, so each test takes a fraction of a second.
"""

import gzip
import hashlib
import pickle

import joblib
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from sknn_scratch import ScratchMLPClassifier, cli, datasets
from sknn_scratch.cli import main
from sknn_scratch.datasets import FILES

QUICK = ["--dataset", "digits", "--max-iter", "1", "--verbose", "0"]


@pytest.fixture(autouse=True)
def in_tmp_path(monkeypatch, tmp_path):
    """Relative paths (the demo's default plot) land in tmp_path."""
    monkeypatch.chdir(tmp_path)


def usage_error(capsys, argv):
    """Run ``main(argv)``, expect exit status 2; return (stdout, error line)."""
    with pytest.raises(SystemExit) as excinfo:
        main(argv)
    assert excinfo.value.code == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1, err  # one line, no traceback
    return out, err


@pytest.fixture
def model_file(tmp_path):
    """A fitted classifier saved with joblib, for 64 features (digits)."""
    rng = np.random.default_rng(0)
    X, y = rng.random((20, 64)), np.arange(20) % 2
    clf = ScratchMLPClassifier(hidden_layer_sizes=(4,), max_iter=1, random_state=0)
    path = tmp_path / "model.joblib"
    with pytest.warns(ConvergenceWarning):
        joblib.dump(clf.fit(X, y), path)
    np.save(tmp_path / "X.npy", X[:3])
    return path


@pytest.mark.parametrize(
    "options, message",
    [
        (["--hidden-layer-sizes", "0"], "hidden_layer_sizes must be"),
        (["--class-weight", '{"11": 5}'], "class_weight names labels"),
        (["--learning-rate", "1e6", "--max-iter", "3"], "training diverged"),
        (["--solver", "lbfgs", "--dropout", "0.5"], "dropout=0.5 needs solver"),
    ],
    ids=["hidden-layer-sizes", "class-weight", "diverged", "lbfgs-dropout"],
)
def test_train_reports_fit_errors_in_one_line(capsys, options, message):
    _, err = usage_error(capsys, ["train", *QUICK, *options])
    assert err.startswith("sknn-scratch train: error: ") and message in err


def test_train_lets_other_exceptions_through(monkeypatch):
    def interrupted(estimator, X, y):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_fit_quietly", interrupted)
    with pytest.raises(KeyboardInterrupt):
        main(["train", *QUICK])


@pytest.mark.parametrize(
    "option, path, message",
    [
        ("--save", "nodir/m.joblib", "the folder nodir does not exist"),
        ("--save", "file.txt/m.joblib", "the folder file.txt is not a directory"),
        ("--save", "folder", "it is a directory"),
        ("--plot", "nodir/c.png", "the folder nodir does not exist"),
        ("--plot", "c.xyz", "matplotlib does not write '.xyz' files"),
    ],
)
def test_train_checks_output_paths_before_training(
    capsys, tmp_path, option, path, message
):
    if path == "c.xyz":
        pytest.importorskip("matplotlib")
    (tmp_path / "file.txt").write_text("")
    (tmp_path / "folder").mkdir()
    out, err = usage_error(capsys, ["train", *QUICK, option, path])
    assert err.startswith(f"sknn-scratch train: error: cannot write {path}: {message}")
    assert "Training" not in out


def test_train_reports_a_failed_save(capsys, monkeypatch):
    def disk_full(value, filename):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(joblib, "dump", disk_full)
    _, err = usage_error(capsys, ["train", *QUICK, "--save", "m.joblib"])
    assert err.startswith("sknn-scratch train: error: cannot write m.joblib: ")
    assert "No space left on device" in err


def test_train_reports_a_failed_plot(capsys, monkeypatch):
    figure = pytest.importorskip("matplotlib.figure")

    def disk_full(self, *args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(figure.Figure, "savefig", disk_full)
    _, err = usage_error(capsys, ["train", *QUICK, "--plot", "c.png"])
    assert err.startswith("sknn-scratch train: error: cannot write c.png: ")


def test_train_data_dir_needs_an_idx_dataset(capsys, tmp_path):
    _, err = usage_error(capsys, ["train", *QUICK, "--data-dir", str(tmp_path)])
    assert "--data-dir applies to mnist and fashion-mnist, not digits" in err


def test_train_names_the_other_dataset(capsys, monkeypatch, tmp_path):
    images = gzip.compress(b"MNIST training images", mtime=0)
    for name in FILES:
        (tmp_path / name).write_bytes(images)
    digest = hashlib.sha256(images).hexdigest()
    table = dict(datasets.SHA256["mnist"], **{FILES[0]: digest})
    monkeypatch.setitem(datasets.SHA256, "mnist", table)

    argv = ["train", *QUICK, "--dataset", "fashion-mnist", "--data-dir", "."]
    _, err = usage_error(capsys, argv)

    assert f"is the MNIST file {FILES[0]}; use --dataset mnist" in err
    assert "delete" not in err


@pytest.mark.parametrize("epochs", ["0", "-1", "two"])
def test_demo_epochs_must_be_positive(capsys, epochs):
    _, err = usage_error(capsys, ["demo", "--epochs", epochs])
    assert "argument --epochs: expected an int >= 1" in err


def test_demo_checks_the_plot_path_before_training(capsys):
    out, err = usage_error(capsys, ["demo", "--epochs", "1", "--plot", "nodir/x.png"])
    assert "cannot write nodir/x.png: the folder nodir does not exist" in err
    assert "Training" not in out


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"1,2,3\n4,5,6\n", "not a saved model (IndexError"),
        (b"", "not a saved model (EOFError)"),
        (bytes(range(256)), "not a saved model"),
        (pickle.dumps([1, 2]), "it holds a list, not a model"),
    ],
    ids=["csv", "empty", "binary", "list"],
)
def test_predict_reports_a_file_that_is_not_a_model(
    capsys, model_file, tmp_path, content, reason
):
    (tmp_path / "X.csv").write_bytes(content)
    argv = ["predict", "--model", "X.csv", "--input", "X.npy"]
    _, err = usage_error(capsys, argv)
    assert err.startswith(
        f"sknn-scratch predict: error: cannot load model X.csv: {reason}"
    )


def test_predict_reports_an_unwritable_output(capsys, model_file):
    argv = ["predict", "--model", str(model_file), "--input", "X.npy"]
    _, err = usage_error(capsys, [*argv, "--output", "nodir/o.csv"])
    assert err.startswith("sknn-scratch predict: error: cannot write nodir/o.csv: ")

    assert main([*argv, "--output", "o.csv"]) == 0
    assert (model_file.parent / "o.csv").read_text().splitlines()[0] == "prediction"
