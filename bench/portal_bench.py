"""Benchmark of the provider portal: sending through the browser, the response appearing, pages.

Starts the SFTP server, one worker and the portal (tests.portal.conftest.running_installation,
the role builders of ``gateway serve``), logs one provider in (password and TOTP), then sends
``--files`` request files one after the other through the sending form and prints, median and
95th percentile: the form's answer (file received, registered and durable), and from sending
until the file is ANSWERED (what the page's script waits for); then the latency of the files
list and of a file's page. Asserts nothing.

Run from the project root: ``.venv/bin/python -m bench.portal_bench [--files 50] [--database URL]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.identifiers import make_provider_code
from gateway.store.models.exchange import RequestFile
from tests.portal.conftest import kine_request, running_installation, send


def _p(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms (n={len(ordered)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--database", default="", help="SQLAlchemy URL (default: SQLite in a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        url = args.database or f"sqlite:///{root / 'bench.db'}"
        with running_installation(root, url) as site:
            code = make_provider_code("45", 9001)
            site.add_provider(code)
            with site.client() as browser:
                site.log_in(browser, code)
                received, answered, ids = [], [], []
                for sequence in range(1, args.files + 1):
                    name, data = kine_request(code, sequence)
                    started = time.perf_counter()
                    answer = send(browser, name, data)
                    received.append(time.perf_counter() - started)
                    file_id = int(answer.headers["location"].split("/")[2].split("?")[0])
                    ids.append(file_id)
                    while True:
                        with site.sessions() as session:
                            if session.get(RequestFile, file_id).state == "ANSWERED":
                                break
                        time.sleep(0.005)
                    answered.append(time.perf_counter() - started)
                pages = {"/files": [], f"/files/{ids[-1]}": []}
                for path, times in pages.items():
                    for _ in range(50):
                        started = time.perf_counter()
                        assert browser.get(path).status_code == 200
                        times.append(time.perf_counter() - started)
    print(f"database: {url.split(':')[0]}")
    print(f"send form answered (received, durable, registered): {_p(received)}")
    print(f"send until ANSWERED:                              {_p(answered)}")
    for path, times in pages.items():
        print(f"GET {path:<10} with {args.files} files:             {_p(times)}")


if __name__ == "__main__":
    main()
