"""Patterns shared by the table checks, the page scan and the raw-name harvest."""

from __future__ import annotations

import re

from engagement.clean import PSEUDONYM_PATTERN as _PSEUDONYM

PSEUDONYM_PATTERN = re.compile(_PSEUDONYM)
"""A pseudonymised learner id as clean.py writes it: ``L-`` and 10 lowercase hex digits."""


def normalise(label) -> str:
    """A column name as compared: lower case, runs of non-alphanumerics as ``_``."""
    return re.sub(r"[^0-9a-z]+", "_", str(label).strip().lower()).strip("_")


EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                    r"\.[A-Za-z]{2,}(?![\w-])")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
# Four octets, each 0-255, not part of a longer dotted or alphanumeric run (so "2.3.3" and
# "1.2.3.4.5" do not match, "10.0.0.1." at the end of a sentence does).
IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)")
