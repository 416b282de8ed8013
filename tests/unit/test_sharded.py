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


def _things(shards: int = sharded.SHARDS, writes: int | None = None) -> sharded.ShardedCollection:
    return sharded.ShardedCollection("T#acme#THINGS", PROGRAM_WIDE, _key, shards, writes)


def _fill(count: int, owners: int, skew: bool = False, listing: sharded.ShardedCollection | None = None) -> list[dict]:
    """`count` things of `owners` owners (with `skew`, one owner writes most of them), oldest first."""
    listing, rng, made = listing or _things(), random.Random(7), []
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


def _pages(limit: int, listing: sharded.ShardedCollection | None = None, **options) -> tuple[list[str], int]:
    listing, start, seen, pages = listing or _things(), None, [], 0
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


@pytest.mark.parametrize("at", [",".join("a" * (sharded.SHARDS + 1)), "a," + "b" * 201])
def test_a_position_list_no_list_could_have_returned_is_a_bad_token(at):
    """More positions than a list may have shards, or a position longer than any sort key."""
    with pytest.raises(ValidationFailed):
        _things().query(start={"at": at})


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


def _walk(listing: sharded.ShardedCollection, start: dict | None, newest_first: bool, pages: int = 1000) -> tuple:
    """Up to `pages` pages of `listing` from `start`: the ids served and where the next page starts."""
    seen: list[str] = []
    for _ in range(pages):
        items, start = listing.query(limit=5, start=start, newest_first=newest_first)
        seen += [item["thingId"] for item in items]
        if start is None:
            break
    return seen, start


def _ids(items: list[dict], newest_first: bool) -> list[str]:
    return [item["thingId"] for item in (reversed(items) if newest_first else items)]


@pytest.mark.parametrize("newest_first", [True, False])
@pytest.mark.parametrize("before", [1, 4])
def test_a_walk_started_before_a_raise_serves_every_item_once(newest_first, before):
    """Half a walk at `before` shards, a raise to 32 (new items spread over them), the rest of the walk at
    32: the cursor names `before` shards, the others start at its last item. Newest first the walk is
    exactly the items there were (the new ones are newer than all of them, as they would be in one
    shard); oldest first it goes on into the new ones, each once."""
    made = _fill(40, owners=40, listing=_things(before))
    seen, start = _walk(_things(before), None, newest_first, pages=4)
    assert start is not None and len(start["at"].split(",")) == before
    settling = _fill(5, owners=40, listing=_things(32, writes=before))  # while the raise settles: old shards
    grown = settling + _fill(30, owners=40, listing=_things(32))
    assert {item[INDEXES[PROGRAM_WIDE][0]] for item in grown} - {_things().partition(k) for k in range(before)}
    rest, _ = _walk(_things(32), start, newest_first)
    if newest_first:
        assert seen + rest == _ids(made, True)
    else:
        assert seen + rest == _ids(made, False) + _ids(grown, False)


def test_a_reader_whose_count_is_older_than_the_cursor_reads_every_shard_it_names():
    """A container that still has the count from before a raise continues a cursor of a container that
    has the new count: it reads the 32 shards the cursor names, not only its own 1."""
    made = _fill(60, owners=60, listing=_things(32))
    seen, start = _walk(_things(32), None, True, pages=2)
    rest, _ = _walk(_things(1), start, True)
    assert seen + rest == _ids(made, True)
