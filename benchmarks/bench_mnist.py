"""Training and prediction speed on MNIST: ours, scikit-learn and PyTorch side by side.

Every contender trains the same network with the same settings, in one process,
alternating between contenders within each repeat (the order rotates from one
repeat to the next), so a slow spell of a shared machine hits them all alike.
The default configuration is the one of issue 5: 784-128-128-10 ReLU, minibatch
SGD with momentum 0.9 (no Nesterov), learning rate 0.01, batch 128, 10 epochs,
no penalty (``alpha=0``/``l2=0``), no early stopping, shuffling on, and every
epoch runs (``tol=0``, ``n_iter_no_change=np.inf``).  Pixels are scaled to
[0, 1].  Repeat ``r`` seeds every contender with ``r``.

Contenders (``--contenders`` picks some; keys in brackets):

* [sklearn-f64] scikit-learn's ``MLPClassifier`` fed float64 -- the baseline;
* [sklearn-f32] scikit-learn's ``MLPClassifier`` fed float32;
* [scratch-f32] ``ScratchMLPClassifier`` fed float32 (``dtype=None``: float32);
* [scratch-f32-unseeded] the same with ``random_state=None``: with no
  reproducibility promised, its BLAS thread count is tuned by timing even
  though float32 results depend on it (see ``sknn_scratch/nn/_blas.py``);
* [scratch-f64] ``ScratchMLPClassifier`` fed float64 (``dtype=None``: float64);
* [scratch-f64-as-f32] ``ScratchMLPClassifier(dtype="float32")`` fed float64;
* [torch] PyTorch on the CPU when it imports: the same network and the same
  weight initialisation as scikit-learn (uniform within
  ``+-sqrt(6 / (fan_in + fan_out))``), ``torch.optim.SGD(momentum=0.9)`` (or
  ``Adam``), ``torch.set_num_threads(os.cpu_count())``, a manual minibatch loop
  over a reshuffled copy of the data each epoch.  Not a dependency of the
  project: ``pip install torch`` to include it.

Run from the repository root::

    python benchmarks/bench_mnist.py --data-dir ../shared/data/mnist
    python benchmarks/bench_mnist.py --quick                 # smoke run, ~1 min
    python benchmarks/bench_mnist.py --hidden 512,512        # the wider network
    python benchmarks/bench_mnist.py --batch-size 32         # or 512
    python benchmarks/bench_mnist.py --solver adam           # lr 0.001 by default
    python benchmarks/bench_mnist.py --contend               # a core kept busy
    python benchmarks/bench_mnist.py --output default        # also write
        # benchmarks/results/default.json and .csv (roofline.py --from-json)

Columns of the table:

s/epoch
    Median over the repeats of fit time / epochs run; ``fit`` as a user calls
    it, input validation and dtype conversion included.
min-max
    Fastest and slowest repeat, per epoch.
acc %
    Test accuracy on the 10,000 test images, median over the repeats.  The
    target lines compare accuracies seed by seed instead (repeat ``r`` of
    every contender uses seed ``r``): the mean difference and its standard
    error.
traced MiB
    Peak of the memory NumPy allocates during ``fit`` above what was allocated
    before it, measured with ``tracemalloc`` (NumPy reports its buffers to it).
    It does not see PyTorch's allocator: "-" for torch.
RSS MiB
    Peak resident set size during ``fit`` above the resident size just before
    it, for every contender including torch: the kernel's high-water mark
    (``VmHWM``, reset through ``/proc/self/clear_refs``; where that is not
    possible, the ``ru_maxrss`` delta of ``resource.getrusage``).  Both memory
    columns come from separate fits of ``--memory-epochs`` epochs (default 1;
    the peak recurs every epoch), each in a fresh Python process so neither
    tracing nor the memory left behind by other contenders distorts them.
predict rows/s
    Rows per second of ``predict_proba`` on the 10,000 test images (in the
    contender's input dtype), median over ``--predict-calls`` calls after each
    timed fit.
train x skl64, train x skl32
    Speed-up in training: scikit-learn's median s/epoch (fed float64, resp.
    fed float32) divided by this contender's.  Above 1: faster than it.
predict x skl64
    This contender's predict rows/s divided by scikit-learn's fed float64.

BLAS threads are left as each library sets them (reported in the header)
unless ``--blas-threads N`` limits NumPy's BLAS around the NumPy contenders'
fits and predictions.  Timings of a busy machine are noisy: compare medians of
one run, and repeat the run before drawing conclusions.
"""

import argparse
import atexit
import csv
import gc
import json
import math
import os
import platform
import re
import resource
import signal
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import numpy as np
import sklearn
from _matched import matched_pair, parse_hidden
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info, threadpool_limits

import sknn_scratch
from sknn_scratch.datasets import DatasetNotFoundError, load_mnist

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "data" / "mnist"
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
BASELINE = "sklearn-f64"
BASELINE_F32 = "sklearn-f32"
MIB = 2**20


@dataclass(frozen=True)
class Contender:
    key: str
    label: str
    family: str  # "sklearn", "scratch" or "torch"
    input_dtype: str  # dtype of the X handed to fit and predict_proba
    compute_dtype: str
    dtype_param: str | None = None  # ScratchMLPClassifier's ``dtype``
    seeded: bool = True  # False: random_state=None (BLAS threads tuned by timing)


CONTENDERS = (
    Contender(
        "sklearn-f64", "scikit-learn, float64 X", "sklearn", "float64", "float64"
    ),
    Contender(
        "sklearn-f32", "scikit-learn, float32 X", "sklearn", "float32", "float32"
    ),
    Contender("scratch-f32", "ours, float32 X", "scratch", "float32", "float32"),
    Contender(
        "scratch-f32-unseeded",
        "ours, float32 X, random_state=None",
        "scratch",
        "float32",
        "float32",
        seeded=False,
    ),
    Contender("scratch-f64", "ours, float64 X", "scratch", "float64", "float64"),
    Contender(
        "scratch-f64-as-f32",
        'ours, float64 X, dtype="float32"',
        "scratch",
        "float64",
        "float32",
        "float32",
    ),
    Contender("torch", "PyTorch CPU, float32 X", "torch", "float32", "float32"),
)
BY_KEY = {c.key: c for c in CONTENDERS}


@dataclass(frozen=True)
class Config:
    hidden: tuple
    batch_size: int
    solver: str
    learning_rate: float
    epochs: int
    momentum: float = 0.9


# ---------------------------------------------------------------------- torch
_torch = None


def import_torch(threads):
    """PyTorch with ``threads`` intra-op threads, or None when it does not import."""
    global _torch
    if _torch is None:
        try:
            import torch
        except ImportError:
            return None
        torch.set_num_threads(threads)
        _torch = torch
    return _torch


class TorchMLP:
    """The same network in PyTorch, trained by a manual minibatch loop."""

    def __init__(self, config, seed):
        self.config = config
        self.seed = seed

    def fit(self, X, y):
        torch, cfg = _torch, self.config
        torch.manual_seed(self.seed)
        self.classes_ = np.unique(y)
        sizes = [X.shape[1], *cfg.hidden, len(self.classes_)]
        layers = []
        for fan_in, fan_out in pairwise(sizes):
            linear = torch.nn.Linear(fan_in, fan_out)
            bound = math.sqrt(6.0 / (fan_in + fan_out))  # scikit-learn's scheme
            torch.nn.init.uniform_(linear.weight, -bound, bound)
            torch.nn.init.uniform_(linear.bias, -bound, bound)
            layers += [linear, torch.nn.ReLU()]
        self.net = torch.nn.Sequential(*layers[:-1])
        if cfg.solver == "sgd":
            optimizer = torch.optim.SGD(
                self.net.parameters(),
                lr=cfg.learning_rate,
                momentum=cfg.momentum,
                nesterov=False,
            )
        else:
            optimizer = torch.optim.Adam(
                self.net.parameters(),
                lr=cfg.learning_rate,
                betas=(0.9, 0.999),
                eps=1e-8,
            )
        X_t = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
        y_t = torch.from_numpy(np.searchsorted(self.classes_, y).astype(np.int64))
        generator = torch.Generator().manual_seed(self.seed)
        n, batch = X_t.shape[0], cfg.batch_size
        self.net.train()
        for _ in range(cfg.epochs):
            order = torch.randperm(n, generator=generator)
            X_epoch, y_epoch = X_t[order], y_t[order]  # one shuffled copy per epoch
            for start in range(0, n, batch):
                optimizer.zero_grad(set_to_none=True)
                logits = self.net(X_epoch[start : start + batch])
                loss = torch.nn.functional.cross_entropy(
                    logits, y_epoch[start : start + batch]
                )
                loss.backward()
                optimizer.step()
        self.n_iter_ = cfg.epochs
        return self

    def predict_proba(self, X):
        torch = _torch
        self.net.eval()
        with torch.inference_mode():
            X_t = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
            return torch.softmax(self.net(X_t), dim=1).numpy()


# ------------------------------------------------------------------ estimators
def make_estimator(contender, cfg, seed):
    """A fresh, unfitted estimator of ``contender`` for ``cfg``."""
    if contender.family in ("sklearn", "scratch"):
        ours, theirs = matched_pair(
            hidden=cfg.hidden,
            solver=cfg.solver,
            batch_size=cfg.batch_size,
            learning_rate=cfg.learning_rate,
            momentum=cfg.momentum,
            epochs=cfg.epochs,
            dtype=contender.dtype_param,
            seed=seed,
        )
        if contender.family == "sklearn":
            return theirs
        return ours if contender.seeded else ours.set_params(random_state=None)
    return TorchMLP(cfg, seed)


def blas_limit(contender, blas_threads):
    """Limit NumPy's BLAS for the NumPy contenders when asked to."""
    if blas_threads is None or contender.family == "torch":
        return nullcontext()
    return threadpool_limits(limits=blas_threads, user_api="blas")


# ------------------------------------------------------------------------ data
def load_data(data_dir, subset, dtypes=("float64", "float32")):
    """Train/test arrays per input dtype (pixels in [0, 1]) and the labels."""
    (X_train, y_train), (X_test, y_test) = load_mnist(data_dir, download=False)
    if subset and subset < len(X_train):
        rows = np.random.default_rng(0).choice(len(X_train), subset, replace=False)
        rows.sort()
        X_train, y_train = X_train[rows], y_train[rows]
    arrays = {}
    for name in dtypes:
        train, test = X_train.astype(name), X_test.astype(name)
        train /= 255.0
        test /= 255.0
        arrays[name] = (train, test)
    return arrays, y_train, y_test


# ---------------------------------------------------------------------- memory
def _status_kib(field):
    with open("/proc/self/status") as f:
        match = re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.MULTILINE)
    return int(match.group(1))


def _reset_peak_rss():
    """Reset the kernel's peak-RSS mark of this process; False when not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return _status_kib("VmHWM") <= _status_kib("VmRSS") + 64
    except OSError:
        return False


def memory_probe(args, cfg, contender):
    """Peak memory of one fit, measured in this (fresh) process: a dict."""
    if contender.family == "torch" and import_torch(args.torch_threads) is None:
        raise SystemExit("torch does not import")
    arrays, y_train, _ = load_data(args.data_dir, args.subset, (contender.input_dtype,))
    X = arrays[contender.input_dtype][0]
    cfg = replace(cfg, epochs=args.memory_epochs)
    warnings.simplefilter("ignore", ConvergenceWarning)
    gc.collect()
    result = {"rss_method": None, "rss_mib": None, "traced_mib": None}
    # Resident memory first, untraced.
    if _reset_peak_rss():
        before = _status_kib("VmRSS")
        with blas_limit(contender, args.blas_threads):
            make_estimator(contender, cfg, seed=0).fit(X, y_train)
        result["rss_mib"] = (_status_kib("VmHWM") - before) / 1024
        result["rss_method"] = "VmHWM"
    else:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with blas_limit(contender, args.blas_threads):
            make_estimator(contender, cfg, seed=0).fit(X, y_train)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result["rss_mib"] = (after - before) / 1024  # KiB on Linux
        result["rss_method"] = "ru_maxrss"
    if contender.family != "torch":
        gc.collect()
        tracemalloc.start()
        start = tracemalloc.get_traced_memory()[0]
        with blas_limit(contender, args.blas_threads):
            make_estimator(contender, cfg, seed=0).fit(X, y_train)
        result["traced_mib"] = (tracemalloc.get_traced_memory()[1] - start) / MIB
        tracemalloc.stop()
    return result


def measure_memory(args, contender):
    """Run :func:`memory_probe` for ``contender`` in a fresh Python process."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--memory-probe",
        contender.key,
        "--data-dir",
        str(args.data_dir),
        "--hidden",
        ",".join(map(str, args.hidden)),
        "--batch-size",
        str(args.batch_size),
        "--solver",
        args.solver,
        "--lr",
        repr(args.lr),
        "--subset",
        str(args.subset or 0),
        "--memory-epochs",
        str(args.memory_epochs),
        "--torch-threads",
        str(args.torch_threads),
    ]
    if args.blas_threads is not None:
        command += ["--blas-threads", str(args.blas_threads)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
        print(f"  memory probe of {contender.key} failed: {tail}", file=sys.stderr)
        return {"rss_method": None, "rss_mib": None, "traced_mib": None}
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ contention
def start_burner(seconds):
    """A busy loop on one core in a child process, bounded in time, killed at exit."""
    code = (
        "import os, time\n"
        f"end = time.monotonic() + {seconds}\n"
        "parent = os.getppid()\n"
        "while time.monotonic() < end and os.getppid() == parent:\n"
        "    for _ in range(100_000):\n"
        "        pass\n"
    )
    burner = subprocess.Popen([sys.executable, "-c", code])

    def stop():
        if burner.poll() is None:
            burner.kill()
            burner.wait()

    atexit.register(stop)
    # Let SIGTERM run the atexit handlers too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    time.sleep(0.5)  # let it start spinning
    return burner


# --------------------------------------------------------------------- running
def run_one(contender, cfg, X, y, X_test, y_test, seed, args):
    """Fit once and time it; time predict_proba; return a record."""
    gc.collect()
    with blas_limit(contender, args.blas_threads):
        estimator = make_estimator(contender, cfg, seed)
        start = time.perf_counter()
        estimator.fit(X, y)
        fit_seconds = time.perf_counter() - start
        predict_seconds = []
        for _ in range(args.predict_calls):
            start = time.perf_counter()
            proba = estimator.predict_proba(X_test)
            predict_seconds.append(time.perf_counter() - start)
    epochs = int(estimator.n_iter_)
    accuracy = float(np.mean(estimator.classes_[proba.argmax(axis=1)] == y_test))
    return {
        "seed": seed,
        "fit_s": fit_seconds,
        "epochs": epochs,
        "epoch_s": fit_seconds / epochs,
        "accuracy": accuracy,
        "predict_s": predict_seconds,
    }


def summarize(contender, records, memory, n_test):
    epoch_s = [r["epoch_s"] for r in records]
    rows_per_s = [n_test / s for r in records for s in r["predict_s"]]
    memory = memory or {}
    return {
        "key": contender.key,
        "label": contender.label,
        "input_dtype": contender.input_dtype,
        "compute_dtype": contender.compute_dtype,
        "epoch_s_median": statistics.median(epoch_s),
        "epoch_s_min": min(epoch_s),
        "epoch_s_max": max(epoch_s),
        "accuracy_median": statistics.median(r["accuracy"] for r in records),
        "accuracy_min": min(r["accuracy"] for r in records),
        "accuracy_max": max(r["accuracy"] for r in records),
        "traced_mib": memory.get("traced_mib"),
        "rss_mib": memory.get("rss_mib"),
        "rss_method": memory.get("rss_method"),
        "predict_rows_per_s": statistics.median(rows_per_s),
        "repeats": len(records),
    }


def add_ratios(rows):
    by_key = {row["key"]: row for row in rows}
    for row in rows:
        for name, key in (("skl64", BASELINE), ("skl32", BASELINE_F32)):
            base = by_key.get(key)
            row[f"epoch_speedup_vs_{name}"] = (
                base["epoch_s_median"] / row["epoch_s_median"] if base else None
            )
        base = by_key.get(BASELINE)
        row["predict_ratio_vs_skl64"] = (
            row["predict_rows_per_s"] / base["predict_rows_per_s"] if base else None
        )


# --------------------------------------------------------------------- output
def _fmt(value, spec, missing="-"):
    return missing if value is None else format(value, spec)


TABLE_HEADERS = [
    "contender",
    "s/epoch",
    "min-max",
    "acc %",
    "traced MiB",
    "RSS MiB",
    "predict rows/s",
    "train x skl64",
    "train x skl32",
    "predict x skl64",
]


def format_table(rows):
    body = table_cells(rows)
    widths = [
        max(len(line[i]) for line in [TABLE_HEADERS, *body])
        for i in range(len(TABLE_HEADERS))
    ]

    def line(cells):
        first = cells[0].ljust(widths[0])
        rest = (
            cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)
        )
        return "  ".join([first, *rest]).rstrip()

    rule = "-" * len(line(TABLE_HEADERS))
    return "\n".join([line(TABLE_HEADERS), rule, *map(line, body)])


def table_cells(rows):
    """The table's cells as strings, one list per row (console and docs CSV)."""
    return [
        [
            row["label"],
            f"{row['epoch_s_median']:.3f}",
            f"{row['epoch_s_min']:.3f}-{row['epoch_s_max']:.3f}",
            f"{100 * row['accuracy_median']:.2f}",
            _fmt(row["traced_mib"], ".1f"),
            _fmt(row["rss_mib"], ".1f"),
            f"{row['predict_rows_per_s']:,.0f}",
            _fmt(row["epoch_speedup_vs_skl64"], ".2f"),
            _fmt(row["epoch_speedup_vs_skl32"], ".2f"),
            _fmt(row["predict_ratio_vs_skl64"], ".2f"),
        ]
        for row in rows
    ]


def paired_accuracy_points(raw, ours, theirs):
    """Mean and standard error of ``ours - theirs`` test accuracy, paired by seed.

    Repeat ``r`` seeds every contender with ``r``, so two contenders with the
    same seed start from the same weights and (for the NumPy ones) visit the
    rows in the same order: the difference of such a pair is what the two
    implementations change, not what the seed does.  Returns ``(mean, standard
    error, number of seeds)`` in percentage points, or None without a common
    seed; the standard error is 0 for a single seed.
    """
    theirs_by_seed = {r["seed"]: r["accuracy"] for r in raw.get(theirs, [])}
    diffs = [
        100 * (r["accuracy"] - theirs_by_seed[r["seed"]])
        for r in raw.get(ours, [])
        if r["seed"] in theirs_by_seed
    ]
    if not diffs:
        return None
    spread = statistics.stdev(diffs) / len(diffs) ** 0.5 if len(diffs) > 1 else 0.0
    return statistics.fmean(diffs), spread, len(diffs)


def target_lines(rows, raw):
    """The targets of issue 5, checked on this run (default config).

    Speeds compare medians over the repeats; accuracies compare the contenders
    seed by seed (:func:`paired_accuracy_points`).
    """
    by = {row["key"]: row for row in rows}

    def speedup(ours, theirs):
        if ours in by and theirs in by:
            return by[theirs]["epoch_s_median"] / by[ours]["epoch_s_median"]
        return None

    checks = [
        (
            "epoch: ours f32 X vs scikit-learn f32 X",
            speedup("scratch-f32", "sklearn-f32"),
            1.5,
        ),
        (
            "epoch: ours f64 X vs scikit-learn f64 X",
            speedup("scratch-f64", "sklearn-f64"),
            1.3,
        ),
        (
            'epoch: ours dtype="float32" on f64 X vs scikit-learn f64 X',
            speedup("scratch-f64-as-f32", "sklearn-f64"),
            2.5,
        ),
        (
            "epoch: ours f32 X, random_state=None vs scikit-learn f32 X",
            speedup("scratch-f32-unseeded", "sklearn-f32"),
            1.5,
        ),
        ("epoch: ours f32 X vs PyTorch", speedup("scratch-f32", "torch"), 1.0),
        (
            "epoch: ours f32 X, random_state=None vs PyTorch",
            speedup("scratch-f32-unseeded", "torch"),
            1.0,
        ),
    ]
    for key in ("scratch-f64", "scratch-f64-as-f32"):
        if key in by and BASELINE in by:
            ratio = by[key]["predict_rows_per_s"] / by[BASELINE]["predict_rows_per_s"]
            checks.append(
                (f"predict_proba: {by[key]['label']} vs scikit-learn f64 X", ratio, 2.0)
            )
    for ours, theirs in (
        ("scratch-f32", "sklearn-f32"),
        ("scratch-f64", "sklearn-f64"),
        ("scratch-f64-as-f32", "sklearn-f64"),
    ):
        paired = paired_accuracy_points(raw, ours, theirs)
        if paired is not None:
            mean, error, n = paired
            checks.append(
                (
                    f"accuracy points: {ours} - {theirs} "
                    f"(mean of {n} seeds, +-{error:.3f})",
                    mean,
                    0.0,
                )
            )
    for key in ("scratch-f64", "scratch-f64-as-f32"):
        mine = by.get(key, {}).get("traced_mib")
        base = by.get(BASELINE, {}).get("traced_mib")
        if mine is not None and base is not None:
            checks.append(
                (f"traced peak MiB: scikit-learn f64 X - {key}", base - mine, 0.0)
            )
    lines = []
    width = max((len(name) for name, _, _ in checks), default=0)
    for name, value, target in checks:
        if value is None:
            continue
        verdict = "met" if value >= target else "NOT met"
        lines.append(
            f"  {name.ljust(width)}  {value:7.3f}  target >= {target:<4g}  {verdict}"
        )
    return lines


def blas_summary():
    parts = []
    for info in threadpool_info():
        if info["user_api"] == "blas":
            lib = Path(info["filepath"]).name.split("-")[0].split(".")[0]
            parts.append(
                f"{info['internal_api']} {info.get('version')} ({lib}), "
                f"{info['num_threads']} threads"
            )
    return "; ".join(dict.fromkeys(parts)) or "none found"


def write_outputs(stem, meta, rows, raw):
    stem = Path(stem)
    if stem.parent == Path("."):
        stem = RESULTS_DIR / stem
    if stem.suffix in (".json", ".csv"):
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    json_path, csv_path = stem.with_suffix(".json"), stem.with_suffix(".csv")
    json_path.write_text(
        json.dumps({"meta": meta, "rows": rows, "raw": raw}, indent=2) + "\n"
    )
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    write_table_csv(stem.with_suffix(".table.csv"), rows)
    return json_path, csv_path


def write_table_csv(path, rows):
    """The table as printed, for the docs' csv-table ("n/a": a lone "-" would
    read as a bullet list in reStructuredText)."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(TABLE_HEADERS)
        for cells in table_cells(rows):
            writer.writerow(["n/a" if cell == "-" else cell for cell in cells])


# ------------------------------------------------------------------------ main
def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="MNIST training and predict_proba speed: ScratchMLPClassifier, "
        "scikit-learn's MLPClassifier and PyTorch, alternating in one process.",
        epilog="The module docstring (python -m pydoc benchmarks/bench_mnist.py) "
        "explains every column of the table.",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="folder with the four MNIST IDX .gz files (default: ../shared/data/mnist "
        "next to the repository)",
    )
    parser.add_argument("--epochs", type=int, help="epochs per fit (default 10)")
    parser.add_argument("--repeats", type=int, help="fits per contender (default 3)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 2 epochs, 1 repeat, a 10,000-row training subset",
    )
    parser.add_argument(
        "--subset",
        type=int,
        help="train on this many random rows (default: all 60,000)",
    )
    parser.add_argument(
        "--hidden",
        type=parse_hidden,
        default=(128, 128),
        help="hidden sizes, e.g. 512,512",
    )
    parser.add_argument("--batch-size", type=int, default=128, help="default 128")
    parser.add_argument("--solver", choices=("sgd", "adam"), default="sgd")
    parser.add_argument(
        "--lr", type=float, help="learning rate (default 0.01 for sgd, 0.001 for adam)"
    )
    parser.add_argument(
        "--contenders",
        default=",".join(BY_KEY),
        help="comma-separated subset of: " + ", ".join(BY_KEY),
    )
    parser.add_argument(
        "--predict-calls", type=int, help="predict_proba calls timed after each fit (5)"
    )
    parser.add_argument(
        "--memory-epochs",
        type=int,
        default=1,
        help="epochs of the separate memory-measuring fits (default 1)",
    )
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the memory measurements"
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        help="limit NumPy's BLAS to this many threads for the NumPy contenders "
        "(default: each library's own choice)",
    )
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=os.cpu_count(),
        help=f"torch.set_num_threads (default os.cpu_count() = {os.cpu_count()})",
    )
    parser.add_argument(
        "--contend",
        action="store_true",
        help="run a CPU-burning process (a busy loop on one core) during the benchmark",
    )
    parser.add_argument(
        "--contend-seconds",
        type=float,
        default=3600.0,
        help="upper bound on the burner's life (default 3600; it is killed at exit)",
    )
    parser.add_argument(
        "--output",
        metavar="NAME",
        help="also write NAME.json and NAME.csv (bare NAME: in benchmarks/results/)",
    )
    parser.add_argument("--memory-probe", metavar="KEY", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quick = args.quick
    if args.epochs is None:
        args.epochs = 2 if quick else 10
    if args.repeats is None:
        args.repeats = 1 if quick else 3
    if args.subset is None:
        args.subset = 10_000 if quick else None
    if args.predict_calls is None:
        args.predict_calls = 3 if quick else 5
    if args.lr is None:
        args.lr = 0.01 if args.solver == "sgd" else 0.001
    keys = [key.strip() for key in args.contenders.split(",") if key.strip()]
    unknown = [key for key in keys if key not in BY_KEY]
    if unknown:
        parser.error(f"unknown contenders {unknown}; choose from {list(BY_KEY)}")
    args.contenders = keys
    for name in ("epochs", "repeats", "batch_size", "predict_calls", "memory_epochs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    cfg = Config(args.hidden, args.batch_size, args.solver, args.lr, args.epochs)

    if args.memory_probe:  # internal: the child process of measure_memory
        print(json.dumps(memory_probe(args, cfg, BY_KEY[args.memory_probe])))
        return 0

    contenders = [BY_KEY[key] for key in args.contenders]
    torch = None
    if any(c.family == "torch" for c in contenders):
        torch = import_torch(args.torch_threads)
        if torch is None:
            print("torch does not import: leaving PyTorch out", file=sys.stderr)
            contenders = [c for c in contenders if c.family != "torch"]

    try:
        arrays, y_train, y_test = load_data(args.data_dir, args.subset)
    except DatasetNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    n_train, n_test = len(y_train), len(y_test)
    sizes = [784, *cfg.hidden, 10]

    burner = start_burner(args.contend_seconds) if args.contend else None
    meta = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"{platform.processor() or platform.system()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "sklearn": sklearn.__version__,
        "sknn_scratch": sknn_scratch.__version__,
        "torch": torch.__version__ if torch else None,
        "blas": blas_summary(),
        "blas_threads_limit": args.blas_threads,
        "torch_threads": torch.get_num_threads() if torch else None,
        "config": {
            "layers": sizes,
            "hidden": list(cfg.hidden),
            "batch_size": cfg.batch_size,
            "solver": cfg.solver,
            "learning_rate": cfg.learning_rate,
            "momentum": cfg.momentum if cfg.solver == "sgd" else None,
            "epochs": cfg.epochs,
            "n_train": n_train,
            "n_test": n_test,
        },
        "repeats": args.repeats,
        "predict_calls": args.predict_calls,
        "contend": args.contend,
        "baseline": BASELINE,
        "loadavg_start": os.getloadavg(),
    }
    network = "-".join(map(str, sizes))
    print(
        f"MNIST {network} ReLU, {cfg.solver} lr {cfg.learning_rate:g}"
        + (f" momentum {cfg.momentum:g}" if cfg.solver == "sgd" else "")
        + f", batch {cfg.batch_size}, {cfg.epochs} epochs, "
        f"{n_train:,} train / {n_test:,} test rows, {args.repeats} repeat(s)"
    )
    print(
        f"{meta['machine']}; Python {meta['python']}, NumPy {meta['numpy']}, "
        f"scikit-learn {meta['sklearn']}, sknn_scratch {meta['sknn_scratch']}"
        + (
            f", torch {meta['torch']} ({meta['torch_threads']} threads)"
            if torch
            else ""
        )
    )
    print(
        f"BLAS: {meta['blas']}"
        + (
            f"; limited to {args.blas_threads} for NumPy contenders"
            if args.blas_threads
            else ""
        )
    )
    print(
        f"contention: {'a busy-loop process on one core' if burner else 'none added'}; "
        "load average at start {:.2f} {:.2f} {:.2f}".format(*meta["loadavg_start"])
    )
    print()

    # Warm-up: first calls pay for imports, thread start-up and page faults.
    warm = replace(cfg, epochs=1)
    for contender in contenders:
        X, X_test = arrays[contender.input_dtype]
        with blas_limit(contender, args.blas_threads):
            estimator = make_estimator(contender, warm, seed=0).fit(
                X[:2000], y_train[:2000]
            )
            estimator.predict_proba(X_test[:1000])

    memory = {}
    if not args.no_memory:
        print(
            f"measuring peak memory: {args.memory_epochs}-epoch fits in fresh "
            "processes...",
            file=sys.stderr,
            flush=True,
        )
        for contender in contenders:
            memory[contender.key] = measure_memory(args, contender)

    raw = {c.key: [] for c in contenders}
    for repeat in range(args.repeats):
        shift = repeat % len(contenders)
        for contender in contenders[shift:] + contenders[:shift]:
            X, X_test = arrays[contender.input_dtype]
            record = run_one(contender, cfg, X, y_train, X_test, y_test, repeat, args)
            raw[contender.key].append(record)
            print(
                f"repeat {repeat + 1}/{args.repeats}  {contender.key:<19} "
                f"{record['epoch_s']:.3f} s/epoch  "
                f"acc {100 * record['accuracy']:.2f} %",
                file=sys.stderr,
                flush=True,
            )
            if record["epochs"] != cfg.epochs:
                print(
                    f"  warning: {contender.key} ran {record['epochs']} epochs, "
                    f"not {cfg.epochs}",
                    file=sys.stderr,
                )

    if burner is not None:
        meta["burner_alive_at_end"] = burner.poll() is None
    meta["loadavg_end"] = os.getloadavg()
    rows = [summarize(c, raw[c.key], memory.get(c.key), n_test) for c in contenders]
    add_ratios(rows)

    print()
    print(format_table(rows))
    methods = {row["rss_method"] for row in rows if row["rss_method"]}
    print()
    rss_how = (
        f"{', '.join(sorted(methods))}; {args.memory_epochs}-epoch fits in fresh "
        "processes"
        if methods
        else "not measured"
    )
    legend = [
        "s/epoch: median fit time / epochs over the repeats (min-max beside it); "
        "acc: median test accuracy.",
        "traced MiB: tracemalloc peak of fit (NumPy's buffers; blind to torch). "
        f"RSS MiB: peak resident size of fit above the size before it ({rss_how}).",
        f"predict rows/s: predict_proba on the {n_test:,} test rows, median of "
        f"{args.predict_calls} call(s) per fit.",
        "train x skl64 / x skl32: speed-up = scikit-learn's s/epoch (fed float64 / "
        "float32) / this one's;",
        "predict x skl64 = rows/s / scikit-learn's fed float64. Above 1 = better.",
        "load average at end {:.2f} {:.2f} {:.2f}; ".format(*meta["loadavg_end"])
        + "timings of a shared machine are noisy: repeat before drawing conclusions.",
    ]
    print("\n".join(legend))
    default_config = (
        cfg.hidden == (128, 128)
        and cfg.batch_size == 128
        and cfg.solver == "sgd"
        and cfg.learning_rate == 0.01
        and not args.contend
    )
    lines = target_lines(rows, raw) if default_config and n_train == 60_000 else []
    if default_config and n_train < 60_000:
        print()
        print("(issue 5's targets are checked on full runs: all 60,000 training rows)")
    if lines:
        print()
        print("Issue 5 targets, on this run (not a verdict on a noisy machine):")
        print("\n".join(lines))

    if args.output:
        json_path, csv_path = write_outputs(args.output, meta, rows, raw)
        print()
        print(f"wrote {json_path} and {csv_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
