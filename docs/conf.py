"""Sphinx configuration of the sklearn_ecgmcg documentation.

Build with the gallery executed and warnings as errors::

    sphinx-build -W --keep-going -b html docs docs/_build/html
"""

import os
import warnings
from datetime import date

# The gallery trains small networks: one intra-op thread per process avoids
# OpenMP oversubscription, which on two shared cores made the examples 5-10x
# slower (measured: an aligner fit took 9.5 s of CPU with 2 threads, 1.4 s with 1).
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

import sklearn_ecgmcg  # noqa: E402

project = "sklearn_ecgmcg"
author = "sklearn_ecgmcg developers"
copyright = f"{date.today().year}, {author}"
release = sklearn_ecgmcg.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.md5", "auto_examples/*.json"]
default_role = "code"

# -- API reference ----------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- HTML -------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn_ecgmcg {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navbar_end": ["navbar-icon-links"],
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_show_sourcelink = False

# -- Gallery ----------------------------------------------------------------
warnings.filterwarnings("ignore", category=UserWarning, message=".*non-interactive.*")

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("sklearn_ecgmcg",),
    "reference_url": {"sklearn_ecgmcg": None},
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "remove_config_comments": True,
    "capture_repr": (),  # plotting functions return the Figure: do not print it
    "show_memory": False,
    "min_reported_time": 1,
    "matplotlib_animations": False,
    "download_all_examples": False,
    "image_srcset": [],
    "thumbnail_size": (400, 280),
}


def _skip_generated_members(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated metadata-routing setters (set_fit_request, ...)."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_generated_members)
