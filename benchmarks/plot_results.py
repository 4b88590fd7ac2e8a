"""Plot the results of ``bench_mnist.py --output NAME``: seconds per epoch.

One panel per results file (one configuration each), one bar per contender,
labelled with its speed-up over scikit-learn fed float64.  The docs' benchmarks
page draws its figure with :func:`plot_results` from the results it shows.

Run from the repository root::

    python benchmarks/plot_results.py docs/benchmarks/*.json -o speed.png
"""

import argparse
import json
from pathlib import Path

COLOURS = {"sklearn": "#9e9e9e", "scratch": "#1f77b4", "torch": "#ff7f0e"}


def _family(key):
    return key.split("-")[0]


def _title(meta):
    config = meta["config"]
    network = "-".join(map(str, config["layers"]))
    title = f"{network}, {config['solver']}, batch {config['batch_size']}"
    return title + (", a core kept busy" if meta.get("contend") else "")


def plot_results(paths, fig=None):
    """Draw one panel of bars per results file; return the figure.

    Parameters
    ----------
    paths : sequence of path-like
        JSON files written by ``bench_mnist.py --output``.
    fig : matplotlib Figure, default=None
        Drawn on when given, else a new figure.

    Returns
    -------
    fig : matplotlib Figure
    """
    import matplotlib.pyplot as plt

    results = [json.loads(Path(path).read_text()) for path in paths]
    if fig is None:
        fig = plt.figure(figsize=(8, 2.2 + 1.9 * len(results)), layout="constrained")
    axes = fig.subplots(len(results), 1, squeeze=False)[:, 0]
    for ax, result in zip(axes, results, strict=True):
        rows = result["rows"][::-1]  # first contender on top
        seconds = [row["epoch_s_median"] for row in rows]
        colours = [COLOURS.get(_family(row["key"]), "#555555") for row in rows]
        bars = ax.barh([row["label"] for row in rows], seconds, color=colours)
        for bar, row in zip(bars, rows, strict=True):
            ratio = row.get("epoch_speedup_vs_skl64")
            if ratio is not None:
                ax.annotate(
                    f" x{ratio:.2f}",
                    (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    va="center",
                    fontsize=8,
                )
        ax.set_title(_title(result["meta"]), fontsize=10)
        ax.set_xlim(0, max(seconds) * 1.25)
        ax.tick_params(labelsize=8)
    axes[-1].set_xlabel(
        "seconds per epoch (median; x = speed-up over scikit-learn fed float64)"
    )
    return fig


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("-o", "--output", type=Path, default=Path("speed.png"))
    args = parser.parse_args(argv)
    plot_results(args.paths).savefig(args.output, dpi=120)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
