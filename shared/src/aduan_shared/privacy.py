"""Personal data out of public text and places (DOMAIN.md "What the public and leaders see").

Public reports show their description with NIK numbers, phone numbers, e-mail addresses and
self-introductions ("nama saya …", "saya bernama …", "perkenalkan, saya …") redacted, and their
coordinates rounded to about 100 m. Intake's Open311 listing and analytics' public API use these.
"""

from __future__ import annotations

import re

REDACTED = "[disamarkan]"
_PERSONAL = (
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),  # e-mail addresses
    re.compile(r"(?<!\w)\d{16}(?!\w)"),  # NIK
    re.compile(r"(?<![\w+])(?:\+62|62|0)[\s.-]?\d(?:[\s.-]?\d){6,12}(?!\w)"),  # phones
    re.compile(r"\(0\d{1,3}\)[\s.-]?\d(?:[\s.-]?\d){4,8}(?!\w)"),  # "(021) 765 4321"
)
_NAME = re.compile(
    r"(?i)\b((?:nama\s+saya|saya\s+bernama|perkenalkan,?\s+(?:nama\s+)?saya)\s+(?:adalah\s+)?)"
    r"[^\W\d_]+(?:\s+[^\W\d_]+){0,2}"
)


def redact(text: str) -> str:
    """`text` without e-mail addresses, NIK, phone numbers and the name after "nama saya"."""
    for pattern in _PERSONAL:
        text = pattern.sub(REDACTED, text)
    return _NAME.sub(lambda m: m.group(1) + REDACTED, text)


#: Three decimals of a degree: about 110 m of latitude in Jakarta.
COORDINATE_DECIMALS = 3


def round_coordinate(value: float) -> float:
    """A latitude or longitude rounded to about 100 m."""
    return round(value, COORDINATE_DECIMALS)
