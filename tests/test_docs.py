"""Build the documentation with warnings as errors and check the built site.

The build is the one CI and developers run::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

here into a temporary folder.  It is offline (no intersphinx, gallery examples
on bundled data) and runs the gallery scripts, so it takes some seconds.  The
site must also *view* offline: it serves its own MathJax, and no page loads a
script or a style sheet from the web.

The code on the pages (``>>>`` snippets) runs here as doctests, so the
documented code cannot rot.
"""

import doctest
import io
import os
import subprocess
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sklearn.exceptions import ConvergenceWarning

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The built HTML site: the build's return code, log and output folder."""
    tmp_path = tmp_path_factory.mktemp("docs")
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
    return result, out


def built(site):
    result, out = site
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return out


def test_docs_build_without_warnings(site):
    out = built(site)
    for page in [
        "index.html",
        "install.html",
        "quickstart.html",
        "user_guide.html",
        "api.html",
        "benchmarks.html",
        "changelog.html",
        "auto_examples/index.html",
        "auto_examples/plot_training_curves.html",
        "generated/sknn_scratch.ScratchMLPClassifier.html",
        "generated/sknn_scratch.ScratchMLPRegressor.html",
        "generated/sknn_scratch.nn.Model.html",
        "generated/sknn_scratch.datasets.load_mnist.html",
        "generated/sknn_scratch.plot.TrainingCurveDisplay.html",
    ]:
        assert (out / page).is_file(), page
    # the user guide's math is there for MathJax to render
    assert "math notranslate" in (out / "user_guide.html").read_text()
    # the gallery's plots are on its pages
    curves = out / "auto_examples" / "plot_training_curves.html"
    images = page_assets(curves).images
    assert len(images) >= 2, images
    for src in images:
        assert local_file(curves, src).stat().st_size > 10_000, src


class _Assets(HTMLParser):
    """The ``src`` of each <script> and <img>, the ``href`` of each <link>."""

    def __init__(self):
        super().__init__()
        self.scripts, self.links, self.images = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
        elif tag == "link" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])


def page_assets(page):
    parser = _Assets()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def html_pages(out):
    """The site's pages (not the theme's template snippets under _static/)."""
    return sorted(p for p in out.rglob("*.html") if "_static" not in p.parts)


def is_remote(url):
    return bool(urlsplit(url).scheme or urlsplit(url).netloc)


def local_file(page, url):
    return (page.parent / urlsplit(url).path).resolve()


def test_math_renders_offline_with_the_bundled_mathjax(site):
    out = built(site)
    pages = html_pages(out)
    math_pages = [p for p in pages if "math notranslate" in p.read_text()]
    assert out / "user_guide.html" in math_pages
    assert out / "generated" / "sknn_scratch.nn.SGD.html" in math_pages
    for page in math_pages:
        mathjax = [src for src in page_assets(page).scripts if "mathjax" in src.lower()]
        assert len(mathjax) == 1, (page.name, mathjax)
        assert not is_remote(mathjax[0]), (page.name, mathjax[0])
        script = local_file(page, mathjax[0])
        assert script == (out / "_static" / "mathjax" / "tex-chtml.js").resolve()
        assert script.stat().st_size > 100_000  # MathJax itself, not a stub
    # the web fonts the CommonHTML output loads, and the autoloaded extensions
    mathjax_dir = out / "_static" / "mathjax"
    assert len(list(mathjax_dir.glob("output/chtml/fonts/woff-v2/*.woff"))) > 10
    assert (mathjax_dir / "input" / "tex" / "extensions" / "boldsymbol.js").is_file()
    assert (mathjax_dir / "LICENSE").is_file()


def test_pages_load_nothing_from_the_web(site):
    out = built(site)
    pages = html_pages(out)
    assert len(pages) > 30
    for page in pages:
        assets = page_assets(page)
        for url in assets.scripts + assets.links + assets.images:
            assert not is_remote(url), (page.relative_to(out), url)
        for url in assets.scripts + assets.images:
            assert local_file(page, url).is_file(), (page.relative_to(out), url)


# -- the documented code runs ---------------------------------------------------

DOCTESTED_PAGES = ["index.rst", "quickstart.rst", "user_guide.rst"]


@pytest.mark.parametrize("page", DOCTESTED_PAGES)
def test_page_code_runs_as_doctest(page, tmp_path, monkeypatch):
    text = (DOCS / page).read_text(encoding="utf-8")
    # Python on these pages is written as >>> examples, so it is all tested.
    assert ".. code-block:: python" not in text
    monkeypatch.chdir(tmp_path)  # the quick start saves model files
    monkeypatch.setenv("MPLBACKEND", "Agg")
    test = doctest.DocTestParser().get_doctest(
        text, globs={}, name=page, filename=str(DOCS / page), lineno=0
    )
    assert len(test.examples) >= 5
    report = io.StringIO()
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = runner.run(test, out=report.write)
    assert result.failed == 0, report.getvalue()
    # what a reader runs must not warn that training stopped too early
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]
