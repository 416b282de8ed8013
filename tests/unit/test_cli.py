"""The operator CLI: finds the local engine by itself, one clear line when it cannot, explicit scopes, guarded --now."""

import argparse
import json

import pytest

from tools import cli


@pytest.fixture
def no_table(monkeypatch, tmp_path):
    """No TABLE_NAME: the CLI looks for the state file of `make serve` (in an empty local folder here)."""
    monkeypatch.delenv("TABLE_NAME", raising=False)
    monkeypatch.setenv("LOYALTY_LOCAL_DIR", str(tmp_path))
    return tmp_path


def _one_error_line(capsys, run):
    with pytest.raises(SystemExit) as stopped:
        run()
    assert stopped.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("argv", [["tenant", "list"], ["key", "list", "acme"], ["check"], ["job", "expire-points"]])
def test_without_a_running_engine_every_command_says_so_in_one_line(no_table, capsys, argv):
    assert "make serve" in _one_error_line(capsys, lambda: cli.main(argv))


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
    message = _one_error_line(capsys, lambda: cli.main(["job", "expire-points", "--now", "2030-01-01T00:00:00Z"]))
    assert "--force" in message


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
