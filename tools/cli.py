"""The operator CLI: run the local API, manage tenants and keys, invoke a function, run scheduled jobs."""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
import textwrap
from collections.abc import Callable
from typing import Any, NoReturn

from loyalty.numerals import is_digits
from loyalty.routes import STAGE

from tools.exits import Exit, OperatorError, Unreachable, Usage, exit_table


def _target() -> str:
    """Point this process at its table; 'deployed' for TABLE_NAME on AWS, 'local' for the engine of `make serve`.

    Without TABLE_NAME the CLI reads the state file `make serve` writes (.local/engine.json) and talks
    to DynamoDB Local directly with this install's access key; never through the API port.
    """
    from tools.local import dynamodb_local, paths

    if os.environ.get("TABLE_NAME"):
        custom = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL")
        return "local" if custom else "deployed"
    state = dynamodb_local.read_state()
    if state is None:
        raise Unreachable(
            f"no local engine is running (no {paths.state_file()}): start it with `make serve`, "
            "or set TABLE_NAME (and AWS credentials) for a deployed table"
        )
    if state.get("engine") == "embedded":
        raise Unreachable(
            "the running local API keeps its data inside its own process (embedded engine, no Java): "
            "operator commands need DynamoDB Local (install Java 17, then restart `make serve`)"
        )
    if not state.get("endpoint"):
        raise Unreachable(
            f"{paths.state_file()} names no engine endpoint (not one `make serve` wrote): "
            "stop the server with `loyalty stop`, or remove the file"
        )
    if not dynamodb_local.running(state):
        raise Unreachable(f"the local engine at {state['endpoint']} does not answer: is `make serve` still running?")
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.update(
        {
            **dynamodb_local.credentials().environment(),
            "AWS_ENDPOINT_URL_DYNAMODB": state["endpoint"],
            "TABLE_NAME": state.get("table", dynamodb_local.TABLE),
        }
    )
    return "local"


def _print(value: Any) -> None:
    print(json.dumps(value, indent=2))


def cmd_serve(args: argparse.Namespace) -> None:
    from tools.local.server import serve

    serve(args.port)


def cmd_stop(args: argparse.Namespace) -> None:
    """Stop the running `make serve` (as Ctrl-C does): it stops the engine it started and removes its state file."""
    import signal
    import time

    from tools.local import dynamodb_local, paths

    state = dynamodb_local.read_state()
    if state is None:
        raise Unreachable("no local API is running (no state file): nothing to stop")
    if not isinstance(state.get("pid"), int):
        raise Unreachable(f"{paths.state_file()} names no process (not one `make serve` wrote): remove the file")
    try:
        os.kill(state["pid"], signal.SIGTERM)
    except ProcessLookupError:
        paths.state_file().unlink(missing_ok=True)
        raise Unreachable("the local API had already stopped; its stale state file is removed") from None
    deadline = time.monotonic() + 30
    while paths.state_file().exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    print("stopped" if not paths.state_file().exists() else f"sent SIGTERM to {state['pid']}; it has not stopped yet")


def _port(text: str) -> int:
    """--port (or PORT): 0 to 65535, refused by argparse (one line, exit 2) otherwise."""
    if not is_digits(text.strip()) or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: 0 to 65535 (0 = any free one)")
    return int(text)


def _moment(text: str) -> Any:
    """--now: an ISO-8601 time, refused by argparse (one line, exit 2) when it is not one."""
    from loyalty import clock

    try:
        return clock.parse_iso(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO-8601 time such as 2027-12-01T00:00:00Z") from None


def _currency(text: str) -> str:
    """--currency: an active ISO 4217 code, refused before anything is written (the service checks it too)."""
    from loyalty import currencies

    if not currencies.is_active(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an active ISO 4217 currency code such as EUR")
    return text


def cmd_tenant(args: argparse.Namespace) -> None:
    target = _target()
    from loyalty.services import tenants

    if args.action == "create":
        api_id = _api_id(args, required=target == "deployed")
        created = tenants.create_tenant(
            args.tenant_id, args.name or args.tenant_id, args.currency, args.lists, args.counters
        )
        if api_id:  # its own API Gateway key on the default plan: its rate is its own, not a share
            created["gateway"] = _gateway_key(args, api_id)
        _print(created)
    elif args.action == "gateway-key":
        tenants.require_tenant(args.tenant_id)
        _print(_gateway_key(args, _api_id(args, required=True)))
    elif args.action == "limits":
        tenants.require_tenant(args.tenant_id)
        _print(_set_limits(args))
    elif args.action == "show":
        _print(tenants.show_tenant(args.tenant_id))
    elif args.action == "shards":
        _print(tenants.set_shards(args.tenant_id, args.lists, args.counters, args.family))
    else:
        _print(tenants.list_tenants())


def _api_id(args: argparse.Namespace, *, required: bool) -> str | None:
    api_id = args.api_id or os.environ.get("LOYALTY_API_ID")
    if required and not api_id:
        raise Usage("pass --api-id or set LOYALTY_API_ID (the stack's ApiId output)")
    return api_id


def _apigateway() -> Any:
    """API Gateway in the region of the profile (AWS_REGION, AWS_PROFILE's config), like the table's client."""
    import boto3

    return boto3.client("apigateway")


def _gateway_key(args: argparse.Namespace, api_id: str | None) -> dict[str, Any]:
    from tools.limits import give_key

    assert api_id
    return give_key(_apigateway(), api_id, args.tenant_id, args.stage)


def _set_limits(args: argparse.Namespace) -> dict[str, Any]:
    """The tenant's own API Gateway rate and burst (usage plan) on the deployed API."""
    from tools.limits import set_limits

    api_id = _api_id(args, required=True)
    assert api_id
    return set_limits(_apigateway(), api_id, args.tenant_id, args.rate, args.burst, args.stage)


def cmd_key(args: argparse.Namespace) -> None:
    _target()
    from loyalty.services import tenants

    if args.action == "issue":
        issued = tenants.issue_key(args.tenant_id, args.scope, args.label or "")
        _print(issued)
        print("The key above is shown once; only its SHA-256 is stored.", file=sys.stderr)
    elif args.action == "list":
        _print(tenants.list_keys(args.tenant_id))
    else:
        _print(tenants.revoke_key(args.tenant_id, args.key_id))


def cmd_client(args: argparse.Namespace) -> None:
    """§12 OAuth clients: create (the secret printed once), list, revoke."""
    _target()
    from loyalty.services import oauth

    if args.action == "create":
        created = oauth.create_client(args.tenant_id, args.scope, args.name or "")
        _print(created)
        print("The clientSecret above is shown once; only its SHA-256 is stored.", file=sys.stderr)
    elif args.action == "list":
        _print(oauth.list_clients(args.tenant_id))
    else:
        _print(oauth.revoke_client(args.client_id))


def _functions() -> list[str]:
    """Every function `invoke` can run: one per route, the scheduled jobs and the authorizer."""
    from loyalty.routes import AUTHORIZER_FUNCTION, JOBS, ROUTES

    return sorted({route.function for route in ROUTES} | {job.function for job in JOBS} | {AUTHORIZER_FUNCTION})


def _event(path: str) -> dict[str, Any]:
    """The event file as a JSON object, or one line saying why it is not one."""
    try:
        with open(path) as handle:
            event = json.load(handle)
    except OSError as error:
        raise Usage(f"cannot read the event file {path}: {error.strerror or error}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise Usage(f"the event file {path} is not JSON: {error}") from None
    if not isinstance(event, dict):
        raise Usage(f"the event file {path} holds a JSON {type(event).__name__}, not an object (an event)")
    return event


def cmd_invoke(args: argparse.Namespace) -> None:
    """Run one handler with one event on a fresh embedded table (the no-Docker `sam local invoke`)."""
    if args.function not in _functions():
        raise Usage(f"no function {args.function!r}: the functions are the folders of functions/, e.g. create_award")
    event = _event(args.event)
    from tools.local import embedded_dynamodb

    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    embedded_dynamodb.start()
    from tools.local.fixtures import invoke

    try:
        answer = invoke(args.function, event, seed=not args.empty)
    except Exception as error:  # as Lambda reports a function error: its type and message, here in one line
        raise Usage(
            f"{args.function} raised {type(error).__name__}: {error} (is {args.event} its kind of event?)"
        ) from None
    _print(answer)
    status = answer.get("statusCode") if isinstance(answer, dict) else None
    if isinstance(status, int) and status >= 500:  # the handler failed on the event: printed, and exit 2
        raise Usage(f"{args.function} answered {status} (is {args.event} its kind of event?)")


def cmd_job(args: argparse.Namespace) -> None:
    """Run a scheduled job by hand against the local engine (or TABLE_NAME's table)."""
    if _target() == "deployed" and (args.now or args.in_days is not None) and not args.force:
        raise Usage("--now or --in-days against a deployed table acts on real members' points: add --force to mean it")
    from datetime import timedelta

    from loyalty import clock
    from loyalty.routes import JOBS
    from loyalty.services import jobs, tenants

    if args.tenant:
        tenants.require_tenant(args.tenant)
    (job,) = [job for job in JOBS if job.name == args.name]
    now = args.now or (clock.now() + timedelta(days=args.in_days) if args.in_days is not None else None)
    _print(getattr(jobs, job.function)(now=now, tenant_ids=[args.tenant] if args.tenant else None))


def _backfill_each_tenant(args: argparse.Namespace, backfill: Callable[[str], object]) -> None:
    """Run one idempotent backfill for --tenant, or for every tenant."""
    from loyalty.services import tenants

    if args.tenant:
        tenants.require_tenant(args.tenant)
    checked = [args.tenant] if args.tenant else tenants.list_tenants()
    _print({tenant_id: backfill(tenant_id) for tenant_id in checked})


def cmd_backfill_wallet(args: argparse.Namespace) -> None:
    """Give vouchers issued before the wallet existed their members' wallet entries (idempotent)."""
    _target()
    from loyalty.services import vouchers

    _backfill_each_tenant(args, vouchers.backfill_wallet)


def cmd_backfill_members(args: argparse.Namespace) -> None:
    """Give members enrolled before the search and phone/cardId guards existed their entries and guards (idempotent)."""
    _target()
    from loyalty.services import members

    _backfill_each_tenant(args, members.backfill_members)


def cmd_backfill_referral_codes(args: argparse.Namespace) -> None:
    """Give members enrolled before referral-code guards existed their guard (idempotent)."""
    _target()
    from loyalty.services import referrals

    _backfill_each_tenant(args, referrals.backfill_codes)


# name, command, help, description of each idempotent backfill an upgrade may need
BACKFILLS: list[tuple[str, Callable[[argparse.Namespace], None], str, str]] = [
    (
        "backfill-wallet",
        cmd_backfill_wallet,
        "write the wallet entries of vouchers issued before GET /members/{id}/vouchers existed",
        "Give every voucher issued to a member its entry in the member's wallet (docs/data-model.md, "
        '"Wallet"). Idempotent: an entry that exists is kept, so running it again writes nothing.',
    ),
    (
        "backfill-members",
        cmd_backfill_members,
        "write the search entries and phone/cardId guards of members enrolled before GET /members?q= existed",
        "Give every member its search entries and a guard for each identifier it has (docs/data-model.md, "
        '"Member search"). Idempotent: what is right is kept, so running it again writes nothing; a value another '
        "member's guard holds is reported as a clash.",
    ),
    (
        "backfill-referral-codes",
        cmd_backfill_referral_codes,
        "write the referral-code guards of members enrolled before POST /members/{id}/referral existed",
        "Give every member's referral code its guard: codes are unique in the program, and "
        "POST /members/{id}/referral finds the member of a code through it. Idempotent: a guard that exists is "
        "kept, so running it again writes nothing; an erased member gets none; a member whose code another "
        "member holds gets a new code.",
    ),
]


def cmd_check(args: argparse.Namespace) -> None:
    """Recompute every balance from the ledger; exit status 1 (Exit.PROBLEMS) if any member disagrees."""
    _target()
    from loyalty.services import checker, tenants

    if args.tenant:
        tenants.require_tenant(args.tenant)
    report = checker.check([args.tenant] if args.tenant else None)
    _print(report)
    if report["problems"]:
        sys.exit(Exit.PROBLEMS)


def cmd_events(args: argparse.Namespace) -> None:
    """events tail: print the tenant's events (one JSON line each) as the stream consumer stores them."""
    _target()
    from loyalty.services import tenants

    from tools.local.tail import tail

    tenants.require_tenant(args.tenant)
    tail(args.tenant, follow=not args.once, since_seconds=args.since)


def cmd_openapi(args: argparse.Namespace) -> None:
    from tools.openapi import write_document

    print(f"wrote {write_document()}")


def _revoke_help() -> str:
    from infra.config import AUTHORIZER_CACHE_SECONDS

    return (
        f"revoke a key (refused at once locally; within {AUTHORIZER_CACHE_SECONDS} s when deployed, "
        "the authorizer's cache)"
    )


REVOKE_HELP = _revoke_help()


def _shards_help() -> str:
    from loyalty import shard_counts

    families = "; ".join(f"{name}: {what}" for name, what in shard_counts.FAMILIES.items())
    return (
        "Raise the shard count of a tenant's write-sharded lists before its traffic grows: a page of a list "
        "costs one Query per shard, and one shard takes about 1,000 writes a second "
        f"(see docs/data-model.md). The families: {families}. A count only grows: pages read every shard ever "
        "written, so raising moves nothing and a nextToken issued before stays valid; lowering is refused. New "
        f"entries spread over the new count {shard_counts.SETTLE_SECONDS:g} s after the raise, once every "
        "container has seen it (`tenant show` says from when). --counters sets the shard count of the sharded "
        "counters (reward stock, code pools, offer usage) of the rewards and offers created from then on (up or "
        "down: each one created keeps its count)."
    )


SHARDS_HELP = _shards_help()
TARGET_HELP = (
    "Target: the DynamoDB Local that `make serve` runs (found through .local/engine.json), or, with TABLE_NAME "
    "set, that table with your AWS credentials (AWS_REGION, AWS_PROFILE ...)."
)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (exit status 2), like every other operator error."""

    def error(self, message: str) -> NoReturn:
        print(f"error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        sys.exit(Exit.USAGE)


def _gateway_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api-id", help="the stack's ApiId output (default: $LOYALTY_API_ID; required for a deployed table)"
    )
    parser.add_argument("--stage", default=STAGE, help=f"the API stage (default: {STAGE})")


def _parser() -> argparse.ArgumentParser:
    from loyalty import shard_counts
    from loyalty.routes import JOBS, SCOPES, scope_description

    parser = _Parser(
        prog="loyalty",
        description=__doc__,
        epilog=f"{textwrap.fill(TARGET_HELP, 100)}\n\nExit status:\n{exit_table()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    serve = commands.add_parser(
        "serve",
        help="run the local API on DynamoDB Local (data kept in .local/)",
        description="Run the local API: starts DynamoDB Local unless it runs, creates the table, stops it on exit. "
        "Without Java it falls back to an in-memory engine whose data is not kept. With TABLE_NAME set it serves "
        "that table instead. LOYALTY_API_KEY=<key> makes that key the demo tenant's admin key.",
    )
    serve.add_argument(
        "--port",
        type=_port,
        default=os.environ.get("PORT") or "3000",  # a string default goes through _port too: PORT=abc is exit 2
        help="port of the API on 127.0.0.1 (default: PORT or 3000; 0 = any free)",
    )
    serve.set_defaults(run=cmd_serve)

    stop = commands.add_parser(
        "stop",
        help="stop the running local API and the engine it started",
        description="Stop the local API that `make serve` runs (from any terminal); its data stays in .local/.",
    )
    stop.set_defaults(run=cmd_stop)

    tenant = commands.add_parser(
        "tenant", help="create, list or show tenants, set their limits", description="Create, list or show tenants."
    )
    tenant_actions = tenant.add_subparsers(dest="action", required=True, metavar="action")
    create = tenant_actions.add_parser(
        "create",
        help="create a tenant with its program",
        description="Create a tenant and its loyalty program (no API key yet: issue one with `key issue`).",
        epilog=TARGET_HELP,
    )
    create.add_argument("tenant_id", help="the tenant's id: lower-case letters, digits and dashes")
    create.add_argument("--name", help="the program's display name (default: the tenant id)")
    create.add_argument(
        "--currency", default="USD", type=_currency, help="ISO 4217 currency of the program (default: USD)"
    )
    create.add_argument(
        "--lists",
        type=int,
        default=shard_counts.DEFAULT,
        help=f"shards of each write-sharded list (default: {shard_counts.DEFAULT}; see `tenant shards`)",
    )
    create.add_argument(
        "--counters",
        type=int,
        default=shard_counts.COUNTERS_DEFAULT,
        help=f"shards of each sharded counter of its rewards and offers (default: {shard_counts.COUNTERS_DEFAULT})",
    )
    _gateway_arguments(create)
    tenant_actions.add_parser(
        "list", help="list every tenant", description="List every tenant with its program.", epilog=TARGET_HELP
    )
    show = tenant_actions.add_parser(
        "show",
        help="show a tenant: name, creation time and its shard counts",
        description="Show a tenant's record: its name, creation time, each list family's shard count and its "
        "new counters' shard count.",
        epilog=TARGET_HELP,
    )
    show.add_argument("tenant_id", help="the tenant")
    shards = tenant_actions.add_parser(
        "shards",
        help="raise the shard count of the tenant's write-sharded lists (it never goes down), set its counters'",
        description=SHARDS_HELP,
        epilog=TARGET_HELP,
    )
    shards.add_argument("tenant_id", help="the tenant")
    shards.add_argument(
        "--lists", type=int, help=f"the lists' new shard count, 1 to {shard_counts.MOST}, not below the current"
    )
    shards.add_argument(
        "--counters",
        type=int,
        help=f"the shard count of the counters of rewards and offers created from now on, 1 to "
        f"{shard_counts.COUNTERS_MOST}",
    )
    shards.add_argument(
        "--family",
        action="append",
        choices=list(shard_counts.FAMILIES),
        help="only this list family (repeat for several; default: every family)",
    )
    gateway_key = tenant_actions.add_parser(
        "gateway-key",
        help="give a tenant its own API Gateway key on the default plan (tenants created before that was done)",
        description="Create (or find) the tenant's own API Gateway API key and attach it to the stack's default "
        "usage plan, unless the tenant has a plan of its own. Safe to run again.",
    )
    gateway_key.add_argument("tenant_id", help="the tenant")
    _gateway_arguments(gateway_key)
    limits = tenant_actions.add_parser(
        "limits",
        help="set the tenant's own rate and burst on the deployed API",
        description="Create or update the tenant's own API Gateway usage plan (its own steady rate and burst) "
        "and move the tenant's API Gateway key to it. Safe to run again.",
    )
    limits.add_argument("tenant_id", help="the tenant whose limits to set")
    limits.add_argument("--rate", type=float, required=True, help="steady requests per second")
    limits.add_argument("--burst", type=int, required=True, help="requests allowed at once")
    _gateway_arguments(limits)
    tenant.set_defaults(run=cmd_tenant)

    key = commands.add_parser("key", help="issue, list or revoke API keys", description="Manage a tenant's API keys.")
    key_actions = key.add_subparsers(dest="action", required=True, metavar="action")
    issue = key_actions.add_parser(
        "issue",
        help="issue a key (printed once; only its SHA-256 is stored)",
        description="Issue an API key. The scope is required (repeat --scope to combine): "
        + "; ".join(f"{scope}: {scope_description(scope)}" for scope in SCOPES)
        + ".",
        epilog=TARGET_HELP,
    )
    issue.add_argument("tenant_id", help="the tenant the key belongs to")
    issue.add_argument("--scope", action="append", required=True, choices=list(SCOPES), help="what the key may do")
    issue.add_argument("--label", help="a note to recognise the key by (e.g. 'checkout')")
    key_list = key_actions.add_parser(
        "list",
        help="list a tenant's keys (ids, scopes, labels; never the keys)",
        description="List a tenant's API keys: ids, scopes and labels (a key itself is never stored, so never shown).",
    )
    key_list.add_argument("tenant_id", help="the tenant whose keys to list")
    revoke = key_actions.add_parser(
        "revoke",
        help=REVOKE_HELP,
        description="Revoke an API key: " + REVOKE_HELP + ".",
    )
    revoke.add_argument("tenant_id", help="the tenant the key belongs to")
    revoke.add_argument("key_id", help="the keyId shown by `key issue` or `key list`")
    key.set_defaults(run=cmd_key)

    client = commands.add_parser(
        "client",
        help="create, list or revoke OAuth clients (client credentials for POST /oauth/token)",
        description="Manage a tenant's OAuth clients: a client exchanges its id and secret for 1-hour access "
        "tokens at POST /oauth/token (docs/guide.md, 'OAuth client credentials').",
    )
    client_actions = client.add_subparsers(dest="action", required=True, metavar="action")
    client_create = client_actions.add_parser(
        "create",
        help="create a client (clientId and clientSecret printed once; only the secret's SHA-256 is stored)",
        description="Create an OAuth client of a tenant. The scope is required (repeat --scope to combine); its "
        "tokens carry these scopes, or the subset a token request asks for.",
        epilog=TARGET_HELP,
    )
    client_create.add_argument("tenant_id", help="the tenant the client belongs to")
    client_create.add_argument(
        "--scope", action="append", required=True, choices=list(SCOPES), help="what its tokens may do"
    )
    client_create.add_argument("--name", help="a note to recognise the client by (e.g. 'pos-integration')")
    client_list = client_actions.add_parser(
        "list",
        help="list a tenant's clients (ids, scopes, names, status; never the secrets)",
        description="List a tenant's OAuth clients (a secret is never stored, so never shown).",
    )
    client_list.add_argument("tenant_id", help="the tenant whose clients to list")
    client_revoke = client_actions.add_parser(
        "revoke",
        help="revoke a client: no new tokens, and its tokens " + REVOKE_HELP.removeprefix("revoke a key "),
        description="Revoke an OAuth client: no new tokens, and its tokens "
        + REVOKE_HELP.removeprefix("revoke a key ")
        + ".",
    )
    client_revoke.add_argument("client_id", help="the clientId shown by `client create` or `client list`")
    client.set_defaults(run=cmd_client)

    invoke = commands.add_parser(
        "invoke",
        help="run one function with one event file on a fresh in-memory table",
        description="Run one handler with one event (the no-Docker `sam local invoke`) on a fresh in-memory table "
        "seeded with the fixture set the events/ samples refer to (tenant demo, its example key, member, "
        "transaction, order, reward and redemption).",
    )
    invoke.add_argument("function", help="the function's folder name under functions/ (e.g. create_award)")
    invoke.add_argument("event", help="the event file (e.g. events/create_award.json)")
    invoke.add_argument("--empty", action="store_true", help="do not seed the fixture set (only the demo tenant)")
    invoke.set_defaults(run=cmd_invoke)

    job = commands.add_parser(
        "job",
        help="run a scheduled job now (idempotent, resumable)",
        description="Run a scheduled job by hand: expire-points settles lots past their expiry, approve-delayed "
        "approves pending points whose waiting time is over, and notify-expiring sends the events "
        "points.expiring_soon.",
        epilog=TARGET_HELP,
    )
    job.add_argument("name", choices=[job.name for job in JOBS], help="the job")
    job.add_argument("--tenant", help="only this tenant (default: every tenant)")
    when = job.add_mutually_exclusive_group()
    when.add_argument(
        "--now", type=_moment, help="act as if it were this ISO time, e.g. 2027-12-01T00:00:00Z (local only)"
    )
    when.add_argument(
        "--in-days",
        type=int,
        metavar="N",
        help="act as if it were N days from now, e.g. 400 to expire points earned today (local only)",
    )
    job.add_argument("--force", action="store_true", help="allow --now or --in-days against a deployed table")
    job.set_defaults(run=cmd_job)

    for name, run, short, long in BACKFILLS:
        backfill = commands.add_parser(name, help=short, description=long, epilog=TARGET_HELP)
        backfill.add_argument("--tenant", help="only this tenant (default: every tenant)")
        backfill.set_defaults(run=run)

    check = commands.add_parser(
        "check",
        help="the ledger checker: recompute balances from the ledger",
        description="Recompute every member's balance and every code pool from the ledger; exit status 1 on any "
        "problem.",
        epilog=TARGET_HELP,
    )
    check.add_argument("--tenant", help="only this tenant (default: every tenant)")
    check.set_defaults(run=cmd_check)

    from tools import exports_cli  # `loyalty export members|transactions|vouchers` (issue 26)

    exports_cli.add_export_command(commands, TARGET_HELP)

    events = commands.add_parser(
        "events", help="the tenant's events (§13)", description="Read a tenant's events as they are stored."
    )
    event_actions = events.add_subparsers(dest="action", required=True, metavar="action")
    tail = event_actions.add_parser(
        "tail",
        help="print events as they arrive (Ctrl-C stops)",
        description="Print the tenant's events, oldest first, one JSON line each, then each new one as the stream "
        "consumer stores it (under `make serve`: within a second of the change).",
        epilog=TARGET_HELP,
    )
    tail.add_argument("--tenant", required=True, help="the tenant whose events to print")
    tail.add_argument("--since", type=int, default=300, help="start with the events of the last SINCE seconds")
    tail.add_argument("--once", action="store_true", help="print what is stored now and stop")
    tail.set_defaults(run=cmd_events)

    from tools import imports_cli  # `loyalty import members` (issue 26; `import codes` joins its actions)

    import_actions = imports_cli.add_commands(commands, TARGET_HELP)
    exports_cli.add_import_codes(import_actions, TARGET_HELP)  # `loyalty import codes` (issue 26, exports)

    openapi = commands.add_parser(
        "openapi", help="write docs/openapi.json from the code", description="Write docs/openapi.json from the code."
    )
    openapi.set_defaults(run=cmd_openapi)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if getattr(args, "action", None) == "shards" and args.lists is None and args.counters is None:
        _fail(Exit.USAGE, "tenant shards needs --lists, --counters or both (see `loyalty tenant shards --help`)")
    from botocore.exceptions import BotoCoreError, ClientError
    from loyalty.errors import ApiError, Unavailable

    try:
        args.run(args)
    except Unavailable as error:  # the table or AWS could not be reached (its retries ran out)
        _fail(Exit.UNREACHABLE, f"{error.code}: {error.message}")
    except ApiError as error:
        details = "; ".join(f"{d.get('field', '')}: {d.get('message', '')}" for d in error.details)
        _fail(Exit.REFUSED, f"{error.code}: {error.message}" + (f" ({details})" if details else ""))
    except OperatorError as error:
        _fail(error.status, str(error))
    except (BotoCoreError, ClientError) as error:
        _fail(Exit.UNREACHABLE, f"DynamoDB: {error}")
    except BrokenPipeError:  # stdout's reader went away (`loyalty export ... | head`): stop quietly, as SIGPIPE would
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the exit's flush of stdout then succeeds
        except (OSError, ValueError):
            pass
        sys.exit(128 + 13)
    except OSError as error:
        if error.filename is None and error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            _fail(Exit.USAGE, f"a file could not be written: {error.strerror}")
        if error.filename is None:  # not a path the operator named: a bug, shown as one
            raise
        # an output or report file that cannot be written (no such folder, no permission, a full disk)
        _fail(Exit.USAGE, f"{error.filename}: {error.strerror or error}")


def _fail(status: Exit, message: str) -> None:
    """One line on stderr (never a traceback), then the exit status that says what kind of error it was."""
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    sys.exit(status)


if __name__ == "__main__":
    main()
