"""PLACEHOLDER (expiring branch, for CDK synthesis only): the deliver branch's handler replaces this file.

The `WebhookDeliveries` SQS queue → webhook deliveries (§13): each message one delivery, attempted by
services/webhook_delivery.handle; the messages not handled are answered as batchItemFailures
(ReportBatchItemFailures), so only they come back."""

import importlib
from typing import Any

from loyalty.observability import logger


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> Any:
    delivery = importlib.import_module("loyalty.services.webhook_delivery")  # the deliver branch's module
    return delivery.handle(event.get("Records", []))
