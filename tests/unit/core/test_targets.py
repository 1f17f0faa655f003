"""Targets: globs over injection point names."""

from __future__ import annotations

import pytest

from chaoslab.faults import Target


@pytest.mark.parametrize(
    ("patterns", "name", "hit"),
    [
        (("redis.*",), "redis.GET", True),
        (("redis.*",), "redis.", True),
        (("redis.*",), "redis", False),
        (("redis.*",), "myredis.GET", False),
        (("llm.complete",), "llm.complete", True),
        (("llm.complete",), "llm.complete2", False),
        (("llm.complete",), "LLM.complete", False),
        (("pg.?",), "pg.q", True),
        (("pg.?",), "pg.qq", False),
        (("pg.[qx]",), "pg.x", True),
        (("pg.[!qx]",), "pg.x", False),
        (("*",), "anything at all", True),
        (("redis.*", "llm.*"), "llm.stream", True),
        (("redis.*", "llm.*"), "pg.query", False),
        (("http.POST */v1/chat/*",), "http.POST api.openai.com/v1/chat/completions", True),
        (("http.POST */v1/chat/*",), "http.GET api.openai.com/v1/chat/completions", False),
    ],
)
def test_glob_matching(patterns: tuple[str, ...], name: str, hit: bool) -> None:
    assert Target(*patterns).matches(name) is hit


def test_target_needs_non_empty_patterns() -> None:
    with pytest.raises(ValueError, match="at least one pattern"):
        Target()
    with pytest.raises(ValueError, match="non-empty string"):
        Target("redis.*", "")


def test_of_and_str() -> None:
    target = Target("a.*", "b")
    assert Target.of(target) is target
    assert Target.of("a.*") == Target("a.*")
    assert str(target) == "a.*, b"
    assert target == Target("a.*", "b")
    assert hash(target) == hash(Target("a.*", "b"))
