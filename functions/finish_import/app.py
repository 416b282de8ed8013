"""The import workflow's last step (§14): merge the chunks' report parts into the report, set the import's status
(completed, or failed with the Map's error) and emit the one `import.completed`."""

from typing import Any

from loyalty.observability import logger
from loyalty.services import import_jobs


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    error = event.get("error")
    result = import_jobs.finish(
        event["tenantId"], event["importId"], int(event.get("chunks") or 0), str(error) if error else None
    )
    logger.info("finish_import done", extra={"importId": event["importId"], **result})
    return result
