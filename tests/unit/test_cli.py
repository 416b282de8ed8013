"""The operator CLI: finds the local engine by itself, one clear line when it cannot, explicit scopes, guarded --now."""

import argparse
import json

import pytest

from tools import cli
from tools.exits import Exit


@pytest.fixture
def no_table(monkeypatch, tmp_path):
    """No TABLE_NAME: the CLI looks for the state file of `make serve` (in an empty local folder here)."""
    monkeypatch.delenv("TABLE_NAME", raising=False)
    monkeypatch.setenv("LOYALTY_LOCAL_DIR", str(tmp_path))
    return tmp_path


def _one_error_line(capsys, run, status=Exit.UNREACHABLE):
    with pytest.raises(SystemExit) as stopped:
        run()
    assert stopped.value.code == status
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("argv", [["tenant", "list"], ["key", "list", "acme"], ["check"], ["job", "expire-points"]])
def test_without_a_running_engine_every_command_says_so_in_one_line(no_table, capsys, argv):
    assert "make serve" in _one_error_line(capsys, lambda: cli.main(argv))


def test_stop_without_a_running_api_says_so_in_one_line(no_table, capsys):
    assert "no local API is running" in _one_error_line(capsys, lambda: cli.main(["stop"]))


def test_a_stale_state_file_is_one_line_not_a_traceback(no_table, capsys):
    from tools.local.dynamodb_local import free_port

    (no_table / "engine.json").write_text(json.dumps({"pid": 1, "endpoint": f"http://127.0.0.1:{free_port()}"}))
    assert "does not answer" in _one_error_line(capsys, lambda: cli.main(["tenant", "list"]))


def test_the_embedded_fallback_is_explained(no_table, capsys):
    (no_table / "engine.json").write_text(json.dumps({"pid": 1, "engine": "embedded"}))
    assert "Java" in _one_error_line(capsys, lambda: cli.main(["key", "list", "demo"]))


def test_key_issue_needs_an_explicit_scope(capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["key", "issue", "demo"])
    assert stopped.value.code == 2 and "--scope" in capsys.readouterr().err


def test_now_is_refused_against_a_deployed_table_without_force(monkeypatch, capsys):
    monkeypatch.setenv("TABLE_NAME", "LoyaltyOffersApi-Table")
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for when in (["--now", "2030-01-01T00:00:00Z"], ["--in-days", "400"]):
        argv = ["job", "expire-points", *when]
        assert "--force" in _one_error_line(capsys, lambda argv=argv: cli.main(argv), Exit.USAGE)


def _subcommands(parser, trail=()):
    """(name path, parser, the one line its parent's --help lists it with) of every subcommand."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            listed = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*trail, name), sub, listed.get(name)
                yield from _subcommands(sub, (*trail, name))


def test_every_subcommand_explains_each_of_its_arguments():
    commands = list(_subcommands(cli._parser()))
    assert len(commands) >= 10
    for name, parser, listed in commands:
        assert listed, f"loyalty {' '.join(name[:-1])} --help lists {name[-1]} with no help line"
        assert parser.description and parser.description in " ".join(parser.format_help().split()), name
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            assert action.help, f"loyalty {' '.join(name)}: {action.dest} has no help"


def test_without_java_serve_falls_back_to_the_embedded_engine_and_says_data_is_not_kept(no_table, capsys, monkeypatch):
    from tools.local import dynamodb_local
    from tools.local.engine_session import open_engine

    monkeypatch.setattr(dynamodb_local, "java", lambda: None)
    with open_engine() as engine:
        assert engine.embedded
        assert json.loads((no_table / "engine.json").read_text())["engine"] == "embedded"
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "Java not found" in out and "data is not kept" in out, out
    assert not (no_table / "engine.json").exists()


def test_the_revocation_delay_told_to_operators_is_the_authorizers_cache(capsys):
    """The CLI's help and the guides state the delay the stack configures, not an older one."""
    import re

    from infra.config import AUTHORIZER_CACHE_SECONDS, ROOT

    with pytest.raises(SystemExit):
        cli.main(["key", "--help"])
    told = {
        "cli": " ".join(capsys.readouterr().out.split()),
        **{name: " ".join((ROOT / "docs" / name).read_text().split()) for name in ("guide.md", "deploy.md")},
    }
    assert f"within {AUTHORIZER_CACHE_SECONDS} s when deployed" in told["cli"]
    assert f"within {AUTHORIZER_CACHE_SECONDS} s when deployed" in told["guide.md"]
    assert f"for {AUTHORIZER_CACHE_SECONDS} s, so the old key is refused" in told["deploy.md"]
    for where, text in told.items():
        stated = {int(n) for n in re.findall(r"(?:within|cache[sd]?[^.]{0,40}?) (\d+) s\b", text)}
        assert stated <= {AUTHORIZER_CACHE_SECONDS}, (where, stated)


def test_aws_clients_use_the_profiles_region_when_the_environment_names_none(tmp_path, monkeypatch):
    from loyalty.repository.client import aws_client

    config = tmp_path / "config"
    config.write_text("[profile operator]\nregion = eu-west-2\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "operator")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    assert aws_client("dynamodb").meta.region_name == "eu-west-2"
    monkeypatch.setenv("AWS_REGION", "ap-south-1")  # the environment (Lambda's AWS_REGION) comes first
    assert aws_client("dynamodb").meta.region_name == "ap-south-1"


def _event_file(tmp_path, text):
    path = tmp_path / "event.json"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (lambda tmp: ["invoke", "no_such_function", "events/get_member.json"], "no function 'no_such_function'"),
        (lambda tmp: ["invoke", "get_member", str(tmp / "missing.json")], "cannot read the event file"),
        (lambda tmp: ["invoke", "get_member", _event_file(tmp, '{"httpMethod": ')], "is not JSON"),
        (lambda tmp: ["invoke", "get_member", _event_file(tmp, "[1, 2]")], "not an object"),
        (lambda tmp: ["invoke", "authorizer", "events/get_member.json"], "authorizer raised KeyError: 'methodArn'"),
        (lambda tmp: ["job", "expire-points", "--now", "next tuesday"], "not an ISO-8601 time"),
        (lambda tmp: ["job", "expire-points", "--now", "2030-01-01T00:00:00Z", "--in-days", "3"], "not allowed with"),
        (lambda tmp: ["tenant", "create", "acme", "--currency", "XYZ"], "ISO 4217"),
        (lambda tmp: ["tenant", "limits", "acme", "--rate", "1"], "--burst"),
        (lambda tmp: ["tenant", "shards", "acme"], "--lists, --counters or both"),
        (lambda tmp: ["serve", "--port", "99999"], "'99999' is not a port"),
        (lambda tmp: ["serve", "--port", "-1"], "'-1' is not a port"),
    ],
    ids=["unknown-function", "missing-file", "malformed-json", "not-an-object", "function-fails", "bad-now",
         "now-and-in-days", "bad-currency", "missing-option", "shards-without-counts", "port-too-high",
         "port-negative"],
)  # fmt: skip
@pytest.mark.usefixtures("fresh_table")  # `invoke` seeds the fixture set: on a table another test seeded, a duplicate
def test_usage_errors_are_one_line_with_exit_status_2(tmp_path, capsys, argv, fragment):
    assert fragment in _one_error_line(capsys, lambda: cli.main(argv(tmp_path)), Exit.USAGE)


@pytest.fixture
def on_the_table(fresh_table, monkeypatch):
    """The CLI's commands act on the embedded table of the unit tests, as if `make serve` ran."""
    monkeypatch.setattr(cli, "_target", lambda: "local")


@pytest.mark.parametrize(
    "argv",
    [
        ["key", "list", "nobody"],
        ["key", "issue", "nobody", "--scope", "read"],
        ["key", "revoke", "nobody", "0123456789abcdef"],
        ["client", "create", "nobody", "--scope", "read"],
        ["client", "list", "nobody"],
        ["tenant", "show", "nobody"],
        ["tenant", "shards", "nobody", "--lists", "2"],
        ["tenant", "gateway-key", "nobody", "--api-id", "abc123"],
        ["tenant", "limits", "nobody", "--rate", "1", "--burst", "2", "--api-id", "abc123"],
        ["job", "expire-points", "--tenant", "nobody"],
        ["job", "approve-delayed", "--tenant", "nobody"],
        ["check", "--tenant", "nobody"],
    ],
    ids=" ".join,
)
def test_an_unknown_tenant_is_refused_the_same_way_by_every_command(on_the_table, capsys, argv):
    message = _one_error_line(capsys, lambda: cli.main(argv), Exit.REFUSED)
    assert message == "error: not_found: Tenant nobody does not exist.\n"


def test_revoking_a_key_twice_keeps_its_first_revocation_time(on_the_table, frozen, capsys):
    from loyalty import apikeys
    from loyalty.repository import keys, store
    from loyalty.services import tenants

    tenants.create_tenant("acme", "Acme")
    issued = tenants.issue_key("acme", ["read"])
    cli.main(["key", "revoke", "acme", issued["keyId"]])
    first = json.loads(capsys.readouterr().out)
    frozen.advance(hours=5)
    cli.main(["key", "revoke", "acme", issued["keyId"]])
    again = json.loads(capsys.readouterr().out)
    assert first["status"] == again["status"] == "revoked"
    assert again["revokedAt"] == first["revokedAt"] == "2026-05-01T09:00:00Z"
    for stored in (keys.api_key("acme", issued["keyId"]), keys.key_index(apikeys.digest(issued["key"]))):
        assert store.get(stored)["revokedAt"] == first["revokedAt"]


def test_a_client_is_created_once_listed_without_its_secret_and_revoked_by_id(on_the_table, frozen, capsys):
    from loyalty.repository import clients
    from loyalty.services import tenants

    tenants.create_tenant("acme", "Acme")
    cli.main(["client", "create", "acme", "--scope", "integration", "--scope", "read", "--name", "pos"])
    printed = capsys.readouterr()
    created = json.loads(printed.out)
    assert created["clientId"].startswith("oc_") and created["clientSecret"].startswith("cs_")
    assert "shown once" in printed.err
    assert created["scopes"] == ["integration", "read"] and created["name"] == "pos"
    assert created["clientSecret"] not in json.dumps(clients.client(created["clientId"]))
    cli.main(["client", "list", "acme"])
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed == {k: v for k, v in created.items() if k != "clientSecret"}
    cli.main(["client", "revoke", created["clientId"]])
    revoked = json.loads(capsys.readouterr().out)
    assert revoked["status"] == "revoked" and revoked["revokedAt"] == "2026-05-01T09:00:00Z"
    message = _one_error_line(capsys, lambda: cli.main(["client", "revoke", "oc_nobody"]), Exit.REFUSED)
    assert message == "error: not_found: Client oc_nobody does not exist.\n"


def test_problems_found_and_no_engine_end_with_different_statuses(on_the_table, monkeypatch, capsys):
    from loyalty.services import checker

    monkeypatch.setattr(checker, "check", lambda tenants: {"members": 1, "problems": [{"memberId": "m"}]})
    with pytest.raises(SystemExit) as found:
        cli.main(["check"])
    monkeypatch.undo()
    monkeypatch.delenv("TABLE_NAME", raising=False)
    monkeypatch.setenv("LOYALTY_LOCAL_DIR", "/nonexistent-loyalty-local")
    with pytest.raises(SystemExit) as unreachable:
        cli.main(["check"])
    assert (found.value.code, unreachable.value.code) == (Exit.PROBLEMS, Exit.UNREACHABLE) == (1, 4)


def test_every_exit_status_is_distinct_and_documented_in_help_and_guide(capsys):
    from infra.config import ROOT
    from tools.exits import MEANINGS, exit_table

    assert len({int(code) for code in Exit.__members__.values()}) == len(Exit.__members__) == len(MEANINGS)
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    shown = capsys.readouterr().out
    for code, meaning in MEANINGS.items():
        assert f"  {int(code)}  {meaning}" in shown.splitlines(), (code, shown)
    assert exit_table() in (ROOT / "docs" / "guide.md").read_text()


def test_scope_descriptions_come_from_the_route_table_in_help_and_guide(capsys):
    import re

    from loyalty.routes import ROUTES, SCOPES, scope_description

    from infra.config import ROOT

    integration = scope_description("integration")
    for route in ROUTES:
        if route.method != "GET":
            named = re.search(rf"[(,] ?{route.function.replace('_', ' ')}[,)]", integration) is not None
            assert named == ("integration" in route.scopes), (route.function, integration)
    with pytest.raises(SystemExit):
        cli.main(["key", "issue", "--help"])
    told = {
        "key issue --help": " ".join(capsys.readouterr().out.split()),
        "guide.md": " ".join((ROOT / "docs" / "guide.md").read_text().split()),
    }
    for scope in SCOPES:
        assert f"{scope}: {scope_description(scope)}" in told["key issue --help"], scope
        assert f"`{scope}`: {scope_description(scope)}." in told["guide.md"], scope


def test_serve_on_a_busy_port_is_one_line_and_its_own_status(capsys):
    import socket

    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen()
    try:
        port = held.getsockname()[1]
        message = _one_error_line(capsys, lambda: cli.main(["serve", "--port", str(port)]), Exit.PORT)
    finally:
        held.close()
    assert f"port {port} on 127.0.0.1 is in use" in message


def test_a_start_that_cannot_listen_issues_no_key(on_the_table, monkeypatch, capsys):
    """The port is taken between the check and the bind: the start fails before the demo key is made."""
    import contextlib
    import socket

    from loyalty.services import tenants

    from tools.local import engine_session, server

    @contextlib.contextmanager
    def engine():
        yield engine_session.EngineSession("the unit tests' table")

    monkeypatch.setattr(server, "_listen_check", lambda port: None)
    monkeypatch.setattr(engine_session, "open_engine", engine)
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen()
    try:
        _one_error_line(capsys, lambda: cli.main(["serve", "--port", str(held.getsockname()[1])]), Exit.PORT)
    finally:
        held.close()
    assert not tenants.tenant_exists("demo") or tenants.list_keys("demo") == []


def _serve_keys():
    from loyalty.services import tenants

    from tools.local.server import SERVE_LABEL

    return {k["keyId"]: k["status"] for k in tenants.list_keys("demo") if k["label"] == SERVE_LABEL}


def test_each_serve_start_leaves_one_active_serve_key(fresh_table, capsys):
    from loyalty import apikeys

    from tools.exits import Refused
    from tools.local.server import prepare

    first, second = prepare(None), prepare(None)
    active = [key_id for key_id, status in _serve_keys().items() if status == "active"]
    assert active == [apikeys.digest(second)[:16]] and len(_serve_keys()) == 2
    given = "lk_demo_" + "g" * 32
    assert prepare(given) == given and prepare(given) == given  # kept, not issued again
    active = [key_id for key_id, status in _serve_keys().items() if status == "active"]
    assert active == [apikeys.digest(given)[:16]] and len(_serve_keys()) == 3
    assert first != second and "Revoked the admin key of an earlier start" in capsys.readouterr().out
    prepare(None)  # replaces the given key
    with pytest.raises(Refused, match="was revoked"):
        prepare(given)


def test_a_second_serve_in_the_same_local_dir_is_refused_and_leaves_the_running_key(
    on_the_table, monkeypatch, tmp_path, capsys
):
    """The busy-port hint's `PORT=3001 make serve` must not revoke the running server's admin key."""
    import os

    from tools.local import dynamodb_local, server
    from tools.local.server import prepare

    monkeypatch.setenv("LOYALTY_LOCAL_DIR", str(tmp_path))
    monkeypatch.setattr(server.LocalApi, "serve_forever", lambda api: None)  # a start that got through returns
    running_key = prepare(None)
    capsys.readouterr()
    dynamodb_local.write_state({"pid": os.getppid(), "engine": "embedded", "api": "http://127.0.0.1:3000/x"})
    message = _one_error_line(capsys, lambda: cli.main(["serve", "--port", "0"]), Exit.SERVING)
    assert "already runs" in message and "make stop" in message
    assert list(_serve_keys().values()) == ["active"] and prepare(running_key) == running_key


@pytest.mark.parametrize("port", ["99999", "abc", "-1"])
def test_a_bad_port_in_the_environment_is_a_usage_error(monkeypatch, capsys, port):
    monkeypatch.setenv("PORT", port)
    assert f"{port!r} is not a port" in _one_error_line(capsys, lambda: cli.main(["serve"]), Exit.USAGE)


@pytest.mark.parametrize(("state", "argv"), [({"pid": 1}, ["tenant", "list"]), ({}, ["stop"])], ids=["list", "stop"])
def test_a_state_file_without_endpoint_or_pid_is_one_line(no_table, capsys, state, argv):
    (no_table / "engine.json").write_text(json.dumps(state))
    assert "remove the file" in _one_error_line(capsys, lambda: cli.main(argv), Exit.UNREACHABLE)


def test_an_unavailable_table_is_unreachable_not_refused(on_the_table, monkeypatch, capsys):
    from loyalty.errors import Unavailable
    from loyalty.services import tenants

    def unavailable():
        raise Unavailable()

    monkeypatch.setattr(tenants, "list_tenants", unavailable)
    assert "unavailable" in _one_error_line(capsys, lambda: cli.main(["tenant", "list"]), Exit.UNREACHABLE)


def test_a_validation_error_prints_its_details_on_the_same_line(on_the_table, capsys):
    from loyalty.services import tenants

    tenants.create_tenant("acme", "Acme")
    message = _one_error_line(capsys, lambda: cli.main(["tenant", "shards", "acme", "--counters", "0"]), Exit.REFUSED)
    assert message.startswith("error: validation_error: ") and "counters: " in message, message


def test_invoke_exits_2_when_the_handler_answers_5xx(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["invoke", "list_members", _event_file(tmp_path, "{}")])
    out, err = capsys.readouterr()
    assert stopped.value.code == Exit.USAGE and '"statusCode": 500' in out
    assert err.splitlines()[-1].startswith("error: list_members answered 500"), err
