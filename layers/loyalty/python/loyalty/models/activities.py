"""Activity (earning rule) shapes: fixed or multiplier points, frequency caps, approval method."""

from __future__ import annotations

from loyalty.models.common import PAGING
from loyalty.schema import Bool, DateTime, Id, Int, Number, Object, QueryBool, Str

INTERVALS = ["day", "week", "month", "year", "lifetime"]
APPROVAL_METHODS = ["immediate", "manual", "delayed"]

_FIELDS = {
    "name": Str(min_len=1, max_len=200),
    "description": Str(max_len=2000, nullable=True, multiline=True),
    "type": Str(enum=["fixed", "multiplier"], description="fixed: `points` per award; multiplier: base * multiplier"),
    "points": Int(minimum=1, maximum=10**9, description="Points of a fixed award (default 1)"),
    "multiplier": Number(description="Factor of a multiplier award (default 1)"),
    "maxAwardFrequency": Int(minimum=1, maximum=10**6, nullable=True, description="Awards allowed per interval"),
    "maxAwardFrequencyInterval": Str(enum=INTERVALS, nullable=True, description="UTC calendar window or lifetime"),
    "approvalMethod": Str(enum=APPROVAL_METHODS, description="immediate, manual (admin approves) or delayed"),
    "isActive": Bool(),
    "isSaleActivity": Bool(description="Whether orders may earn through it (see the program's saleActivityId)"),
    "qualifiedPoints": Bool(description="Whether its points count toward tiers"),
    "showInDashboard": Bool(),
}

ACTIVITY_CREATE = Object(
    "ActivityCreate",
    {"activityId": Id(required=True), **_FIELDS, "name": Str(required=True, min_len=1, max_len=200)},
)
ACTIVITY_UPDATE = Object("ActivityUpdate", _FIELDS)
ACTIVITY = Object(
    "Activity",
    {
        "activityId": Id(required=True),
        **Object(None, _FIELDS).all_required("_").fields,
        "createdAt": DateTime(required=True),
        "updatedAt": DateTime(required=True),
    },
)
ACTIVITY_LIST_QUERY = Object(None, {**PAGING, "isActive": QueryBool()})
