"""
===================================
Saving and loading a fitted network
===================================

A fitted :class:`~sknn_scratch.ScratchMLPClassifier` (alone or inside a
:class:`~sklearn.pipeline.Pipeline`) can be saved to a file and loaded again
later, with exactly the same predictions.  This example shows three ways:

* :mod:`pickle` and :func:`joblib.dump` / :func:`joblib.load`, the usual
  formats of scikit-learn models;
* `skops.io <https://skops.readthedocs.io>`_, a format that can be inspected
  before it is loaded.

.. warning::

    Loading a pickle or joblib file executes code: a file crafted by someone
    else can do anything your user account can do.  **Only load pickle or
    joblib files you trust**, such as the ones you saved yourself.  For files
    from others, use skops, and review the types it lists before loading.
"""

# %%
# Fit a model to save
# -------------------
# A small pipeline on scikit-learn's bundled digits.  All files are written
# into a temporary folder that is deleted at the end of the example.
import pickle
import tempfile
from pathlib import Path

import joblib
import numpy as np
import skops.io
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
model = make_pipeline(
    StandardScaler(),
    ScratchMLPClassifier(hidden_layer_sizes=(64,), early_stopping=True, random_state=0),
)
model.fit(X_train, y_train)
expected = model.predict_proba(X_test)
print(f"test accuracy: {model.score(X_test, y_test):.3f}")

folder = tempfile.TemporaryDirectory()
folder_path = Path(folder.name)

# %%
# pickle and joblib
# -----------------
# Both save the whole object: the fitted weights (``coefs_``,
# ``intercepts_``), the training curves, and the pipeline's scaler.  joblib
# handles large NumPy arrays more efficiently than plain pickle.
#
# Reminder: ``pickle.load`` and ``joblib.load`` run code stored in the file.
# Only use them on files you trust.
pickle_path = folder_path / "model.pkl"
with open(pickle_path, "wb") as file:
    pickle.dump(model, file)
with open(pickle_path, "rb") as file:  # a file we saved ourselves: trusted
    from_pickle = pickle.load(file)

joblib_path = folder_path / "model.joblib"
joblib.dump(model, joblib_path)
from_joblib = joblib.load(joblib_path)  # a file we saved ourselves: trusted

for name, loaded in (("pickle", from_pickle), ("joblib", from_joblib)):
    same = np.array_equal(loaded.predict_proba(X_test), expected)
    print(f"{name}: identical predicted probabilities: {same}")

# %%
# skops: inspect before loading
# -----------------------------
# :func:`skops.io.dump` writes a file that :func:`skops.io.load` rebuilds
# without running arbitrary code: it only creates objects of types it trusts.
# NumPy arrays, Python builtins and scikit-learn's own estimators are trusted
# by default; every other type must be trusted explicitly by the person
# loading the file.
skops_path = folder_path / "model.skops"
skops.io.dump(model, skops_path)

# %%
# Before loading a file, ask which types it would create that skops does not
# trust by default:
untrusted = skops.io.get_untrusted_types(file=skops_path)
print("Types skops does not trust by default:")
for type_name in untrusted:
    print("   ", type_name)

# %%
# Loading without trusting them fails, and nothing from the file is created:
try:
    skops.io.load(skops_path)
except skops.io.exceptions.UntrustedTypesFoundException as exc:
    print(f"{type(exc).__name__}: {exc}")

# %%
# **Review the list.**  Here the one type is the estimator class from
# ``sknn_scratch``, the library we installed ourselves to fit this model; the
# rest of the file (weights, and the optimizer state that lets ``partial_fit``
# carry on training) is NumPy arrays and builtins.  A type you do not expect,
# such as ``builtins.eval``, ``os.system`` or a module you do not know, is a
# reason not to load the file at all.  Only after this review do we pass
# *exactly* the listed types as ``trusted``; never pass a list you have not
# read.
unexpected = [name for name in untrusted if not name.startswith("sknn_scratch.")]
if unexpected:
    raise RuntimeError(f"not loading {skops_path.name}: unexpected types {unexpected}")

from_skops = skops.io.load(skops_path, trusted=untrusted)
same = np.array_equal(from_skops.predict_proba(X_test), expected)
print(f"skops: identical predicted probabilities: {same}")

# %%
# The loaded pipeline is a complete, fitted model: it predicts, scores, and
# keeps its fitted attributes.
print(f"test accuracy after loading: {from_skops.score(X_test, y_test):.3f}")
print(
    f"epochs trained: {from_skops[-1].n_iter_}, "
    f"stop reason: {from_skops[-1].stop_reason_!r}"
)

folder.cleanup()
