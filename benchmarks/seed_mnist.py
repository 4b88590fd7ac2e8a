"""The seed project's MNIST example, run on the NumPy core.

The network code below is the seed's example unchanged but for its import line;
around it are a small IDX reader and the seed's preprocessing (pixels scaled to
[-1, 1] as float32).  It prints the test accuracy and the seconds per epoch.

Run from the repository root::

    python benchmarks/seed_mnist.py --data-dir ../shared/data/mnist
"""

import argparse
import gzip
import time
from pathlib import Path

import numpy as np

from sknn_scratch.nn import HiddenLayer, Model, ReLU, SoftMax


def read_idx(path, header_bytes):
    """Read one gzip-compressed IDX file (images: 16-byte header, labels: 8)."""
    with gzip.open(path) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=header_bytes)


def load(data_dir):
    data_dir = Path(data_dir)
    parts = ("train", "t10k")
    images = [read_idx(data_dir / f"{p}-images-idx3-ubyte.gz", 16) for p in parts]
    labels = [read_idx(data_dir / f"{p}-labels-idx1-ubyte.gz", 8) for p in parts]
    X_train, X_test = (x.reshape(-1, 784).astype(np.float32) for x in images)
    X_train = (X_train - 127.5) / 127.5
    X_test = (X_test - 127.5) / 127.5
    return X_train, labels[0], X_test, labels[1]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default="../shared/data/mnist")
    args = parser.parse_args(argv)
    X_train, y_train, X_test, y_test = load(args.data_dir)

    start = time.perf_counter()
    # ---- the seed's example, verbatim -----------------------------------------
    # fmt: off
    model = Model()
    model.add(HiddenLayer(X_train.shape[1], 128))
    model.add(ReLU())
    model.add(HiddenLayer(128, 128))
    model.add(ReLU())
    model.add(HiddenLayer(128, 10))
    model.add(SoftMax())
    model.wrap()
    cost_wrt, accuracy_wrt = model.train(X_train, y_train, validation_data=(X_test, y_test),  # noqa: E501, RUF059
                                         epochs=10, batch_size=128, print_every=100)
    # fmt: on
    # --------------------------------------------------------------------------
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(X_test, y_test)
    print(f"test accuracy: {accuracy:.4f}  test loss: {loss:.4f}")
    print(f"seconds per epoch: {seconds / 10:.3f} (including per-epoch validation)")
    print(f"optimizer: {model.optimizer!r}")
    return 0 if accuracy >= 0.975 else 1


if __name__ == "__main__":
    raise SystemExit(main())
