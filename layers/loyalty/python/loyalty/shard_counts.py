"""A tenant's shard-count settings, their defaults, bounds and their one check: the write-sharded list families
and the sharded counters (no AWS imports: the operator CLI's help reads them before it points the DynamoDB
client at its table). Both live on the tenant record (repository/list_shards.py)."""

from __future__ import annotations

from loyalty import cache
from loyalty.errors import ValidationFailed

# The list families and what each holds; a tenant has one count per family (repository/list_shards.py).
FAMILIES: dict[str, str] = {
    "members": "the members by creation",
    "transactions": "the program's ledger entries",
    "redemptions": "the program's reward redemptions",
    "offerRedemptions": "the program's and each offer's offer redemptions",
    "vouchers": "each offer's vouchers and voucher codes",
    "due": "the jobs' due-date entries (expiring lots, delayed awards)",
    "events": "the program's events (GET /events)",
    "challengeResponses": "each challenge's responses",
}
DEFAULT = 1  # a new tenant's count
MOST = 32  # the largest count: a page's nextToken carries one position per shard
LEGACY = 32  # the count of a tenant created before counts were settings (every list was 32 ways)
SETTLE_SECONDS = cache.TTL_SECONDS + 5  # a raise's new shards take writes once every container's cache has lapsed

# The shard count of the sharded counters (reward stock, code pools, offer usage) of the rewards and offers a
# tenant creates; each keeps the count it was created with. A popular reward's or offer's claims at 2,000/s put
# 125/s on each of 16 counters (a partition takes 1,000 WCU/s); a tenant created before this was a setting has it.
COUNTERS_DEFAULT = 16
COUNTERS_MOST = 64  # a pool's upload writes one counter per shard in each transaction of at most 100 items

_MOST = {"lists": MOST, "counters": COUNTERS_MOST}


def check(setting: str, count: int) -> None:
    """A shard count for `setting` ("lists" or "counters") is a whole number from 1 to its most; else a 400."""
    most = _MOST[setting]
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= most:
        raise ValidationFailed(details=[{"field": setting, "message": f"must be from 1 to {most}"}])
