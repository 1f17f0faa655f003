"""The Python examples of docs/proxy.md run as written (the API URL pointed at a test server)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.proxy_api._support import REPO, api_in_thread

PAGE = (REPO / "docs" / "proxy.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE, flags=re.DOTALL)


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with api_in_thread(seed=8) as base:
        yield base


def test_the_page_has_its_examples() -> None:
    assert len(BLOCKS) == 2


def test_the_embedded_example_runs() -> None:
    namespace: dict[str, object] = {}
    exec(compile(BLOCKS[0], "docs/proxy.md", "exec"), namespace)
    asyncio.run(namespace["test_slow_redis"]())  # type: ignore[operator]


def test_the_client_example_runs(url: str) -> None:
    code = BLOCKS[1].replace("http://127.0.0.1:8474", url)
    assert code != BLOCKS[1]
    exec(compile(code, "docs/proxy.md", "exec"), {})
    proxies = httpx.get(f"{url}/proxies").json()
    assert proxies["redis"]["toxics"] == []  # the example's toxics are gone
    assert proxies["redis"]["enabled"] is True
