"""Scheduled job: approve delayed awards whose autoApprovalDate has come."""

from typing import Any

from loyalty.observability import logger
from loyalty.services import jobs


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    result = jobs.approve_delayed()
    logger.info("approve_delayed done", extra=result)
    return result
