"""Webhook delivery (§13): fan-out of stored events to the endpoints subscribed to them, and the attempts.

`fan_out(events)` runs in the event builder after a batch's events are stored (services/event_store.py): per
event and enabled endpoint subscribed to its type it creates the delivery (repository/deliveries.py, a
deterministic id, a conditional put: at most once) and sends its first attempt to the queue
(repository/delivery_queue.py). A batch processed again creates nothing new; a delivery that exists with no
attempt yet is queued again (the process may have died between the put and the send: a duplicate message is
harmless, see below). An endpoint gets the events of changes made from its creation on (its id's ULID time,
less CREATION_MARGIN), so a stream read again from its start after a restart sends no old event to a new endpoint.

`handle(messages)` is the queue's consumer (deployed: functions/deliver_webhooks on SQS; locally the delivery
worker of `make serve`, tools/local/delivery.py). Per message:
- a message for an attempt already made (the delivery's `attempts` moved on) or a delivery no longer pending
  is dropped: SQS delivers at least once and a retry by hand sends a second message;
- a message not yet due (an SQS delay is at most 15 minutes) goes back with the delay that remains;
- the endpoint deleted or disabled → the delivery fails without an attempt (`stoppedReason`);
- the event is read from its stored item, by key, at each attempt (a delivery keeps no copy): an erasure's
  redaction reaches every attempt after it, and the table holds the member's data in one place; an event
  past its 30 days (a retry by hand of an old delivery) → the delivery fails without an attempt;
- at most SLOTS attempts per endpoint are in flight (a lease per slot, repository/leases.py); with every slot
  taken the message goes back BUSY_SECONDS later, without an attempt: a slow receiver holds at most SLOTS
  concurrent executions however many of its deliveries are queued, and the others' deliveries go on;
- the URL is checked again (url_guard.check_url: a URL that now resolves privately fails the attempt) and the
  request goes to the address it checked (no second DNS answer in between; https verifies the host's name);
- a POST of the event JSON with `webhook-id` (the event id), `webhook-timestamp` (now) and `webhook-signature`
  signed afresh with every live secret, TIMEOUT seconds for the whole attempt (connect to the answer's status,
  headers and the first bytes of its body), redirects not followed (a 3xx is a failure);
- 2xx → succeeded; 410 → the endpoint is disabled ("gone") and the delivery fails; else the next attempt after
  the `Retry-After` the receiver asked for (seconds or an HTTP date, at most RETRY_AFTER_MOST) or the schedule's
  next delay (LOYALTY_WEBHOOK_SCHEDULE, comma-separated seconds; DEFAULT_SCHEDULE is about 3 days), then failed;
- the attempt is recorded on condition that no other was recorded since it started, and the endpoint's health
  (webhooks.record_outcome: 5 days failing disables it).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from loyalty import clock
from loyalty.caller import Caller
from loyalty.errors import Conflict, NotFound
from loyalty.numerals import is_digits
from loyalty.repository import deliveries, delivery_queue, leases, store
from loyalty.repository import events as events_db
from loyalty.services import webhook_signing

DEFAULT_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 36000, 86400, 86400)  # 10 attempts over about 3.1 days
TIMEOUT = 10.0
RETRY_AFTER_MOST = 86400.0
SLOTS = 4  # attempts in flight per endpoint
SLOT_SECONDS = int(TIMEOUT) + 20  # a slot's lease outlives an attempt; a killed holder's lapses by then
BUSY_SECONDS = 1.0
# An event whose time is up to this much before an endpoint's creation is still its: an event's time may be the
# stream record's approximate time, which DynamoDB Local gives to the minute (points.rejected, points.approved).
CREATION_MARGIN = 120.0
_BODY_READ = 4096  # what is read of a receiver's answer (it is not kept)


def schedule() -> tuple[float, ...]:
    """The delays after each failed attempt (the environment's LOYALTY_WEBHOOK_SCHEDULE, else the default)."""
    given = os.environ.get("LOYALTY_WEBHOOK_SCHEDULE", "").strip()
    if not given:
        return tuple(float(s) for s in DEFAULT_SCHEDULE)
    return tuple(float(part) for part in given.split(",") if part.strip())


def _webhooks() -> Any:
    from loyalty.services import webhooks  # the endpoint store (services/webhooks.py)

    return webhooks


def _message(tenant_id: str, webhook_id: str, delivery_id: str, attempt: int) -> dict[str, Any]:
    return {"tenantId": tenant_id, "webhookId": webhook_id, "deliveryId": delivery_id, "attempt": attempt}


def _first_delivered(webhook_id: str) -> str:
    """The oldest event time an endpoint gets: its creation (its id's ULID) less CREATION_MARGIN, as ISO."""
    millis = deliveries._millis(webhook_id.partition("_")[2])
    return clock.iso(datetime.fromtimestamp(millis / 1000 - CREATION_MARGIN, UTC))


# --- fan-out -----------------------------------------------------------------------------------------------


def fan_out(events: Iterable[Mapping[str, Any]]) -> int:
    """Create and queue the deliveries of stored events (at most once each); how many were created now.
    The batch's deliveries are written together (repository/deliveries.put_new_many) and queued together."""
    enabled: dict[str, list[Any]] = {}  # each tenant's endpoints read once per batch, whatever its event types
    wanted: list[dict[str, Any]] = []
    for event in events:
        tenant_id = event["tenantId"]
        if tenant_id not in enabled:
            enabled[tenant_id] = _webhooks().enabled_endpoints(tenant_id)
        for endpoint in enabled[tenant_id]:
            if not endpoint.subscribes_to(event["type"]):
                continue
            if event["timestamp"] < _first_delivered(endpoint.webhook_id):
                continue  # a change from before the endpoint existed (a stream read again after a restart)
            wanted.append(deliveries.item(tenant_id, endpoint.webhook_id, event, clock.iso(clock.now())))
    made = deliveries.put_new_many(wanted)
    created = {id(one) for one in made}
    queued = list(made)
    for stored in wanted:
        if id(stored) in created:
            continue
        existing = deliveries.get(_tenant_of(stored), stored["deliveryId"])
        if existing and existing["status"] == deliveries.PENDING and not existing["attempts"]:
            queued.append(stored)  # made before a crash that may have lost its first message: queued again
    delivery_queue.send_many([_message(_tenant_of(one), one["webhookId"], one["deliveryId"], 0) for one in queued])
    return len(made)


def _tenant_of(stored: Mapping[str, Any]) -> str:
    return str(stored["tenantId"])


# --- attempts ----------------------------------------------------------------------------------------------


def retry_after(value: str | None, now: float) -> float | None:
    """A Retry-After header's wait in seconds (delay-seconds or an HTTP date), at most RETRY_AFTER_MOST."""
    if not value:
        return None
    value = value.strip()
    if is_digits(value):
        return min(float(value), RETRY_AFTER_MOST)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(when.timestamp() - now, 0.0), RETRY_AFTER_MOST)


class _PinnedHttp(http.client.HTTPConnection):
    """An HTTP connection to the address the URL guard checked (no second resolution: DNS rebinding)."""

    def __init__(self, host: str, port: int | None, address: str | None, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address or self.host, self.port), self.timeout)


class _PinnedHttps(http.client.HTTPSConnection):
    """HTTPS to the checked address, the certificate verified for the URL's host name (SNI)."""

    def __init__(self, host: str, port: int | None, address: str | None, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        raw = socket.create_connection((self.address or self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def post(
    url: str, body: str, headers: Mapping[str, str], address: str | None = None
) -> tuple[int | None, str | None, str | None]:
    """POST once to `address` (else the URL's host), no redirect followed: (status, Retry-After, error).
    A connection failure or a timeout is (None, None, why)."""
    parts = urllib.parse.urlsplit(url)
    kind = _PinnedHttps if parts.scheme == "https" else _PinnedHttp
    connection = kind(parts.hostname or "", parts.port, address, TIMEOUT)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    began = time.monotonic()
    # TIMEOUT bounds each socket operation; this bounds the whole attempt (a receiver that trickles its answer a
    # header a few seconds apart would hold it for as long as it likes): at the deadline the socket is shut.
    deadline = threading.Timer(TIMEOUT, _cut, (connection,))
    deadline.start()
    try:
        connection.request("POST", target, body=body.encode(), headers=dict(headers))
        answer = connection.getresponse()
        answer.read(_BODY_READ)
        if time.monotonic() - began > TIMEOUT:
            return None, None, f"no whole answer within {TIMEOUT:g} s"
        return answer.status, answer.getheader("Retry-After"), None
    except (OSError, http.client.HTTPException, ValueError) as error:
        if time.monotonic() - began >= TIMEOUT:
            return None, None, f"no whole answer within {TIMEOUT:g} s"
        return None, None, f"{type(error).__name__}: {error}"[:200]
    finally:
        deadline.cancel()
        connection.close()


def _cut(connection: http.client.HTTPConnection) -> None:
    """Shut the attempt's socket: a read blocked on it returns at once."""
    sock = connection.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # closed already


def _take_slot(tenant_id: str, webhook_id: str, holder: str) -> str | None:
    for slot in range(SLOTS):
        name = deliveries.slot(tenant_id, webhook_id, slot)
        if leases.take(name, holder, SLOT_SECONDS):
            return name
    return None


def _next_delay(delivery: Mapping[str, Any], status: int | None, asked: float | None) -> float | None:
    """The wait before the next attempt after a failed one, None when the schedule is spent."""
    steps = schedule()
    made = int(delivery["attempts"]) + 1 - int(delivery.get("since") or 0)  # failed attempts of this round
    if made > len(steps):
        return None
    return asked if asked is not None else steps[made - 1]


def attempt(message: Mapping[str, Any]) -> str:
    """Handle one queue message; what happened (for logs and tests): dropped, later, stopped, busy, or the status."""
    tenant_id, webhook_id, delivery_id = message["tenantId"], message["webhookId"], message["deliveryId"]
    started_from = int(message["attempt"])
    delivery = deliveries.get(tenant_id, delivery_id)
    if not delivery or delivery["status"] != deliveries.PENDING or int(delivery["attempts"]) != started_from:
        return "dropped"
    wait = float(message.get("notBefore") or 0) - time.time()
    if wait > 0.05:
        delivery_queue.send(dict(message), wait)
        return "later"
    webhooks = _webhooks()
    try:
        endpoint = webhooks.endpoint(tenant_id, webhook_id)
    except NotFound:
        deliveries.stop(tenant_id, delivery_id, started_from, "endpoint_deleted")
        return "stopped"
    if not endpoint.enabled:
        deliveries.stop(tenant_id, delivery_id, started_from, "endpoint_disabled")
        return "stopped"
    stored_event = store.get(events_db.key(tenant_id, delivery["eventId"]))
    if stored_event is None:  # past the 30 days events are kept (a retry by hand of an old delivery)
        deliveries.stop(tenant_id, delivery_id, started_from, "event_expired")
        return "stopped"
    holder = uuid.uuid4().hex
    slot = _take_slot(tenant_id, webhook_id, holder)
    if slot is None:
        delivery_queue.send(dict(message), BUSY_SECONDS)
        return "busy"
    try:
        return _send(endpoint, delivery, events_db.text_of(stored_event), started_from)
    finally:
        leases.give_back(slot, holder)


def _check_url(url: str) -> list[str]:
    from loyalty import url_guard  # the endpoint store's SSRF guard (loyalty/url_guard.py)

    return url_guard.check_url(url)


def _send(endpoint: Any, delivery: Mapping[str, Any], body: str, started_from: int) -> str:
    tenant_id, webhook_id, delivery_id = endpoint.tenant_id, endpoint.webhook_id, delivery["deliveryId"]
    began = time.time()
    status: int | None = None
    asked_header: str | None = None
    try:
        addresses = _check_url(endpoint.url)
    except Exception as refused:  # the URL resolves to an address it may not (deployed): this attempt fails
        error: str | None = f"url refused: {refused}"[:200]
    else:
        timestamp = int(time.time())
        headers = webhook_signing.headers(endpoint.secrets, delivery["eventId"], timestamp, body)
        address = addresses[0] if addresses else None  # connect where the guard looked, not where DNS says now
        status, asked_header, error = post(endpoint.url, body, headers, address)
    ended = time.time()
    at = clock.iso(datetime.fromtimestamp(ended, UTC))
    outcome = {"at": at, "statusCode": status, "durationMs": int((ended - began) * 1000)}
    if error:
        outcome["error"] = error
    ok = status is not None and 200 <= status < 300
    delay: float | None = None
    if ok:
        result = deliveries.SUCCEEDED
    elif status == 410:
        result = deliveries.FAILED
    else:
        delay = _next_delay(delivery, status, retry_after(asked_header, ended))
        result = deliveries.FAILED if delay is None else deliveries.PENDING
    due = clock.iso(datetime.fromtimestamp(ended + delay, UTC)) if delay is not None else None
    if not deliveries.record_attempt(tenant_id, delivery_id, started_from, outcome, result, due):
        return "dropped"  # another handler of the same message recorded this attempt
    webhooks = _webhooks()
    if not ok or endpoint.failing_since:  # a success of a healthy endpoint changes nothing: no read, no write
        webhooks.record_outcome(tenant_id, webhook_id, ok, at)
    if status == 410:
        webhooks.disable(tenant_id, webhook_id, "gone")
    if delay is not None:
        delivery_queue.send(_message(tenant_id, webhook_id, delivery_id, started_from + 1), delay)
    return result


def handle(messages: Iterable[Mapping[str, Any]]) -> list[str]:
    """The queue's batch (SQS records or local messages, each with `messageId` and a JSON `body`): the ids of
    the messages that failed (to be received again), for SQS's partial batch response."""
    failed = []
    for message in messages:
        try:
            attempt(json.loads(message["body"]))
        except Exception:
            from loyalty.observability import logger

            logger.exception("webhook delivery failed", extra={"messageId": message.get("messageId")})
            failed.append(str(message.get("messageId")))
    return failed


# --- the routes --------------------------------------------------------------------------------------------


def shown(delivery: Mapping[str, Any]) -> dict[str, Any]:
    """A delivery as GET …/deliveries shows it."""
    return {
        "deliveryId": delivery["deliveryId"],
        "webhookId": delivery["webhookId"],
        "eventId": delivery["eventId"],
        "type": delivery["type"],
        "status": delivery["status"],
        "attempts": int(delivery["attempts"]),
        "lastStatusCode": None if delivery.get("lastStatusCode") is None else int(delivery["lastStatusCode"]),
        "nextAttemptAt": delivery.get("nextAttemptAt"),
        "attemptLog": [
            {
                "at": one["at"],
                "statusCode": None if one.get("statusCode") is None else int(one["statusCode"]),
                "durationMs": int(one.get("durationMs") or 0),
                **({"error": one["error"]} if one.get("error") else {}),
            }
            for one in delivery.get("log") or []
        ],
        "stoppedReason": delivery.get("stoppedReason"),
    }


def list_deliveries(tenant_id: str, webhook_id: str, query: Any) -> Any:
    """GET /webhooks/{webhookId}/deliveries: the endpoint's deliveries, newest first (404 for an unknown one)."""
    from loyalty.repository import paging
    from loyalty.results import Page

    page = paging.request(tenant_id, f"deliveries/{webhook_id}", query.given())  # a bad token: 400 before 404
    _webhooks().endpoint(tenant_id, webhook_id)
    items, last = deliveries.of_webhook(tenant_id, webhook_id).query(
        newest_first=True, limit=page.limit, start=page.start
    )
    return Page([shown(item) for item in items], page.next_token(last))


def retry(caller: Caller, webhook_id: str, delivery_id: str) -> dict[str, Any]:
    """POST …/deliveries/{deliveryId}/retry: send again now (same event id), the schedule starting over. Sent
    twice (a client's retry), it sends twice: each is a request to send now, and receivers dedupe by id."""
    tenant_id = caller.tenant_id
    if not _webhooks().endpoint(tenant_id, webhook_id).enabled:  # it would stop at once, a success shown failed
        raise Conflict("invalid_state", "The endpoint is disabled; enable it (PATCH enabled: true) to send again.")
    for _ in range(3):
        delivery = deliveries.get(tenant_id, delivery_id)
        if not delivery or delivery["webhookId"] != webhook_id:
            raise NotFound("The delivery does not exist.")
        attempts = int(delivery["attempts"])
        if deliveries.restart(tenant_id, delivery_id, attempts, clock.iso(clock.now())):
            delivery_queue.send(_message(tenant_id, webhook_id, delivery_id, attempts))
            return shown(deliveries.get(tenant_id, delivery_id) or delivery)
    raise Conflict("request_in_progress", "The delivery is being attempted now; try again.")
