"""Programs for the supervisor tests: a supervisor of small children, and the child itself.

``python -m tests.foundation.supervised supervise PLAN.json`` runs
:class:`gateway.supervisor.Supervisor` over the children the plan lists, as ``gateway serve``
does but without the gateway's roles (fast to start). ``... child BEHAVIOUR RECORD`` is one
child: it does what a role's process does with its supervisor (dies with it, says when it
is ready, stops on SIGTERM) and writes its name to RECORD when it stops.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path


def child(behaviour: str, record: str) -> int:
    from gateway.supervisor.child import die_with_parent, report_ready, supervised

    me = supervised()
    assert me is not None
    die_with_parent(me.supervisor_pid)
    if behaviour.startswith("exit:"):
        return int(behaviour.partition(":")[2])
    stopping: list[int] = []
    if behaviour != "deaf":
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    else:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if behaviour.startswith("chatty:"):  # long JSON lines, each in one write, to race the others
        size = int(behaviour.partition(":")[2])
        for n in range(20):
            line = json.dumps({"event": "chatter", "n": n, "pad": me.name * (size // len(me.name))})
            os.write(2, line.encode() + b"\n")
        os.write(2, b"an unfinished line without its newline")
    report_ready(me.ready_fd)
    while not stopping:
        time.sleep(0.02)
    with open(record, "a") as handle:
        handle.write(f"{me.name}\n")
    return 0


def supervise(plan_file: str) -> int:
    from gateway.logs import configure_logging
    from gateway.supervisor import ChildSpec, RestartPolicy, StatusBoard, Supervisor

    plan = json.loads(Path(plan_file).read_text())
    configure_logging("INFO", "json")
    specs = [
        ChildSpec(name, role, (sys.executable, "-m", "tests.foundation.supervised", "child", behaviour, plan["record"]))
        for name, role, behaviour in plan["children"]
    ]
    supervisor = Supervisor(
        specs, RestartPolicy(**plan["policy"]), env=os.environ, status=StatusBoard(Path(plan["status"]))
    )
    return supervisor.run()


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    sys.exit({"child": child, "supervise": supervise}[command](*args))
