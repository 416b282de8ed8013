"""Webhook endpoints (§13): a tenant's endpoints and the guard item that counts them, in one partition.

Partition `T#<t>#WEBHOOKS` holds each endpoint under its own id (sk `wh_<ULID>`, so the partition's
endpoints sort by creation) and the tenant's endpoint count (sk `LIMIT`, attribute `count`). Creating an
endpoint puts it and grows the count in one transaction, on condition the count is below the limit;
deleting one deletes it and shrinks the count in one transaction: however many creates race, the
stored endpoints never outnumber the limit, and the count is always their number (the checker holds it
to that). Every endpoint of a tenant is one strongly consistent Query of the partition (at most
`MAX_ENDPOINTS` items): what the delivery fan-out reads for each batch of events, no index, no cache.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from loyalty.repository import counters, keys, store

if TYPE_CHECKING:
    from loyalty.repository.records import WebhookRecord

ID_PREFIX = "wh_"
LIMIT = "LIMIT"


def partition(tenant_id: str) -> str:
    return f"{keys.tenant(tenant_id)}#WEBHOOKS"


def key(tenant_id: str, webhook_id: str) -> store.Key[WebhookRecord]:
    return store.key(partition(tenant_id), webhook_id)


def limit_key(tenant_id: str) -> store.Key[dict[str, Any]]:
    """The guard item that counts the tenant's endpoints."""
    return store.key(partition(tenant_id), LIMIT)


def item(tenant_id: str, webhook: WebhookRecord) -> dict[str, Any]:
    return {**key(tenant_id, webhook["webhookId"]), **store.plain(webhook)}


count_of = counters.limited_count


def create_items(tenant_id: str, webhook: WebhookRecord, limit: int) -> list[store.TxItem]:
    """The new endpoint, and the count grown by one on condition it is below `limit`."""
    return [
        store.put_new(item(tenant_id, webhook)),
        counters.count_up_below(limit_key(tenant_id), limit),
    ]


def delete_items(tenant_id: str, webhook: WebhookRecord) -> list[store.TxItem]:
    """The endpoint deleted (on condition it is as read) and the count shrunk by one."""
    return [
        store.delete(
            key(tenant_id, webhook["webhookId"]), condition="#v = :v", names={"#v": "version"},
            values={":v": webhook["version"]},
        ),
        counters.count_down(limit_key(tenant_id)),
    ]  # fmt: skip


def changed(tenant_id: str, webhook: WebhookRecord, version: int) -> store.TxItem:
    """The endpoint as `webhook` has it (its version one on from `version`), on condition it is still at `version`."""
    return store.put_versioned(item(tenant_id, webhook), version)


def all_endpoints(tenant_id: str) -> list[WebhookRecord]:
    """Every endpoint of the tenant, oldest first: one strongly consistent Query (at most the limit's items)."""
    found = store.Collection(partition(tenant_id)).all(sort="begins_with(#s, :k)", values={":k": ID_PREFIX})
    return [cast("WebhookRecord", store.plain(endpoint)) for endpoint in found]


def page(tenant_id: str, limit: int, start: dict[str, Any] | None) -> tuple[list[WebhookRecord], dict[str, Any] | None]:
    """One page of the tenant's endpoints, newest first."""
    found, last = store.Collection(partition(tenant_id)).query(
        sort="begins_with(#s, :k)", values={":k": ID_PREFIX}, newest_first=True, limit=limit, start=start
    )
    return [cast("WebhookRecord", store.plain(endpoint)) for endpoint in found], last


def stored_count(tenant_id: str) -> int:
    """The guard's count (the checker compares it with the endpoints stored)."""
    return count_of(store.get(limit_key(tenant_id)))
