"""The seeds a schedule test runs: `count` of them, or those `SSEGEN_SCHEDULE_SEEDS` names.

`SSEGEN_SCHEDULE_SEEDS=17,42 pytest -k schedule` replays chosen seeds.
"""

from __future__ import annotations

import os


def schedule_seeds(count: int) -> list[int]:
    chosen = os.environ.get("SSEGEN_SCHEDULE_SEEDS")
    if chosen:
        return [int(s) for s in chosen.split(",")]
    return list(range(count))
