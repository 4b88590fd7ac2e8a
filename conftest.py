"""Test-session set-up shared by tests/ and the doctests in sknn_scratch/."""

import os

# scikit-learn's check_array_api_input (run by check_estimator) only runs when
# SciPy's array-API mode is on; it must be set before SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
