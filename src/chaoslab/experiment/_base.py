"""The frozen pydantic base of every experiment model, and error paths.

Errors are reported the way a user reads the file: `method[2].provider.
arguments.rate: must be a number`, all of them at once, as one
`ConfigError`. Unknown keys are reported with the keys allowed there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

__all__ = ["Frozen", "join_path", "problems_from"]

Loc = Sequence[int | str]


class Frozen(BaseModel):
    """Immutable, typo-intolerant: an unknown key is an error naming the allowed keys."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="wrap")
    @classmethod
    def _unknown_keys(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if not isinstance(data, dict) or cls.model_config.get("extra") != "forbid":
            return handler(data)
        allowed = {f.alias or name for name, f in cls.model_fields.items()}
        unknown = [k for k in data if k not in allowed]
        if not unknown:
            return handler(data)
        errors = [
            InitErrorDetails(
                type=PydanticCustomError(
                    "unknown_key",
                    "unknown key; allowed here: {allowed}",
                    {"allowed": ", ".join(sorted(allowed))},
                ),
                loc=(str(key),),
                input=data[key],
            )
            for key in unknown
        ]
        # Validate the rest anyway, so that every problem is reported at once.
        try:
            handler({k: v for k, v in data.items() if k in allowed})
        except ValidationError as exc:
            errors.extend(_reraisable(exc))
        raise ValidationError.from_exception_data(cls.__name__, errors)


def _reraisable(exc: ValidationError) -> list[InitErrorDetails]:
    # Errors of nested models may carry our custom types, which
    # from_exception_data cannot look up by name: re-wrap them all.
    return [
        InitErrorDetails(
            type=PydanticCustomError(str(e["type"]), "{m}", {"m": e["msg"]}),
            loc=tuple(e["loc"]),
            input=e.get("input"),
        )
        for e in exc.errors()
    ]


def join_path(prefix: str, loc: Loc) -> str:
    """`join_path("method", [2, "provider"])` → `"method[2].provider"`."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{part}" if out else str(part)
    return out


def _has(node: Any, part: int | str) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _user_loc(raw: Any, loc: Loc) -> list[int | str]:
    """Drop the tags pydantic adds for unions, keeping the document's own keys."""
    out: list[int | str] = []
    node = raw
    last = len(loc) - 1
    for i, part in enumerate(loc):
        if _has(node, part):
            out.append(part)
            node = node[part]
        elif i == last and isinstance(node, dict):
            # A missing key ends the path; anything else not in the document
            # is a union tag pydantic inserted (`python`, `function-after[...]`).
            out.append(part)
    return out


_MESSAGES = {
    "missing": "required",
    "bool_type": "must be true or false",
    "dict_type": "must be a mapping",
    "list_type": "must be a list",
    "string_type": "must be a string",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
}


def problems_from(exc: ValidationError, raw: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Turn a pydantic error into (path, message) pairs in the document's terms."""
    problems: list[tuple[str, str]] = []
    for err in exc.errors(include_url=False):
        path = join_path(prefix, _user_loc(raw, err["loc"]))
        if any(known == path for known, _ in problems):
            continue  # the other branches of a union say the same thing again
        message = _message(err)
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        given = err.get("input")
        if err["type"] not in ("missing", "unknown_key") and _short(given):
            message = f"{message} (got {given!r})"
        problems.append((path, message))
    return problems


def _message(err: Any) -> str:
    if err["type"] == "union_tag_invalid":
        ctx = err.get("ctx", {})
        return (
            f"unknown {str(ctx.get('discriminator', 'type')).strip(chr(39))} {ctx.get('tag')!r}; "
            f"allowed: {str(ctx.get('expected_tags', '')).replace(chr(39), '')}"
        )
    return _MESSAGES.get(str(err["type"]), str(err["msg"]))


def _short(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) and len(repr(value)) <= 60
