"""Offer redemptions at checkout (seed 000): every check, the reward in decimal money or as ledger points,
once per (offerCode, orderId); lists, one redemption, and a member's redemptions with their offers (seed 002)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from loyalty import clock, currencies, ids
from loyalty.errors import Conflict, Forbidden, NotFound, ValidationFailed
from loyalty.jsontext import digest
from loyalty.models.offers import OfferRedemption
from loyalty.models.types import fields_of
from loyalty.operation import Caller, Operation, run
from loyalty.repository import activations as activations_db
from loyalty.repository import ledger as ledger_db
from loyalty.repository import members as members_db
from loyalty.repository import offer_redemptions as offer_redemptions_db
from loyalty.repository import offers as offers_db
from loyalty.repository import order_guards as order_guards_db
from loyalty.repository import paging, store
from loyalty.results import Answer, Page
from loyalty.services import offer_limits, offers, program, transactions
from loyalty.services.book import Book, expires_at
from loyalty.services.orders import Clawback

if TYPE_CHECKING:
    from loyalty.models.offers import (
        MemberRedemptionsQuery,
        OfferRedemptionCreate,
        OfferRedemptionListQuery,
        OfferRedemptionReverse,
    )
    from loyalty.repository.records import OfferRecord, OfferRedemptionRecord

CLOCK_SKEW = timedelta(minutes=5)  # a till's clock may run a little ahead


def public(item: OfferRedemptionRecord) -> dict[str, Any]:
    """As answered: a redemption stored before reversals existed is `redeemed`."""
    return fields_of(OfferRedemption, {**item, "status": item.get("status") or "redeemed"})


def reward_of(offer: OfferRecord, value: str | None) -> tuple[str | None, int | None]:
    """(rewardAmount, points): percent of the value or a fixed amount, rounded half-up to the currency's
    minor unit, then held to the cap and to the order's value (each taken down to the minor unit), so
    it never exceeds either; or points."""
    if offer["rewardType"] == "points":
        return None, int(Decimal(offer["offerAmount"]))
    currency = offer["currency"]
    amount = Decimal(offer["offerAmount"])
    if offer["rewardType"] == "percentage":
        amount = Decimal(value or "0") * amount / 100
    amount = currencies.rounded(amount, currency)
    for ceiling in (offer.get("maxRewardAmount"), value):
        if ceiling is not None:
            amount = min(amount, currencies.at_most(Decimal(ceiling), currency))
    return str(amount), None


def _require_member(offer: OfferRecord, body: OfferRedemptionCreate) -> None:
    """An offer that awards points or is limited per member needs to know the member (activation: 409 below)."""
    if body.memberId:
        return
    if offer["rewardType"] == "points":
        why = "is required to redeem a points offer"
    elif offer.get("segmentIds") or offer.get("excludedSegmentIds"):
        why = "is required to redeem an offer aimed at segments"
    elif offer.get("maxRedemptionsPerMember") is not None:
        why = "is required to redeem an offer limited per member"
    else:
        return
    raise ValidationFailed(details=[{"field": "memberId", "message": why}])


def _check(
    offer: OfferRecord,
    body: OfferRedemptionCreate,
    redeemed_at: str,
    state: dict[str, Any] | None,
    eligible: Callable[[], bool] = lambda: True,
) -> None:
    """The offer's rules for this order, in the order documented in docs/decisions.md; `eligible()` says whether
    the member is in the offer's segments now (services.targeting), asked only once the offer is current."""
    if offer["status"] != "published":
        raise Conflict("offer_not_active", f"The offer is {offer['status']}, not published.")
    if not offers.is_current(offer, redeemed_at):
        raise Conflict("offer_not_active", "The offer is not valid at redeemedAt (outside its dates).")
    if not eligible():
        raise offers.not_eligible()
    if body.currency and body.currency != offer["currency"]:
        raise ValidationFailed(details=[{"field": "currency", "message": f"must be the offer's {offer['currency']}"}])
    if offer["rewardType"] == "percentage" and body.value is None:
        raise ValidationFailed(details=[{"field": "value", "message": "is required for a percentage offer"}])
    minimum = offer.get("minSpendAmount")
    if minimum is not None and (body.value is None or Decimal(body.value) < Decimal(minimum)):
        raise Conflict("minimum_spend_not_met", f"The offer needs an order value of at least {minimum}.")
    if offer["contentIds"] and not set(offer["contentIds"]) & set(body.contentIds or []):
        raise Conflict("invalid_state", "The order has none of the items (contentIds) the offer applies to.")
    if offer["requiresActivation"] and not (state or {}).get("activatedAt"):
        raise Conflict("offer_not_activated", "The member must activate this offer before redeeming it.")


def redeem(caller: Caller, body: OfferRedemptionCreate) -> dict[str, Any] | Answer:
    """Check everything, take one use of the offer's limits, record the redemption and, for a points
    offer, award the points as a ledger transaction: one DynamoDB transaction."""
    tenant_id = caller.tenant_id
    if body.teamId != tenant_id:
        raise Forbidden("teamId is not the program of this API key.")
    now = clock.now()
    redeemed_at = body.redeemedAt or clock.iso(now)
    if clock.parse_iso(redeemed_at) > now + CLOCK_SKEW:
        raise ValidationFailed(details=[{"field": "redeemedAt", "message": "must not be in the future"}])
    offer_id = offers.offer_id_for_code(tenant_id, body.offerCode)
    if offer_id is None:
        raise NotFound("No offer has this offerCode.")
    member_id, order_id = body.memberId, body.orderId
    input_hash = digest(body.given())  # what was sent, as stored with redemptions before

    def attempt(operation: Operation) -> dict[str, Any] | Answer:
        offer, shards = offers.load(tenant_id, offer_id)
        at = clock.now()  # the member's limit window: the server's clock, not redeemedAt
        counter_key = offer_limits.counter_key(tenant_id, member_id, offer, at)
        wanted: list[store.Key[Any]] = [order_guards_db.key(tenant_id, body.offerCode, order_id)] if order_id else []
        if member_id:
            wanted += [members_db.key(tenant_id, member_id), activations_db.key(tenant_id, member_id, offer_id)]
        found = operation.read([*wanted, *([counter_key] if counter_key else [])])
        counter = found.pop() if counter_key else None
        guard = found.pop(0) if order_id else None
        member, state = found if member_id else (None, None)
        if guard is not None:
            if guard["inputHash"] != input_hash:
                raise Conflict("already_redeemed", "The offer was redeemed on this orderId already.")
            return Answer(get_redemption(tenant_id, guard["redemptionId"]), 200)
        if member_id and member is None:
            raise NotFound("The member does not exist.")
        _require_member(offer, body)
        book = Book(tenant_id, member) if member is not None else None
        if book is not None:
            book.require_active()
        _check(
            offer,
            body,
            redeemed_at,
            state,
            lambda: member_id is None or offers.eligible(tenant_id, member_id, offer, member),
        )
        items = offer_limits.claim(tenant_id, offer, shards, member_id, state, counter, at)
        reward_amount, points = reward_of(offer, body.value)
        redemption: OfferRedemptionRecord = {
            "id": ids.ulid(),
            "offerId": offer_id,
            "offerCode": offer["offerCode"],
            "memberId": member_id,
            "orderId": order_id,
            "redeemedAt": redeemed_at,
            "currency": offer["currency"],
            "value": body.value,
            "rewardType": offer["rewardType"],
            "rewardAmount": reward_amount,
            "points": points,
            "contentIds": body.contentIds or [],
            "transactionId": None,
            "createdAt": clock.iso(now),
            "status": "redeemed",
            **offer_limits.window_name(offer, member_id, at),  # type: ignore[typeddict-item]
        }
        if points is not None:
            assert book is not None
            items += _award(book, offer, redemption, points)
        elif member is not None:
            items.append(members_db.unchanged(tenant_id, member))  # still active when the redemption lands
        items.append(offer_redemptions_db.put(tenant_id, redemption))
        if order_id:
            items.append(order_guards_db.put(tenant_id, offer["offerCode"], order_id, redemption["id"], input_hash))
        return operation.commit(items, public(redemption))

    return run(caller, attempt)


def _award(book: Book, offer: OfferRecord, redemption: OfferRedemptionRecord, points: int) -> list[store.TxItem]:
    """The ledger side of a points offer: an approved `award` transaction and the member's new balance."""
    now = clock.now()
    expiry_days = program.load(book.tenant_id)["pointsExpiryDays"]
    expires_on = book.earn(points, now=now, expiry_days=expiry_days, qualified=True)
    book.member["lastAward"] = {"date": clock.iso(now), "points": points, "activityName": None}
    entry, items = transactions.post(
        book,
        now,
        "award",
        points,
        "approved",
        orderId=redemption["orderId"],
        reason=f"offer {offer['offerCode']}",
        expiresAt=expires_at(expires_on),
        qualified=True,
        offerId=offer["offerId"],
        offerRedemptionId=redemption["id"],
    )
    redemption["transactionId"] = entry["transactionId"]
    return items


# --- reversal (issue 23 item 5) ------------------------------------------------------------------


def reverse(caller: Caller, redemption_id: str, body: OfferRedemptionReverse) -> dict[str, Any]:
    """redeemed → reversed, once: the use goes back to the offer's total and to the member's limit in the
    window it was counted in; a points offer's points come back out of the ledger as a `return`
    transaction, with the shortfall the member already spent as `deficitPoints` (as an order return's,
    by the same take-back); the (offerCode, orderId) guard stays. One transaction, on condition the
    redemption is still `redeemed`: of racing reversals one commits, the rest re-read and answer it."""
    tenant_id = caller.tenant_id

    def attempt(operation: Operation) -> dict[str, Any]:
        redemption = operation.read_existing(offer_redemptions_db.key(tenant_id, redemption_id), "offer redemption")
        if redemption.get("status") == "reversed":
            return public(redemption)  # every later call answers the same redemption
        now = clock.now()
        offer, shards = offers.load(tenant_id, redemption["offerId"])
        items = [offers_db.give_back_use(tenant_id, offer, shards)]
        changes: dict[str, Any] = {
            "status": "reversed",
            "reversedAt": clock.iso(now),
            "reversalReason": body.reason,
            "reversalTransactionId": None,
            "deficitPoints": 0,
        }
        member_id = redemption.get("memberId")
        if member_id:
            items += _give_back_member(tenant_id, member_id, redemption, changes, now)
        items.append(offer_redemptions_db.reverse(tenant_id, redemption, changes))
        reversed_: OfferRedemptionRecord = {**redemption, **changes}  # type: ignore[typeddict-item]
        return operation.commit(items, public(reversed_), status=200)

    return run(caller, attempt)


def _give_back_member(
    tenant_id: str, member_id: str, redemption: OfferRedemptionRecord, changes: dict[str, Any], now: Any
) -> list[store.TxItem]:
    """The member's side of a reversal: the use back to the member's state (and window counter, when it is
    still kept), the points of a points offer taken back. Fills `changes` with the return transaction."""
    offer_id, window = redemption["offerId"], redemption.get("limitWindow")
    counter_key = activations_db.window_key(tenant_id, member_id, offer_id, window) if window else None
    points = redemption.get("points")
    wanted: list[store.Key[Any]] = [counter_key] if counter_key is not None else []
    if points:  # the member's book and the award to take back (a money offer reads neither)
        wanted += [members_db.key(tenant_id, member_id), ledger_db.key(tenant_id, str(redemption["transactionId"]))]
    found = store.get_many(wanted) if wanted else []
    items = [activations_db.give_back_item(tenant_id, member_id, offer_id)]
    if counter_key is not None and found.pop(0) is not None:  # a past window's counter may be forgotten (TTL)
        items.append(activations_db.give_back_window_item(counter_key))
    if not points:
        return items
    member, award = found
    assert member is not None and award is not None, "a points redemption's member and award are kept"
    book = Book(tenant_id, member)
    clawback = Clawback(book, tenant_id)
    clawback.take_approved(award, points)
    items += clawback.writes
    changes["deficitPoints"] = clawback.deficit
    if not clawback.deducted:
        return [*items, *book.writes(now)]
    entry, posted = transactions.post(
        book,
        now,
        "return",
        clawback.deducted,
        "approved",
        orderId=redemption.get("orderId"),
        reason=f"offer redemption {redemption['id']} reversed",
        deficitPoints=clawback.deficit,
        offerId=offer_id,
        offerRedemptionId=redemption["id"],
    )
    changes["reversalTransactionId"] = entry["transactionId"]
    return [*items, *posted]


def get_redemption(tenant_id: str, redemption_id: str) -> dict[str, Any]:
    return public(store.get_required(offer_redemptions_db.key(tenant_id, redemption_id), "offer redemption"))


def _page(
    tenant_id: str,
    name: str,
    shape: OfferRedemptionListQuery | MemberRedemptionsQuery,
    bounds: tuple[str, str],
) -> tuple[paging.PageRequest, str | None, str | None]:
    """The page a redemption list asks for and its bounds on redeemedAt (the two query fields), checked
    before anything is looked up: a 400 never depends on what the filters match."""
    query = shape.given()  # by JSON name (`from`), and what a page token is bound to
    low, high = (query.get(field) for field in bounds)
    return paging.request(tenant_id, name, query, bounds=bounds), low, high


def _read(
    tenant_id: str, page: paging.PageRequest, low: str | None, high: str | None, **where: str | None
) -> tuple[list[OfferRedemptionRecord], str | None]:
    """One Query of a redemption collection, newest first, within the bounds."""
    items, last = offer_redemptions_db.page(tenant_id, **where, low=low, high=high, limit=page.limit, start=page.start)
    return items, page.next_token(last)


def list_redemptions(tenant_id: str, query: OfferRedemptionListQuery) -> Page[list[dict[str, Any]]]:
    """Newest first by redeemedAt; `offerCode` narrows to that offer's own list, else the program's
    (both write-sharded: a page is a scatter-gather, see repository/sharded.py). An unknown offerCode
    is an empty page, after the query itself was checked."""
    page, low, high = _page(tenant_id, "offer-redemptions", query, ("from", "to"))
    offer_id = None
    if query.offerCode:
        offer_id = offers.offer_id_for_code(tenant_id, query.offerCode)
        if offer_id is None:
            return Page([], None)
    items, token = _read(tenant_id, page, low, high, offer_id=offer_id)
    return Page([public(item) for item in items], token)


def member_redemptions(tenant_id: str, member_id: str, query: MemberRedemptionsQuery) -> Page[dict[str, Any]]:
    """A member's redemptions (newest first, startDate / endDate on redeemedAt) and each offer they
    reference once, as the member sees it: one Query and one BatchGetItem (the member, the offers and
    the member's state for each; more only above 49 distinct offers on a page)."""
    page, low, high = _page(tenant_id, f"member-offer-redemptions:{member_id}", query, ("startDate", "endDate"))
    items, token = _read(tenant_id, page, low, high, member_id=member_id)
    offer_ids = list(dict.fromkeys(item["offerId"] for item in items))
    (member,), found, states = activations_db.offers_and_states(
        tenant_id, member_id, offer_ids, also=[members_db.key(tenant_id, member_id)], with_offers=True
    )
    if member is None:
        raise NotFound("The member does not exist.")
    now = clock.now()
    referenced = [offers.for_member(found[i], None, states.get(i), now) for i in offer_ids if i in found]
    data = {"redemptions": [public(item) for item in items], "offers": referenced}
    return Page(data, token)
