"""A process that appends to a session until it is killed (driven by ``test_sigkill.py``).

Usage: ``crash_child.py FILE MODE TAG ACKFILE SEED``

Entry ``n`` gets the id ``TAG-n`` and the leaf as parent. After opening for append (which
repairs a torn tail) it prints ``ready``. It writes to ACKFILE, which outlives it, ``a ID``
once a strict append of ID returned, and ``f ID`` once a flush after ID returned.
"""

from __future__ import annotations

import os
import random
import sys
import time

from sesslog import AutosaveConfig, Session

#: Entry payload sizes: mostly small, some large enough that a kill can land inside a write.
SIZES = (40, 300, 1000, 1000, 4000, 70_000)
LIMIT = 5000


def main() -> None:
    path, mode, tag, ack_path, seed = sys.argv[1:6]
    rng = random.Random(int(seed))
    ack = os.open(ack_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    config = AutosaveConfig.for_mode(mode, max_delay=0.002, sync_interval=0.01)
    session = Session.open(path, durability=config)
    session.handle.open_writer()
    print("ready", flush=True)
    for n in range(LIMIT):
        entry_id = f"{tag}-{n}"
        entry = {
            "type": "custom",
            "id": entry_id,
            "parentId": session.leaf_id,
            "timestamp": "2026-01-05T10:00:00.000Z",
            "customType": "crash",
            "data": "x" * rng.choice(SIZES),
        }
        session.append_entry(entry)
        if mode == "strict":
            os.write(ack, f"a {entry_id}\n".encode())
        elif n % 40 == 39:
            session.flush()
            os.write(ack, f"f {entry_id}\n".encode())
    session.flush()
    print("done", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    main()
