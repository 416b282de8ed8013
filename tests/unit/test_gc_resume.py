"""Garbage collection on Lambda: paused for init's imports, running again once the handler Lambda calls is imported,
whether or not the function's handler is decorated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from infra import config

LAYER = Path(__file__).resolve().parents[2] / "layers" / "loyalty" / "python"

# A function's app.py with a bare handler: no Logger, no endpoint decorator.
BARE_APP = """
import gc
from loyalty.services import program  # the layer's package: collection pauses here on Lambda
PAUSED_DURING_IMPORT = not gc.isenabled()
def handler(event, context):
    return {"gc": gc.isenabled()}
"""

# Imports the deployed handler the way Lambda does (module, then attribute), calls it once, reports the collector.
PROBE = """
import gc, importlib, json, sys
task, layer, handler = sys.argv[1:4]
sys.path[:0] = [task, layer]
module, attribute = handler.rsplit(".", 1)
function = getattr(importlib.import_module(module), attribute)
after_import = {"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}
app = sys.modules["app"]
answer = function({}, None)
print(json.dumps({"import": after_import, "paused": app.PAUSED_DURING_IMPORT, "own": function is app.handler,
                  "call": answer}))
"""


def cold_start(task: Path, on_lambda: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_FUNCTION_NAME"}
    if on_lambda:
        env["AWS_LAMBDA_FUNCTION_NAME"] = "bare"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(task), str(LAYER), config.HANDLER],
        env=env,
        cwd=task,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_handler_without_any_decorator_has_the_collector_running_once_it_is_imported(tmp_path):
    (tmp_path / "app.py").write_text(BARE_APP)
    report = cold_start(tmp_path, on_lambda=True)
    assert report["paused"] is True  # init's imports ran without collection (the cold-start saving)
    assert report["import"]["enabled"] is True, "init ended with garbage collection still off"
    assert report["import"]["frozen"] > 0  # what init built is frozen out of later passes
    assert report["own"] is True  # Lambda calls the function's own handler, no wrapper in between
    assert report["call"] == {"gc": True}


def test_outside_lambda_the_collector_is_never_paused(tmp_path):
    (tmp_path / "app.py").write_text(BARE_APP)
    report = cold_start(tmp_path, on_lambda=False)
    assert report["paused"] is False
    assert report["import"] == {"enabled": True, "frozen": 0}
