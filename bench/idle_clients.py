"""Hold many idle SSE connections open; run as its own process.

    python bench/idle_clients.py PORT TARGET COUNT

Opens COUNT connections, waits until each has received its first event, prints `ready COUNT`
and then holds them until killed. The harness kills this process with SIGKILL: the kernel then
closes every socket at the same moment, which is the "1,000 clients dropped at once" case.
"""

from __future__ import annotations

import asyncio
import resource
import sys

# Connections opened at the same time; beyond this, uvicorn's accept backlog is the limit, not us.
CONCURRENT_OPENS = 100


def raise_open_files_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(needed, hard), hard))


async def open_idle(port: int, target: str, gate: asyncio.Semaphore) -> asyncio.StreamWriter:
    async with gate:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        request = (
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n"
        )
        writer.write(request.encode())
        await reader.readuntil(b"\r\n\r\n")  # the response head
        await reader.readuntil(b"\n\n")  # the first event: the handler is now parked
        return writer


async def hold(port: int, target: str, count: int) -> None:
    gate = asyncio.Semaphore(CONCURRENT_OPENS)
    writers = await asyncio.gather(*(open_idle(port, target, gate) for _ in range(count)))
    print(f"ready {len(writers)}", flush=True)
    await asyncio.Event().wait()


def main(argv: list[str]) -> int:
    port, target, count = int(argv[0]), argv[1], int(argv[2])
    raise_open_files_limit(count + 100)
    asyncio.run(hold(port, target, count))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
