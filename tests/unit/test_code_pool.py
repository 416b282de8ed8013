"""A pool of single-use codes on the table (repository/pools.py): its keys are its own, a code is taken
once, and an upload adds each code once whatever is in the pool already."""

import pytest
from loyalty.repository import store
from loyalty.repository.pools import CodePool


def no_more(_code: str) -> list:
    return []


def test_a_pools_items_live_under_its_own_base():
    first, second = CodePool("T#a#RWD#R1", 4), CodePool("T#a#RWD#R2", 4)
    for code in ("A1", "ZZ9", "coupon-77"):
        assert store.partition_of(first.entry_key(code)).startswith("T#a#RWD#R1#POOL#")
        assert store.partition_of(first.issued_key(code)).startswith("T#a#RWD#R1#ISSUED#")
        assert first.entry_key(code) != second.entry_key(code)


@pytest.mark.usefixtures("fresh_table")
def test_a_code_is_taken_at_most_once_and_the_counts_stay_whole():
    pool = CodePool("T#a#VPOOL#O1", 2)
    assert pool.add_codes([], no_more) == (0, 0)  # an empty upload: nothing to do, no error
    assert pool.add_codes(["A", "B", "C"], no_more) == (3, 0)
    assert pool.add_codes(["B", "C", "D"], no_more) == (1, 2)  # the known ones are skipped and counted
    store.transact(pool.take_writes("B"))
    with pytest.raises(store.ConditionFailed):  # the code has gone: a second take of it changes nothing
        store.transact(pool.take_writes("B"))
    assert sorted(pool.entries()) == ["A", "C", "D"]
    assert pool.read_stock() == {"total": 4, "available": 3, "issued": 1}
    taken = set()
    while (code := pool.claim()) is not None:
        store.transact(pool.take_writes(code))
        taken.add(code)
    assert taken == {"A", "C", "D"} and pool.read_stock() == {"total": 4, "available": 0, "issued": 4}
