"""
==============================================
Training curves, validation and early stopping
==============================================

Every fit records its history, one value per epoch: the training loss
(``loss_curve_``), the training accuracy (``accuracy_curve_``) and, when the fit
is validated, the validation accuracy (``validation_scores_``) and loss
(``validation_loss_curve_``).
:class:`~sknn_scratch.plot.TrainingCurveDisplay` draws them side by side.

A fit is validated in one of two ways:

* ``early_stopping=True`` holds out ``validation_fraction`` of the training
  data, scores it after every epoch, stops when the score has not improved for
  ``n_iter_no_change`` epochs, and keeps the weights of the best epoch;
* ``fit(X, y, validation_data=(X_val, y_val))`` does the same with a
  validation set you choose yourself.

Reading the curves tells you whether the network still learns, has stopped
improving, or starts to overfit (training loss falling while validation loss
rises).
"""

# %%
# Data
# ----
# scikit-learn's bundled digits, standardized.  We keep a test set aside to
# check the final models, and for the second model also a validation set.
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknn_scratch import ScratchMLPClassifier
from sknn_scratch.plot import TrainingCurveDisplay

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# Early stopping on a held-out fraction
# -------------------------------------
# With ``early_stopping=True`` the estimator itself splits off 15 % of the
# training data (stratified by class) and never trains on it.  ``max_iter`` is
# only an upper bound here: training ends once the validation accuracy has not
# improved by more than ``tol`` for more than ``n_iter_no_change`` epochs in a
# row.
early = ScratchMLPClassifier(
    hidden_layer_sizes=(64,),
    learning_rate=0.02,
    early_stopping=True,
    validation_fraction=0.15,
    n_iter_no_change=8,
    max_iter=200,
    random_state=0,
)
early.fit(X_train, y_train)

print(f"epochs run:            {early.n_iter_}")
print(f"stop reason:           {early.stop_reason_!r}")
print(f"best epoch:            {early.best_epoch_}")
print(f"best validation score: {early.best_validation_score_:.3f}")
print(f"test accuracy:         {early.score(X_test, y_test):.3f}")

# %%
# ``stop_reason_`` says why training ended: ``'early_stopping'`` means the
# validation score stopped improving (``'max_iter'`` would mean the epoch
# budget ran out first, with a ``ConvergenceWarning``).  ``best_epoch_`` is the
# 1-based epoch of the best validation score, and the fitted model keeps *that
# epoch's* weights, not the last epoch's: the extra ``n_iter_no_change``
# epochs were only spent making sure no improvement follows.
# ``validation_scores_[best_epoch_ - 1]`` is therefore
# ``best_validation_score_``.
print(early.validation_scores_[early.best_epoch_ - 1] == early.best_validation_score_)

# %%
# The display marks the best epoch with a dashed line, and a ring on the
# validation curves.  Note that early stopping watches the validation *score*
# (accuracy here; see the ``scoring`` parameter), not the validation loss:
# the loss may still creep down after the accuracy has stopped improving.
TrainingCurveDisplay.from_estimator(early, name="Held-out 15 %")
plt.show()

# %%
# Your own validation set, and dropout
# ------------------------------------
# Here we pass a validation set explicitly, so the model trains on all of
# ``X_fit``.  We also switch on dropout: during training each hidden unit is
# silenced with probability 0.3 (and the others scaled up to compensate), a
# regularizer that keeps the network from relying on any single unit.  Dropout
# is off when predicting, so the validation score is computed with the full
# network.
X_fit, X_val, y_fit, y_val = train_test_split(
    X_train, y_train, test_size=0.2, stratify=y_train, random_state=0
)
dropout = ScratchMLPClassifier(
    hidden_layer_sizes=(128,),
    learning_rate=0.02,
    dropout=0.3,
    n_iter_no_change=8,
    max_iter=200,
    random_state=0,
)
dropout.fit(X_fit, y_fit, validation_data=(X_val, y_val))

print(
    f"epochs run: {dropout.n_iter_}, stop reason: {dropout.stop_reason_!r}, "
    f"best epoch: {dropout.best_epoch_}"
)
print(
    f"validation accuracy per epoch: {len(dropout.validation_scores_)} values, "
    f"best {dropout.best_validation_score_:.3f}"
)
print(f"test accuracy: {dropout.score(X_test, y_test):.3f}")

# %%
# The training curves are measured during training, on the thinned network
# with dropout on, so they understate how well the full network fits the
# training data; the validation curves use the full network.  This is why,
# with dropout, training and validation curves can lie close together or even
# cross.
TrainingCurveDisplay.from_estimator(dropout, name="validation_data, dropout=0.3")
plt.show()
