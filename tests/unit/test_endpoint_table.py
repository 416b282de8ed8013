"""The layer's cut of botocore's endpoint table: written from the pinned botocore, covering every client the
layer makes, and resolving each of them exactly as botocore's own table does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from botocore.session import Session
from loyalty.repository import client as client_module

from tools import botocore_endpoints

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_table_is_the_cut_of_the_pinned_botocore() -> None:
    shipped = botocore_endpoints.TARGET.read_text(encoding="utf-8")
    assert shipped == botocore_endpoints.cut(client_module.ENDPOINT_SERVICES), (
        "run `python -m tools.botocore_endpoints` (botocore or ENDPOINT_SERVICES changed)"
    )


def test_every_client_the_layer_makes_is_in_the_table() -> None:
    named = set()
    for folder in ("layers", "functions"):
        for path in (ROOT / folder).rglob("*.py"):
            named |= set(re.findall(r"aws_client\(\s*\"([a-z0-9-]+)\"", path.read_text(encoding="utf-8")))
    assert named, "no aws_client call found: the pattern is stale"
    assert named <= client_module.ENDPOINT_SERVICES


@pytest.mark.parametrize("service", sorted(client_module.ENDPOINT_SERVICES))
@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1"])
def test_a_client_resolves_as_with_botocores_own_table(
    service: str, region: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ENDPOINT_URL", f"AWS_ENDPOINT_URL_{service.upper()}", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", region)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    ours = client_module.aws_client(service)
    theirs = Session().create_client(service, region_name=region)
    assert ours.meta.endpoint_url == theirs.meta.endpoint_url
    assert ours.meta.partition == theirs.meta.partition
    assert ours.meta.config.signature_version == theirs.meta.config.signature_version
    loader = ours._loader  # the loader the client was made with searched the cut table first
    assert loader.search_paths[0] == client_module.ENDPOINTS_FOLDER
