"""Project-wide test configuration."""

from hypothesis import settings

# pytester tests the pytest plugin in-process (tests/unit/core/test_pytest_plugin.py).
pytest_plugins = ["pytester"]

# Deterministic tests: property tests draw the same examples on every run (a
# failure found once is found again; CI never turns red by luck), and no
# per-example deadline, which only measures how busy the machine is.
settings.register_profile("chaoslab", derandomize=True, deadline=None)
settings.load_profile("chaoslab")
