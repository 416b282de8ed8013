"""Every answer the integration suite sees is checked against the committed docs/openapi.json: its status must
be documented for the route, its body must fit that status's schema, and an error's code must be one the
document names for that route and status. `Client.call` (tests/support/local.py) calls `check` on each reply."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from loyalty.routes import find

from tools.openapi import DOCUMENT_PATH

# With LOYALTY_OPENAPI_RECORD=DIR the checker records every answer (and its verdict) as JSON lines in DIR
# instead of failing: a survey of what the suite sees, e.g. to list the 409 codes each route answers.
RECORD_DIR = os.environ.get("LOYALTY_OPENAPI_RECORD")


@dataclass
class Tally:
    """What the checker saw in this test process: answers checked, answers off the route table, mismatches."""

    checked: int = 0
    unrouted: int = 0
    mismatches: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


TALLY = Tally()


@cache
def document() -> dict[str, Any]:
    return json.loads(Path(DOCUMENT_PATH).read_text())


@cache
def _validator(path: str, method: str, status: str) -> Draft202012Validator | None:
    """The validator of one documented answer (None when the body is not JSON-described)."""
    answer = document()["paths"][path][method]["responses"][status]
    media = answer.get("content", {}).get("application/json")
    if media is None:
        return None
    # the answer's schema with the document's components beside it, so its "#/components/..." refs resolve
    schema = {**media["schema"], "components": document()["components"]}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def documented_codes(path: str, method: str, status: str) -> set[str]:
    """The error codes the document gives for one route and status (its examples name them all)."""
    media = document()["paths"][path][method]["responses"][status].get("content", {}).get("application/json", {})
    values = [example["value"] for example in media.get("examples", {}).values()]
    # the envelope's {"error": {"code": ...}}, or RFC 6749's bare {"error": "..."} (the public token route)
    return {value["error"]["code"] if isinstance(value["error"], dict) else value["error"] for value in values}


def problems(method: str, raw_path: str, status: int, text: str) -> tuple[str | None, list[str]]:
    """The route's operationId (None off the route table) and what in this answer the document does not allow."""
    route, _, _ = find(method.upper(), raw_path.split("?", 1)[0])
    if route is None:
        return None, []
    operation = document()["paths"][route.path][route.method.lower()]
    where = f"{route.method} {route.path} answered {status}"
    if str(status) not in operation["responses"]:
        return route.function, [f"{where}, a status the document does not list: {text[:300]}"]
    validator = _validator(route.path, route.method.lower(), str(status))
    if validator is None:
        return route.function, []
    try:
        body = json.loads(text)
    except ValueError:
        return route.function, [f"{where} with a body that is not JSON: {text[:300]}"]
    found = [
        f"{where}: {'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(body)
    ]
    if status >= 400 and not found:
        codes = documented_codes(route.path, route.method.lower(), str(status))
        code = body["error"]["code"] if isinstance(body["error"], dict) else body["error"]
        if code not in codes:
            found.append(f"{where} with code {code!r}, not one of {sorted(codes)}")
    return route.function, found


def check(method: str, raw_path: str, status: int, text: str) -> None:
    """Fail (here, and again at the test's end, in case a worker thread swallows it) on an undocumented answer."""
    function, found = problems(method, raw_path, status, text)
    with TALLY.lock:
        if function is None:
            TALLY.unrouted += 1
        else:
            TALLY.checked += 1
        if RECORD_DIR:
            code = _code(text) if status >= 400 else None
            line = {"function": function, "status": status, "code": code, "problems": found}
            with open(Path(RECORD_DIR) / f"{os.getpid()}.jsonl", "a") as out:
                out.write(json.dumps(line) + "\n")
            return
        TALLY.mismatches.extend(found)
    if found:
        raise AssertionError("answer not as docs/openapi.json says:\n" + "\n".join(found))


def take_mismatches() -> list[str]:
    """The mismatches seen since the last call (a test's teardown asserts there were none)."""
    with TALLY.lock:
        found, TALLY.mismatches[:] = list(TALLY.mismatches), []
    return found


def _code(text: str) -> str | None:
    try:
        return json.loads(text)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
