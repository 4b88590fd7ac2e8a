"""The benchmark scripts (benchmarks/) run end to end on tiny configurations.

Issue 5 delivers them as tools anyone can run; these tests keep them working
as the core changes.  No timing is checked (timings belong to the benchmarks
themselves), only that each script runs and that its output agrees with
itself: ratios with the medians they come from, FLOPs with the network.
``bench_mnist.py`` needs the real MNIST files of ../shared/data, as the
benchmark itself does.
"""

import csv
import json
import os
import statistics
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"
MNIST = Path(__file__).parents[2] / "shared" / "data" / "mnist"
THREAD_COUNTS = sorted({1, os.cpu_count() or 1})


@pytest.fixture(autouse=True)
def scripts_importable(monkeypatch):
    # the scripts import each other as top-level modules, as when run directly
    monkeypatch.syspath_prepend(str(BENCHMARKS))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_profile_step_times_every_part_of_the_step(dtype, capsys):
    import profile_step

    profile_step.main(
        [
            *("--rows", "640", "--repeats", "1", "--hidden", "16,8"),
            *("--dtype", dtype, "--sklearn"),
        ]
    )
    out = capsys.readouterr().out
    assert f"network 784-16-8-10, {dtype}, batch 128, 640 rows (5 steps)" in out
    assert f"scikit-learn's MLPClassifier, one epoch ({dtype} X" in out
    ratios = out.split("times faster than it:")[1].splitlines()[1:3]
    assert [line.split()[0] for line in ratios] == ["epoch,", "epoch"]
    columns = len(THREAD_COUNTS)
    speedups = [float(x) for line in ratios for x in line.split()[-columns:]]
    assert len(speedups) == 2 * columns and min(speedups) > 0
    for part in (
        "forward  dense 1 (784x16)",
        "forward  ReLU 2",
        "backward dense 3 (8x10)",
        "optimizer (SGD, momentum)",
        "the loop itself",
        "epoch written out by hand",
        "matrix products alone",
    ):
        assert part in out
    lines = [line for line in out.splitlines() if "products are" in line]
    assert len(lines) == len(THREAD_COUNTS)


@pytest.mark.skipif(not MNIST.is_dir(), reason=f"MNIST files not present at {MNIST}")
def test_bench_mnist_and_roofline_agree_on_a_small_run(tmp_path, capsys):
    import bench_mnist
    import roofline

    stem = tmp_path / "smoke"
    contenders = ["sklearn-f64", "sklearn-f32", "scratch-f32"]
    bench_mnist.main(
        [
            *("--data-dir", str(MNIST), "--subset", "500", "--epochs", "1"),
            *("--repeats", "1", "--no-memory", "--predict-calls", "1"),
            *("--contenders", ",".join(contenders), "--output", str(stem)),
        ]
    )
    result = json.loads(stem.with_suffix(".json").read_text())
    assert result["meta"]["config"]["n_train"] == 500
    rows = {row["key"]: row for row in result["rows"]}
    assert list(rows) == contenders
    skl64, skl32 = rows["sklearn-f64"], rows["sklearn-f32"]
    for row in rows.values():
        assert row["epoch_s_min"] <= row["epoch_s_median"] <= row["epoch_s_max"]
        assert 0 < row["accuracy_median"] <= 1
        assert row["epoch_speedup_vs_skl64"] == pytest.approx(
            skl64["epoch_s_median"] / row["epoch_s_median"]
        )
        assert row["epoch_speedup_vs_skl32"] == pytest.approx(
            skl32["epoch_s_median"] / row["epoch_s_median"]
        )
        assert row["predict_ratio_vs_skl64"] == pytest.approx(
            row["predict_rows_per_s"] / skl64["predict_rows_per_s"]
        )
    with open(stem.with_suffix(".table.csv"), newline="") as f:
        table = list(csv.reader(f))
    assert [line[0] for line in table[1:]] == [row["label"] for row in rows.values()]
    capsys.readouterr()

    roofline.main(
        [
            *("--from-json", str(stem.with_suffix(".json")), "--runs", "1"),
            *("--min-time", "0.001", "--big", "64"),
        ]
    )
    out = capsys.readouterr().out
    total, forward, backward = roofline.epoch_flops((784, 128, 128, 10), 500)
    # forward: 2 m k n per layer; backward: dW of every layer, dX of all but the first
    assert forward == 500 * 2 * (784 * 128 + 128 * 128 + 128 * 10)
    assert backward == 500 * 2 * (784 * 128 + 2 * 128 * 128 + 2 * 128 * 10)
    assert total == forward + backward
    assert f"(500 rows, matrix products only): {total / 1e9:.2f} GFLOP" in out
    for row in rows.values():
        assert row["label"] in out


def test_accuracies_are_compared_seed_by_seed():
    import bench_mnist

    def records(pairs):
        return [{"seed": seed, "accuracy": accuracy} for seed, accuracy in pairs]

    raw = {
        # scikit-learn's seeds in another order, and one seed ours lacks
        "sklearn-f32": records([(2, 0.9750), (0, 0.9735), (1, 0.9732), (9, 0.5)]),
        "scratch-f32": records([(0, 0.9742), (1, 0.9730), (2, 0.9747)]),
    }
    mean, error, n = bench_mnist.paired_accuracy_points(
        raw, "scratch-f32", "sklearn-f32"
    )
    differences = [0.07, -0.02, -0.03]  # points, seeds 0, 1, 2
    assert n == 3
    assert mean == pytest.approx(sum(differences) / 3)
    assert error == pytest.approx(statistics.stdev(differences) / 3**0.5)
    assert bench_mnist.paired_accuracy_points(raw, "scratch-f32", "torch") is None
    single = {"a": records([(0, 0.9)]), "b": records([(0, 0.8)])}
    assert bench_mnist.paired_accuracy_points(single, "a", "b") == (
        pytest.approx(10.0),
        0.0,
        1,
    )
