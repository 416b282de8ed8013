"""The operator CLI's exit statuses and the one-line errors that end a command with one of them."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    """What `loyalty`'s exit status means; the table in `loyalty --help` and docs/guide.md is made from it."""

    OK = 0
    PROBLEMS = 1
    USAGE = 2
    REFUSED = 3
    UNREACHABLE = 4
    PORT = 5
    SERVING = 6


MEANINGS: dict[Exit, str] = {
    Exit.OK: "done",
    Exit.PROBLEMS: "`check` found problems in the ledger (the report is printed)",
    Exit.USAGE: "a wrong argument (for `invoke`: an unknown function, a bad event file, an event it fails on)",
    Exit.REFUSED: "refused by the data: unknown tenant or key, a duplicate, an invalid value",
    Exit.UNREACHABLE: "no engine to talk to: `make serve` is not running, or the table or AWS cannot be reached",
    Exit.PORT: "`serve` cannot listen on its port (in use, or not allowed)",
    Exit.SERVING: "`serve`: a server already runs from this directory's .local/ (`make stop` stops it)",
}


def exit_table() -> str:
    """The exit statuses, one per line (the `--help` epilog and docs/guide.md show exactly this)."""
    return "\n".join(f"  {int(code)}  {MEANINGS[code]}" for code in Exit)


class OperatorError(Exception):
    """An error of the operator's command or setup: one line on stderr, then this exit status."""

    status = Exit.USAGE


class Usage(OperatorError):
    """The command line names something that is not there (a function, a file) or is malformed."""

    status = Exit.USAGE


class Refused(OperatorError):
    """The data refuses the command (as an ApiError would)."""

    status = Exit.REFUSED


class Unreachable(OperatorError):
    """The table this command needs cannot be reached; the message is one line for the operator."""

    status = Exit.UNREACHABLE


class PortUnavailable(OperatorError):
    """`serve` cannot bind its port."""

    status = Exit.PORT


class AlreadyServing(OperatorError):
    """`serve` while another server runs from the same .local/ (it would share its engine and key)."""

    status = Exit.SERVING
