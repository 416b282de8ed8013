"""The README's walkthrough as a script: its shell blocks split into commands with the outcome each comment states."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BEGIN, END, HTTP = "@@BEGIN", "@@END", "@@HTTP"
# every curl also writes its status to stderr (stdout, which the walkthrough pipes into python3, is untouched)
CURL_STATUS = "curl() { command curl -w '%{stderr}" + HTTP + ' %{http_code}\\n\' "$@"; }\n'


@dataclass
class Command:
    """One command of a block as written (continuation lines included) and the comments that state its outcome."""

    text: str
    comments: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """What one command did in one run: its exit status, its stdout and the status of each HTTP call it made."""

    rc: int
    out: str
    statuses: list[int]

    @property
    def json(self) -> Any:
        """The JSON document it printed (after the headers of `curl -i`)."""
        text = self.out.strip()
        return json.loads(text[text.index("{") :])


def walkthrough_blocks(readme: str) -> list[str]:
    """The ```sh blocks of the README's "## Walkthrough" section, as written."""
    section = readme.split("\n## Walkthrough\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```sh\n(.*?)^```$", section, flags=re.S | re.M)


def _comment_start(line: str, quote: str | None) -> tuple[int | None, str | None]:
    """Where a line's shell comment begins (a # after a blank outside quotes), and the quote still open at its end."""
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return i, None
    return None, quote


def commands(block: str) -> list[Command]:
    """The block's commands: lines are joined while a quote is open; `# …` lines state the previous one's outcome."""
    found: list[Command] = []
    pending: list[str] = []
    quote: str | None = None
    for line in block.splitlines():
        if not pending and line.lstrip().startswith("#"):
            found[-1].comments.append(line.lstrip("# ").strip())
            continue
        start, quote = _comment_start(line, quote)
        pending.append(line if start is None else line[:start].rstrip())
        if quote is None:
            text = "\n".join(pending)
            shlex.split(text)  # a command the walkthrough cannot paste is a README bug, found here
            found.append(Command(text, [line[start + 1 :].strip()] if start is not None else []))
            pending = []
    assert not pending, f"unterminated command at the end of a block: {pending}"
    return found


def script(steps: list[Command]) -> str:
    """The commands, verbatim, between markers on stdout and stderr that name each one and record its exit status."""
    lines = [CURL_STATUS]
    for n, step in enumerate(steps):
        lines += [
            f"printf '\\n{BEGIN} {n}\\n'; printf '{BEGIN} {n}\\n' >&2",
            step.text,
            f"printf '\\n{END} {n} %d\\n' $?; printf '{END} {n}\\n' >&2",
        ]
    return "\n".join(lines) + "\n"


def outcomes(stdout: str, stderr: str, count: int) -> list[Outcome]:
    """Each command's outcome, read back from the markers of `script`."""
    found = []
    for n in range(count):
        out = stdout.split(f"\n{BEGIN} {n}\n", 1)[1]
        out, rest = out.split(f"\n{END} {n} ", 1)
        err = stderr.split(f"{BEGIN} {n}\n", 1)[1].split(f"{END} {n}\n", 1)[0]
        statuses = [int(line.split()[1]) for line in err.splitlines() if line.startswith(HTTP + " ")]
        found.append(Outcome(int(rest.split("\n", 1)[0]), out, statuses))
    return found


def stated_status(comment: str) -> int | None:
    """The HTTP status a comment states: `409 frequency_limit_reached`, `HTTP/1.1 401 …`, `400 {…}`."""
    match = re.match(r"HTTP/1\.1 ([1-5]\d\d)\b|([1-5]\d\d)(?= \{| [a-z]+(?:_[a-z]+)+\b)", comment)
    return int(match[1] or match[2]) if match else None


def stated_error(comment: str) -> str | None:
    """The error code a comment states: `"code":"x"` in a body, or a snake_case word after the status."""
    match = re.search(r'"code":"([a-z_]+)"', comment) or re.match(r"\d{3} ([a-z]+(?:_[a-z]+)+)\b", comment)
    return match[1] if match else None


def stated_body(comment: str) -> Any:
    """The whole JSON body a comment shows, if it is one (`{"message":"ok",…}` without an ellipsis)."""
    try:
        return json.loads(comment)
    except ValueError:
        return None


def run(root: Path, steps: list[Command], env: dict[str, str], timeout: float) -> list[Outcome]:
    """Run the commands in one bash at the repository's root, as a reader pastes them; its own process group."""
    process = subprocess.Popen(
        ["bash", "-c", script(steps)],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever it left behind (nothing, when `make stop` ran)
    return outcomes(stdout, stderr, len(steps))
