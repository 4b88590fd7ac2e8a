"""
=========================================
The seed project's network, step by step
=========================================

The NumPy core :mod:`sknn_scratch.nn` keeps the API of the project it grew
from: build a :class:`~sknn_scratch.nn.Model` layer by layer, ``wrap`` it with
a loss and an optimizer, then ``train`` it.  ``train`` returns the cost and the
accuracy of every optimizer step, so you can watch the network learn minibatch
by minibatch, below the level of the scikit-learn estimators.

The network is the seed's: 128 and 128 ReLU units, a softmax output,
cross-entropy, and SGD with momentum (the default of ``Model.wrap()``), trained
for 10 epochs in minibatches of 128.

**Data.**  By default the example runs in seconds on scikit-learn's bundled
digits (1,797 images of 8 x 8 pixels).  To run the seed's original experiment
on MNIST (60,000 images of 28 x 28 pixels; close to 98 % test accuracy after
10 epochs, in under a minute), set the environment variable
``SKNN_SCRATCH_DATA`` to a folder holding an ``mnist/`` subfolder with the
four original IDX files (``train-images-idx3-ubyte.gz`` ...), for example::

    SKNN_SCRATCH_DATA=../shared/data python examples/plot_seed_mnist.py

The files are read with :func:`sknn_scratch.datasets.load_mnist`; nothing is
downloaded.
"""

# %%
# Load the data
# -------------
# Images are flattened to one row of pixels each, the shape
# ``(n_samples, n_features)`` every layer expects.  As in the seed project, the
# pixels are scaled to [-1, 1] and stored as float32, so the network trains in
# float32 too.
import os

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sknn_scratch.datasets import load_mnist
from sknn_scratch.nn import HiddenLayer, Model, ReLU, SoftMax


def scale_pixels_to_pm1(X, high):
    """Map pixel values from [0, high] to [-1, 1] as float32."""
    return (np.asarray(X, dtype=np.float32) / np.float32(high / 2)) - np.float32(1)


if os.environ.get("SKNN_SCRATCH_DATA"):
    # $SKNN_SCRATCH_DATA/mnist/ holds the four original files.
    (X_train, y_train), (X_test, y_test) = load_mnist(kind="mnist", download=False)
    X_train = scale_pixels_to_pm1(X_train, 255.0)
    X_test = scale_pixels_to_pm1(X_test, 255.0)
    dataset = "MNIST"
else:
    X, y = load_digits(return_X_y=True)  # pixels are 0..16
    X_train, X_test, y_train, y_test = train_test_split(
        scale_pixels_to_pm1(X, 16.0), y, test_size=0.25, stratify=y, random_state=0
    )
    dataset = "digits"

print(
    f"{dataset}: {X_train.shape[0]} training and {X_test.shape[0]} test images "
    f"of {X_train.shape[1]} pixels, dtype {X_train.dtype}"
)

# %%
# Build and wrap the network
# --------------------------
# This is the seed's example with one change: every layer and the training
# loop get a ``random_state``, so the weights and the order of the minibatches
# (and therefore every number on this page) are the same on each run.  Without
# it, each run starts from fresh random weights.
model = Model()
model.add(HiddenLayer(X_train.shape[1], 128, random_state=0))
model.add(ReLU())
model.add(HiddenLayer(128, 128, random_state=1))
model.add(ReLU())
model.add(HiddenLayer(128, 10, random_state=2))
model.add(SoftMax())
model.wrap()  # cross-entropy and SGD with momentum
print(model)

# %%
# Train
# -----
# ``train`` prints a line every ``print_every`` steps and at the end of each
# epoch, then the loss and accuracy on ``validation_data``.  (The digits give
# only 11 steps per epoch, so here just the last step of each epoch is
# printed; MNIST has 469.)  It returns two lists with one entry per optimizer
# step: the cost (the minibatch's loss, penalties included) and the accuracy
# on that minibatch.
#
# Like the seed, we pass the test set as ``validation_data``, which is fine for
# watching a fixed recipe train.  When you use the validation score to *choose*
# anything (the number of epochs, the learning rate, ...), validate on a
# separate split instead and look at the test set only once, at the end.
cost_wrt, accuracy_wrt = model.train(
    X_train,
    y_train,
    validation_data=(X_test, y_test),
    epochs=10,
    batch_size=128,
    print_every=100,
    random_state=0,
)
test_loss, test_accuracy = model.evaluate(X_test, y_test)
print(f"test loss {test_loss:.4f}, test accuracy {test_accuracy:.2%}")

# %%
# Plot the per-step histories
# ---------------------------
# Each point is one minibatch, so the curves are noisy: a minibatch is a small
# random sample of the training set.  A moving average over one epoch shows
# the trend.  Dotted lines mark the end of each epoch.
steps_per_epoch = int(np.ceil(X_train.shape[0] / 128))
steps = np.arange(1, len(cost_wrt) + 1)


def moving_average(values, window):
    """Mean of the last ``window`` values at each step (fewer at the start)."""
    values = np.asarray(values, dtype=float)
    return np.array(
        [values[max(0, i + 1 - window) : i + 1].mean() for i in range(len(values))]
    )


fig, (ax_cost, ax_accuracy) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for ax, history, name in (
    (ax_cost, cost_wrt, "Cost (cross-entropy)"),
    (ax_accuracy, accuracy_wrt, "Minibatch accuracy"),
):
    ax.plot(steps, history, color="tab:blue", alpha=0.35, lw=1, label="per step")
    ax.plot(
        steps,
        moving_average(history, steps_per_epoch),
        color="tab:blue",
        lw=2,
        label="mean over one epoch",
    )
    for epoch_end in range(steps_per_epoch, len(steps), steps_per_epoch):
        ax.axvline(epoch_end + 0.5, color="0.8", ls=":", lw=1)
    ax.set_xlabel("Optimizer step")
    ax.set_ylabel(name)
    ax.legend()
ax_accuracy.axhline(
    test_accuracy,
    color="tab:orange",
    ls="--",
    label=f"test accuracy {test_accuracy:.1%}",
)
ax_accuracy.legend(loc="lower right")
fig.suptitle(f"The seed's 2 x 128 ReLU network on {dataset}, 10 epochs")
plt.show()
