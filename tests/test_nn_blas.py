"""The BLAS thread policy of training (sknn_scratch/nn/_blas.py): the tuner's
decisions on scripted timings, the guard that keeps results reproducible, and
the limits restored afterwards.
"""

import itertools
import threading

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from threadpoolctl import threadpool_info, threadpool_limits

from sknn_scratch import ScratchMLPClassifier
from sknn_scratch.nn import _blas
from sknn_scratch.nn._blas import ThreadTuner, active_tuner, training_threads


def _blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def _run(tuner, per_row, n_segments):
    """Feed ``n_segments`` segments timed ``per_row[count]`` of the current count."""
    for _ in range(n_segments):
        tuner._segment_done(per_row[tuner.current])


def _scripted(counts=(1, 2)):
    applied = []
    tuner = ThreadTuner(counts, apply=lambda count: applied.append(count) or True)
    return tuner, applied


@pytest.mark.parametrize(
    ("per_row", "expected"),
    [({1: 30e-6, 2: 20e-6}, 2), ({1: 30e-6, 2: 90e-6}, 1), ({1: 30e-6, 2: 29.5e-6}, 1)],
    ids=["idle machine: two threads", "busy machine: one thread", "a tie: stay"],
)
def test_tuner_keeps_the_faster_count(per_row, expected):
    tuner, applied = _scripted()
    _run(tuner, per_row, 80)
    assert tuner.choice == expected
    assert applied[0] == 2  # it tried the other count
    # after the trials, at most a few segments ran on the slower count
    if expected == 1:
        assert sum(count == 2 for count, _, _ in tuner.history) <= 6


def test_tuner_ignores_the_segment_after_a_switch():
    tuner, _ = _scripted()
    # 1 thread: a first (spinning) segment that looks awful, then fast ones
    tuner._segment_done(500e-6)
    assert tuner.history[-1][2] is False
    assert tuner.measured[1] == []
    tuner._segment_done(20e-6)
    assert tuner.measured[1] == [20e-6]


def test_tuner_follows_the_load_when_it_changes():
    tuner, _ = _scripted()
    _run(tuner, {1: 30e-6, 2: 20e-6}, 12)  # idle: two threads win
    assert tuner.choice == 2
    # another process takes a core: two threads become four times slower
    _run(tuner, {1: 30e-6, 2: 80e-6}, 12)
    assert tuner.choice == 1
    _run(tuner, {1: 30e-6, 2: 20e-6}, 140)  # and it leaves again
    assert tuner.choice == 2


def _trials(tuner, count=2):
    """How many times the tuner switched to ``count``."""
    counts = [c for c, _, _ in tuner.history]
    return sum(b == count != a for a, b in itertools.pairwise(counts))


@pytest.mark.parametrize("slower", [1.5, 3.0], ids=["1.5x", "3x"])
def test_tuner_backs_off_after_lost_trials(slower):
    tuner, _ = _scripted()
    _run(tuner, {1: 30e-6, 2: slower * 30e-6}, 200)
    # 1 first trial, then after 8, 32, 128 segments: not one every few segments
    assert 1 <= _trials(tuner) <= 4
    assert tuner.wait[2] == ThreadTuner.LONGEST_WAIT
    assert tuner.choice == 1


def test_a_trial_far_slower_from_its_first_segment_ends_there():
    # Another process holds a core: two threads run five times slower.  Their
    # first segment already says so; a second one would cost as much again.
    tuner, _ = _scripted()
    _run(tuner, {1: 30e-6, 2: 150e-6}, 60)
    runs_on_2 = [
        sum(1 for _ in group)
        for count, group in itertools.groupby(c for c, _, _ in tuner.history)
        if count == 2
    ]
    assert runs_on_2 and all(length == 1 for length in runs_on_2)
    # a trial 1.5 times as slow as the choice (below HOPELESS) runs its
    # second segment: the first one may still carry the other count's spinning
    tuner, _ = _scripted()
    _run(tuner, {1: 30e-6, 2: 45e-6}, 60)
    assert tuner.history[2][0] == tuner.history[3][0] == 2


class _Clock:
    """A perf_counter that advances only when told to."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


def test_a_hopeless_trial_ends_at_the_step_that_shows_it(monkeypatch):
    # Under contention one two-thread step took 54 ms: half a segment.  The
    # trial ends after that step instead of filling the segment.
    clock = _Clock()
    monkeypatch.setattr(_blas, "time", clock)
    tuner, applied = _scripted()
    tuner.restart()
    steps = {1: 0, 2: 0}

    def step(seconds_per_row):
        clock.now += 128 * seconds_per_row
        steps[tuner.current] += 1
        tuner.tick(128)

    def until_a_trial():  # on the choice, 30 us a row (4 ms a step)
        for _ in range(1000):
            if tuner.current != 1:
                return
            step(30e-6)
        raise AssertionError("no trial of two threads began")

    until_a_trial()
    assert applied == [2]  # a trial of two threads begins
    step(5 * 30e-6)  # five times slower: 19 ms, a fifth of a segment
    assert applied == [2, 1] and tuner.choice == 1
    assert steps[2] == 1
    # a trial only 1.5 times slower fills its segments: it may still carry the
    # other count's spinning threads
    until_a_trial()
    before = steps[2]
    for _ in range(5):
        step(1.5 * 30e-6)
    assert tuner.current == 2 and steps[2] - before == 5


def test_tuner_times_segments_of_steps():
    tuner = ThreadTuner((1,), segment_seconds=0.0)
    tuner.restart()
    tuner.tick(128)
    tuner.tick(64)
    assert len(tuner.history) == 2
    assert all(seconds >= 0 for _, seconds, _ in tuner.history)


def test_training_threads_restores_the_limits():
    before = _blas_threads()
    with training_threads(128, [784, 128, 10], np.float64, tune=True) as tuner:
        assert active_tuner() is tuner
        assert max(_blas_threads()) == tuner.current
    assert active_tuner() is None
    assert _blas_threads() == before


def test_one_thread_under_a_user_limit_and_no_tuner():
    with threadpool_limits(1, user_api="blas"):
        with training_threads(128, [784, 128, 10], np.float64, tune=True) as tuner:
            assert tuner is None
            assert _blas_threads() == [1] * len(_blas_threads())


def test_results_that_depend_on_the_thread_count_are_not_tuned(monkeypatch):
    if max(_blas_threads(), default=1) < 2:
        pytest.skip("a BLAS with one thread has nothing to tune")
    monkeypatch.setattr(_blas, "thread_invariant", lambda *args: False)
    with training_threads(128, [20, 10, 3], np.float32) as tuner:
        assert tuner is None
        assert max(_blas_threads()) == 1  # small products: one fixed thread
    with training_threads(128, [20, 10, 3], np.float32, tune=True) as tuner:
        assert tuner is not None  # allowed when no reproducibility is promised


def test_concurrent_runs_hold_one_thread():
    entered, release = threading.Barrier(2), threading.Event()
    seen = []

    def second_run():
        with training_threads(128, [784, 128, 10], np.float64, tune=True):
            entered.wait()
            release.wait()

    with training_threads(128, [784, 128, 10], np.float64, tune=True) as tuner:
        worker = threading.Thread(target=second_run)
        worker.start()
        entered.wait()
        seen.append(max(_blas_threads()))
        if tuner is not None:
            tuner._switch(tuner.counts[-1])  # refused while the other runs
            seen.append(tuner.current)
        release.set()
        worker.join()
    assert set(seen) == {1}


def test_thread_invariance_probe_agrees_with_direct_products():
    n_threads = max(_blas_threads(), default=1)
    shapes = ((32, 40, 24),)
    with training_threads(32, [40, 24], np.float64, tune=False):
        invariant = _blas.thread_invariant(np.dtype(np.float64), shapes, n_threads)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 40))
    w = rng.standard_normal((40, 24))
    with threadpool_limits(1, user_api="blas"):
        one = x @ w
    with threadpool_limits(n_threads, user_api="blas"):
        many = x @ w
    if invariant:
        assert_array_equal(one, many)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [300, 784, 1500])
def test_products_cut_at_the_inner_block_keep_their_bits_on_any_thread_count(dtype, k):
    # Inner dimensions beyond one BLAS block (784 MNIST pixels, or a long
    # batch in X.T @ dZ) are where the BLAS's own cut depends on the threads.
    rng = np.random.default_rng(0)
    a = rng.standard_normal((128, k)).astype(dtype)
    b = rng.standard_normal((k, 128)).astype(dtype)
    results = []
    for n_threads in (1, 2):
        out = np.empty((128, 128), dtype)
        with threadpool_limits(n_threads, user_api="blas"):
            _blas.matmul(a, b, out, lambda out=out: np.empty_like(out))
        results.append(out)
    assert_array_equal(results[0], results[1])
    assert_allclose(results[0], a.astype(np.float64) @ b, rtol=1e-3, atol=1e-3)


def test_matmul_cuts_long_inner_dimensions_and_passes_sparse_through(monkeypatch):
    monkeypatch.setattr(_blas, "inner_block", lambda dtype: 16)
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((5, 50)), rng.standard_normal((50, 3))
    asked = []

    def scratch():
        asked.append(True)
        return np.empty((5, 3))

    out = _blas.matmul(a, b, np.empty((5, 3)), scratch)
    assert asked  # 50 > 16: cut into four pieces of 12-13
    assert_allclose(out, a @ b, rtol=1e-12)
    sparse = sp.csr_matrix(np.where(a > 1, a, 0.0))
    out = _blas.matmul(sparse, b, np.empty((5, 3)), scratch)
    assert_allclose(out, sparse.toarray() @ b, rtol=1e-12)


def test_inner_block_is_the_longest_candidate_that_keeps_its_bits(monkeypatch):
    tried = []

    def same_bits(rng, k, dtype):  # one block up to 400; 512 cut in equal halves
        tried.append(k)
        return k <= 400 or k == 512

    monkeypatch.setattr(_blas, "_same_bits_on_two_threads", same_bits)
    _blas.inner_block.cache_clear()
    try:
        assert _blas.inner_block(np.dtype(np.float64)) == 384
        assert 505 in tried  # 512 alone would have passed
    finally:
        _blas.inner_block.cache_clear()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize(
    ("dtype", "n_features"), [(np.float64, 64), (np.float64, 784), (np.float32, 784)]
)
def test_a_seeded_fit_is_bit_identical_whatever_the_threads(
    monkeypatch, dtype, n_features
):
    # Make the tuner switch thread counts at every step: if the BLAS gave
    # different bits per thread count, the fit would differ from a one-thread fit.
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, n_features)).astype(dtype)
    y = (X[:, :3].sum(axis=1) > 0).astype(int)

    def fit():
        return ScratchMLPClassifier(
            hidden_layer_sizes=(256,), batch_size=256, max_iter=3, random_state=0
        ).fit(X, y)

    with threadpool_limits(1, user_api="blas"):
        reference = fit()
    tuners = []
    original = ThreadTuner.__init__

    def switching(self, counts, segment_seconds=0.1, **kwargs):
        original(self, counts, 0.0, **kwargs)  # every step ends a segment
        tuners.append(self)

    monkeypatch.setattr(ThreadTuner, "__init__", switching)
    monkeypatch.setattr(ThreadTuner, "FIRST_WAIT", 1)
    monkeypatch.setattr(ThreadTuner, "MARGIN", 10.0)  # every trial "wins"
    switched = fit()
    for a, b in zip(reference.coefs_, switched.coefs_, strict=True):
        assert_array_equal(a, b)
    # The products are cut so that no thread count changes their bits: with
    # several BLAS threads the seeded fit is tuned, and did switch.
    assert len(tuners) == (max(_blas_threads(), default=1) > 1)
    if tuners:
        counts = {count for count, _, _ in tuners[0].history}
        assert counts == set(tuners[0].counts)
