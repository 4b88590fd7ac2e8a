"""One way to turn a ``random_state`` into a NumPy Generator."""

import numbers

import numpy as np


def as_generator(random_state=None):
    """Return a :class:`numpy.random.Generator` for ``random_state``.

    Parameters
    ----------
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
        ``None`` draws fresh entropy from the operating system (never NumPy's
        global state); an int seeds a new generator; a ``Generator`` is used as is;
        a ``RandomState`` (scikit-learn's convention) seeds a new generator from
        its own stream, so the caller's stream advances deterministically.

    Returns
    -------
    rng : numpy.random.Generator
    """
    if random_state is None or isinstance(random_state, numbers.Integral):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    raise TypeError(
        "random_state must be None, an int, a numpy Generator or a RandomState, "
        f"got {random_state!r}"
    )
