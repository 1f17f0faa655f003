"""What `import chaoslab.proxy` gives users."""

from __future__ import annotations

import subprocess
import sys

import chaoslab.proxy
import chaoslab.proxy.testing


def test_all_is_sorted_and_resolves() -> None:
    names = chaoslab.proxy.__all__
    assert names == sorted(names, key=lambda n: (not n.isupper(), n))
    for name in names:
        assert getattr(chaoslab.proxy, name) is not None
    assert {"ProxyServer", "SyncProxyServer", "Proxy", "Toxic", "ProxyClient"} <= set(names)


def test_testing_module_exports() -> None:
    assert chaoslab.proxy.testing.__all__ == [
        "CONFORMANCE", "LinkHarness", "MemorySink", "MemorySource", "check_toxic",
    ]  # fmt: skip


def test_the_data_path_does_not_import_httpx() -> None:
    code = (
        "import sys, chaoslab; before = set(sys.modules); import chaoslab.proxy; "
        "new = set(sys.modules) - before; print('httpx' in new, 'aiohttp' in new)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
