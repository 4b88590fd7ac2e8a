"""Run every gallery script in examples/ and check that it completes.

Each script runs in this process (``runpy.run_path``) with matplotlib's
non-interactive Agg backend, on the bundled data: ``SKNN_SCRATCH_DATA`` is
removed from the environment so that no script reaches for MNIST.
"""

import runpy
from pathlib import Path

import pytest

matplotlib = pytest.importorskip("matplotlib")
pytest.importorskip("skops")
matplotlib.use("Agg")  # draw off-screen, whatever the environment's default

import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.py"))


@pytest.fixture
def quiet_matplotlib(monkeypatch):
    """Make ``plt.show()`` a no-op and close every figure a script opened."""
    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: None)
    yield
    plt.close("all")


def test_examples_found():
    assert EXAMPLES, "no examples/*.py found"


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_example_runs(path, quiet_matplotlib, monkeypatch, tmp_path):
    monkeypatch.delenv("SKNN_SCRATCH_DATA", raising=False)
    monkeypatch.chdir(tmp_path)  # anything a script writes lands here
    runpy.run_path(str(path), run_name="__main__")  # raises if the script fails
