"""The token count of a context: from usage where a response measured it, estimated after."""

from __future__ import annotations

from sesslog import Session
from sesslog.format import entries as E
from sesslog.store import context_tokens


def _usage(total_in: int, out: int) -> E.Usage:
    return E.Usage(input=total_in, output=out, total_tokens=total_in + out, cost=E.Cost())


def test_estimated_without_usage() -> None:
    s = Session.in_memory()
    s.append_user_message("x" * 41)
    counted = context_tokens(s)
    assert (counted.tokens, counted.method, counted.from_usage) == (11, "estimate", 0)


def test_last_usage_plus_estimate_of_what_follows() -> None:
    s = Session.in_memory()
    s.append_user_message("x" * 400)
    s.append_assistant_message("y" * 40, provider="p", model="m", usage=_usage(1000, 50))
    assert (context_tokens(s).tokens, context_tokens(s).method) == (1050, "usage")
    s.append_user_message("z" * 80)
    counted = context_tokens(s)
    assert (counted.tokens, counted.from_usage, counted.estimated) == (1070, 1050, 20)
    assert counted.method == "usage+estimate"
    errored = s.append_assistant_message(
        "", provider="p", model="m", usage=_usage(5, 0), stop_reason="error"
    )
    assert context_tokens(s).from_usage == 1050
    assert context_tokens(s, errored.id).messages == 4


def test_usage_from_before_a_compaction_is_not_used() -> None:
    s = Session.in_memory(clock=iter(range(1_000_000, 2_000_000, 1000)).__next__)
    s.append_user_message("a" * 40)
    big = s.append_assistant_message("b", provider="p", model="m", usage=_usage(90_000, 10))
    s.append_user_message("c" * 40)
    s.append_compaction("summary " * 5, big.id, 90_010)
    counted = context_tokens(s)
    assert counted.method == "estimate"
    assert counted.tokens < 100
