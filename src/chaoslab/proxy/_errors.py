"""Errors of the fault proxy.

::

    ProxyError (chaoslab.errors)
    ├── ProxyNotFound      no proxy of that name          (HTTP 404)
    ├── ProxyExists        a proxy of that name exists    (HTTP 409)
    ├── ToxicNotFound      no toxic of that name          (HTTP 404)
    └── ToxicExists        a toxic of that name exists    (HTTP 409)

Bad attributes or fields raise `chaoslab.errors.ConfigError` (HTTP 400), whose
`problems` name each bad field.
"""

from __future__ import annotations

from chaoslab.errors import ProxyError

__all__ = ["ProxyExists", "ProxyNotFound", "ToxicExists", "ToxicNotFound"]


class ProxyNotFound(ProxyError, KeyError):
    """No proxy has this name (Toxiproxy: 404 `proxy not found`)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "proxy not found"


class ProxyExists(ProxyError):
    """A proxy of this name already exists (Toxiproxy: 409 `proxy already exists`)."""


class ToxicNotFound(ProxyError, KeyError):
    """No toxic of this proxy has this name (Toxiproxy: 404 `toxic not found`)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "toxic not found"


class ToxicExists(ProxyError):
    """A toxic of this name already exists on the proxy, in either stream (409)."""
