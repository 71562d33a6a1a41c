"""Every peer of `bench/run.py` serves the bench workload, so a run never fails on an app.

The ssegen peer is built from bench/specs exactly as `bench/run.py` builds it;
each app is then served by a real uvicorn in its own process and read for a
few events, the same bytes on the wire as far as each peer's framing goes.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bench.cli import build_ssegen_peer
from bench.peers import PEERS, Peer
from tests.support.server import serve_in_process

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def built() -> None:
    build_ssegen_peer()


@pytest.mark.parametrize("peer", PEERS, ids=[peer.key for peer in PEERS])
def test_each_peer_serves_the_workload(peer: Peer) -> None:
    with serve_in_process(peer.target, cwd=ROOT) as url:
        for path in ("/stream?n=3", "/paced?n=3&gap=0"):
            reply = httpx.get(f"{url}{path}", timeout=20)
            assert reply.status_code == 200
            data = [line for line in reply.text.splitlines() if line.startswith("data:")]
            assert len(data) == 3 and '"index":2' in data[-1].replace(" ", "")
            if peer.sends_event_and_id:
                assert "id: 3" in reply.text or "id:3" in reply.text
