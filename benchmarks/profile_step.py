"""Where the time of a training epoch goes, and what the layers cost.

Trains the network of ``bench_mnist.py`` (default 784-128-128-10 ReLU, softmax,
float32, batch 128, SGD with momentum 0.9; ``--dtype float64`` for float64)
with the core :class:`Model`, at one BLAS thread and at all of them, and prints
per epoch (medians of ``--repeats``, the contenders alternating within each
repeat):

* the epoch, timed whole;
* the same epoch with each part timed -- every layer's forward and backward,
  the loss, the accuracy, the optimizer; what is left is the loop itself
  (minibatch gather, bookkeeping).  Timing every call costs a little, so the
  parts add up to a little more than the plain epoch;
* the matrix products alone: the step's products on its shapes, one after the
  other, as many times as an epoch has steps -- the floor no NumPy code can
  beat at that thread count;
* the same arithmetic written out by hand in one function, without layers,
  with activations in place: what the layered, readable core costs;
* with ``--sklearn``, one epoch of scikit-learn's MLPClassifier with the same
  settings on the same rows, at its own thread count (half the difference
  between fits of three epochs and of one, so that its set-up does not count),
  and how many times faster than it each of the epochs above is: how far from
  scikit-learn even a loop without layers gets.

Run from the repository root::

    python benchmarks/profile_step.py --data-dir ../shared/data/mnist
    python benchmarks/profile_step.py --hidden 512,512 --repeats 3
    python benchmarks/profile_step.py --data-dir ../shared/data/mnist --sklearn

Without ``--data-dir`` the rows are random (the timings hardly depend on the
values).  Timings of a busy machine are noisy: compare within one run.
"""

import argparse
import os
import time
import warnings
from collections import defaultdict
from itertools import pairwise

import numpy as np
from _matched import matched_pair, parse_hidden
from bench_mnist import load_data
from roofline import operands, step_products
from threadpoolctl import threadpool_limits

from sknn_scratch import nn

LEARNING_RATE, MOMENTUM = 0.01, 0.9


def load_rows(data_dir, n_rows, dtype):
    if data_dir is None:
        rng = np.random.default_rng(0)
        return rng.random((n_rows, 784), dtype=dtype), rng.integers(0, 10, n_rows)
    arrays, y, _ = load_data(data_dir, n_rows, dtypes=(dtype,))
    return arrays[dtype][0], y


def build_model(sizes, dtype, seed=0):
    model = nn.Model()
    rng = np.random.RandomState(seed)
    for i, (n_in, n_out) in enumerate(pairwise(sizes)):
        model.add(nn.HiddenLayer(n_in, n_out, random_state=rng, dtype=dtype))
        model.add(nn.ReLU() if i < len(sizes) - 2 else nn.SoftMax())
    model.wrap(optimizer=nn.SGD(learning_rate=LEARNING_RATE, momentum=MOMENTUM))
    return model


def timed_parts(model, seconds):
    """Wrap the model's calls so that each adds its time to ``seconds[name]``."""

    def timed(name, function):
        def call(*args, **kwargs):
            start = time.perf_counter()
            result = function(*args, **kwargs)
            seconds[name] += time.perf_counter() - start
            return result

        return call

    dense = 0
    for layer in model.layers[1:]:  # the InputLayer does nothing
        if isinstance(layer, nn.HiddenLayer):
            dense += 1
            label = f"dense {dense} ({layer.n_inputs}x{layer.n_neurons})"
        else:
            label = f"{type(layer).__name__} {dense}"
        layer.forward = timed(f"forward  {label}", layer.forward)
        layer.backward = timed(f"backward {label}", layer.backward)
    loss = model.loss
    loss.calculate = timed("loss", loss.calculate)
    loss.fused_backward = timed("backward softmax + cross-entropy", loss.fused_backward)
    loss.accuracy = timed("accuracy", loss.accuracy)
    model.optimizer.step = timed("optimizer (SGD, momentum)", model.optimizer.step)


def sklearn_epoch(X, y, hidden, batch_size, seed):
    """Seconds of one epoch of scikit-learn's MLPClassifier, without its set-up.

    Half the difference between fits of three epochs and of one, from the same
    seed: what fit spends before its first epoch (validation, initialisation)
    cancels out.
    """
    seconds = {}
    for epochs in (1, 3):
        _, theirs = matched_pair(
            hidden=hidden,
            batch_size=batch_size,
            learning_rate=LEARNING_RATE,
            momentum=MOMENTUM,
            epochs=epochs,
            seed=seed,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # so few epochs do not converge
            start = time.perf_counter()
            theirs.fit(X, y)
            seconds[epochs] = time.perf_counter() - start
    return (seconds[3] - seconds[1]) / 2


def products_only(sizes, batch_size, n_steps, dtype):
    """Seconds of ``n_steps`` steps' products (roofline.py's list), nothing else."""
    rng = np.random.default_rng(0)
    calls = [
        operands(product, dtype, rng) for product in step_products(sizes, batch_size)
    ]
    start = time.perf_counter()
    for _ in range(n_steps):
        for left, right, out in calls:
            np.matmul(left, right, out=out)
    return time.perf_counter() - start


def hand_written_epoch(X, y, sizes, batch_size, order, seed=0):
    """The same step written out in one function: no layers, in-place ReLU."""
    dtype = X.dtype
    rng = np.random.RandomState(seed)
    weights, biases = [], []
    for n_in, n_out in pairwise(sizes):
        limit = np.sqrt(6 / (n_in + n_out))
        weights.append(rng.uniform(-limit, limit, (n_in, n_out)).astype(dtype))
        biases.append(rng.uniform(-limit, limit, n_out).astype(dtype))
    params = [p for pair in zip(weights, biases, strict=True) for p in pair]
    grads = [np.empty_like(p) for p in params]
    velocities = [np.zeros_like(p) for p in params]
    batch = np.empty((batch_size, sizes[0]), dtype)
    outs = [np.empty((batch_size, n), dtype) for n in sizes[1:]]
    backs = [np.empty((batch_size, n), dtype) for n in sizes[1:-1]]
    rows_all = np.arange(batch_size)
    start = time.perf_counter()
    for begin in range(0, len(order), batch_size):
        rows = order[begin : begin + batch_size]
        n = len(rows)
        A = np.take(X, rows, axis=0, out=batch[:n], mode="clip")
        labels = y[rows]
        activations = [A]
        for i, (W, b) in enumerate(zip(weights, biases, strict=True)):
            Z = np.matmul(activations[-1], W, out=outs[i][:n])
            Z += b
            if i < len(weights) - 1:
                np.maximum(Z, 0, out=Z)
            activations.append(Z)
        P = activations[-1]
        P -= P.max(axis=1, keepdims=True)
        np.exp(P, out=P)
        P /= P.sum(axis=1, keepdims=True)
        -np.log(P[rows_all[:n], labels]).mean()  # the loss, as the core computes it
        np.count_nonzero(P.argmax(axis=1) == labels)  # and the accuracy
        P[rows_all[:n], labels] -= 1
        P *= 1.0 / n
        dZ = P
        for i in range(len(weights) - 1, -1, -1):
            np.matmul(activations[i].T, dZ, out=grads[2 * i])
            np.add.reduce(dZ, axis=0, out=grads[2 * i + 1])
            if i:
                dA = np.matmul(dZ, weights[i].T, out=backs[i - 1][:n])
                dA *= activations[i] > 0
                dZ = dA
        for param, grad, velocity in zip(params, grads, velocities, strict=True):
            velocity *= MOMENTUM
            grad *= LEARNING_RATE
            velocity += grad
            param -= velocity
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=None, help="MNIST folder; else random")
    parser.add_argument("--hidden", type=parse_hidden, default=(128, 128))
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument(
        "--sklearn",
        action="store_true",
        help="also time an epoch of scikit-learn's MLPClassifier and print ratios",
    )
    args = parser.parse_args(argv)

    X, y = load_rows(args.data_dir, args.rows, args.dtype)
    sizes = (X.shape[1], *args.hidden, 10)
    n_steps = -(-len(X) // args.batch_size)
    all_threads = os.cpu_count() or 1
    counts = sorted({1, all_threads})
    rng = np.random.default_rng(0)
    plain, parts, gemm, hand = (defaultdict(list) for _ in range(4))
    theirs = []
    if args.sklearn:  # a first fit pays for imports and caches: not timed
        sklearn_epoch(X[:256], y[:256], args.hidden, args.batch_size, 0)
    for repeat in range(args.repeats):
        if args.sklearn:
            theirs.append(sklearn_epoch(X, y, args.hidden, args.batch_size, repeat))
        for threads in counts:
            with threadpool_limits(threads, user_api="blas"):
                order = rng.permutation(len(X))
                model = build_model(sizes, X.dtype)
                start = time.perf_counter()
                model.train_epoch(X, y, batch_size=args.batch_size, order=order)
                plain[threads].append(time.perf_counter() - start)

                seconds = defaultdict(float)
                model = build_model(sizes, X.dtype)
                timed_parts(model, seconds)
                start = time.perf_counter()
                model.train_epoch(X, y, batch_size=args.batch_size, order=order)
                seconds["total"] = time.perf_counter() - start
                parts[threads].append(seconds)

                gemm[threads].append(
                    products_only(sizes, args.batch_size, n_steps, X.dtype)
                )
                hand[threads].append(
                    hand_written_epoch(X, y, sizes, args.batch_size, order)
                )

    def median(values):
        return float(np.median(values)) * 1e3

    names = list(parts[counts[0]][0])
    names.remove("total")
    print(
        f"network {'-'.join(map(str, sizes))}, {args.dtype}, batch {args.batch_size}, "
        f"{len(X):,} rows ({n_steps} steps) per epoch; medians of {args.repeats} "
        "repeats, ms per epoch\n"
    )
    header = "".join(f"{f'{t} thread' + 's' * (t > 1):>22}" for t in counts)
    print(f"{'part of the instrumented epoch':40}{header}")
    rows = []
    for name in names:
        rows.append((name, [median([p[name] for p in parts[t]]) for t in counts]))
    totals = [median([p["total"] for p in parts[t]]) for t in counts]
    rest = [total - sum(row[1][i] for row in rows) for i, total in enumerate(totals)]
    rows.append(("the loop itself (gather, bookkeeping)", rest))
    for name, values in rows:
        cells = "".join(
            f"{v:11.1f} {100 * v / total:5.1f} %   "
            for v, total in zip(values, totals, strict=True)
        )
        print(f"{name:40}{cells}")
    print(f"{'instrumented epoch':40}" + "".join(f"{v:11.1f}{'':12}" for v in totals))
    print()
    summary = [
        ("epoch, Model.train_epoch", [median(plain[t]) for t in counts]),
        ("epoch written out by hand", [median(hand[t]) for t in counts]),
        ("matrix products alone", [median(gemm[t]) for t in counts]),
    ]
    for name, values in summary:
        print(f"{name:40}" + "".join(f"{v:11.1f}{'':12}" for v in values))
    for i, threads in enumerate(counts):
        ours, by_hand, products = (row[1][i] for row in summary)
        print(
            f"{threads} thread{'s' * (threads > 1)}: the layers cost "
            f"{100 * (ours / by_hand - 1):+.0f} % over the hand-written loop; "
            f"products are {100 * products / ours:.0f} % of the epoch"
        )
    if theirs:
        sklearn = median(theirs)
        print(
            f"\nscikit-learn's MLPClassifier, one epoch ({args.dtype} X, its own "
            f"thread count): {sklearn:.1f} ms; times faster than it:"
        )
        for name, values in summary[:2]:
            cells = "".join(f"{sklearn / v:11.2f}{'':12}" for v in values)
            print(f"{name:40}{cells}")


if __name__ == "__main__":
    main()
