"""The generated clients' types bite: a consumer must handle every event its stream yields.

Each stream's method returns an `EventStream` of the union of its event
classes (without its error event, which is raised), so `match` with
`assert_never` is checked by mypy: leaving an event out is a type error.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.support.generated import REPO, type_check

CONSUMER = """
    from typing import assert_never

    from ssegen.client import Missed

    from generated.jobs import CompletedEvent, LogEvent, ProgressEvent
    from generated.jobs.client import JobEventsFailed, JobsClient
    from generated.notifications import AccountClosedEvent, NotificationEvent, ReadEvent
    from generated.notifications.client import NotificationsClient


    async def jobs(client: JobsClient) -> int:
        percent = 0
        try:
            async for event in client.job_events(job_id="1", verbose=True):
                match event:
                    case ProgressEvent():
                        percent = event.data.percent
                    case LogEvent():
                        print(event.data)
                    {completed}
                    case _:
                        assert_never(event)
        except JobEventsFailed as failed:
            print(failed.event.data)
        return percent


    async def notifications(client: NotificationsClient) -> None:
        stream = client.user_notifications(user_id=7)
        async for event in stream:
            match event:
                case NotificationEvent():
                    print(event.data.title)
                case ReadEvent():
                    print(event.data.ids)
                case AccountClosedEvent():
                    print("closed", stream.last_event_id)
                case Missed():
                    print("refetch after", event.last_event_id)
                case _:
                    assert_never(event)
"""


def _check(tmp_path: Path, completed: str) -> tuple[int, str]:
    probe = REPO / "examples" / f"_client_probe_{tmp_path.name}.py"
    probe.write_text(textwrap.dedent(CONSUMER).replace("{completed}", completed))
    try:
        result = type_check([str(probe.relative_to(REPO))], [REPO])
    finally:
        probe.unlink()
    return result.returncode, result.stdout + result.stderr


def test_a_consumer_that_handles_every_event_type_checks(tmp_path: Path) -> None:
    code, out = _check(
        tmp_path, "case CompletedEvent():\n                        print(event.data.result_url)"
    )
    assert code == 0, out


def test_a_consumer_missing_one_event_fails_to_type_check(tmp_path: Path) -> None:
    code, out = _check(tmp_path, "")
    assert code == 1, out
    assert 'Argument 1 to "assert_never" has incompatible type "CompletedEvent"' in out, out
