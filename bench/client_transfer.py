"""Client transfer speed against the gateway's own SFTP server on 127.0.0.1 (prints figures).

    .venv/bin/python -m bench.client_transfer [--sizes 1,10,50] [--files 20]

Pushes one file of each size (MiB) and then ``--files`` small files in one session, through
the same code as ``gateway client push`` (.part upload, posix-rename, durable close on the
server), and prints the throughput. Not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from gateway.client.connection import Retrying, open_connection
from gateway.client.push import push_files
from gateway.logs import configure_logging
from gateway.store import schema
from gateway.store.db import make_engine, make_session_factory
from tests.client.live import CODE, start_gateway
from tests.conftest import REPO, Project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,50", help="file sizes in MiB, comma-separated")
    parser.add_argument("--files", type=int, default=20, help="number of small (10 KiB) files")
    args = parser.parse_args()
    configure_logging("WARNING", "console")
    root = Path(tempfile.mkdtemp(prefix="bench-client-"))
    try:
        shutil.copytree(REPO / "schemas", root / "schemas")
        url = f"sqlite:///{root / 'var' / 'gateway.db'}"
        config = root / "config.toml"
        config.write_text(f'[database]\nurl = "{url}"\n[demo]\nenabled = false\n[log]\nlevel = "WARNING"\n')
        engine = make_engine(url)
        schema.upgrade(engine)
        gateway = start_gateway(Project(root, config, url), engine, make_session_factory(engine), root)
        gateway.trust()
        endpoint = gateway.endpoint()
        try:
            for size in (int(s) for s in args.sizes.split(",")):
                path = root / f"KINE_FACT_{CODE}_20261115093000_{size:06d}.xml"
                path.write_bytes(os.urandom(size << 20))
                with Retrying(lambda: open_connection(endpoint), attempts=1) as retrying:
                    retrying.connection()  # connect outside the timing
                    start = time.perf_counter()
                    push_files([path], retrying)
                    elapsed = time.perf_counter() - start
                print(f"push {size:>4} MiB: {elapsed:6.2f} s  {size / elapsed:7.1f} MiB/s")
            small = []
            for i in range(args.files):
                path = root / "small" / f"KINE_FACT_{CODE}_20261116093000_{i + 1:06d}.xml"
                path.parent.mkdir(exist_ok=True)
                path.write_bytes(os.urandom(10 << 10))
                small.append(path)
            with Retrying(lambda: open_connection(endpoint), attempts=1) as retrying:
                retrying.connection()
                start = time.perf_counter()
                push_files(small, retrying)
                elapsed = time.perf_counter() - start
            print(f"push {args.files} files of 10 KiB: {elapsed:6.2f} s  {args.files / elapsed:7.1f} files/s")
        finally:
            gateway.stop()
            engine.dispose()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
