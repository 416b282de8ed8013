"""A Python client generated with openapi-python-client from the committed docs/openapi.json, as an integrator would."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from tools.openapi import DOCUMENT_PATH

PACKAGE = "loyalty_client"
# no post-generation hooks (the default runs ruff on the output, which needs it on PATH and proves nothing)
CONFIG = "post_hooks: []\n"


def generate(into: Path) -> ModuleType:
    """Generate the client package into `into` and import it."""
    config = into / "config.yaml"
    config.write_text(CONFIG)
    tool = Path(sys.executable).parent / "openapi-python-client"
    done = subprocess.run(
        [
            str(tool),
            "generate",
            "--path",
            str(DOCUMENT_PATH),
            "--meta",
            "none",
            "--output-path",
            str(into / PACKAGE),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0 and "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(into))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(into))


def module(client: ModuleType, name: str) -> ModuleType:
    """A module of the generated package, e.g. `api.members.create_member` or `models`."""
    return importlib.import_module(f"{client.__name__}.{name}")
