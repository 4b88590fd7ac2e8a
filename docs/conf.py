"""Sphinx configuration for the sknn_scratch documentation.

Build (offline, warnings as errors)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # gallery scripts draw without a display

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the package, when not installed

import sknn_scratch  # noqa: E402

# -- Project -----------------------------------------------------------------
project = "sknn_scratch"
author = "The sknn_scratch developers"
copyright = "The sknn_scratch developers"
release = sknn_scratch.__version__
version = release

# -- Extensions --------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx.ext.mathjax",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
]

# -- Benchmarks page: figures drawn at build time from the committed results ----
# docs/benchmark_results/*.json are the measurements (benchmarks/bench_mnist.py
# --output); benchmarks/plot_results.py draws them.
plot_pre_code = (
    "import sys\n"
    f"sys.path.insert(0, {str(HERE.parent / 'benchmarks')!r})\n"
    "from plot_results import plot_results\n"
    f"RESULTS = {str(HERE / 'benchmark_results')!r}\n"
)
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]

# No intersphinx: the build must not fetch anything from the web.
intersphinx_mapping = {}

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
default_role = "literal"  # `x` in a docstring renders as code, not a broken xref

# -- autodoc / autosummary / numpydoc ----------------------------------------
autosummary_generate = True  # stubs go to docs/generated/ (git-ignored)
# Classes use docs/_templates/autosummary/class.rst: own members only.
autodoc_typehints = "none"  # the numpydoc Parameters sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Cross-references to names outside this project (sklearn, numpy, ...) would
# need intersphinx, which is off; numpydoc leaves type names as plain text.
numpydoc_xref_param_type = False

# -- MathJax -----------------------------------------------------------------
# Sphinx's default ``mathjax_path`` is a CDN URL, so offline the math would show
# as raw TeX.  The site serves its own copy instead: MathJax 3's browser files
# from the ``django-static-mathjax`` wheel on PyPI (a plain copy of MathJax's
# release files, no dependencies; the ``docs`` and ``test`` extras install it).
# Only what the ``tex-chtml`` bundle loads, or may load on demand, is copied
# into ``_static/mathjax/`` after the HTML build: ~7 MB of the wheel's 35 MB.
MATHJAX_FILES = [
    "tex-chtml.js",  # TeX input + HTML-CSS output + menu, one file
    "output/chtml",  # its web fonts
    "input",  # TeX extensions the bundle autoloads (e.g. \boldsymbol)
    "ui",  # the right-click menu
    "a11y",  # accessibility options of the menu ...
    "sre",  # ... and the speech-rule engine they load
    "adaptors",
]
mathjax_path = "mathjax/tex-chtml.js"  # relative to _static/


def _mathjax_source():
    """The ``es5`` folder of MathJax's files inside the django-static-mathjax wheel."""
    import importlib.util

    spec = importlib.util.find_spec("mathjax")
    source = None
    if spec is not None and spec.submodule_search_locations:
        package = Path(next(iter(spec.submodule_search_locations)))
        source = package / "static" / "mathjax" / "es5"
    if source is None or not (source / "tex-chtml.js").is_file():
        raise RuntimeError(
            "MathJax's files are missing: pip install django-static-mathjax "
            "(part of the 'docs' extra)"
        )
    return source


def _copy_mathjax(app, exception):
    """Put MathJax's files under _static/mathjax/ of an HTML build."""
    if exception is not None or app.builder.format != "html":
        return
    import shutil

    source = _mathjax_source()
    target = Path(app.outdir) / "_static" / "mathjax"
    target.mkdir(parents=True, exist_ok=True)
    for name in MATHJAX_FILES:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name, dirs_exist_ok=True)
        else:
            shutil.copyfile(source / name, target / name)
    shutil.copyfile(source.parent / "LICENSE", target / "LICENSE")


def setup(app):
    _mathjax_source()  # fail at start-up, not after the whole build
    app.connect("build-finished", _copy_mathjax)


# -- sphinx-gallery ----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",  # run every plot_*.py
    "plot_gallery": "True",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "download_all_examples": False,
    "remove_config_comments": True,
    "reset_modules": ("matplotlib",),
    # Examples read data bundled with scikit-learn; they must not download.
    "abort_on_example_error": True,
    # No docs/sg_execution_times.rst: it would land outside the git-ignored dirs.
    "write_computation_times": False,
}
os.environ.setdefault("MPLBACKEND", "Agg")
# The gallery runs on scikit-learn's bundled data, in seconds: never on MNIST.
os.environ.pop("SKNN_SCRATCH_DATA", None)

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sknn_scratch {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    # Every top-level page in the header bar, none hidden under "More"; the
    # search is an icon (Ctrl+K) so that the bar fits in one line at 1280 px.
    "header_links_before_dropdown": 8,
    "navbar_persistent": ["search-button"],
}
# Pages without sub-pages get no left sidebar: it would only show an empty
# "Section Navigation", and the width is better spent on equations and code.
html_sidebars = {
    page: []
    for page in [
        "index",
        "install",
        "quickstart",
        "user_guide",
        "benchmarks",
        "scaling",
        "changelog",
    ]
}
html_static_path = []
html_show_sourcelink = False
# "fit()" rather than "ScratchMLPClassifier.fit()" in the page's table of contents
toc_object_entries_show_parents = "hide"
