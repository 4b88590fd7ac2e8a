"""
========================================================
Hyperparameter search on a dask cluster (1 vs 2 workers)
========================================================

A grid search fits one network per candidate and fold, and the fits are
independent: scikit-learn hands them to joblib, and joblib's ``"dask"`` backend
sends them to the workers of a `dask.distributed <https://distributed.dask.org>`_
cluster.  Nothing in the search changes; it runs inside
``with joblib.parallel_backend("dask"):``.

This script starts a ``LocalCluster`` (worker processes on this machine) with
one worker and then with two, runs the same search on each and prints the wall
times.  With a fixed ``random_state`` the two searches give the same results,
fit for fit.  On a real cluster, connect the ``Client`` to its scheduler
(``Client("tcp://scheduler:8786")``) instead of starting a ``LocalCluster``.

The script is not run while the documentation is built (it starts processes and
measures time); run it with ``python examples/dask_search.py``.  It needs the
``dask`` extra: ``pip install "sknn-scratch[dask]"``.
"""

import time
import warnings

import joblib
import numpy as np
from distributed import Client, LocalCluster
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from sknn_scratch import ScratchMLPClassifier

# 2 x 2 x 2 = 8 candidates, 3 folds: 24 fits of up to 60 epochs, then one refit.
PARAM_GRID = {
    "hidden_layer_sizes": [(32,), (64,)],
    "l2": [0.0, 1e-4],
    "learning_rate": [1e-3, 1e-2],
}


def make_search():
    network = ScratchMLPClassifier(solver="adam", max_iter=60, random_state=0)
    return GridSearchCV(network, PARAM_GRID, cv=3)


def prepare_worker():
    """Import the libraries once and silence the (expected) ConvergenceWarning.

    Run on every worker before the clock starts, so that the timings measure
    the fits and not the first import in each new process.
    """
    import sklearn.model_selection  # noqa: F401

    import sknn_scratch  # noqa: F401

    warnings.filterwarnings("ignore", category=ConvergenceWarning)


def search_on_cluster(n_workers, X, y):
    """Run the search on a fresh LocalCluster; return it and its wall time."""
    with (
        LocalCluster(
            n_workers=n_workers,
            processes=True,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(prepare_worker)
        start = time.perf_counter()
        with joblib.parallel_backend("dask"):
            search = make_search().fit(X, y)
        return search, time.perf_counter() - start


def main():
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    n_fits = 3 * int(np.prod([len(values) for values in PARAM_GRID.values()]))

    results = {}
    for n_workers in (1, 2):
        search, seconds = search_on_cluster(n_workers, X, y)
        results[n_workers] = search
        print(f"{n_workers} worker(s): {n_fits} fits + refit in {seconds:.1f} s")

    one, two = results[1], results[2]
    same = np.array_equal(
        one.cv_results_["mean_test_score"], two.cv_results_["mean_test_score"]
    )
    print(f"same cross-validation scores with 1 and 2 workers: {same}")
    print(f"best parameters: {two.best_params_}")
    print(f"best mean accuracy: {two.best_score_:.3f}")


if __name__ == "__main__":
    main()
