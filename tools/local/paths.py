"""Where local state lives: the installed engine, its database, credentials and the state file of `make serve`."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE_DIR = ROOT / ".local" / "dynamodb"
LAUNCHER_SOURCE = Path(__file__).resolve().parent / "java" / "LoopbackDynamoDBLocal.java"


def local_dir() -> Path:
    """The ignored folder for the database, the access key and the state file (LOYALTY_LOCAL_DIR moves it)."""
    return Path(os.environ.get("LOYALTY_LOCAL_DIR") or ROOT / ".local")


def data_dir() -> Path:
    return local_dir() / "data"


def state_file() -> Path:
    return local_dir() / "engine.json"


def credentials_file() -> Path:
    return local_dir() / "credentials.json"
