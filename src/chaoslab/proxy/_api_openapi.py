"""The OpenAPI 3.1 document of the proxy API, built from its route table and models.

Example:
    >>> from chaoslab.proxy._api import openapi_document
    >>> doc = openapi_document()
    >>> doc["openapi"], "/proxies/{proxy}/toxics" in doc["paths"]
    ('3.1.0', True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from chaoslab.proxy._api_models import ProxyCreateBody

if TYPE_CHECKING:
    from chaoslab.proxy._api import Route

__all__ = ["build_openapi"]

_REF = "#/components/schemas/{model}"
_PARAMS = {
    "proxy": "Name of the proxy.",
    "toxic": "Name of the toxic.",
}
_QUERY = {
    "/events": [
        ("kind", "Only events whose kind starts with this prefix, e.g. proxy.toxic"),
        ("since", "Only events at or after this clock time (seconds)"),
    ]
}


def _schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template=_REF)
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    return {"$ref": _REF.format(model=model.__name__)}


def _operation(route: Route, components: dict[str, Any]) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "string"}, "description": d}
        for p, d in _PARAMS.items()
        if "{" + p + "}" in route.path
    ]
    params += [
        {
            "name": q,
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "description": d,
        }
        for q, d in _QUERY.get(route.path, [])
    ]
    op: dict[str, Any] = {
        "summary": route.summary,
        "operationId": f"{route.method.lower()}_{route.handler.__name__.strip('_')}",
        "responses": {},
    }
    if params:
        op["parameters"] = params
    if route.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _schema(route.body, components)}},
        }
    for status, model in route.replies.items():
        reply: dict[str, Any] = {"description": _DESCRIPTIONS.get(status, "reply")}
        if model is not None:
            reply["content"] = {"application/json": {"schema": _schema(model, components)}}
        elif status != 204:
            reply["content"] = {"application/json": {"schema": {}}}
        op["responses"][str(status)] = reply
    return op


_DESCRIPTIONS = {
    200: "OK",
    201: "Created",
    204: "Done, no body",
    400: "Bad request: the error names the field",
    404: "No such proxy or toxic",
    409: "Name already taken",
    500: "An internal error (a bug: please report it)",
}


def build_openapi(routes: Sequence[Route], *, title: str, version: str) -> dict[str, Any]:
    """Build the document: one operation per route, schemas from the pydantic models."""
    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, components)
    if "/populate" in paths:
        # The populate body is a bare array of proxies, which no single model expresses.
        item = _schema(ProxyCreateBody, components)
        paths["/populate"]["post"]["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"type": "array", "items": item}}},
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Toxiproxy-compatible API of chaoslab's TCP fault proxy.",
        },
        "paths": paths,
        "components": {"schemas": dict(sorted(components.items()))},
    }
