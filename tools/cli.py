"""The operator CLI: run the local API, manage tenants and keys, invoke a function, run scheduled jobs."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any


def _target_local_server() -> None:
    """Point this process at the running `make serve` (its port also speaks DynamoDB) unless TABLE_NAME is set."""
    if os.environ.get("TABLE_NAME"):
        return
    from loyalty.repository.table import LOCAL_TABLE_NAME

    from tools.local.constants import FAKE_CREDENTIALS

    port = os.environ.get("PORT", "3000")
    os.environ.update(
        {
            **FAKE_CREDENTIALS,
            "TABLE_NAME": LOCAL_TABLE_NAME,
            "AWS_ENDPOINT_URL_DYNAMODB": os.environ.get("LOYALTY_LOCAL_URL", f"http://127.0.0.1:{port}"),
        }
    )


def _print(value: Any) -> None:
    print(json.dumps(value, indent=2))


def cmd_serve(args: argparse.Namespace) -> None:
    from tools.local.server import serve

    serve(args.port)


def cmd_tenant(args: argparse.Namespace) -> None:
    _target_local_server()
    from loyalty.services import tenants

    if args.action == "create":
        _print(tenants.create_tenant(args.tenant_id, args.name or args.tenant_id, args.currency))
    else:
        _print(tenants.list_tenants())


def cmd_key(args: argparse.Namespace) -> None:
    _target_local_server()
    from loyalty.services import tenants

    if args.action == "issue":
        issued = tenants.issue_key(args.tenant_id, args.scope or ["admin"], args.label or "")
        _print(issued)
        print("The key above is shown once; only its SHA-256 is stored.", file=sys.stderr)
    elif args.action == "list":
        _print(tenants.list_keys(args.tenant_id))
    else:
        _print(tenants.revoke_key(args.tenant_id, args.key_id))


def cmd_invoke(args: argparse.Namespace) -> None:
    """Run one handler with one event on a fresh embedded table (the no-Docker `sam local invoke`)."""
    from tools.local import embedded_dynamodb

    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    embedded_dynamodb.start()
    from tools.local.gateway import LambdaContext, load_handler
    from tools.local.seed import seed_demo

    seed_demo()
    with open(args.event) as handle:
        event = json.load(handle)
    _print(load_handler(args.function)(event, LambdaContext(args.function, "invoke")))


def cmd_job(args: argparse.Namespace) -> None:
    """Run a scheduled job by hand against the running local API (or TABLE_NAME's table)."""
    _target_local_server()
    from loyalty import clock
    from loyalty.routes import JOBS
    from loyalty.services import jobs

    (job,) = [job for job in JOBS if job.name == args.name]
    now = clock.parse_iso(args.now) if args.now else None
    _print(getattr(jobs, job.function)(now=now, tenant_ids=[args.tenant] if args.tenant else None))


def cmd_check(args: argparse.Namespace) -> None:
    """Recompute every balance from the ledger; exit 1 if any member disagrees."""
    _target_local_server()
    from loyalty.services import checker

    report = checker.check([args.tenant] if args.tenant else None)
    _print(report)
    if report["problems"]:
        sys.exit(1)


def cmd_openapi(args: argparse.Namespace) -> None:
    from tools.openapi import write_document

    print(f"wrote {write_document()}")


def main(argv: list[str] | None = None) -> None:
    from loyalty.routes import JOBS

    parser = argparse.ArgumentParser(prog="loyalty", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the local API (embedded DynamoDB unless TABLE_NAME is set)")
    serve.add_argument("--port", type=int)
    serve.set_defaults(run=cmd_serve)

    tenant = commands.add_parser("tenant", help="create or list tenants")
    tenant_actions = tenant.add_subparsers(dest="action", required=True)
    create = tenant_actions.add_parser("create")
    create.add_argument("tenant_id")
    create.add_argument("--name")
    create.add_argument("--currency", default="USD")
    tenant_actions.add_parser("list")
    tenant.set_defaults(run=cmd_tenant)

    key = commands.add_parser("key", help="issue, list or revoke API keys")
    key_actions = key.add_subparsers(dest="action", required=True)
    issue = key_actions.add_parser("issue")
    issue.add_argument("tenant_id")
    issue.add_argument("--scope", action="append", choices=["admin", "integration", "read"])
    issue.add_argument("--label")
    key_list = key_actions.add_parser("list")
    key_list.add_argument("tenant_id")
    revoke = key_actions.add_parser("revoke")
    revoke.add_argument("tenant_id")
    revoke.add_argument("key_id")
    key.set_defaults(run=cmd_key)

    invoke = commands.add_parser("invoke", help="run one function with one event file")
    invoke.add_argument("function")
    invoke.add_argument("event")
    invoke.set_defaults(run=cmd_invoke)

    job = commands.add_parser("job", help="run a scheduled job now (idempotent, resumable)")
    job.add_argument("name", choices=[job.name for job in JOBS])
    job.add_argument("--tenant", help="only this tenant (default: every tenant)")
    job.add_argument("--now", help="act as if it were this ISO time (e.g. to try expiry locally)")
    job.set_defaults(run=cmd_job)

    check = commands.add_parser("check", help="the ledger checker: recompute balances from the ledger")
    check.add_argument("--tenant", help="only this tenant (default: every tenant)")
    check.set_defaults(run=cmd_check)

    openapi = commands.add_parser("openapi", help="write docs/openapi.json from the code")
    openapi.set_defaults(run=cmd_openapi)

    args = parser.parse_args(argv)
    from loyalty.errors import ApiError

    try:
        args.run(args)
    except ApiError as error:
        print(f"error: {error.code}: {error.message}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
