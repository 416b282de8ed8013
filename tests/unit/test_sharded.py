"""Write-sharded lists: pages merged from every shard come out in order, once each, with filters and bounds."""

from __future__ import annotations

import random

import pytest
from loyalty import ids
from loyalty.errors import ValidationFailed
from loyalty.repository import sharded, store
from loyalty.repository.table import INDEXES, PROGRAM_WIDE

pytestmark = pytest.mark.usefixtures("fresh_table")


def _key(thing_id: str) -> store.Key:
    return store.key(f"T#acme#THING#{thing_id}", "THING")


def _things() -> sharded.ShardedCollection:
    return sharded.ShardedCollection("T#acme#THINGS", PROGRAM_WIDE, _key)


def _fill(count: int, owners: int, skew: bool = False) -> list[dict]:
    """`count` things of `owners` owners (with `skew`, one owner writes most of them), oldest first."""
    listing, rng, made = _things(), random.Random(7), []
    for i in range(count):
        owner = "busy" if skew and i % 4 else f"owner-{rng.randrange(owners)}"
        thing_id = ids.ulid()
        item = {
            **_key(thing_id),
            "thingId": thing_id,
            "owner": owner,
            "colour": "red" if i % 3 == 0 else "blue",
            **listing.entry(owner, thing_id),
        }
        store.put_plain(item)
        made.append(item)
    return made


def _pages(limit: int, **options) -> tuple[list[str], int]:
    listing, start, seen, pages = _things(), None, [], 0
    while True:
        items, start = listing.query(limit=limit, start=start, newest_first=True, **options)
        assert len(items) <= limit
        seen += [item["thingId"] for item in items]
        pages += 1
        if start is None:
            return seen, pages
        assert pages < 200


@pytest.mark.parametrize("skew", [False, True])
def test_pages_are_newest_first_across_shards_each_item_once(skew):
    made = _fill(120, owners=60, skew=skew)
    seen, pages = _pages(7)
    assert seen == [item["thingId"] for item in reversed(made)]
    assert pages == len(made) // 7 + 1  # full pages, no empty page at the end


def test_filters_and_sort_bounds_apply_to_every_shard():
    made = _fill(90, owners=40)
    low, high = made[10]["thingId"], made[70]["thingId"]
    seen, _ = _pages(5, between=(low, high), equals={"colour": "red"})
    assert seen == [item["thingId"] for item in reversed(made[10:71]) if item["colour"] == "red"]


def test_attribute_ranges_filter_with_either_end_open():
    made = _fill(60, owners=30)
    low, high = made[12]["thingId"], made[40]["thingId"]
    for ends, kept in (((low, high), made[12:41]), ((low, None), made[12:]), ((None, high), made[:41])):
        seen, _ = _pages(6, within={"thingId": ends})
        assert seen == [item["thingId"] for item in reversed(kept)], ends
    assert _pages(6, within={"thingId": (None, None)})[0] == [item["thingId"] for item in reversed(made)]


def test_an_owner_stays_in_one_shard_and_all_reads_every_shard():
    made = _fill(40, owners=10)
    listing = _things()
    for item in made:
        assert item[INDEXES[PROGRAM_WIDE][0]] == listing.partition(sharded.shard_of(item["owner"]))
    assert sorted(item["thingId"] for item in listing.all()) == sorted(item["thingId"] for item in made)


def test_a_position_list_of_another_shape_is_a_bad_token():
    with pytest.raises(ValidationFailed):
        _things().query(start={"at": "a,b"})


@pytest.mark.parametrize("newest_first", [True, False])
def test_items_added_after_the_first_page_do_not_join_the_walk_out_of_order(newest_first):
    """A walk started before new items were added goes on from where it was: newest first, nothing
    newer than what it already served shows up later (like one list's cursor). A shard nothing was
    served from yet must not restart at its top on the next page."""
    made = _fill(40, owners=40)
    listing = _things()
    first, start = listing.query(limit=5, newest_first=newest_first)
    _fill(10, owners=40)  # newer than everything listed
    seen = [item["thingId"] for item in first]
    while start is not None:
        items, start = listing.query(limit=5, start=start, newest_first=newest_first)
        seen += [item["thingId"] for item in items]
    old = [item["thingId"] for item in (reversed(made) if newest_first else made)]
    if newest_first:
        assert seen == old
    else:  # oldest first: the new items come after the old ones, once each
        assert seen[: len(old)] == old and len(seen) == len(set(seen)) == 50
