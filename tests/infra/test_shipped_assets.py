"""What the synthesised assets ship: python3.13 bytecode that every cold start uses as is, and an init that ends
with the garbage collector frozen and running again."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from loyalty.routes import AUTHORIZER_FUNCTION, IMPORT_FUNCTIONS, JOBS, ROUTES, STREAM_FUNCTION

from infra import build
from infra.constructs import webhooks
from tools import coldstart

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("cdk"),
    pytest.mark.skipif(
        sys.version_info[:2] != build.runtime_version(),
        reason="bytecode for the functions' runtime is built and checked only on that Python",
    ),
]

UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based, source not checked

# Imports one handler the way Lambda does and reports what it loaded, what it had to compile and the collector.
PROBE = r"""
import gc, importlib, importlib.machinery, json, sys
compiled = []
source_to_code = importlib.machinery.SourceFileLoader.source_to_code
def tracked(loader, data, path, *, _optimize=-1):
    compiled.append(path)
    return source_to_code(loader, data, path, _optimize=_optimize)
importlib.machinery.SourceFileLoader.source_to_code = tracked
sys.dont_write_bytecode = True
task, opt, site_packages, handler = sys.argv[1:5]
sys.path[:0] = [task, opt + "/python"]
sys.path.append(site_packages)
module, attribute = handler.rsplit(".", 1)
getattr(importlib.import_module(module), attribute)
shipped = sorted(
    m.__file__ for m in list(sys.modules.values())
    if getattr(m, "__file__", None) and m.__file__.startswith((task, opt))
)
print(json.dumps({"compiled": compiled, "shipped": shipped, "gc": gc.isenabled(), "frozen": gc.get_freeze_count()}))
"""


def cold_start(deployed: coldstart.Deployed, lambda_env: bool = True) -> dict:
    env = {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "HOME": str(deployed.code),
        "POWERTOOLS_METRICS_DISABLED": "true",
        **deployed.environment,
    }
    if lambda_env:
        env["AWS_LAMBDA_FUNCTION_NAME"] = deployed.function
    site_packages = str(Path(importlib.util.find_spec("boto3").origin).parent.parent)
    arguments = [str(deployed.code), str(deployed.layer), site_packages, deployed.handler]
    output = subprocess.run(
        [sys.executable, "-I", "-S", "-c", PROBE, *arguments],
        env=env,
        cwd=deployed.code,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    assembly = tmp_path_factory.mktemp("assembly")
    coldstart.synthesise(assembly)
    return {d.function: d for d in coldstart.deployed_functions(assembly)}


@pytest.fixture(scope="module")
def cold_starts(deployed):
    return {name: cold_start(d) for name, d in deployed.items()}


def assert_valid_bytecode(source: Path) -> None:
    cached = Path(importlib.util.cache_from_source(str(source)))
    assert cached.is_file(), f"{source} ships without {cached.name}"
    header = cached.read_bytes()[:16]
    assert header[:4] == importlib.util.MAGIC_NUMBER, f"{cached} is not python3.13 bytecode"
    assert int.from_bytes(header[4:8], "little") == UNCHECKED_HASH, f"{cached} is not unchecked-hash bytecode"
    assert header[8:16] == importlib.util.source_hash(source.read_bytes()), f"{cached} was compiled from other source"


def test_every_function_of_the_route_table_is_deployed(deployed):
    expected = {r.function for r in ROUTES} | {j.function for j in JOBS} | {AUTHORIZER_FUNCTION, STREAM_FUNCTION}
    expected.add(webhooks.DELIVERY_FUNCTION)
    expected |= set(IMPORT_FUNCTIONS)  # the import workflow's steps (infra/constructs/imports.py)
    assert set(deployed) == expected


def test_every_shipped_module_has_valid_313_unchecked_hash_bytecode(deployed):
    assets = {d.code for d in deployed.values()} | {d.layer for d in deployed.values()}
    sources = [source for asset in assets for source in asset.rglob("*.py")]
    assert len(sources) > len(deployed)
    for source in sources:
        assert_valid_bytecode(source)


def test_a_cold_start_compiles_nothing_and_loads_every_module_of_ours_from_shipped_bytecode(deployed, cold_starts):
    for name, report in cold_starts.items():
        assets = (str(deployed[name].code), str(deployed[name].layer))
        ours = [path for path in report["compiled"] if path.startswith(assets)]
        assert ours == [], f"{name} compiled {ours}"
        shipped = [Path(path) for path in report["shipped"]]
        assert any(p.name == "app.py" for p in shipped) and any("loyalty" in p.parts for p in shipped), name
        for source in shipped:
            assert_valid_bytecode(source)


def test_init_ends_with_the_collector_running_and_inits_objects_frozen(cold_starts):
    for name, report in cold_starts.items():
        assert report["gc"] is True, f"{name} leaves garbage collection off after init"
        assert report["frozen"] > 10_000, f"{name} did not freeze what its init built"


def test_outside_lambda_the_collector_is_left_alone(deployed):
    report = cold_start(deployed["create_award"], lambda_env=False)
    assert report["gc"] is True and report["frozen"] == 0


def test_the_same_sources_build_the_same_bytes(tmp_path, monkeypatch):
    builds = []
    for name in ("one", "two"):
        monkeypatch.setattr(build, "BUILD", tmp_path / name)
        build.staged.cache_clear()
        builds.append(build.staged())
    build.staged.cache_clear()
    first, second = ({p.relative_to(b): p.read_bytes() for p in b.rglob("*.pyc")} for b in builds)
    assert first and first == second
    assert builds[0].name == builds[1].name  # the same asset hash: an unchanged function is not deployed again
    assert os.listdir(tmp_path / "one") == [builds[0].name]
