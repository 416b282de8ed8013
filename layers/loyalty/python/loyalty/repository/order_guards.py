"""Order guards: an offer is redeemed once per (offerCode, orderId), permanently.

`T#t#OREDEEMED#<offerCode>#<orderId>` / `GUARD` holds the redemption's id and the hash of the request
that made it, so the same request again is answered with that redemption and another one is refused.
"""

from __future__ import annotations

from loyalty.repository import keys, store


def key(tenant_id: str, offer_code: str, order_id: str) -> store.Key:
    return store.key(f"{keys.tenant(tenant_id)}#OREDEEMED#{offer_code}#{order_id}", "GUARD")


def put(tenant_id: str, offer_code: str, order_id: str, redemption_id: str, input_hash: str) -> store.TxItem:
    """The guard, new (a second redemption of the order fails its condition)."""
    return store.put_new(
        {**key(tenant_id, offer_code, order_id), "redemptionId": redemption_id, "inputHash": input_hash}
    )
