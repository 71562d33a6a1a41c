"""The tables and goal checks printed at the end of a run."""

from __future__ import annotations

from collections.abc import Iterator

from bench import paced_report
from bench.peers import FASTAPI_NATIVE, RAW_ASGI, SSEGEN
from bench.results import PeerResult, Run
from bench.servers import CLIENT_CPU, SERVER_CPU, pinning_available

THROUGHPUT_GOAL = 10.0  # ssegen vs FastAPI native


def header(run: Run) -> Iterator[str]:
    pinning = (
        f"server on CPU {SERVER_CPU}, clients on CPU {CLIENT_CPU}"
        if pinning_available()
        else "no CPU pinning (taskset or a second CPU missing)"
    )
    if run.paced_only:
        yield f"paced workloads only, median of {run.runs} run(s)"
    else:
        yield (
            f"{run.events:,} events per stream, median of {run.runs} run(s); "
            f"{run.connection_count:,} idle connections"
        )
    yield f"uvicorn --loop {run.settings.loop} --http {run.settings.http}; {pinning}"


def throughput_table(run: Run) -> Iterator[str]:
    if run.paced_only:
        return
    base = run.result(SSEGEN)
    base_rate = base.throughput.median if base and base.throughput else None
    yield ""
    yield f"{'peer':<15}{'frame':<15}{'events/s':>12}{'vs ssegen':>11}"
    for result in run.peers:
        throughput = result.throughput
        if throughput is None:
            yield f"{result.peer.key:<15}{result.peer.frame:<15}{'failed':>12}"
            continue
        ratio = f"{throughput.median / base_rate:.2f}x" if base_rate else "n/a"
        yield (
            f"{result.peer.key:<15}{result.peer.frame:<15}{throughput.median:>12,.0f}{ratio:>11}"
        )
    if run.ceiling is not None:
        yield (
            f"reader ceiling (raw ASGI, 1,000 events per send): {run.ceiling.median:,.0f} events/s"
        )


def connections_table(run: Run) -> Iterator[str]:
    measured = [result for result in run.peers if result.connections is not None]
    if not measured:
        return
    yield ""
    yield (
        f"{'peer':<15}{'KiB/idle conn':>14}{'finally <= 1 s':>16}{'finally <= 3 s':>16}"
        f"{'last finally':>14}"
    )
    for result in measured:
        c = result.connections
        assert c is not None
        last = (
            "none" if c.last_cleanup_seconds is None else f"{c.last_cleanup_seconds * 1000:.0f} ms"
        )
        yield (
            f"{result.peer.key:<15}{c.kib_per_connection:>14.1f}"
            f"{f'{c.cleaned_within_window}/{c.count}':>16}"
            f"{f'{c.cleaned_within_late_window}/{c.count}':>16}{last:>14}"
        )


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def burst_goals(run: Run) -> Iterator[str]:
    base = run.result(SSEGEN)
    if base is None:
        return
    natives = [r for key in FASTAPI_NATIVE if (r := run.result(key)) is not None]
    if base.throughput is not None:
        rate = base.throughput.median
        timed = [(r.peer.key, rate / r.throughput.median) for r in natives if r.throughput]
        if timed:
            passed = all(ratio >= THROUGHPUT_GOAL for _, ratio in timed)
            detail = ", ".join(f"{key} {ratio:.1f}x" for key, ratio in timed)
            yield f"{verdict(passed)}  throughput >= {THROUGHPUT_GOAL:.0f}x FastAPI native: {detail}"
        raw = run.result(RAW_ASGI)
        if raw is not None and raw.throughput is not None:
            ratio = rate / raw.throughput.median
            yield f"{verdict(ratio >= 1.0)}  throughput >= raw ASGI: {ratio:.2f}x"
    if base.connections is not None:
        mine = base.connections.kib_per_connection
        sized = [(r.peer.key, r.connections.kib_per_connection) for r in natives if r.connections]
        if sized:
            passed = all(mine < theirs for _, theirs in sized)
            detail = ", ".join(f"{key} {theirs:.1f}" for key, theirs in sized)
            yield (
                f"{verdict(passed)}  memory per idle connection below FastAPI native: "
                f"{mine:.1f} KiB vs {detail}"
            )
        cleaned, count = base.connections.cleaned_within_window, base.connections.count
        yield f"{verdict(cleaned == count)}  prompt cleanup: {cleaned}/{count} within 1 s"


def goals(run: Run) -> Iterator[str]:
    lines = [*burst_goals(run), *paced_report.goals(run)]
    if lines:
        yield ""
        yield from lines


def errors(run: Run) -> Iterator[str]:
    failed: list[PeerResult] = [result for result in run.peers if result.errors]
    if failed:
        yield ""
    for result in failed:
        for error in result.errors:
            yield f"{result.peer.key}: {error}"


def render(run: Run) -> str:
    sections = (header, throughput_table, connections_table, paced_report.tables, goals, errors)
    return "\n".join(line for section in sections for line in section(run))
