"""The only importer of scikit-learn's private API.

Everything scikit-learn keeps private and we rely on is imported here, so a
change in a scikit-learn release is mended in one place.
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import _check_sample_weight

__all__ = ["Interval", "Options", "StrOptions", "_check_sample_weight", "_fit_context"]
