"""The one DynamoDB client of a container, created on first import and reused by every request."""

from __future__ import annotations

import json
import os
from typing import Any

from botocore.config import Config
from botocore.loaders import Loader
from botocore.session import Session

from loyalty.repository.table import LOCAL_TABLE_NAME

TABLE_NAME = os.environ.get("TABLE_NAME", LOCAL_TABLE_NAME)

# The client comes from botocore itself: boto3 would only add its resource layer and its own Session in front of
# the same botocore client, and costs ~0.15 of a cold start (see docs/performance.md). Credentials, region and
# endpoint resolve exactly as through boto3; only the User-Agent names botocore instead of boto3.
# botocore does not retry: every retry is the store's (loyalty.repository.retry), so there is one
# policy with one budget, and a write whose outcome is unknown is never sent twice.

# botocore's legacy endpoint table (endpoints.json, 1.2 MB of JSON for every AWS service, parsed by every new
# session) cut to the partitions and the services the layer makes clients of: with the loader below, 0.96 of a
# function's cold start without them (docs/performance.md). The file is
# written from the pinned botocore by `python -m tools.botocore_endpoints` (a unit test holds it to that);
# botocore's loader reads it before its own (an extra search path: public API, the runtime's botocore reads it
# as it reads its own), and still finds every service model in its own data.
ENDPOINT_SERVICES = frozenset({"dynamodb", "events", "s3", "secretsmanager", "sqs"})
ENDPOINTS_FOLDER = os.path.join(os.path.dirname(__file__), "botocore_data")


class _Loader(Loader):
    """botocore's loader with the cut endpoint table first, that finds a service it knows without listing the
    folders of every AWS service to check that it exists (~2,800 file system calls a session)."""

    def __init__(self) -> None:
        super().__init__(extra_search_paths=[ENDPOINTS_FOLDER])

    def list_available_services(self, type_name: str) -> list[str]:
        return sorted(ENDPOINT_SERVICES)


def aws_client(service: str, config: Config | None = None) -> Any:
    """A botocore client of `service` in this container's region (no boto3: see above).

    On Lambda AWS_REGION is always set; an operator's shell may name the region only in its profile
    (AWS_PROFILE's `region` in ~/.aws/config), which botocore reads as boto3 does; us-east-1 only if none.
    """
    session = Session()
    if service in ENDPOINT_SERVICES:
        session.register_component("data_loader", _Loader())
    region = (
        os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or session.get_config_variable("region")
        or "us-east-1"
    )
    return session.create_client(service, region_name=region, config=config)


# The data-plane operations whose answers are taken as DynamoDB sends them (below).
PLAIN_ANSWERS = frozenset(
    {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "PutItem", "UpdateItem", "DeleteItem",
     "BatchWriteItem", "TransactWriteItems"}
)  # fmt: skip


def _plain_answer(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **context: Any) -> None:
    """Take a data-plane success answer's JSON as it is instead of botocore's walk of the output shape.

    DynamoDB's wire format is already what the repository reads (`{"S": "..."}` attribute values, numbers as
    strings): botocore's parse returns the same dict, but walks the shape of every attribute of every item to
    build it, and costs about a third of the client CPU of a read-heavy call (a members export: 0.62 → 0.40 ms
    a row). The one type it changes, binary (`B`, `BS`, base64-decoded), is never stored (repository.marshal).
    botocore's `before-parse` event lets a handler supply parsed fields; the body it then parses is `{}`, so
    the answer keeps its ResponseMetadata. Errors keep botocore's own parse (their modeled fields).
    """
    operation = context.get("operation_model")
    body = response_dict.get("body")
    if response_dict.get("status_code", 500) >= 300 or not body or getattr(operation, "name", "") not in PLAIN_ANSWERS:
        return
    answer = json.loads(body)
    if isinstance(answer, dict):
        customized_response_dict.update(answer)
        response_dict["body"] = b"{}"


client = aws_client(
    "dynamodb", Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=2, read_timeout=5)
)
client.meta.events.register("before-parse.dynamodb", _plain_answer)


def table_name() -> str:
    """The table every request uses (TABLE_NAME, read at start so tests may point elsewhere)."""
    return os.environ.get("TABLE_NAME", TABLE_NAME)
