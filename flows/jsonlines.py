"""`--json` output of the command line: JSON Lines, one JSON object a line
(one per cluster, per run; `show` prints one). A script reads each line
with `json.loads`, `jq -c`, or `pandas.read_json(..., lines=True)`.

Timestamps are ISO 8601 strings in UTC, in the format of the snapshots'
JSON lines (YYYY-MM-DDTHH:MM:SS.ffffffZ); null stays null."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, is_dataclass
from datetime import datetime, timezone
from typing import Any

TIMESTAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


def timestamp(value: datetime | None) -> str | None:
    """An aware datetime as the ISO 8601 UTC string above; None stays None
    (a naive datetime is taken as UTC, as the store keeps everything)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime(TIMESTAMP)


def print_line(obj: Any) -> None:
    """Write one object (a dict or a dataclass) as one line of JSON to stdout."""
    if is_dataclass(obj) and not isinstance(obj, type):
        obj = asdict(obj)
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=_default) + "\n")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return timestamp(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
