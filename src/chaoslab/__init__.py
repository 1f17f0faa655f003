"""chaoslab: chaos engineering for Python services."""

from chaoslab._version import __version__

__all__ = ["__version__"]
