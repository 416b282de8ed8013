"""Active ISO 4217 currencies and their minor units, and amounts rounded to a currency's minor unit.

The table is ISO 4217's list of active codes (2025) without the codes that are not money a merchant
charges in (precious metals, SDR, testing, "no currency": XAU, XAG, XPD, XPT, XDR, XSU, XUA, XBA-XBD,
XTS, XXX) and without withdrawn ones (HRK, SLL, ZWL, ANG, CUC, ...). A code outside it is refused wherever a
currency is given (offers, orders, rewards, the program, `loyalty tenant create`).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
_TWO = (
    "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE"
    " CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD"
    " HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP"
    " MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD"
    " SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS"
    " VED VES WST XCD XCG YER ZAR ZMW ZWG"
)
MINOR_UNITS: dict[str, int] = {
    code: units for codes, units in ((_ZERO, 0), (_TWO, 2), (_THREE, 3), (_FOUR, 4)) for code in codes.split()
}


def is_active(code: object) -> bool:
    return isinstance(code, str) and code in MINOR_UNITS


def _unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNITS[currency])


def rounded(amount: Decimal, currency: str) -> Decimal:
    """Half-up to the currency's minor unit (JPY 3, USD 3.00, BHD 3.000)."""
    return amount.quantize(_unit(currency), rounding=ROUND_HALF_UP)


def at_most(amount: Decimal, currency: str) -> Decimal:
    """Down to the currency's minor unit: the largest amount it can express that does not exceed `amount`."""
    return amount.quantize(_unit(currency), rounding=ROUND_DOWN)


def zero(currency: str) -> str:
    """Nothing, written in the currency's minor unit ("0" for JPY, "0.00" for USD, "0.000" for BHD)."""
    return str(_unit(currency) * 0)
