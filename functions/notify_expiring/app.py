"""Scheduled job (daily): points.expiring_soon for lots expiring within the program's expiryNoticeDays, once per
member and lot date; each event stored in the table and put on the stack's event bus (EVENT_BUS_NAME)."""

from typing import Any

from loyalty.event_bus import Publisher
from loyalty.observability import logger
from loyalty.services import jobs


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # Stops before the timeout (the next run resumes); raises jobs.TenantsFailed after the other tenants.
    with Publisher() as bus:
        result = jobs.notify_expiring(budget=jobs.Budget.of_lambda(context), publish=bus.add)
    logger.info("notify_expiring done", extra={**result, "published": bus.put})
    return result
