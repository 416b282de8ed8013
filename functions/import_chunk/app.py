"""The import workflow's Map item (§14): import one chunk's rows through the row-processing path, write its report
part, move the import's counters once. A throttle raises (Throttled): Step Functions retries the chunk with backoff."""

from typing import Any

from loyalty.observability import logger
from loyalty.services import import_jobs


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    counts = import_jobs.import_chunk(event["tenantId"], event["importId"], int(event["chunk"]), event["key"])
    logger.info("import_chunk done", extra={"importId": event["importId"], "chunk": event["chunk"], **counts})
    return counts
