"""Money and currency fields as a class (issue 21 B2-B5): every money-like field of every shape is the shared
money type (ASCII digits, a ceiling, no negative zero), every currency is an active ISO 4217 code, and an
offer's reward is rounded to its currency's minor unit and never exceeds its cap or the order's value."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from decimal import Decimal
from typing import Annotated, Any

import loyalty.models
import pytest
from hypothesis import given
from hypothesis import strategies as st
from loyalty import currencies
from loyalty.errors import ValidationFailed
from loyalty.models import types
from loyalty.services import tenants
from loyalty.services.offer_redemptions import reward_of
from pydantic import TypeAdapter, ValidationError

from tools import cli

MONEY_NAME = re.compile(r"(?i)(amount|value|total|price|spend)$")
NOT_MONEY = {("OfferTag", "value")}  # a tag's free-text value


def _shapes() -> dict[str, type[types.Shape]]:
    found = {}
    for module in pkgutil.iter_modules(loyalty.models.__path__):
        for name, shape in vars(importlib.import_module(f"loyalty.models.{module.name}")).items():
            if inspect.isclass(shape) and issubclass(shape, types.Shape) and name == shape.__name__:
                found[name] = shape
    return found


def _options(shape: type[types.Shape], name: str) -> list[dict[str, Any]]:
    alias = shape.model_fields[name].alias or name
    field = shape.model_json_schema()["properties"][alias]
    return [option for option in field.get("anyOf", [field]) if option.get("type") != "null"]


def _is_text(options: list[dict[str, Any]]) -> bool:
    return any(option.get("type") == "string" and "enum" not in option for option in options)


SHAPES = _shapes()
# Fullwidth and Arabic-Indic digits, negative zero, above the ceiling, an exponent, 5 decimals, a float.
REFUSED_MONEY = ("\uff11\uff10", "\u0663", "1\u0663.00", "-0.00", "-0", "1000000000.0001", "999999999999.9999")
REFUSED_MONEY += ("1e3", "0.00001", 1.5)
MONEY_FIELDS = sorted(
    (shape_name, name)
    for shape_name, shape in SHAPES.items()
    for name in shape.model_fields
    if (shape_name, name) not in NOT_MONEY
    and (
        any(o.get("pattern") == f"^{types._MONEY}$" for o in _options(shape, name))
        or (MONEY_NAME.search(name) and _is_text(_options(shape, name)))
    )
)
CURRENCY_FIELDS = sorted((s, name) for s, shape in SHAPES.items() for name in shape.model_fields if name == "currency")


def adapter(shape_name: str, name: str) -> TypeAdapter[Any]:
    field = SHAPES[shape_name].model_fields[name]
    return TypeAdapter(Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation)


def test_the_class_is_found():
    """The walk sees the fields the probes found wrong, and the ones that were right."""
    assert {("OfferCreate", "offerAmount"), ("OfferRedemption", "rewardAmount"), ("OrderCreate", "total")} <= set(
        MONEY_FIELDS
    )
    assert {("OfferCreate", "currency"), ("ProgramUpdate", "currency"), ("OrderCreate", "currency")} <= set(
        CURRENCY_FIELDS
    )


@pytest.mark.parametrize(("shape", "name"), MONEY_FIELDS)
def test_every_money_field_is_the_money_type(shape, name):
    """Its schema is the money format, and its check refuses what the format refuses."""
    assert any(o.get("pattern") == f"^{types._MONEY}$" for o in _options(SHAPES[shape], name)), (shape, name)
    money = adapter(shape, name)
    assert [money.validate_python(v) for v in ("13.33", "0.0001", "100")] == ["13.33", "0.0001", "100"]
    for refused in REFUSED_MONEY:
        with pytest.raises(ValidationError):
            money.validate_python(refused)


@pytest.mark.parametrize(("shape", "name"), CURRENCY_FIELDS)
def test_every_currency_field_takes_active_iso_4217_codes_only(shape, name):
    code = adapter(shape, name)
    assert [code.validate_python(c) for c in ("EUR", "JPY", "BHD", "CLF")] == ["EUR", "JPY", "BHD", "CLF"]
    for refused in ("XYZ", "XXX", "XAU", "HRK", "eur", "EURO", "euro", "€"):
        with pytest.raises(ValidationError):
            code.validate_python(refused)


def test_the_table_has_the_minor_units_iso_gives():
    units = currencies.MINOR_UNITS
    assert (units["JPY"], units["KRW"], units["USD"], units["EUR"], units["BHD"], units["KWD"], units["CLF"]) == (
        0,
        0,
        2,
        2,
        3,
        3,
        4,
    )
    assert 150 <= len(units) <= 185 and all(re.fullmatch(r"[A-Z]{3}", code) for code in units)


def _offer(kind: str, amount: str, currency: str = "USD", cap: str | None = None) -> dict[str, Any]:
    return {"rewardType": kind, "offerAmount": amount, "currency": currency, "maxRewardAmount": cap}


@pytest.mark.parametrize(
    ("offer", "value", "reward"),
    [
        (_offer("percentage", "15", cap="2.005"), "19.99", "2.00"),  # 2.9985 → 3.00, held to 2.00 (was 2.01)
        (_offer("percentage", "10", cap="2.009"), "20.06", "2.00"),  # 2.006 → 2.01 would pass the cap
        (_offer("amount", "5.00"), "3.00", "3.00"),  # never more off than the order
        (_offer("amount", "5.00"), None, "5.00"),
        (_offer("percentage", "15", "JPY"), "1999", "300"),  # JPY has no minor unit
        (_offer("amount", "500", "JPY"), "499.9", "499"),
        (_offer("percentage", "10", "BHD"), "1.2345", "0.123"),  # three decimals
        (_offer("percentage", "50", "CLF"), "0.0003", "0.0002"),  # four, half up
    ],
)
def test_a_reward_is_rounded_to_its_currency_and_held_to_its_cap_and_the_order(offer, value, reward):
    assert reward_of(offer, value) == (reward, None)


AMOUNTS = st.decimals(Decimal("0.0001"), Decimal("1000000000"), places=4)


@given(
    kind=st.sampled_from(["percentage", "amount"]),
    rate=st.decimals(Decimal("0.0001"), Decimal("100"), places=4),
    amount=AMOUNTS,
    cap=st.none() | AMOUNTS,
    value=st.none() | st.decimals(Decimal("0"), Decimal("1000000000"), places=4),
    currency=st.sampled_from(["USD", "JPY", "BHD", "CLF"]),
)
def test_no_reward_exceeds_its_cap_or_the_order_and_each_is_in_the_money_format(
    kind, rate, amount, cap, value, currency
):
    offer = _offer(kind, str(rate if kind == "percentage" else amount), currency, None if cap is None else str(cap))
    if kind == "percentage" and value is None:
        value = Decimal("0")
    reward, _ = reward_of(offer, None if value is None else str(value))
    assert TypeAdapter(types.Money).validate_python(reward) == reward
    assert -Decimal(reward).as_tuple().exponent == currencies.MINOR_UNITS[currency]
    for ceiling in (cap, value):
        assert ceiling is None or Decimal(reward) <= ceiling


def test_a_program_currency_outside_iso_4217_is_refused_by_the_service_and_the_cli(capsys):
    with pytest.raises(ValidationFailed) as refused:
        tenants.create_tenant("acme", "Acme", "XYZ")  # checked before anything is written
    assert refused.value.details == [
        {"field": "currency", "message": "must be an active ISO 4217 currency code such as EUR"}
    ]
    with pytest.raises(SystemExit) as stopped:
        cli.main(["tenant", "create", "acme", "--currency", "euro"])
    assert stopped.value.code == 2 and "ISO 4217" in capsys.readouterr().err
