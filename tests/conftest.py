"""Project-wide test configuration."""

# pytester tests the pytest plugin in-process (tests/unit/core/test_pytest_plugin.py).
pytest_plugins = ["pytester"]
