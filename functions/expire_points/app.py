"""Scheduled job: expire the unspent points of lots past their last day."""

from typing import Any

from loyalty.observability import logger
from loyalty.services import jobs


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    result = jobs.expire_points()
    logger.info("expire_points done", extra=result)
    return result
