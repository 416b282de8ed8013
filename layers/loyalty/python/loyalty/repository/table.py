"""The single table's definition, shared by the CDK stack and the embedded local table."""

from __future__ import annotations

from typing import Any

# The table of `make serve`, the CLI and the embedded engine when TABLE_NAME is not set.
LOCAL_TABLE_NAME = "loyalty-local"
PARTITION_KEY = "pk"
SORT_KEY = "sk"
TTL_ATTRIBUTE = "expiresAtEpoch"
# The table's change stream (the event builder reads it: services/events.py), deployed and on DynamoDB Local.
STREAM_VIEW = "NEW_AND_OLD_IMAGES"

# The three indexes by purpose (repository modules name them by these, never by "gsiN").
PER_PARENT, PROGRAM_WIDE, LOOKUP = "gsi1", "gsi2", "gsi3"

INDEXES: dict[str, tuple[str, str]] = {
    # per-parent collections, e.g. one member's transactions, orders or redemptions
    "gsi1": ("gsi1pk", "gsi1sk"),
    # program-wide collections, e.g. all members by creation time, all transactions
    "gsi2": ("gsi2pk", "gsi2sk"),
    # alternate keys (email, externalId, coupon code) and the due-date indexes of the scheduled jobs
    "gsi3": ("gsi3pk", "gsi3sk"),
}

# What each index carries besides the keys: None = every attribute (a list page is the one Query),
# else only the named ones (INCLUDE). An index entry is written only when its keys or a projected
# attribute change, so LOOKUP, whose entries are found to be read by key (due lots, delayed awards,
# member listings), does not rewrite an entry when a lot grows or a pending award is partly returned.
PROJECTIONS: dict[str, tuple[str, ...] | None] = {
    "gsi1": None,
    "gsi2": None,
    "gsi3": ("memberId", "createdAt", "expiresOn", "transactionId"),
}


def projection(index: str) -> dict[str, Any]:
    """The index's Projection in CreateTable's shape."""
    included = PROJECTIONS[index]
    if included is None:
        return {"ProjectionType": "ALL"}
    return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(included)}


def create_table_request(table_name: str) -> dict[str, Any]:
    """The CreateTable request for the local table (the CDK stack builds the same shape)."""
    attributes = {PARTITION_KEY, SORT_KEY} | {name for pair in INDEXES.values() for name in pair}
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": name, "AttributeType": "S"} for name in sorted(attributes)],
        "KeySchema": [
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": name,
                "KeySchema": [
                    {"AttributeName": pk, "KeyType": "HASH"},
                    {"AttributeName": sk, "KeyType": "RANGE"},
                ],
                "Projection": projection(name),
            }
            for name, (pk, sk) in INDEXES.items()
        ],
    }
