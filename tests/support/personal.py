"""Personal data in tests: a member with distinctive personal values, and where those values still are."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import sys
from collections.abc import Iterator
from typing import Any

from tests.support.local import Client, ok, tenant_items

# Values found nowhere else, so finding one (in a log, an item, an answer) means it leaked.
PROFILE: dict[str, str] = {
    "email": "Zerubabel.Quill@Example.org",
    "externalId": "ext-zq-7741",
    "firstName": "Zerubabel",
    "lastName": "Quillfeather",
    "gender": "Xenogender-zq",
    "birthdate": "1911-11-11",
    "phone": "+15550109876",
    "profileImageUrl": "https://img.example.org/zq-7741.png",
}
UPDATED: dict[str, str] = {"firstName": "Zedekiah", "phone": "+15550104321", "email": "zed.quill@example.net"}


def values(*profiles: dict[str, str]) -> set[str]:
    """The personal values of profiles, in the forms they may be stored or shown in."""
    found = {value for profile in profiles for value in profile.values()}
    found |= {value.lower() for value in found}
    names = [(p.get("firstName"), p.get("lastName")) for p in profiles]
    return (found | {" ".join(part for part in pair if part) for pair in names}) - {""}


def enrol(client: Client, key: str | None = None) -> dict[str, Any]:
    """The member with PROFILE (under an Idempotency-Key when given): its answer's data."""
    headers = {"Idempotency-Key": key} if key else None
    return dict(ok(201, client.post("/members", PROFILE, headers=headers)).data)


def leaks(text: str, secrets: set[str]) -> list[str]:
    """The secrets that appear in a text (as sent, or JSON-escaped)."""
    return sorted(s for s in secrets if s in text or json.dumps(s)[1:-1] in text)


def stored_items(tenant_id: str) -> list[str]:
    """Every item of a tenant in the test table, as JSON text."""
    return [json.dumps(item, ensure_ascii=False) for item in tenant_items(tenant_id)]


@contextlib.contextmanager
def captured_logs() -> Iterator[list[str]]:
    """Every log line written while active, as the functions would write it: the loyalty logger at
    DEBUG through its own JSON formatter, every other logger (root) at INFO, and the local API's
    access log (stderr). Yields the list the lines are appended to."""
    from loyalty.observability import logger

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    ours, others = Collect(), Collect()
    ours.setFormatter(logger.registered_formatter)
    others.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    saved = (logger._logger.level, logger._logger.propagate, root.level, os.environ.get("LOYALTY_ACCESS_LOG"))
    stderr = sys.stderr

    class Tee(io.TextIOBase):
        def write(self, text: str) -> int:
            lines.append(text)
            return stderr.write(text)

    logger._logger.addHandler(ours)
    logger._logger.setLevel(logging.DEBUG)
    logger._logger.propagate = False  # its lines are taken once, formatted as in a function
    root.addHandler(others)
    root.setLevel(logging.INFO)
    os.environ["LOYALTY_ACCESS_LOG"] = "1"
    sys.stderr = Tee()
    try:
        yield lines
    finally:
        sys.stderr = stderr
        logger._logger.removeHandler(ours)
        root.removeHandler(others)
        logger._logger.setLevel(saved[0])
        logger._logger.propagate = saved[1]
        root.setLevel(saved[2])
        if saved[3] is None:
            os.environ.pop("LOYALTY_ACCESS_LOG", None)
        else:
            os.environ["LOYALTY_ACCESS_LOG"] = saved[3]
