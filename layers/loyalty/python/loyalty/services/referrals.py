"""Referrals: a member names the referral code of the member who referred it; both may earn.

`POST /members/{memberId}/referral {referralCode}` records, in ONE transaction: the referral entry under
the referrer (repository.referrals), the referee's `referredBy`, the referrer's `referralCount` + 1, and
the awards of the program's `referrerActivityId` to the referrer and `refereeActivityId` to the referee,
each built by the award service's own `grant` (caps, approval methods, lots). An award that its cap, an
inactive activity or a member who can't earn (suspended) refuses is left out, and the referral counts.

Checks, in this order (the answer is the first that fails): the member exists (404) and is not erased
(409 invalid_state); the code is a member's of this program, not erased (404 not_found); the member was
not referred yet (409 already_referred); the code is not the member's own, nor that of the member it
referred (409 self_referral); the program's `referralWindowDays`, when set, has not passed since the
member's enrolment (409 invalid_state). Both member items are written on condition of the version read,
so two referrals of one member race to one winner (the other re-reads: already_referred), and referrals
by one member each add one to its count.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from loyalty import clock, ids
from loyalty.errors import Conflict, NotFound
from loyalty.operation import Caller, Operation, run
from loyalty.repository import members as members_db
from loyalty.repository import paging, store
from loyalty.repository import referrals as referrals_db
from loyalty.results import Page
from loyalty.services import activities, awards, program
from loyalty.services.book import Book

if TYPE_CHECKING:
    from loyalty.models.referrals import ReferralCreate, ReferralListQuery
    from loyalty.repository.records import MemberRecord
    from loyalty.repository.referrals import ReferralRecord

UNKNOWN_CODE = "No member of the program has this referral code."
BACKFILL_ATTEMPTS = 5


def public(referral: Mapping[str, Any]) -> dict[str, Any]:
    return {name: referral[name] for name in ("referrerId", "refereeId", "at", "transactionIds")}


def _activity(tenant_id: str, activity_id: str | None) -> dict[str, Any] | None:
    """A referral activity of the program, or None when unset, gone, or not fixed (nothing to award)."""
    if not activity_id:
        return None
    try:
        activity = activities.load(tenant_id, activity_id)
    except NotFound:
        return None
    return activity if activity["type"] == "fixed" else None


def _counter(tenant_id: str, member_id: str, activity: dict[str, Any] | None, now: datetime) -> list[store.Key[Any]]:
    key = awards.counter_key(tenant_id, member_id, activity, now) if activity else None
    return [key] if key else []


def _award(
    book: Book, activity: dict[str, Any] | None, counter: list[Any], now: datetime, reason: str
) -> tuple[list[store.TxItem], str | None]:
    """The member's writes: with the activity's award when it may earn it (the award service's own checks
    and `grant`), else the member alone (the award is skipped; the referral still counts)."""
    if activity is not None:
        try:
            book.require_active()
            awards.check_can_earn(activity, counter[0] if counter else None)
        except Conflict:
            activity = None
    if activity is None:
        return book.writes(now), None
    items, entry = awards.grant(book, activity, activity["points"], now, reason=reason)
    return items, entry["transactionId"]


def refer(caller: Caller, member_id: str, body: ReferralCreate) -> dict[str, Any]:
    tenant_id, code = caller.tenant_id, body.referralCode

    def attempt(operation: Operation) -> dict[str, Any]:
        precise = clock.precise_now()  # the referral's id and time, so that newest first agrees with `at`
        now = precise.replace(microsecond=0)
        settings = program.load(tenant_id)
        referrer_activity = _activity(tenant_id, settings.get("referrerActivityId"))
        referee_activity = _activity(tenant_id, settings.get("refereeActivityId"))
        referee_counter = _counter(tenant_id, member_id, referee_activity, now)
        found = operation.read(
            [members_db.key(tenant_id, member_id), referrals_db.code_guard(tenant_id, code), *referee_counter]
        )
        referee = store.required(cast("MemberRecord | None", found[0]), "member")
        if referee.get("erasedAt"):
            raise Conflict("invalid_state", "The member was erased: it can't be referred.")
        guard = found[1]
        if guard is None:
            raise NotFound(UNKNOWN_CODE)
        referrer_id = str(guard["memberId"])
        if referee.get("referredBy"):
            raise Conflict("already_referred", "The member was referred already: a member is referred once.")
        if referrer_id == member_id:
            raise Conflict("self_referral", "A member can't refer itself.")
        referrer_counter = _counter(tenant_id, referrer_id, referrer_activity, now)
        referrer, *counter = store.get_many([members_db.key(tenant_id, referrer_id), *referrer_counter])
        if referrer is None or referrer.get("erasedAt"):  # (its erasure deletes the guard: a stale read only)
            raise NotFound(UNKNOWN_CODE)
        _check(settings, referee, cast("MemberRecord", referrer), now)
        at = clock.iso(now)
        referee_book, referrer_book = Book(tenant_id, referee), Book(tenant_id, cast("MemberRecord", referrer))
        referee_book.member["referredBy"] = {"memberId": referrer_id, "at": at}
        referrer_book.member["referralCount"] = referrer.get("referralCount", 0) + 1
        items, to_referrer = _award(referrer_book, referrer_activity, counter, now, f"Referred {member_id}")
        referee_items, to_referee = _award(referee_book, referee_activity, found[2:], now, f"Referred by {referrer_id}")
        referral: ReferralRecord = {
            "referralId": ids.ulid(precise),
            "referrerId": referrer_id,
            "refereeId": member_id,
            "at": at,
            "transactionIds": [tx for tx in (to_referrer, to_referee) if tx],
        }
        items += [*referee_items, referrals_db.put(tenant_id, referral)]
        return operation.commit(items, public(referral))

    return run(caller, attempt)


def _check(settings: dict[str, Any], referee: MemberRecord, referrer: MemberRecord, now: datetime) -> None:
    """The checks that need the referrer: not the member's own referee, and the program's window."""
    if (referrer.get("referredBy") or {}).get("memberId") == referee["memberId"]:
        raise Conflict("self_referral", "A member can't be referred by the member it referred.")
    days = settings.get("referralWindowDays")
    if days is not None and now > clock.parse_iso(referee["createdAt"]) + timedelta(days=days):
        raise Conflict("invalid_state", f"Referrals count only within {days} days of the member's enrolment.")


def list_referrals(tenant_id: str, member_id: str, query: ReferralListQuery) -> Page[list[dict[str, Any]]]:
    """The members this member referred, newest first: one Query of its own partition."""
    page = paging.request(tenant_id, f"referrals:{member_id}", query.given())
    items, last = referrals_db.page(tenant_id, member_id, page.limit, page.start)
    if not items and page.first and store.get(members_db.key(tenant_id, member_id)) is None:
        raise NotFound("The member does not exist.")
    return Page([public(item) for item in items], page.next_token(last))


# --- operator: referral codes of members enrolled before the guard existed -----------------------


def backfill_codes(tenant_id: str) -> dict[str, int]:
    """Give every member's referral code its guard (`loyalty backfill-referral-codes`). Idempotent and
    resumable: a guard that names the member is kept, so a second run writes nothing; an erased member gets
    none (its code is unknown); a member whose code another member's guard holds gets a new code.
    Returns {members, written, present, recoded, erased}."""
    counts = {"members": 0, "written": 0, "present": 0, "recoded": 0, "erased": 0}
    for entry in members_db.by_creation(tenant_id).all(limit=500):
        counts["members"] += 1
        counts[_backfill_one(tenant_id, str(entry["memberId"]))] += 1
    return counts


def _backfill_one(tenant_id: str, member_id: str) -> str:
    """One member's guard, on condition the member is unchanged since read (an erasure in between wins)."""
    key = members_db.key(tenant_id, member_id)
    for _ in range(BACKFILL_ATTEMPTS):
        member = store.get_required(key, "member")
        if member.get("erasedAt"):
            return "erased"
        holder = referrals_db.holder(tenant_id, member["referralCode"])
        if holder == member_id:
            return "present"
        try:
            if holder is None:
                store.transact(
                    [
                        referrals_db.claim_code(tenant_id, member["referralCode"], member_id),
                        members_db.unchanged(tenant_id, member),
                    ]
                )
                return "written"
            recoded = cast(
                "MemberRecord",
                {**store.plain(member), "referralCode": ids.random_code(10), "version": member["version"] + 1},
            )
            store.transact(
                [
                    store.put_versioned(members_db.item(tenant_id, recoded), member["version"]),
                    referrals_db.claim_code(tenant_id, recoded["referralCode"], member_id),
                ]
            )
            return "recoded"
        except store.ConditionFailed:
            continue  # the member changed or the code was taken meanwhile: read again
    raise Conflict("busy", f"Member {member_id} kept changing: run the backfill again.")
