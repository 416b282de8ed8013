"""The import workflow's first step (§14): split the uploaded file (`uploads/<tenant>/<importId>`, from the S3
ObjectCreated event) into chunks that carry their line numbers, and the manifest the Distributed Map reads."""

from typing import Any

from loyalty.observability import logger
from loyalty.services import import_jobs


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result = import_jobs.split(event["key"])  # (the event's size may be another upload's: the split reads its own)
    result["bucket"] = event.get("bucket")  # the Map reads the manifest from the same bucket
    logger.info("split_import done", extra={k: result[k] for k in ("importId", "chunks", "skip")})
    return result
