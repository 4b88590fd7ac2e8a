"""How many BLAS threads training uses: measured while it runs, never a guess.

Minibatch training multiplies small matrices thousands of times.  On an idle
machine, two BLAS threads make such an epoch faster (784-128-128 on MNIST:
about 15 % in float32, 25 % in float64); when another process holds a core the
extra thread waits for a time slice at every product, and the same epoch became
three times slower than on one thread (``benchmarks/bench_mnist.py
--contend``).  No fixed thread count is right for both, so training times itself:

* :class:`ThreadTuner` times the loop in segments of 0.1 s, tries one thread
  and the BLAS's own maximum (the latter first when the products are large),
  keeps the faster and re-tries the other now and then (after 8, 32, then
  every 128 segments, and at once when the choice slows down by 30 %; a trial
  ends at the first step that shows it twice as slow) -- so it
  follows the machine as other processes come and go, at a small cost when the
  load is steady.
* The thread count must not change the results: ``random_state`` promises
  bit-identical models.  A BLAS sums each entry of a product over the inner
  dimension in blocks of a fixed length; up to that length one entry is one
  running sum, whoever computes it, but longer inner dimensions are cut
  differently on one thread and on several (OpenBLAS 0.3.31 with SkylakeX
  kernels: beyond 448 in float32 and 384 in float64, so MNIST's 784 inputs
  gave other bits on two threads).  So the training products go through
  :func:`matmul`, which cuts the inner dimension itself into pieces no longer
  than :func:`inner_block` (the longest block found to keep its bits) and adds
  the pieces up in a fixed order; and :func:`thread_invariant` checks, once
  per dtype and layer shapes, that the products of the run, so cut, give the
  same bits on one and on all threads.  Where they do not, the count stays
  fixed: one thread when the largest product is small (below
  ``SMALL_GEMM_FLOPS``), the BLAS default otherwise.  A caller without a fixed
  ``random_state`` (no reproducibility promised) may allow tuning anyway.
* BLAS threads are a setting of the whole process.  While two training runs are
  active in different threads of one process, the count is held at one thread
  and no tuner switches it.
"""

import threading
import time
from contextlib import contextmanager
from functools import lru_cache
from itertools import pairwise

import numpy as np
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

#: below this many floating-point operations per matrix product, one thread
#: (for runs whose results would depend on the thread count)
SMALL_GEMM_FLOPS = 2**25

# re-entrant: thread_invariant runs under it and its products call inner_block
_lock = threading.RLock()
_controller = None
_limiter = None
_depth = 0  # training runs active in this process
_local = threading.local()


def _blas_controller():
    global _controller
    if _controller is None:
        _controller = ThreadpoolController().select(user_api="blas")
    return _controller


def _current_threads():
    counts = [lib.num_threads for lib in _blas_controller().lib_controllers]
    return max(counts, default=1)


_max_at_entry = 1


def _set_threads(count):
    _blas_controller().limit(limits=count)


#: inner-dimension lengths tried by :func:`inner_block`, longest first
INNER_BLOCKS = (512, 448, 384, 320, 256, 192, 128, 64)


@lru_cache(maxsize=8)
def inner_block(dtype):
    """The longest inner dimension (of ``INNER_BLOCKS``) the BLAS sums in one block.

    Found by experiment, once per dtype and process: a candidate ``block`` of
    ``INNER_BLOCKS``, from the longest, is taken when ``(128, k) @ (k, 128)``
    gives the same bits on one thread and on two for a spread of ``k`` in
    ``(block / 2, block]``, the lengths :func:`matmul`'s pieces can have.
    (Testing ``block`` alone is not enough: OpenBLAS halves some longer inner
    dimensions into two equal blocks on any thread count, so 512 agrees where
    505 does not.)  It depends on the BLAS and the processor only, not on the
    thread limits in force, so that a fit in a one-thread worker cuts its
    products as the same fit elsewhere does.
    Returns the shortest candidate when none agrees (:func:`thread_invariant`
    then keeps the thread count fixed).

    Parameters
    ----------
    dtype : numpy dtype
    """
    rng = np.random.default_rng(0)
    # the limiter restores the thread counts in force, inside a run or not
    with _lock, _blas_controller().limit(limits=1):
        for block in INNER_BLOCKS:
            lengths = {block, block - 1, block - 7, 3 * block // 4 + 3, block // 2 + 1}
            if all(_same_bits_on_two_threads(rng, k, dtype) for k in lengths):
                return block
        return INNER_BLOCKS[-1]


def _same_bits_on_two_threads(rng, k, dtype):
    a = rng.standard_normal((128, k)).astype(dtype)
    b = rng.standard_normal((k, 128)).astype(dtype)
    _set_threads(1)
    one = a @ b
    _set_threads(2)
    return np.array_equal(one, a @ b)


def matmul(a, b, out, scratch):
    """``out = a @ b`` with the inner dimension summed in fixed pieces.

    Dense operands whose inner dimension ``k`` exceeds :func:`inner_block` are
    cut into ``ceil(k / block)`` near-equal pieces, ``a[:, piece] @ b[piece]``,
    added up in order.  Each piece is summed in one block by the BLAS on any
    number of threads, so the result's bits do not depend on the thread count
    (the training loop may then tune it).  Sparse ``a`` goes to SciPy, whose
    products use no BLAS threads.

    Parameters
    ----------
    a : ndarray or sparse matrix of shape (m, k)
    b : ndarray of shape (k, n)
    out : ndarray of shape (m, n)
    scratch : callable
        ``scratch()`` returns an ``(m, n)`` array to hold one piece (asked for
        only when ``k`` is cut).

    Returns
    -------
    out : ndarray
    """
    dense = type(a) is np.ndarray and type(b) is np.ndarray  # issparse: 1 µs each
    if not dense and (sp.issparse(a) or sp.issparse(b)):
        out[...] = a @ b
        return out
    first, *rest = _pieces(a.shape[1], inner_block(out.dtype))
    if not rest:
        return np.matmul(a, b, out=out)
    np.matmul(a[:, first], b[first], out=out)
    part = scratch()
    for piece in rest:
        np.matmul(a[:, piece], b[piece], out=part)
        out += part
    return out


@lru_cache(maxsize=64)
def _pieces(k, block):
    """:func:`matmul`'s cut of an inner dimension ``k``: near-equal slices."""
    pieces = max(1, -(-k // block))
    bounds = [k * i // pieces for i in range(pieces + 1)]
    return tuple(slice(start, stop) for start, stop in pairwise(bounds))


@lru_cache(maxsize=64)
def thread_invariant(dtype, shapes, n_threads):
    """Whether products of these shapes give the same bits on 1 and ``n_threads``.

    Parameters
    ----------
    dtype : numpy dtype
    shapes : tuple of (m, k, n)
        The ``(m, k) @ (k, n)`` products of a run.
    n_threads : int

    Must be called with the BLAS limited to one thread (inside a run).
    """
    rng = np.random.default_rng(0)
    operands = [
        tuple(
            rng.standard_normal(shape).astype(dtype)
            for shape in ((m, k), (k, n), (m, n))
        )
        for m, k, n in shapes
    ]

    def product(a, b):
        out = np.empty((a.shape[0], b.shape[1]), dtype)
        return matmul(a, b, out, lambda: np.empty_like(out))

    def products():
        # the three products of a training step: Z = X W, dW = X.T dZ, dX = dZ W.T
        return [
            (product(x, w), product(x.T, dz), product(dz, w.T)) for x, w, dz in operands
        ]

    serial = products()
    _set_threads(n_threads)
    try:
        threaded = products()
    finally:
        _set_threads(1)
    return all(
        np.array_equal(x, y)
        for step_1, step_n in zip(serial, threaded, strict=True)
        for x, y in zip(step_1, step_n, strict=True)
    )


class ThreadTuner:
    """Pick the faster BLAS thread count of ``counts`` by timing training segments.

    The training loop calls :meth:`restart` before its first step (and after any
    pause, such as validation) and :meth:`tick` after every step.  Time is cut
    into segments of ``segment_seconds``; each gives the seconds per row of the
    thread count it ran with.  The first segment after a switch is not used:
    OpenBLAS threads keep spinning for a while after their last product and
    would charge their time to the next count -- unless it is more than
    ``HOPELESS`` times slower than the choice, which ends a trial at once: at
    the step that shows it, without waiting for the segment to fill.
    Comparisons use the median of the last three segments of each count, and a
    switch needs a clear margin.

    Parameters
    ----------
    counts : sequence of int
        Candidate thread counts, the safe one (1) first, e.g. ``(1, 2)``.
    segment_seconds : float, default=0.1
        Length of one timed segment.
    apply : callable, default=None
        ``apply(count)`` sets the BLAS thread count and returns whether it did;
        None sets it unless another training run shares the process.
    start : int, default=None
        The count of the first segments (the caller sets it); None: the first.

    Attributes
    ----------
    choice : int
        The thread count training runs with between trials.
    history : list of (int, float, bool)
        Per segment: thread count, seconds per row, whether it was used.
    """

    #: segments on the choice before the first re-trial of another count; the
    #: wait grows four-fold after every lost trial, up to LONGEST_WAIT
    FIRST_WAIT = 8
    LONGEST_WAIT = 128
    #: switch only to a count at least this much faster (per row)
    MARGIN = 0.95
    #: re-try at once when the choice becomes this much slower than its median
    SLOWDOWN = 1.3
    #: a trial whose first segment is this much slower than the choice is lost
    #: at once, checked after every step: another process holds the core it
    #: needs (measured: 4-30 times slower, up to 54 ms a step), and filling the
    #: segment, or a second one, would cost as much again
    HOPELESS = 2.0

    def __init__(self, counts, segment_seconds=0.1, apply=None, start=None):
        self.counts = tuple(counts)
        self.segment_seconds = segment_seconds
        self._apply = _apply_alone if apply is None else apply
        self.measured = {count: [] for count in self.counts}
        self.wait = dict.fromkeys(self.counts, self.FIRST_WAIT)
        self.choice = self.current = self.counts[0] if start is None else start
        self.history = []
        self._segments_on_choice = 0
        self._fresh = True  # the current count's first segment since a switch
        self._start = None
        self._rows = 0

    def restart(self):
        """Start a new segment now (time before this is not counted)."""
        self._start = time.perf_counter()
        self._rows = 0

    def tick(self, n_rows):
        """Record a step of ``n_rows`` rows; decide at the end of a segment."""
        self._rows += n_rows
        elapsed = time.perf_counter() - self._start
        per_row = elapsed / self._rows
        if elapsed < self.segment_seconds and not self._hopeless(per_row):
            return
        self._segment_done(per_row)
        self.restart()

    def _hopeless(self, seconds_per_row):
        """Whether the first segment of a trial already lost it (may end early)."""
        if not self._fresh or self.current == self.choice:
            return False
        choice_estimate = self._estimate(self.choice)
        return (
            choice_estimate is not None
            and seconds_per_row > self.HOPELESS * choice_estimate
        )

    def _estimate(self, count):
        recent = self.measured[count][-3:]
        return float(np.median(recent)) if recent else None

    def _segment_done(self, seconds_per_row):
        count, used = self.current, not self._fresh
        hopeless = self._hopeless(seconds_per_row)
        self.history.append((count, seconds_per_row, used))
        self._fresh = False
        if not used:
            if hopeless:
                self.measured[count].append(seconds_per_row)
                self._end_trial(count, won=False)
            return  # a transition segment: run the count once more
        slowed = self.measured[count] and seconds_per_row > (
            self.SLOWDOWN * self._estimate(count)
        )
        self.measured[count].append(seconds_per_row)
        if count != self.choice:  # the trial of another count is over
            self._end_trial(
                count, won=seconds_per_row < self.MARGIN * self._estimate(self.choice)
            )
            return
        self._segments_on_choice += 1
        for other in self.counts:
            if other != count and (
                not self.measured[other]
                or slowed
                or self._segments_on_choice >= self.wait[other]
            ):
                self._switch(other)
                return

    def _end_trial(self, count, won):
        if won:
            self.wait[self.choice] = self.FIRST_WAIT
            self.choice = count
        else:
            self.wait[count] = min(4 * self.wait[count], self.LONGEST_WAIT)
        self._segments_on_choice = 0
        self._switch(self.choice)

    def _switch(self, count):
        if count == self.current:
            return
        if self._apply(count):
            self.current = count
            self._fresh = True
        else:  # another run shares the process: it set one thread for all
            self.current = self.choice = self.counts[0]


def _apply_alone(count):
    """Set ``count`` BLAS threads unless several training runs are active."""
    with _lock:
        if _depth != 1:
            return False
        _set_threads(count)
        return True


def active_tuner():
    """The :class:`ThreadTuner` of the training run in this thread, or None."""
    return getattr(_local, "tuner", None)


@contextmanager
def training_threads(batch_size, layer_sizes, dtype=np.float64, tune=None):
    """Context manager for a training run: one BLAS thread, or a tuner.

    Parameters
    ----------
    batch_size : int
        Rows per minibatch.
    layer_sizes : sequence of int
        Units per layer, input and output included.
    dtype : numpy dtype, default=float64
        Compute dtype of the run.
    tune : bool, default=None
        Tune the thread count by timing.  None tunes when the thread count cannot
        change the results (see :func:`thread_invariant`); True tunes anyway
        (for runs without a fixed random state); False never tunes.

    Yields
    ------
    tuner : ThreadTuner or None
        Also available as :func:`active_tuner` inside the block.
    """
    global _depth, _limiter, _max_at_entry
    tuner = None
    with _lock:
        if _depth == 0:
            _max_at_entry = _current_threads()
            _limiter = _blas_controller().limit(limits=1)
        else:
            _set_threads(1)  # runs share the process: one thread for all
        _depth += 1
        alone = _depth == 1
        n_threads = _max_at_entry
    try:
        if alone and n_threads > 1:
            shapes = tuple(
                (batch_size, n_in, n_out) for n_in, n_out in pairwise(layer_sizes)
            )
            if tune is None:
                with _lock:
                    tune = thread_invariant(np.dtype(dtype), shapes, n_threads)
            # large products: all threads, the better guess on an idle machine
            big = 2 * max(m * k * n for m, k, n in shapes) >= SMALL_GEMM_FLOPS
            start = n_threads if big else 1
            if tune:
                tuner = ThreadTuner((1, n_threads), start=start)
            with _lock:
                _set_threads(start)
        _local.tuner = tuner
        yield tuner
    finally:
        _local.tuner = None
        with _lock:
            _depth -= 1
            if _depth == 0:
                _limiter.restore_original_limits()
            else:
                _set_threads(1)
