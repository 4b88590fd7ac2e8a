"""How fast this machine multiplies the matrices of MLP training, and how close we get.

Measures NumPy's matrix product (``np.matmul`` with ``out=``, so BLAS GEMM and
nothing else) in GFLOP/s, at one BLAS thread and at all of them (threadpoolctl),
best of several runs:

* at the shapes of one training step of the network (default 784-128-128-10,
  batch 128), in the layouts training uses -- per layer with ``n_in`` inputs
  and ``n_out`` units, batch ``B``:

  - forward        ``X @ W``      (B x n_in) @ (n_in x n_out)
  - backward, dW   ``X.T @ dZ``   (n_in x B) @ (B x n_out), ``X.T`` a view
  - backward, dX   ``dZ @ W.T``   (B x n_out) @ (n_out x n_in), ``W.T`` a view,
    for every layer but the first (nobody needs the gradient of the input);

* at 2048 x 2048 x 2048, about the best case of this BLAS on this machine.

The FLOPs of one epoch count matrix products only: forward ``2 * n_in * n_out``
per row and layer, backward twice the forward minus the first layer's dX, times
the training rows (60,000).  Activations, the softmax, bias additions and the
optimizer's updates are left out: they are memory-bound and, in a good
implementation, a small part of the time.

Given measured seconds per epoch (``--epoch-seconds name=value ...``, or the
medians of a ``bench_mnist.py --output`` JSON via ``--from-json``), it prints
the GFLOP/s each contender reaches and that as a fraction of the machine's
speed: of the step's GEMM mix at 1 thread and at all threads (the realistic
ceiling: an epoch cannot take less than its FLOPs at that speed), and of
2048^3 at all threads (the peak).  Contenders that compute in float64 are
marked: compare them with a ``--dtype float64`` run.

Run from the repository root::

    python benchmarks/roofline.py
    python benchmarks/roofline.py --epoch-seconds ours=0.45 sklearn=1.2
    python benchmarks/roofline.py --from-json benchmarks/results/default.json
    python benchmarks/roofline.py --hidden 512,512 --batch-size 32
"""

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
from _matched import parse_hidden
from threadpoolctl import threadpool_info, threadpool_limits


@dataclass(frozen=True)
class Product:
    name: str
    m: int
    k: int
    n: int
    left_transposed: bool = False  # the left operand is a transposed view
    right_transposed: bool = False  # the right operand is a transposed view

    @property
    def flops(self):
        return 2 * self.m * self.k * self.n

    @property
    def shape_text(self):
        left = f"({self.m}x{self.k}){'T' if self.left_transposed else ''}"
        right = f"({self.k}x{self.n}){'T' if self.right_transposed else ''}"
        return f"{left} @ {right}"


def step_products(sizes, batch):
    """The matrix products of one training step, forward then backward."""
    products = []
    for i, (n_in, n_out) in enumerate(pairwise(sizes), start=1):
        products.append(Product(f"forward  L{i}: X @ W", batch, n_in, n_out))
    for i, (n_in, n_out) in reversed(list(enumerate(pairwise(sizes), start=1))):
        products.append(
            Product(
                f"backward L{i}: X.T @ dZ", n_in, batch, n_out, left_transposed=True
            )
        )
        if i > 1:
            products.append(
                Product(
                    f"backward L{i}: dZ @ W.T",
                    batch,
                    n_out,
                    n_in,
                    right_transposed=True,
                )
            )
    return products


def epoch_flops(sizes, rows):
    """GEMM FLOPs of one epoch: forward, backward without the input layer's dX."""
    forward = sum(2 * n_in * n_out for n_in, n_out in pairwise(sizes))
    backward = 2 * forward - 2 * sizes[0] * sizes[1]
    return rows * (forward + backward), rows * forward, rows * backward


def operands(product, dtype, rng):
    """Operands laid out as in training: transposed views where training has them."""
    if product.left_transposed:  # X.T with X (k x m) C-contiguous
        left = rng.random((product.k, product.m), dtype=dtype).T
    else:
        left = rng.random((product.m, product.k), dtype=dtype)
    if product.right_transposed:  # W.T with W (n x k) C-contiguous
        right = rng.random((product.n, product.k), dtype=dtype).T
    else:
        right = rng.random((product.k, product.n), dtype=dtype)
    return left, right, np.empty((product.m, product.n), dtype=dtype)


def best_seconds(product, dtype, runs, min_time, rng):
    """Best over ``runs`` of the mean seconds per call of a run >= ``min_time``."""
    left, right, out = operands(product, dtype, rng)
    np.matmul(left, right, out=out)  # warm-up
    calls = 1
    while True:  # calibrate the calls per run
        start = time.perf_counter()
        for _ in range(calls):
            np.matmul(left, right, out=out)
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            break
        calls = max(calls * 2, int(calls * min_time / max(elapsed, 1e-9)) + 1)
    best = elapsed / calls
    for _ in range(runs - 1):
        start = time.perf_counter()
        for _ in range(calls):
            np.matmul(left, right, out=out)
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def measure(products, dtype, threads, runs, min_time):
    """Best seconds per call of each product at each thread count."""
    rng = np.random.default_rng(0)
    seconds = {}
    for count in threads:
        with threadpool_limits(limits=count, user_api="blas"):
            for product in products:
                seconds[product, count] = best_seconds(
                    product, dtype, runs, min_time, rng
                )
    return seconds


def format_table(headers, rows, left_columns=1):
    widths = [
        max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))
    ]

    def line(cells):
        parts = [
            str(cell).ljust(width) if i < left_columns else str(cell).rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return "\n".join([line(headers), "-" * len(line(headers)), *map(line, rows)])


def parse_epoch_seconds(text):
    name, sep, value = text.rpartition("=")
    try:
        seconds = float(value)
    except ValueError:
        seconds = None
    if not sep or not name or seconds is None or seconds <= 0:
        raise argparse.ArgumentTypeError(f"expected name=seconds, got {text!r}")
    return name, seconds


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Measured GEMM GFLOP/s of this machine at the shapes of one MLP "
        "training step and at 2048^3; the FLOPs of one epoch; and the fraction of "
        "the machine's speed each contender's seconds per epoch reach.",
    )
    parser.add_argument(
        "--hidden",
        type=parse_hidden,
        help="hidden sizes (default 128,128, or the JSON's)",
    )
    parser.add_argument("--batch-size", type=int, help="default 128, or the JSON's")
    parser.add_argument(
        "--rows",
        type=int,
        help="training rows per epoch (default 60000, or the JSON's)",
    )
    parser.add_argument("--n-features", type=int, default=784, help="default 784")
    parser.add_argument("--n-classes", type=int, default=10, help="default 10")
    parser.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    parser.add_argument(
        "--epoch-seconds",
        nargs="+",
        type=parse_epoch_seconds,
        default=[],
        metavar="NAME=SECONDS",
        help="seconds per epoch of each contender",
    )
    parser.add_argument(
        "--from-json",
        type=Path,
        help="a bench_mnist.py --output JSON: its medians and its configuration",
    )
    parser.add_argument(
        "--runs", type=int, default=7, help="runs per shape; the best counts (7)"
    )
    parser.add_argument(
        "--min-time",
        type=float,
        default=0.05,
        help="seconds each run of a step shape lasts at least (0.05)",
    )
    parser.add_argument(
        "--big", type=int, default=2048, help="size of the square product (2048)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count(),
        help=f"'all threads' (default os.cpu_count() = {os.cpu_count()})",
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.min_time <= 0 or args.threads < 1:
        parser.error("--runs, --threads and --min-time must be positive")
    return args


def main(argv=None):
    args = parse_args(argv)
    dtype = np.dtype(args.dtype)
    contenders = []  # (name, seconds per epoch, compute dtype or None)
    config = {}
    if args.from_json:
        data = json.loads(args.from_json.read_text())
        config = data["meta"]["config"]
        for row in data["rows"]:
            contenders.append(
                (row["label"], row["epoch_s_median"], row.get("compute_dtype"))
            )
    contenders += [(name, seconds, None) for name, seconds in args.epoch_seconds]
    given = {"hidden": args.hidden, "batch_size": args.batch_size, "n_train": args.rows}
    for key, value in given.items():
        if (
            config
            and value is not None
            and tuple(np.atleast_1d(value)) != tuple(np.atleast_1d(config[key]))
        ):
            sys.exit(
                f"error: {key}={value} differs from the JSON's {config[key]}: its "
                "seconds per epoch are for its own configuration"
            )
    hidden = tuple(config.get("hidden", args.hidden or (128, 128)))
    batch = config.get("batch_size", args.batch_size or 128)
    rows = config.get("n_train", args.rows or 60_000)
    sizes = [args.n_features, *hidden, args.n_classes]
    threads = sorted({1, args.threads})

    blas = sorted(
        {
            f"{i['internal_api']} {i.get('version')}, {i['num_threads']} threads"
            for i in threadpool_info()
            if i["user_api"] == "blas"
        }
    )
    print(
        f"{args.dtype} GEMM on {os.cpu_count()} CPUs; NumPy {np.__version__}; "
        f"BLAS: {'; '.join(blas) or 'none found'}"
    )
    print(
        f"network {'-'.join(map(str, sizes))}, batch {batch}, {rows:,} rows per "
        f"epoch; best of {args.runs} runs of >= {args.min_time:g} s per shape"
    )
    print()

    products = step_products(sizes, batch)
    seconds = measure(products, dtype, threads, args.runs, args.min_time)
    big = Product(f"{args.big}^3", args.big, args.big, args.big)
    big_seconds = measure([big], dtype, threads, max(3, args.runs // 2), 0.2)

    def gflops(product, count, table):
        return product.flops / table[product, count] / 1e9

    headers = ["product", "shapes", "MFLOP", *(f"GFLOP/s {t} thr" for t in threads)]
    table = [
        [
            p.name,
            p.shape_text,
            f"{p.flops / 1e6:.2f}",
            *(f"{gflops(p, t, seconds):.1f}" for t in threads),
        ]
        for p in products
    ]
    step_flops = sum(p.flops for p in products)
    step_speed = {t: step_flops / sum(seconds[p, t] for p in products) for t in threads}
    table.append(
        [
            "one training step",
            f"{len(products)} products",
            f"{step_flops / 1e6:.2f}",
            *(f"{step_speed[t] / 1e9:.1f}" for t in threads),
        ]
    )
    big_speed = {t: gflops(big, t, big_seconds) * 1e9 for t in threads}
    table.append(
        [
            "square",
            big.shape_text,
            f"{big.flops / 1e6:,.0f}",
            *(f"{big_speed[t] / 1e9:.1f}" for t in threads),
        ]
    )
    print(format_table(headers, table, left_columns=2))
    print(
        "(one training step = its FLOPs / the sum of its products' best times: "
        "the speed of the step's GEMM mix)"
    )
    print()

    total, forward, backward = epoch_flops(sizes, rows)
    print(
        f"FLOPs of one epoch ({rows:,} rows, matrix products only): "
        f"{total / 1e9:.2f} GFLOP = forward {forward / 1e9:.2f} + backward "
        f"{backward / 1e9:.2f}"
    )
    floor = {t: total / step_speed[t] for t in threads}
    print(
        "fastest possible epoch at the step's GEMM speed: "
        + ", ".join(f"{floor[t]:.3f} s at {t} thread{'s' * (t > 1)}" for t in threads)
        + f"; at {args.big}^3 speed, {args.threads} threads: "
        f"{total / big_speed[args.threads]:.3f} s"
    )

    if not contenders:
        print()
        print(
            "pass --epoch-seconds name=seconds ... or --from-json to see how close "
            "each contender gets"
        )
        return 0

    print()
    headers = [
        "contender",
        "s/epoch",
        "GFLOP/s",
        *(f"% step {t} thr" for t in threads),
        f"% {args.big}^3 {args.threads} thr",
    ]
    rows_out = []
    float64_note = False
    for name, per_epoch, compute_dtype in contenders:
        speed = total / per_epoch
        label = name
        if compute_dtype and compute_dtype != args.dtype:
            label += f" [{compute_dtype}]"
            float64_note = True
        rows_out.append(
            [
                label,
                f"{per_epoch:.3f}",
                f"{speed / 1e9:.1f}",
                *(f"{100 * speed / step_speed[t]:.0f}" for t in threads),
                f"{100 * speed / big_speed[args.threads]:.0f}",
            ]
        )
    print(format_table(headers, rows_out))
    print(
        "GFLOP/s = epoch FLOPs / s per epoch; % step = of the step's GEMM mix at that "
        f"many threads; % {args.big}^3 = of the big square product."
    )
    if float64_note:
        print(
            f"[dtype]: computes in that dtype, not {args.dtype}: its percentages "
            f"are against {args.dtype} speed (rerun with --dtype to compare)."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
