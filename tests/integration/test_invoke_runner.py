"""`loyalty invoke <function> events/<file>.json` runs a real handler on a fresh in-memory table (no Docker)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize("function", ["get_status", "create_award", "authorizer", "create_token"])
def test_invoke_prints_the_handlers_answer(function):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "TABLE_NAME"}
    output = subprocess.run(
        [sys.executable, "-m", "tools.cli", "invoke", function, str(ROOT / "events" / f"{function}.json")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=True,
    )
    answer = json.loads(output.stdout[output.stdout.index("{") :])
    if function == "authorizer":
        assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow", answer
    else:
        assert answer["statusCode"] in (200, 201), answer
        assert json.loads(answer["body"])
