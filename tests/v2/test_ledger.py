"""The migration ledger records every change, outlives rollbacks, and locks out a second
process."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from sesslog.errors import SidecarBusyError
from sesslog.projections.ledger import LedgerLock
from sesslog.v2 import (
    SidecarPaths,
    migrate_jsonl_to_v2,
    read_ledger,
    recover_partial_migration,
    restore_jsonl_from_v2,
    rollback_v2_sidecar,
)


def test_every_change_is_recorded_and_the_ledger_outlives_rollbacks(branchy: Path) -> None:
    ledger = SidecarPaths(branchy).ledger
    first = migrate_jsonl_to_v2(branchy)
    line = b'{"type":"custom","id":"zz1","parentId":null,"timestamp":"t","customType":"x"}\n'
    with branchy.open("ab") as handle:
        handle.write(line)
    migrate_jsonl_to_v2(branchy)
    rollback_v2_sidecar(branchy)
    assert ledger.exists()
    second = migrate_jsonl_to_v2(branchy)
    data = branchy.read_bytes()
    branchy.unlink()
    restore_jsonl_from_v2(branchy)
    assert branchy.read_bytes() == data
    SidecarPaths(branchy).temp("0000").mkdir()
    recover_partial_migration(branchy)
    records = read_ledger(ledger)
    assert [r.op for r in records] == [
        "migrate",
        "catch_up",
        "rollback",
        "migrate",
        "restore",
        "recover",
    ]
    assert records[0].migration_id == first.migration_id
    assert records[1].generation == 1 and records[1].source_size == first.covered + len(line)
    assert records[2].migration_id == first.migration_id
    assert records[3].migration_id == second.migration_id != first.migration_id
    assert "tmp-0000" in str(records[5].detail)


def test_a_torn_ledger_line_is_skipped_and_never_glued(branchy: Path) -> None:
    ledger = SidecarPaths(branchy).ledger
    migrate_jsonl_to_v2(branchy)
    with ledger.open("ab") as handle:
        handle.write(b'{"time":"2026-01-01T00:00:00.000Z","op":"mig')
    rollback_v2_sidecar(branchy)
    assert [r.op for r in read_ledger(ledger)] == ["migrate", "rollback"]
    assert ledger.read_bytes().count(b"\n") == 3


def test_a_second_process_is_locked_out(branchy: Path) -> None:
    ledger = SidecarPaths(branchy).ledger
    with LedgerLock(ledger):
        for change in (migrate_jsonl_to_v2, rollback_v2_sidecar, recover_partial_migration):
            with pytest.raises(SidecarBusyError, match="another process"):
                change(branchy)
    holder = LedgerLock(ledger)
    release = threading.Timer(0.2, holder.close)
    release.start()
    started = time.monotonic()
    result = migrate_jsonl_to_v2(branchy, wait=10)
    assert result.action == "migrated" and time.monotonic() - started >= 0.1
    release.join()
