"""Build the documentation with warnings as errors and check the main pages.

The build is the one CI and developers run::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

here into a temporary folder.  It is offline (no intersphinx, gallery examples
on bundled data) and runs the gallery scripts, so it takes some seconds.
"""

import os
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_docs_build_without_warnings(tmp_path):
    out = tmp_path / "html"
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("SKNN_SCRATCH_DATA", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(DOCS),
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    for page in [
        "index.html",
        "install.html",
        "quickstart.html",
        "user_guide.html",
        "api.html",
        "benchmarks.html",
        "changelog.html",
        "auto_examples/index.html",
        "generated/sknn_scratch.ScratchMLPClassifier.html",
        "generated/sknn_scratch.ScratchMLPRegressor.html",
        "generated/sknn_scratch.nn.Model.html",
        "generated/sknn_scratch.datasets.load_mnist.html",
        "generated/sknn_scratch.plot.TrainingCurveDisplay.html",
    ]:
        assert (out / page).is_file(), page
    # the user guide's math is there for MathJax to render
    assert "math notranslate" in (out / "user_guide.html").read_text()
