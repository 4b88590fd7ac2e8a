"""
=================================
Class weights for imbalanced data
=================================

When one class is much rarer than the other, a classifier that minimises the
average loss can score a high accuracy while missing most of the rare class:
each rare sample counts as little as a common one, and there are few of them.

``class_weight`` multiplies each sample's loss by a weight for its class:

* ``None``: every sample counts the same;
* ``"balanced"``: weights ``n_samples / (n_classes * count)``, so each class
  contributes the same total weight to the loss;
* a dict ``{label: weight}``: weights of your choice.

Accuracy hides the problem, so we compare the models with the recall of each
class (the share of its samples that are found) and the balanced accuracy (the
mean of the per-class recalls).
"""

# %%
# Imbalanced data
# ---------------
# A synthetic binary problem where only about 10 % of the samples belong to
# class 1, with overlapping classes and a few flipped labels so that it is not
# trivially separable.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import accuracy_score, balanced_accuracy_score, recall_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPClassifier

X, y = make_classification(
    n_samples=2000,
    n_features=10,
    n_informative=4,
    weights=[0.9, 0.1],
    class_sep=0.8,
    flip_y=0.02,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
print("training samples per class:", np.bincount(y_train))

# %%
# Three weightings
# ----------------
# The same network three times, only ``class_weight`` changes.  For this data
# ``"balanced"`` gives the samples of class 0 a weight of about
# 1400 / (2 * 1249) = 0.56 and those of class 1 about 1400 / (2 * 151) = 4.6,
# eight times more; the dict asks for a milder factor of 3.
#
# ``tol=1e-3``: training stops once the training loss has improved by less
# than 0.001 for more than ``n_iter_no_change`` epochs.  On a data set this
# small the minibatch noise keeps the default ``tol=1e-4`` from ever
# triggering, and the fits would run to ``max_iter``.
class_weights = {
    "None": None,
    '"balanced"': "balanced",
    "{0: 1, 1: 3}": {0: 1, 1: 3},
}
results = {}
for name, class_weight in class_weights.items():
    model = make_pipeline(
        StandardScaler(),
        ScratchMLPClassifier(
            hidden_layer_sizes=(16,),
            l2=1e-3,
            tol=1e-3,
            class_weight=class_weight,
            random_state=0,
        ),
    )
    y_pred = model.fit(X_train, y_train).predict(X_test)
    recall_0, recall_1 = recall_score(y_test, y_pred, average=None)
    results[name] = {
        "recall, class 0 (common)": recall_0,
        "recall, class 1 (rare)": recall_1,
        "balanced accuracy": balanced_accuracy_score(y_test, y_pred),
        "accuracy": accuracy_score(y_test, y_pred),
    }
    print(
        f"class_weight={name:<13} "
        + "  ".join(f"{metric} {value:.3f}" for metric, value in results[name].items())
    )

# %%
# Compare
# -------
# Without weights the network finds almost all of class 0 but misses most of
# the rare class, and its plain accuracy still looks best: predicting "class 0"
# is right 90 % of the time.  Weighting the rare class trades some recall on
# class 0 for much more on class 1 and raises the balanced accuracy, while the
# plain accuracy drops.  Which trade-off is right depends on what a missed rare
# sample costs compared with a false alarm; a dict lets you say so.
metrics = list(next(iter(results.values())))
width = 0.8 / len(results)
positions = np.arange(len(metrics))

fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
for i, (name, scores) in enumerate(results.items()):
    bars = ax.bar(
        positions + (i - (len(results) - 1) / 2) * width,
        [scores[metric] for metric in metrics],
        width,
        label=f"class_weight={name}",
    )
    ax.bar_label(bars, fmt="%.2f", fontsize=8)
ax.set_xticks(positions, metrics)
ax.set_ylim(0, 1.2)
ax.set_ylabel("Score on the test set")
ax.set_title("ScratchMLPClassifier on a 90 % / 10 % problem")
ax.legend(loc="upper center", ncols=len(results), fontsize=9)
plt.show()
