"""Activity (earning rule) shapes: fixed or multiplier points, frequency caps, approval method."""

from loyalty.models.common import Paging
from loyalty.models.types import Flag, Id, Shape, UtcDateTime, boolean, factor, integer, one_of, text

INTERVALS = ("day", "week", "month", "year", "lifetime")
APPROVAL_METHODS = ("immediate", "manual", "delayed")
Name = text(min_len=1, max_len=200)
Description = text(max_len=2000, multiline=True)
Kind = one_of("fixed", "multiplier", description="fixed: `points` per award; multiplier: base * multiplier")
FixedPoints = integer(minimum=1, maximum=10**9, description="Points of a fixed award (default 1)")
Multiplier = factor(description="Factor of a multiplier award (default 1)")
MaxFrequency = integer(minimum=1, maximum=10**6, description="Awards allowed per interval")
Interval = one_of(*INTERVALS, description="UTC calendar window or lifetime")
Approval = one_of(*APPROVAL_METHODS, description="immediate, manual (admin approves) or delayed")
SaleActivity = boolean(description="Whether orders may earn through it (see the program's saleActivityId)")
Qualified = boolean(description="Whether its points count toward tiers")


class ActivityUpdate(Shape):
    name: Name = None
    description: Description | None = None
    type: Kind = None
    points: FixedPoints = None
    multiplier: Multiplier = None
    maxAwardFrequency: MaxFrequency | None = None
    maxAwardFrequencyInterval: Interval | None = None
    approvalMethod: Approval = None
    isActive: Flag = None
    isSaleActivity: SaleActivity = None
    qualifiedPoints: Qualified = None
    showInDashboard: Flag = None


class _ActivityId(Shape):
    activityId: Id


class ActivityCreate(ActivityUpdate, _ActivityId):
    name: Name


class Activity(_ActivityId):
    name: Name
    description: Description | None
    type: Kind
    points: FixedPoints
    multiplier: Multiplier
    maxAwardFrequency: MaxFrequency | None
    maxAwardFrequencyInterval: Interval | None
    approvalMethod: Approval
    isActive: Flag
    isSaleActivity: SaleActivity
    qualifiedPoints: Qualified
    showInDashboard: Flag
    createdAt: UtcDateTime
    updatedAt: UtcDateTime


class ActivityListQuery(Paging):
    isActive: boolean(query=True) = None
