"""A failed write or sync (ENOSPC, EIO) is final, loses nothing acknowledged, leaves a readable file."""

from __future__ import annotations

import errno
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sesslog import AutosaveConfig, Session, WriterFailedError
from sesslog.format.codec import decode_object
from sesslog.format.diagnostics import Reason

NewSession = Callable[..., Session]

CASES = [
    pytest.param(mode, op, code, id=f"{mode}-{op}-{errno.errorcode[code]}")
    for mode in ("strict", "balanced", "throughput")
    for op in ("write", "sync")
    for code in (errno.ENOSPC, errno.EIO)
]


def durable_start(session: Session) -> list[str]:
    """Append three entries and make them durable; return their ids."""
    ids = [session.append_custom("durable", {"n": n}).id for n in range(3)]
    session.flush(sync=True)
    return ids


def fail_next_appends(session: Session) -> tuple[WriterFailedError, list[str]]:
    """Append two entries and flush: one of these raises; return the error and the ids."""
    ids = []
    with pytest.raises(WriterFailedError) as info:
        for n in range(2):
            ids.append(session.append_custom("doomed", {"n": n}).id)
        session.flush(sync=True)
    return info.value, ids


@pytest.mark.parametrize(("mode", "op", "code"), CASES)
def test_failure_is_final_and_keeps_what_is_not_durable(
    new_session: NewSession, kit: Any, mode: str, op: str, code: int
) -> None:
    ops = kit.FaultyOps()
    session = new_session(AutosaveConfig.for_mode(mode, max_delay=3600), ops)
    durable = durable_start(session)
    ops.fail[op] = code
    error, doomed = fail_next_appends(session)
    assert isinstance(error.cause, OSError) and error.cause.errno == code
    assert str(session.path) in str(error)
    if mode == "strict":
        assert len(doomed) == 0  # the first append reported the failure itself
        doomed = [session.tree.entries[-1].id]
    # nothing acknowledged is lost from memory: every entry is still in the session, and the
    # ones not known durable are listed, by the session and on the error
    assert [rec.id for rec in session.tree] == durable + doomed
    assert [rec.id for rec in session.pending_entries()] == doomed
    assert [decode_object(line)["id"] for line in error.pending] == doomed
    syncs = ops.count("sync")
    # final: no retry and carry on
    with pytest.raises(WriterFailedError) as again:
        session.append_custom("later")
    assert again.value.cause is error.cause
    assert [rec.id for rec in session.tree] == durable + doomed
    with pytest.raises(WriterFailedError):
        session.flush()
    with pytest.raises(WriterFailedError):
        session.close()  # reports the loss, and releases the file all the same
    assert ops.count("sync") == syncs
    assert session.metrics is not None and session.metrics.last_error is not None
    # the file stays readable and holds at least everything durable
    data = kit.read(session.path)
    on_disk = [rec.id for rec in data.records]
    assert on_disk[: len(durable)] == durable
    assert set(on_disk) <= set(durable + doomed)
    assert data.diagnostics.ok
    # another writer can take over
    reopened = Session.open(session.path)
    reopened.append_custom("next writer")
    reopened.close()
    assert kit.ids(session.path)[:3] == durable


def test_a_write_cut_short_by_enospc_leaves_a_tail_the_next_writer_repairs(
    new_session: NewSession, kit: Any, tmp_path: Path
) -> None:
    ops = kit.FaultyOps()
    session = new_session("strict", ops)
    durable = durable_start(session)
    ops.short = 25
    ops.fail["write"] = errno.ENOSPC
    with pytest.raises(WriterFailedError):
        session.append_custom("half written")
    data = kit.read(session.path)
    assert [rec.id for rec in data.records] == durable
    assert [d.reason for d in data.diagnostics.diagnostics] == [Reason.TORN_TAIL.value]
    with pytest.raises(WriterFailedError):
        session.close()
    reopened = Session.open(session.path)
    rec = reopened.append_custom("after repair")
    reopened.close()
    side_files = [p for p in session.path.parent.iterdir() if ".torn-at-" in p.name]
    assert len(side_files) == 1 and len(side_files[0].read_bytes()) == 25
    data = kit.read(session.path)
    assert [r.id for r in data.records] == [*durable, rec.id]
    assert data.diagnostics.ok
