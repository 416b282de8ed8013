"""Every events/ sample runs with `loyalty invoke`'s fixture set and gets a success answer (the authorizer: Allow)."""

import json
from pathlib import Path

import pytest
from loyalty.routes import ROUTES

from tools.local.fixtures import invoke

PUBLIC = {route.function for route in ROUTES if route.public}  # bare RFC 6749 answers (§12), no envelope
EVENTS = sorted((Path(__file__).resolve().parents[2] / "events").glob("*.json"))


@pytest.mark.usefixtures("fresh_table")
@pytest.mark.parametrize("path", EVENTS, ids=[p.stem for p in EVENTS])
def test_every_sample_succeeds_on_the_fixture_set(path):
    answer = invoke(path.stem, json.loads(path.read_text()))
    if path.stem == "authorizer":
        assert answer["principalId"].startswith("demo/")
        assert {s["Effect"] for s in answer["policyDocument"]["Statement"]} == {"Allow"}
    elif "batchItemFailures" in answer:  # the webhook delivery queue's consumer: every message handled
        assert answer["batchItemFailures"] == [], answer
    elif answer.get("statusCode") == 204:  # a delete: no body
        assert answer["body"] == "", answer
    elif "statusCode" in answer:
        assert 200 <= answer["statusCode"] < 300, answer
        body = json.loads(answer["body"])
        assert "access_token" in body if path.stem in PUBLIC else "data" in body or path.stem == "get_status", body
        if path.stem.startswith("list_"):  # a list sample shows what it lists: its filters fit the fixture set
            data = json.loads(answer["body"])["data"]
            assert all(data.values()) if isinstance(data, dict) else data, (path.stem, data)
    else:  # a scheduled job's summary
        assert isinstance(answer, dict) and all(isinstance(v, int) for v in answer.values()), answer
