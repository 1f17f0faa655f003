"""The clients' shared core: replies mapped to the embedded form's errors, calls built right."""

from __future__ import annotations

import httpx
import pytest

from chaoslab.errors import ConfigError, ProxyError
from chaoslab.proxy import ProxyExists, ProxyNotFound, ToxicExists, ToxicNotFound
from chaoslab.proxy import _client_core as core


def reply(status: int, body: str) -> httpx.Response:
    return httpx.Response(status, text=body, request=httpx.Request("GET", "http://x/"))


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (404, '{"error": "proxy not found", "status": 404}', ProxyNotFound),
        (404, '{"error": "toxic not found", "status": 404}', ToxicNotFound),
        (409, '{"error": "proxy already exists", "status": 409}', ProxyExists),
        (409, '{"error": "toxic already exists", "status": 409}', ToxicExists),
        (400, '{"error": "attributes.latency: bad", "status": 400}', ConfigError),
        (500, '{"error": "listen tcp: boom", "status": 500}', ProxyError),
        (503, "<html>Timeout</html>", ProxyError),
        (404, "404 page not found\n", ProxyError),
        (405, "", ProxyError),
    ],
)
def test_error_replies_raise_the_embedded_errors(
    status: int, body: str, error: type[Exception]
) -> None:
    with pytest.raises(error) as caught:
        core.check_reply(reply(status, body))
    assert str(caught.value)
    if not body.startswith("{"):
        # Not an API error body: never mistaken for a missing proxy or toxic.
        assert type(caught.value) is ProxyError
        assert f"HTTP {status}" in str(caught.value)


@pytest.mark.parametrize(
    ("call", "body"),
    [
        (core.list_call(), "<html>welcome</html>"),
        (core.list_call(), "[1, 2]"),
        (core.get_call("p"), '{"name": "p"}'),
        (core.toxics_call("p"), '{"a": 1}'),
        (core.events_call(), "[]"),
    ],
)
def test_a_2xx_that_is_not_the_apis_json_is_a_proxy_error(
    call: core.Call[object], body: str
) -> None:
    with pytest.raises(ProxyError, match=r"not a proxy API reply from http://x/ \(HTTP 200"):
        call.read(reply(200, body))


def test_reading_keeps_the_api_errors() -> None:
    with pytest.raises(ProxyNotFound):
        core.get_call("p").read(reply(404, '{"error": "proxy not found", "status": 404}'))
    with pytest.raises(ConfigError):
        core.get_call("p").read(reply(400, '{"error": "bad", "status": 400}'))


def test_a_400_keeps_the_servers_message() -> None:
    with pytest.raises(ConfigError) as caught:
        core.check_reply(reply(400, '{"error": "attributes.latency: bad", "status": 400}'))
    assert caught.value.problems == (("", "attributes.latency: bad"),)


def test_names_are_escaped_in_paths() -> None:
    assert core.get_call("a/b c").path == "/proxies/a%2Fb%20c"
    assert core.remove_toxic_call("p", "t/1").path == "/proxies/p/toxics/t%2F1"


def test_updates_send_only_the_given_fields() -> None:
    call = core.update_call("p", listen=None, upstream="127.0.0.1:1", enabled=None)
    assert (call.method, call.body) == ("PATCH", {"upstream": "127.0.0.1:1"})
    toxic = core.update_toxic_call("p", "t", toxicity=0.5, attributes=None)
    assert toxic.body == {"toxicity": 0.5}


def test_version_reads_json_or_text() -> None:
    assert core.version_call().parse(reply(200, '{"version": "v2.12.0"}\n')) == "v2.12.0"
    assert core.version_call().parse(reply(200, "2.5.0")) == "2.5.0"


def test_proxy_info_parses_ipv6_listen() -> None:
    info = core.ProxyInfo.from_dict(
        {"name": "p", "listen": "[::1]:8080", "upstream": "x:1", "enabled": True, "toxics": None}
    )
    assert (info.host, info.port, info.toxics) == ("::1", 8080, ())


def test_remote_proxies_mirror_the_embedded_shortcuts() -> None:
    import inspect

    from chaoslab.proxy._client_proxy import AsyncRemoteProxy, RemoteProxy
    from chaoslab.proxy._sugar import ToxicShortcuts

    shortcuts = [  # inherited ones too, should the embedded shortcuts move to a base class
        name for name, fn in inspect.getmembers(ToxicShortcuts)
        if callable(fn) and not name.startswith("_")
    ]  # fmt: skip
    assert {"latency", "down", "apply", "http_status"} <= set(shortcuts)
    for cls in (RemoteProxy, AsyncRemoteProxy):
        for name in shortcuts:
            embedded = inspect.signature(getattr(ToxicShortcuts, name))
            remote = inspect.signature(getattr(cls, name))
            assert list(remote.parameters) == list(embedded.parameters), (cls, name)
            for param in embedded.parameters.values():
                assert remote.parameters[param.name].default == param.default, (cls, name, param)
