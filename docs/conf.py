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
]

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
# Sphinx's default ``mathjax_path`` is a CDN URL.  It is only written into the
# HTML as a <script src=...>; nothing is fetched while *building*, so the build
# stays offline.  Viewing the math needs the CDN (or a local MathJax copy set
# here as ``mathjax_path = "mathjax/tex-chtml.js"`` with the files in _static).

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
}
html_static_path = []
html_show_sourcelink = False
