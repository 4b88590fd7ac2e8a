"""How many BLAS threads training uses, and a thread-safe way to set it.

Minibatch training multiplies small matrices thousands of times.  Splitting such
a product over several BLAS threads gains little on an idle machine (784-128-128
on MNIST: about 10 %), and when another process holds a core the extra threads
spin and wait: an epoch measured here went from 0.23 s to 3.6 s.  So training
uses one BLAS thread unless its largest per-batch product is big enough for
threads to pay off.
"""

import threading
from contextlib import contextmanager, nullcontext
from itertools import pairwise

from threadpoolctl import ThreadpoolController

#: below this many floating-point operations per matrix product, one thread
SMALL_GEMM_FLOPS = 2**25

_lock = threading.Lock()
_controller = None
_limiter = None
_depth = 0


@contextmanager
def _one_blas_thread():
    """Limit BLAS to one thread; nested and concurrent uses restore it once, last."""
    global _controller, _limiter, _depth
    with _lock:
        if _depth == 0:
            if _controller is None:
                _controller = ThreadpoolController()
            _limiter = _controller.limit(limits=1, user_api="blas")
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _limiter.restore_original_limits()


def training_threads(batch_size, layer_sizes):
    """Context manager for a training run: one BLAS thread when its products are small.

    Parameters
    ----------
    batch_size : int
        Rows per minibatch.
    layer_sizes : sequence of int
        Units per layer, input and output included.
    """
    largest = max(a * b for a, b in pairwise(layer_sizes))
    if 2 * batch_size * largest < SMALL_GEMM_FLOPS:
        return _one_blas_thread()
    return nullcontext()
