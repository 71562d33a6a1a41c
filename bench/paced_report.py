"""The paced workloads' tables and goal checks, printed after the burst and idle figures."""

from __future__ import annotations

from collections.abc import Iterator

from bench.paced import Paced, Workload
from bench.peers import RAW_ASGI, SSEGEN
from bench.results import Run

STREAMING = "streaming"  # the hand-written StreamingResponse
RAW_EFFICIENCY_GOAL = 0.75  # ssegen's efficiency vs raw ASGI's: raw CPU/event over ssegen's


def paced_of(run: Run, key: str, workload: Workload) -> Paced | None:
    result = run.result(key)
    return result.paced.get(workload.key) if result is not None else None


def ratio(value: float, base: float | None) -> str:
    return f"{value / base:.2f}x" if base else "n/a"


def figures(paced: Paced) -> tuple[float, float, float]:
    """CPU µs per event, events/s and peak RSS in MiB: the columns compared with ssegen."""
    return paced.cpu_us_per_event, paced.events_per_second, paced.peak_rss_kib / 1024


def table(run: Run, workload: Workload) -> Iterator[str]:
    ssegen = paced_of(run, SSEGEN, workload)
    base = figures(ssegen) if ssegen is not None else (None, None, None)
    yield ""
    yield f"paced {workload.label}; median of {run.runs} run(s)"
    yield (
        f"{'peer':<15}{'CPU µs/event':>13}{'vs ssegen':>10}{'events/s':>11}{'vs ssegen':>10}"
        f"{'peak RSS MiB':>13}{'vs ssegen':>10}{'client load':>12}"
    )
    for result in run.peers:
        paced = result.paced.get(workload.key)
        if paced is None:
            yield f"{result.peer.key:<15}{'failed':>13}"
            continue
        cpu, rate, rss = figures(paced)
        yield (
            f"{result.peer.key:<15}{cpu:>13.1f}{ratio(cpu, base[0]):>10}"
            f"{rate:>11,.0f}{ratio(rate, base[1]):>10}"
            f"{rss:>13.1f}{ratio(rss, base[2]):>10}{paced.client_load:>12.2f}"
        )


def tables(run: Run) -> Iterator[str]:
    for workload in run.workloads:
        if any(workload.key in result.paced for result in run.peers):
            yield from table(run, workload)


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def goals(run: Run) -> Iterator[str]:
    for workload in run.workloads:
        base = paced_of(run, SSEGEN, workload)
        if base is None:
            continue
        mine = base.cpu_us_per_event
        streaming = paced_of(run, STREAMING, workload)
        if streaming is not None:
            theirs = streaming.cpu_us_per_event
            yield (
                f"{verdict(mine <= theirs)}  paced ({workload.key}) CPU/event <= hand-written "
                f"StreamingResponse: ssegen {mine:.1f} µs, {STREAMING} {theirs:.1f} µs"
            )
        raw = paced_of(run, RAW_ASGI, workload)
        if raw is not None:
            efficiency = raw.cpu_us_per_event / mine
            yield (
                f"{verdict(efficiency >= RAW_EFFICIENCY_GOAL)}  paced ({workload.key}) efficiency "
                f">= {RAW_EFFICIENCY_GOAL}x raw ASGI: {efficiency:.2f}x (ssegen {mine:.1f} µs, "
                f"{RAW_ASGI} {raw.cpu_us_per_event:.1f} µs; at most "
                f"{raw.cpu_us_per_event / RAW_EFFICIENCY_GOAL:.1f} µs passes)"
            )
