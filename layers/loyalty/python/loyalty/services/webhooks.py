"""Webhook endpoints (§13): the admin routes that manage them, and what delivery reads and records of them.

An endpoint has a URL (checked by loyalty.url_guard at registration and, by delivery, before each attempt),
the event types it subscribes to (or "*"), and a secret (`whsec_` + standard base64 of 32 random bytes from
`secrets`). `rotate-secret` makes a new secret; the previous one keeps signing beside it for 24 hours
(`Endpoint.secrets` holds both until then). At most MAX_ENDPOINTS per tenant, held by a guard item counted
in the create's and the delete's transaction (repository.webhooks).

Delivery (services/webhook_delivery.py) reads endpoints with `enabled_endpoints` and `endpoint`, by key and
strongly consistent, with no cache: a deleted, paused or disabled endpoint gets nothing from the next
read on. It reports outcomes with `record_outcome` and `disable`, which write only on a transition.
"""

from __future__ import annotations

import base64
import secrets as random_bytes
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from loyalty import clock, ids, url_guard
from loyalty.caller import Caller
from loyalty.errors import Conflict, NotFound, ValidationFailed
from loyalty.models.types import fields_of
from loyalty.models.webhooks import ALL_EVENTS, Webhook, WebhookCreate, WebhookListQuery, WebhookUpdate
from loyalty.operation import Operation, run
from loyalty.repository import paging, store
from loyalty.repository import webhooks as webhooks_db
from loyalty.results import Page

if TYPE_CHECKING:
    from loyalty.repository.records import WebhookRecord

MAX_ENDPOINTS = 20
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
ROTATION_OVERLAP = timedelta(hours=24)  # the previous secret signs beside the new one this long
FAILING_DISABLES_AFTER = timedelta(days=5)  # an endpoint failing this long straight is disabled
PAUSED, FAILING, GONE = "paused", "failing", "gone"


@dataclass(frozen=True)
class Endpoint:
    """An endpoint as delivery sees it."""

    tenant_id: str
    webhook_id: str  # "wh_" + ULID
    url: str
    events: tuple[str, ...]  # event types or ("*",)
    enabled: bool
    secrets: tuple[str, ...]  # the secrets that sign now: the current first, then the previous one for 24 h
    failing_since: str | None  # ISO time of the first failure of the current failing streak, None when healthy

    def subscribes_to(self, event_type: str) -> bool:
        return ALL_EVENTS in self.events or event_type in self.events


def new_secret() -> str:
    """`whsec_` and the standard (not URL-safe) base64 of 32 random bytes from `secrets`."""
    return SECRET_PREFIX + base64.b64encode(random_bytes.token_bytes(SECRET_BYTES)).decode("ascii")


def signing_secrets(webhook: WebhookRecord, now: str) -> tuple[str, ...]:
    """The current secret, and the previous one while its 24 hours after a rotation last."""
    previous, until = webhook.get("previousSecret"), webhook.get("previousSecretExpiresAt")
    if previous and until and now < until:
        return (webhook["secret"], previous)
    return (webhook["secret"],)


def _endpoint(tenant_id: str, webhook: WebhookRecord, now: str) -> Endpoint:
    return Endpoint(
        tenant_id=tenant_id,
        webhook_id=webhook["webhookId"],
        url=webhook["url"],
        events=tuple(webhook["events"]),
        enabled=bool(webhook["enabled"]),
        secrets=signing_secrets(webhook, now),
        failing_since=webhook.get("failingSince"),
    )


def public(webhook: WebhookRecord) -> dict[str, Any]:
    """The endpoint as the API shows it (to admin keys only: it holds the secret); an expired previous
    secret's time is shown as null."""
    shown = fields_of(Webhook, webhook)
    if (shown.get("previousSecretExpiresAt") or "") <= clock.iso(clock.now()):
        shown["previousSecretExpiresAt"] = None
    return shown


def _events(given: list[str]) -> list[str]:
    """The subscribed types, each once, in the order given; "*" stands alone."""
    distinct = list(dict.fromkeys(given))
    if ALL_EVENTS in distinct and len(distinct) > 1:
        raise ValidationFailed(details=[{"field": "events", "message": 'must be ["*"] or event types, not both'}])
    return distinct


def _check_url(url: str) -> None:
    url_guard.check_url(url)  # a 400 naming the field `url` when the endpoint may not be sent to


# --- the routes -------------------------------------------------------------------------------------


def create_webhook(caller: Caller, body: WebhookCreate) -> dict[str, Any]:
    """A new endpoint with a new secret (201); `409 limit_reached` when the tenant has MAX_ENDPOINTS."""
    tenant_id = caller.tenant_id
    events = _events(body.events)
    _check_url(body.url)

    def attempt(operation: Operation) -> dict[str, Any]:
        (guard,) = operation.read([webhooks_db.limit_key(tenant_id)])
        if webhooks_db.count_of(guard) >= MAX_ENDPOINTS:
            raise Conflict(
                "limit_reached",
                f"A tenant has at most {MAX_ENDPOINTS} webhook endpoints; delete one to add another.",
            )
        now = clock.iso(clock.now())
        webhook = cast(
            "WebhookRecord",
            {
                "webhookId": webhooks_db.ID_PREFIX + ids.ulid(),
                "url": body.url,
                "events": events,
                "description": body.description,
                "enabled": True,
                "disabledReason": None,
                "failingSince": None,
                "secret": new_secret(),
                "previousSecret": None,
                "previousSecretExpiresAt": None,
                "createdAt": now,
                "updatedAt": now,
                "version": 0,
            },
        )
        return operation.commit(webhooks_db.create_items(tenant_id, webhook, MAX_ENDPOINTS), public(webhook))

    return run(caller, attempt)


def list_webhooks(tenant_id: str, query: WebhookListQuery) -> Page[list[dict[str, Any]]]:
    """The tenant's endpoints, newest first: one Query of their partition."""
    page = paging.request(tenant_id, "webhooks", query.given())
    found, last = webhooks_db.page(tenant_id, page.limit, page.start)
    return Page([public(webhook) for webhook in found], page.next_token(last))


def _stored(tenant_id: str, webhook_id: str) -> WebhookRecord:
    return store.required(store.get(webhooks_db.key(tenant_id, webhook_id)), "webhook endpoint")


def get_webhook(tenant_id: str, webhook_id: str) -> dict[str, Any]:
    return public(_stored(tenant_id, webhook_id))


def _save(operation: Operation, current: WebhookRecord, changes: dict[str, Any], status: int = 200) -> dict[str, Any]:
    """`current` with `changes` (updatedAt, version + 1), put on condition it is still as read."""
    version = current["version"]
    updated = cast(
        "WebhookRecord",
        {**store.plain(current), **changes, "updatedAt": clock.iso(clock.now()), "version": version + 1},
    )
    return operation.commit([webhooks_db.changed(operation.tenant_id, updated, version)], public(updated), status)


def update_webhook(caller: Caller, webhook_id: str, body: WebhookUpdate) -> dict[str, Any]:
    """Change the URL, the event types, the description or `enabled`: false pauses (disabledReason
    "paused"), true enables a disabled endpoint again and clears disabledReason and failingSince."""
    given = body.given()
    if "events" in given:
        given["events"] = _events(given["events"])
    if "url" in given:
        _check_url(given["url"])

    def attempt(operation: Operation) -> dict[str, Any]:
        current = operation.read_existing(webhooks_db.key(caller.tenant_id, webhook_id), "webhook endpoint")
        changes = dict(given)
        if given.get("enabled") is True:
            changes.update(disabledReason=None, failingSince=None)
        elif given.get("enabled") is False and current["enabled"]:
            changes["disabledReason"] = PAUSED
        return _save(operation, current, changes)

    return run(caller, attempt)


def delete_webhook(caller: Caller, webhook_id: str) -> None:
    """Delete the endpoint (its slot of the MAX_ENDPOINTS is free again); 404 when there is none."""

    def attempt(operation: Operation) -> None:
        current = operation.read_existing(webhooks_db.key(caller.tenant_id, webhook_id), "webhook endpoint")
        store.transact(webhooks_db.delete_items(caller.tenant_id, current))

    run(caller, attempt)


def rotate_secret(caller: Caller, webhook_id: str) -> dict[str, Any]:
    """A new secret; the one it replaces keeps signing beside it for ROTATION_OVERLAP (a secret replaced
    earlier, still in its overlap, stops signing now: two secrets at most)."""

    def attempt(operation: Operation) -> dict[str, Any]:
        current = operation.read_existing(webhooks_db.key(caller.tenant_id, webhook_id), "webhook endpoint")
        until = clock.iso(clock.now() + ROTATION_OVERLAP)
        changes = {"secret": new_secret(), "previousSecret": current["secret"], "previousSecretExpiresAt": until}
        return _save(operation, current, changes)

    return run(caller, attempt)


# --- what delivery reads and records ------------------------------------------------------------------


def enabled_endpoints(tenant_id: str) -> list[Endpoint]:
    """The tenant's enabled endpoints: one strongly consistent Query of its endpoints (no index, no cache)."""
    now = clock.iso(clock.now())
    found = [_endpoint(tenant_id, webhook, now) for webhook in webhooks_db.all_endpoints(tenant_id)]
    return [endpoint for endpoint in found if endpoint.enabled]


def endpoints_for(tenant_id: str, event_type: str) -> list[Endpoint]:
    """The enabled endpoints subscribed to `event_type`."""
    return [endpoint for endpoint in enabled_endpoints(tenant_id) if endpoint.subscribes_to(event_type)]


def endpoint(tenant_id: str, webhook_id: str) -> Endpoint:
    """One endpoint, enabled or not, read by key; NotFound when there is none (deleted)."""
    found = store.get(webhooks_db.key(tenant_id, webhook_id))
    if found is None:
        raise NotFound("The webhook endpoint does not exist.")
    return _endpoint(tenant_id, found, clock.iso(clock.now()))


def _transition(tenant_id: str, webhook_id: str, decide: Callable[[WebhookRecord], dict[str, Any] | None]) -> None:
    """Re-read the endpoint and write what `decide(record)` changes (None: nothing), on condition it is
    unchanged since the read; a lost race re-reads and decides again. An endpoint that is gone: nothing."""

    def attempt(operation: Operation) -> None:
        (current,) = operation.read([webhooks_db.key(tenant_id, webhook_id)])
        if current is None:
            return
        changes = decide(current)
        if changes:
            version = current["version"]
            updated = cast("WebhookRecord", {**store.plain(current), **changes, "version": version + 1})
            store.transact([webhooks_db.changed(tenant_id, updated, version)])

    run(Caller(tenant_id), attempt)


def record_outcome(tenant_id: str, webhook_id: str, ok: bool, at: str) -> None:
    """A delivery attempt's outcome at `at` (ISO time). Writes only on a transition: the first failure of a
    streak sets failingSince; a success clears it; a failure FAILING_DISABLES_AFTER or more after the
    streak began disables the endpoint (disabledReason "failing"). Idempotent; conditional writes."""

    def decide(current: WebhookRecord) -> dict[str, Any] | None:
        since = current.get("failingSince")
        if ok:
            return {"failingSince": None} if since else None
        if not since:
            return {"failingSince": at}
        if current["enabled"] and clock.parse_iso(at) - clock.parse_iso(since) >= FAILING_DISABLES_AFTER:
            return {"enabled": False, "disabledReason": FAILING}
        return None

    _transition(tenant_id, webhook_id, decide)


def disable(tenant_id: str, webhook_id: str, reason: str) -> None:
    """Disable the endpoint with `reason` (e.g. "gone" on a 410); an endpoint already disabled is left as it is."""

    def decide(current: WebhookRecord) -> dict[str, Any] | None:
        return {"enabled": False, "disabledReason": reason} if current["enabled"] else None

    _transition(tenant_id, webhook_id, decide)
