"""Reliability measurements for issue 8: bad input, saved-model size, memory.

Prints three sections:

1. a hypothesis run of a few hundred bad (and some valid) inputs against both
   estimators: how many were tried, the outcomes (``Counter`` of exception types)
   and how many error messages name the offending argument;
2. pickle sizes of ScratchMLPClassifier against scikit-learn's MLPClassifier
   (784-128-128-10, fitted briefly on random data), and the types
   ``skops.io.get_untrusted_types`` lists for our saved models;
3. the tracemalloc peak of ``predict_proba`` on 1,000,000 x 784 float32 rows for
   784-128-128-10, against the size of the input itself.

Run from the repository root::

    python benchmarks/reliability_report.py [--examples 60] [--rows 1000000]

The strategies and helpers come from ``tests/test_reliability.py`` so the
report measures exactly what the tests exercise.  Warnings are handled as the
test suite handles them: a RuntimeWarning raised in sknn_scratch is an error.
"""

import argparse
import importlib.util
import pickle
import re
import sys
import time
import tracemalloc
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.neural_network import MLPClassifier

from sknn_scratch import ScratchMLPClassifier, ScratchMLPRegressor

TESTS = Path(__file__).resolve().parents[1] / "tests" / "test_reliability.py"
MB = 1e6


def load_test_module():
    spec = importlib.util.spec_from_file_location("test_reliability", TESTS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- 1. bad input
class Tally:
    """Outcomes of one family of inputs, and whether errors name the argument."""

    def __init__(self, accepted_types):
        self.accepted_types = accepted_types
        self.outcomes = Counter()  # exception type name (or "ok") -> count
        self.kinds = Counter()  # "ValueError/TypeError" or "other type"
        self.named = Counter()
        self.unnamed_examples = []

    def record(self, exc, argument, names_argument):
        if exc is None:
            self.outcomes["ok"] += 1
            return
        self.outcomes[type(exc).__name__] += 1
        good = isinstance(exc, self.accepted_types)
        self.kinds["ValueError/TypeError" if good else "other type"] += 1
        message = str(exc)
        if "diverged" in message:
            argument = "learning_rate"
        if names_argument(message, argument):
            self.named["names it"] += 1
        else:
            self.named["does not"] += 1
            short = f"[{argument}] " + " ".join(message.split())[:70]
            self.unnamed_examples.append(short)


def run_family(strategy, action, n_examples, accepted_types):
    """Call ``action(tally, drawn)`` on ``n_examples`` drawn inputs."""
    tally = Tally(accepted_types)

    @settings(max_examples=n_examples, deadline=None, database=None, derandomize=True)
    @given(strategy)
    def explore(drawn):
        action(tally, drawn)

    explore()
    return tally


def bad_input_section(t, n_examples):
    families = {}
    for Estimator in t.ESTIMATORS:
        X_good, y_good = t.tiny_data(Estimator)
        fitted = t.make(Estimator).fit(X_good, y_good)
        methods = (
            ["predict", "predict_proba", "decision_function"]
            if Estimator is ScratchMLPClassifier
            else ["predict"]
        )

        def fit_X(tally, X, Estimator=Estimator):
            y = t.valid_y(Estimator, t.n_rows(X))
            exc = t.attempt(lambda: t.make(Estimator).fit(X, y))
            tally.record(exc, "X", t.names_argument)

        def fit_y(tally, y, Estimator=Estimator, X=X_good):
            exc = t.attempt(lambda: t.make(Estimator).fit(X, y))
            tally.record(exc, "y", t.names_argument)

        def fit_sample_weight(tally, w, Estimator=Estimator, X=X_good, y=y_good):
            exc = t.attempt(lambda: t.make(Estimator).fit(X, y, sample_weight=w))
            tally.record(exc, "sample_weight", t.names_argument)

        def fit_param(tally, drawn, Estimator=Estimator, X=X_good, y=y_good):
            param, value = drawn
            exc = t.attempt(lambda: t.make(Estimator, **{param: value}).fit(X, y))
            tally.record(exc, param, t.names_argument)

        def predict_X(tally, X, fitted=fitted, methods=methods):
            for method in methods:
                exc = t.attempt(lambda m=method: getattr(fitted, m)(X))
                tally.record(exc, "X", t.names_argument)

        params = sorted(Estimator().get_params())
        plan = [
            ("fit X", t.junk_X(), fit_X),
            ("fit y", t.junk_y(), fit_y),
            ("fit sample_weight", t.junk_sample_weight(), fit_sample_weight),
            (
                "constructor params",
                st.tuples(st.sampled_from(params), t.PARAM_JUNK),
                fit_param,
            ),
            ("predict X", t.junk_X(), predict_X),
        ]
        for name, strategy, action in plan:
            families[(Estimator.__name__, name)] = run_family(
                strategy, action, n_examples, t.ACCEPTED
            )

    total, outcomes, kinds, named = 0, Counter(), Counter(), Counter()
    print("1. Bad input (hypothesis, derandomized)")
    print(f"   {'estimator':<22}{'family':<20}{'tried':>6}  outcomes")
    for (estimator, family), tally in families.items():
        tried = sum(tally.outcomes.values())
        total += tried
        outcomes.update(tally.outcomes)
        kinds.update(tally.kinds)
        named.update(tally.named)
        print(f"   {estimator:<22}{family:<20}{tried:>6}  {dict(tally.outcomes)}")
    raised = total - outcomes["ok"]
    seen = Counter({k: v for k, v in outcomes.items() if k != "ok"})
    print(f"   inputs tried: {total}  (raised {raised}, accepted {outcomes['ok']})")
    print(f"   exception types seen: {seen}")
    print(f"   of the {raised} errors: {dict(kinds)}")
    print(f"   messages naming the argument: {named['names it']} of {raised}")
    print("   examples of messages that do not name it:")
    shown = {}
    for tally in families.values():
        for example in tally.unnamed_examples:
            # one line per kind of message: numbers and quoted values vary
            shown.setdefault(
                re.sub(r"[-+.\w]*\d[-+.\w]*|'[^']*'", "#", example)[:50], example
            )
    for example in list(shown.values())[:12]:
        print(f"     - {example}")
    if len(shown) > 12:
        print(f"     ... and {len(shown) - 12} more kinds")


# ---------------------------------------------------------------- 2. persistence
def optimizer_state_nbytes(estimator):
    optimizer = estimator._optimizer
    return sum(
        array.nbytes
        for name in type(optimizer)._state
        if isinstance(getattr(optimizer, name), list)
        for array in getattr(optimizer, name)
    )


def persistence_section():
    print()
    print("2. Saved-model size, 784-128-128-10 fitted 2 epochs on 256 random rows")
    rng = np.random.default_rng(0)
    X, y = rng.random((256, 784)), np.arange(256) % 10
    print(
        f"   {'solver':<7}{'ours':>12}{'sklearn':>12}{'weights':>12}{'optimizer':>12}"
    )
    for solver in ["sgd", "adam"]:
        params = {"hidden_layer_sizes": (128, 128), "solver": solver, "max_iter": 2}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = ScratchMLPClassifier(**params, batch_size=64, random_state=0).fit(
                X, y
            )
            theirs = MLPClassifier(**params, batch_size=64, random_state=0).fit(X, y)
        weights = sum(a.nbytes for a in ours.coefs_ + ours.intercepts_)
        ours_size, theirs_size = len(pickle.dumps(ours)), len(pickle.dumps(theirs))
        print(
            f"   {solver:<7}{ours_size:>12,}{theirs_size:>12,}"
            f"{weights:>12,}{optimizer_state_nbytes(ours):>12,}"
        )
    print(
        "   (bytes of pickle.dumps; 'optimizer' = momentum velocities or Adam moments)"
    )

    import skops.io as sio

    print("   skops.io.get_untrusted_types of a fitted model:")
    X_small, y_class = X[:60, :5], np.arange(60) % 3
    for Estimator, target in [
        (ScratchMLPClassifier, y_class),
        (ScratchMLPRegressor, X[:60, 0]),
    ]:
        for solver in ["sgd", "adam", "lbfgs"]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = Estimator(
                    hidden_layer_sizes=(4,), solver=solver, max_iter=3, random_state=0
                ).fit(X_small, target)
            types = sio.get_untrusted_types(data=sio.dumps(model))
            print(f"     {Estimator.__name__:<21}{solver:<6}{types}")


# ---------------------------------------------------------------- 3. memory
def peak_of(function, X):
    tracemalloc.start()
    start = time.perf_counter()
    try:
        function(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, time.perf_counter() - start


def memory_section(n_rows):
    print()
    print("3. Peak extra memory of predict_proba, 784-128-128-10 (tracemalloc)")
    rng = np.random.default_rng(0)
    models = {}
    for dtype in [np.float32, np.float64]:
        sample = rng.random((256, 784)).astype(dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            models[dtype] = ScratchMLPClassifier(
                hidden_layer_sizes=(128, 128), max_iter=1, batch_size=64, random_state=0
            ).fit(sample, np.arange(256) % 10)
    runs = [(np.float32, np.float32, n_rows)]
    runs += [
        (np.float64, dt, n) for dt in (np.float32, np.uint8) for n in (100_000, 200_000)
    ]
    header = ["model", "X dtype", "rows", "X size", "peak", "time"]
    print("   {:<9}{:<9}{:>10}{:>11}{:>11}{:>8}".format(*header))
    for model_dtype, input_dtype, rows in runs:
        X = np.zeros((rows, 784), dtype=input_dtype)
        peak, seconds = peak_of(models[model_dtype].predict_proba, X)
        print(
            f"   {np.dtype(model_dtype).name:<9}{np.dtype(input_dtype).name:<9}"
            f"{rows:>10,}{X.nbytes / MB:>8,.0f} MB{peak / MB:>8,.1f} MB{seconds:>7.1f}s"
        )
        del X


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=60, help="per family")
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    warnings.filterwarnings("error", category=RuntimeWarning, module="sknn_scratch")
    t = load_test_module()
    bad_input_section(t, args.examples)
    persistence_section()
    memory_section(args.rows)


if __name__ == "__main__":
    sys.exit(main())
