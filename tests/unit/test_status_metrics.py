"""The edge publishes Status5xx per function too (what each route's alarm watches), and 2xx/4xx per service only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from loyalty.errors import NotFound, Unavailable
from loyalty.http import FUNCTION_DIMENSION, endpoint
from loyalty.observability import metrics

from tools.local.gateway import LambdaContext

FUNCTION_NAME = "LoyaltyOffersApi-Routes1-CreateAward-abc123"


def _published(capsys, monkeypatch, failure: Exception | None) -> dict[str, Any]:
    """The one EMF record a handler prints for one call that raises `failure` (or succeeds)."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    metrics.clear_metrics()  # what earlier tests' handlers counted while metrics were disabled is never flushed

    @endpoint()
    def operation(request):
        if failure is not None:
            raise failure
        return {"ok": True}

    capsys.readouterr()
    operation(
        {"httpMethod": "GET", "path": "/x", "requestContext": {"authorizer": {"tenantId": "t"}}},
        LambdaContext(FUNCTION_NAME, "r-1"),
    )
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    return record


@pytest.mark.parametrize("failure", [RuntimeError("a bug"), Unavailable()], ids=["crash caught", "503"])
def test_a_5xx_is_counted_per_function_and_per_service(capsys, monkeypatch, failure):
    record = _published(capsys, monkeypatch, failure)
    (published,) = record["_aws"]["CloudWatchMetrics"]
    assert [m["Name"] for m in published["Metrics"]] == ["Status5xx"]
    assert ["service"] in published["Dimensions"] and [FUNCTION_DIMENSION] in published["Dimensions"]
    assert record[FUNCTION_DIMENSION] == FUNCTION_NAME
    assert record["Status5xx"] == [1.0]


@pytest.mark.parametrize("failure", [None, NotFound()], ids=["2xx", "4xx"])
def test_other_statuses_are_counted_per_service_only(capsys, monkeypatch, failure):
    record = _published(capsys, monkeypatch, failure)
    (published,) = record["_aws"]["CloudWatchMetrics"]
    assert published["Dimensions"] == [["service"]] and FUNCTION_DIMENSION not in record
