"""A listing's sessions are decoded only when read, and give their JSON without decoding."""

from __future__ import annotations

import msgspec

from sesslog.catalog.types import SessionInfo, SessionList


def _infos() -> list[SessionInfo]:
    return [
        SessionInfo(id=f"s{n}", path=f"/p/s{n}.jsonl", key=f"k/s{n}.jsonl", entries=n)
        for n in range(4)
    ]


def test_rows_and_objects_read_alike() -> None:
    infos = _infos()
    from_rows = SessionList(rows=[msgspec.json.encode(i) for i in infos])
    from_objects = SessionList(infos=infos)
    for listed in (from_rows, from_objects):
        assert len(listed) == 4
        assert listed[2] == infos[2] and listed[-1] == infos[-1]
        assert listed[1:3] == infos[1:3]
        assert list(listed) == infos and listed == infos
        assert msgspec.json.decode(listed.json(), type=list[SessionInfo]) == infos
    assert from_rows == from_objects
    assert SessionList(rows=[]) == [] and SessionList(rows=[]).json() == b"[]"
    assert SessionList(infos=infos) != infos[:2]
