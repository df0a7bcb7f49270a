"""One registry of the settings used by the common scikit-learn estimator checks.

Every public estimator is listed here once, with settings that keep
:func:`sklearn.utils.estimator_checks.parametrize_with_checks` fast, and every
check that cannot pass is listed once, with its reason, in
``EXPECTED_FAILED_CHECKS``. ``tests/test_common.py`` reads both.
"""


def estimator_instances():
    """Return one fast-to-fit instance of every public estimator."""
    instances = []
    return instances


# {estimator class name: {check name: reason}}
EXPECTED_FAILED_CHECKS = {}


def expected_failed_checks(estimator):
    """Return the checks ``estimator`` is known to fail, with reasons."""
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})
