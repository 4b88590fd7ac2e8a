"""
====================================================
Tuning the network in a Pipeline with GridSearchCV
====================================================

:class:`~sknn_scratch.ScratchMLPClassifier` is an ordinary scikit-learn
estimator, so it can be the last step of a :class:`~sklearn.pipeline.Pipeline`
and every constructor parameter can be tuned by
:class:`~sklearn.model_selection.GridSearchCV`.

Putting the scaler *inside* the pipeline matters: during cross-validation the
scaler is then fitted on the training folds only, so no statistics of the
held-out fold leak into training, and the score estimates how the whole
procedure does on new data.

The grid is deliberately small (8 candidates, 3 folds, 20 epochs each) so that
the example runs in seconds.
"""

# %%
# Data and pipeline
# -----------------
# scikit-learn's bundled digits: 1,797 images of 8 x 8 pixels, ten classes.
# A test set is kept aside; the grid search only ever sees the training set.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

pipe = Pipeline(
    [
        ("scale", StandardScaler()),
        ("mlp", ScratchMLPClassifier(max_iter=20, random_state=0)),
    ]
)

# %%
# The grid
# --------
# Parameters of a pipeline step are addressed as ``<step>__<parameter>``.  We
# try two network sizes, no L2 penalty against a small one, and two initial
# step sizes for SGD.
param_grid = {
    "mlp__hidden_layer_sizes": [(32,), (64, 64)],
    "mlp__l2": [0.0, 1e-3],
    "mlp__learning_rate": [0.01, 0.05],
}

# %%
# Run the search
# --------------
# ``max_iter=20`` is deliberately small to keep this page fast, so some fits
# stop before the training loss has fully converged and warn with
# ``ConvergenceWarning``; we silence that one warning here, and only here.
# ``n_jobs=1`` runs the 24 fits one after the other, which is fastest for fits
# this small; use ``n_jobs=-1`` on real problems.
search = GridSearchCV(pipe, param_grid, cv=3, n_jobs=1)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", category=ConvergenceWarning)
    search.fit(X_train, y_train)

print("Best parameters:", search.best_params_)
print(f"Best mean cross-validated accuracy: {search.best_score_:.3f}")
print(
    f"Test accuracy of the refitted best pipeline: {search.score(X_test, y_test):.3f}"
)

# %%
# Compare the candidates
# ----------------------
# ``cv_results_`` holds the mean and the standard deviation of the accuracy
# over the three folds for every candidate.  The error bars show how much the
# score moves from fold to fold: differences smaller than that are not to be
# trusted.
results = search.cv_results_
labels = [
    f"{p['mlp__hidden_layer_sizes']}, l2={p['mlp__l2']:g}, "
    f"lr={p['mlp__learning_rate']:g}"
    for p in results["params"]
]
order = np.argsort(results["mean_test_score"])
colors = ["tab:orange" if i == search.best_index_ else "tab:blue" for i in order]

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
ax.barh(
    np.arange(len(order)),
    results["mean_test_score"][order],
    xerr=results["std_test_score"][order],
    color=colors,
)
ax.set_yticks(np.arange(len(order)), [labels[i] for i in order])
low = (results["mean_test_score"] - results["std_test_score"]).min()
high = (results["mean_test_score"] + results["std_test_score"]).max()
ax.set_xlim(max(0.0, low - 0.01), min(1.0, high + 0.01))
ax.set_xlabel("Mean cross-validated accuracy (3 folds), ± one standard deviation")
ax.set_title("Accuracy of each candidate (the best in orange)")
plt.show()
