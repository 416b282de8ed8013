"""The write-sharded list families a tenant's shard counts are set for, and a count's bounds (no AWS imports:
the operator CLI's help reads them before it points the DynamoDB client at its table)."""

from __future__ import annotations

from loyalty import cache

# The list families and what each holds; a tenant has one count per family (repository/list_shards.py).
FAMILIES: dict[str, str] = {
    "members": "the members by creation",
    "transactions": "the program's ledger entries",
    "redemptions": "the program's reward redemptions",
    "offerRedemptions": "the program's and each offer's offer redemptions",
    "vouchers": "each offer's vouchers and voucher codes",
    "due": "the jobs' due-date entries (expiring lots, delayed awards)",
}
DEFAULT = 1  # a new tenant's count
MOST = 32  # the largest count: a page's nextToken carries one position per shard
LEGACY = 32  # the count of a tenant created before counts were settings (every list was 32 ways)
SETTLE_SECONDS = cache.TTL_SECONDS + 5  # a raise's new shards take writes once every container's cache has lapsed
