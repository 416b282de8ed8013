"""The code the CDK assets ship: each function and our layer, staged with bytecode compiled for Lambda's Python.

Lambda's file system is read-only and CDK zips every file with a fixed timestamp, so a cold start can neither write
bytecode nor trust timestamp-checked bytecode: without this step it compiles every module of ours on every cold start.
The staged copies (build/assets/<hash of the sources>/, git-ignored) carry `__pycache__/*.cpython-313.pyc` compiled
by python3.13 with `unchecked-hash` invalidation (loaded without looking at the source, which ships beside it for
tracebacks), file names as Lambda sees them (/var/task, /opt/python) and a fixed hash seed, so the same sources give
the same bytes and the same asset hash: an unchanged function is not deployed again.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

from infra import config

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "assets"
FUNCTIONS = ROOT / "functions"
LAYER = ROOT / "layers" / "loyalty"
# Where Lambda puts a function's code and its layers' content.
TASK_ROOT = "/var/task"
LAYER_ROOT = "/opt"
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")

_COMPILE = """
import compileall, py_compile, sys
for root, ddir in zip(sys.argv[1::2], sys.argv[2::2]):
    if not compileall.compile_dir(root, ddir=ddir, quiet=1, force=True, optimize=0, workers=1,
                                  invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH):
        sys.exit(f"compiling {root} failed")
"""


def runtime_version() -> tuple[int, int]:
    """(3, 13) for python3.13, the runtime of every function."""
    major, minor = config.PYTHON_RUNTIME.removeprefix("python").split(".")
    return int(major), int(minor)


def _sources() -> list[tuple[Path, Path]]:
    """(source file, path inside the build) of everything the functions and the layer ship."""
    files = []
    for base, target in ((FUNCTIONS, Path("functions")), (LAYER, Path("layer"))):
        for path in sorted(base.rglob("*")):
            relative = path.relative_to(base)
            shipped = len(relative.parts) > 1 or base == LAYER  # functions/__init__.py belongs to no function
            if shipped and path.is_file() and "__pycache__" not in relative.parts and path.suffix != ".pyc":
                files.append((path, target / relative))
    return files


def _digest(files: list[tuple[Path, Path]], compiled: bool) -> str:
    digest = hashlib.sha256(f"{config.PYTHON_RUNTIME} bytecode={compiled}".encode())
    for source, target in files:
        digest.update(f"\0{target.as_posix()}\0".encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:20]


def _compile(staging: Path) -> None:
    """Bytecode for every module, as python3.13 loads it on Lambda (this interpreter is python3.13)."""
    roots: list[str] = []
    for function in sorted((staging / "functions").iterdir()):
        roots += [str(function), TASK_ROOT]
    roots += [str(staging / "layer"), LAYER_ROOT]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"  # frozenset constants are written in hash order
    subprocess.run([sys.executable, "-c", _COMPILE, *roots], env=env, check=True, capture_output=True)


@functools.cache
def staged() -> Path:
    """The build of the current sources (made once, then reused until a source changes)."""
    compiled = sys.version_info[:2] == runtime_version()
    if not compiled:
        warnings.warn(
            f"Python {sys.version_info[0]}.{sys.version_info[1]} is not the functions' runtime "
            f"({config.PYTHON_RUNTIME}): the assets ship without bytecode and every cold start compiles them",
            stacklevel=2,
        )
    files = _sources()
    target = BUILD / _digest(files, compiled)
    if target.is_dir():
        return target
    BUILD.mkdir(parents=True, exist_ok=True)
    staging = BUILD / f".{target.name}.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    for source, relative in files:
        (staging / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, staging / relative)
    if compiled:
        _compile(staging)
    try:
        staging.rename(target)
    except OSError:  # another synthesis built the same sources first
        shutil.rmtree(staging)
    for old in BUILD.iterdir():  # builds of older sources
        if old.name != target.name and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
    return target


def function_code(function: str) -> Path:
    """What Lambda unpacks into /var/task for functions/<function>/."""
    return staged() / "functions" / function


def layer_code() -> Path:
    """What Lambda unpacks into /opt for our layer (its python/ folder holds the loyalty package)."""
    return staged() / "layer"
