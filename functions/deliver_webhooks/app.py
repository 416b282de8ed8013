"""The webhook delivery queue's consumer (SQS `WebhookDeliveries`, WEBHOOK_QUEUE_URL): each message is one attempt
of a delivery (services/webhook_delivery.handle). A message that raises is reported in the partial batch response
and received again after its visibility timeout (then the DLQ); the others of the batch are done."""

from typing import Any

from loyalty.observability import logger
from loyalty.services import webhook_delivery


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records", [])
    failed = webhook_delivery.handle(records)
    logger.info("deliver_webhooks done", extra={"messages": len(records), "failed": len(failed)})
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
