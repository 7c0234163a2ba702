"""A randomised e-mail invitation test (one row per recipient) -> the contract's ``outreach`` table.

The export has one row per recipient of an invitation e-mail randomised to variants (``A``,
``B``, ``C``, ...)::

    recipient_email,variant,sent_at,opened,clicked,signed_up
    leah.obrien@mail.example,C,2025-12-15 09:06,1,0,0

``sent_at`` is local time with no zone (``YYYY-MM-DD HH:MM``, seconds optional); the flags
are ``0`` or ``1``. Column names are matched case-insensitively; other columns are ignored.

The loader aggregates per variant: the contract's outreach table has one row per "post",
and a variant of the e-mail is one. Recipients' e-mail addresses are used only to find
repeated recipients and never leave the loader (nor appear in the quality log).

Quality rules, each counted:

- exact duplicate rows are dropped;
- a later row for a recipient already seen (same address, case-insensitive) is dropped, the
  first kept (a recipient in two variants would break the randomisation);
- a blank recipient_email is kept (it cannot be checked for repeats) and flagged;
- clicked without opened (opens are not tracked when images are blocked) and signed up
  without a click are kept and flagged.
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from pathlib import Path

import numpy as np
import pandas as pd

from engagement.schema import COLUMNS, InputError, QualityLog, validate
from engagement.sources.mapping import _read_records, count_short_rows
from engagement.sources.text import DUPLICATE_RULE, flag_future

SOURCE = "email"
REQUIRED = ("recipient_email", "variant", "sent_at", "opened", "clicked", "signed_up")
"""Columns the export must have (case-insensitive)."""

EXTRA_COLUMNS = ["recipients"]
"""Columns returned besides the contract's outreach columns."""

OUTREACH_COLUMNS = COLUMNS["outreach"] + EXTRA_COLUMNS

RULE_DUPLICATE = DUPLICATE_RULE
RULE_SAME_RECIPIENT = "same recipient_email as an earlier row (first kept)"
RULE_BLANK_EMAIL = "blank recipient_email: kept, cannot be checked for repeats"
RULE_CLICK_NO_OPEN = "clicked but not opened (open not tracked): kept"
RULE_SIGNUP_NO_CLICK = "signed up without a click: kept"

_FLAGS = {"0": 0, "1": 1}
_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S")


def read_email_test(path: str | os.PathLike, *, timezone: str,
                    quality: QualityLog | None = None) -> pd.DataFrame:
    """Read a person-level e-mail split test into ``outreach`` rows, one per variant.

    Parameters
    ----------
    path : str or path
        CSV (or XLSX) with columns recipient_email, variant, sent_at, opened, clicked,
        signed_up (see the module docstring).
    timezone : str
        IANA zone of the local ``sent_at`` times, e.g. ``Europe/London``.
    quality : QualityLog, optional
        Receives the file read (source ``email``), the time zone and every row dropped or
        flagged.

    Returns
    -------
    DataFrame, one row per variant in sorted order: channel (``email``), post_id
    (``email:<variant>``), published_at (UTC, the first sent_at of the variant), variant,
    exposures (recipients), engagements (opened), clicks (clicked), signups (signed_up),
    recipients (= exposures). Counts are nullable Int64.

    Raises
    ------
    InputError
        A missing column (listing those expected and found); a blank variant, a sent_at
        that is not ``YYYY-MM-DD HH:MM`` or a flag other than 0/1 (naming row, column and
        value).
    ValueError
        If `timezone` is not a known IANA zone.
    """
    path = Path(path)
    quality = QualityLog() if quality is None else quality
    try:
        zoneinfo.ZoneInfo(str(timezone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {timezone!r} for {path}") from None
    short: list[int] = []
    header, rows, lines = _read_records(path, short=short)
    col = {h.casefold(): i for i, h in enumerate(header)}
    missing = [c for c in REQUIRED if c not in col]
    if missing:
        raise InputError(path, f"not an e-mail test export: missing column(s) "
                         f"{', '.join(missing)}. Expected: {', '.join(REQUIRED)}. "
                         f"Found: {', '.join(header) or 'none'}", row=1)
    quality.read(SOURCE, path, len(rows))
    quality.timezone(SOURCE, str(timezone))
    count_short_rows(short, path=path, source=SOURCE, quality=quality)

    def cell(r, name):
        v = r[col[name]]
        return "" if v is None else str(v).strip()

    recs = []
    for r, line in zip(rows, lines):
        variant = cell(r, "variant")
        if not variant:
            raise InputError(path, "blank variant", row=line, column=header[col["variant"]])
        flags = []
        for name in ("opened", "clicked", "signed_up"):
            v = cell(r, name)
            if v not in _FLAGS:
                raise InputError(path, f"flag {v!r} is not 0 or 1", row=line,
                                 column=header[col[name]])
            flags.append(_FLAGS[v])
        recs.append((cell(r, "recipient_email").casefold(), variant,
                     _parse_time(r[col["sent_at"]], path, line, header[col["sent_at"]]),
                     *flags, line))
    df = pd.DataFrame(recs, columns=["email", "variant", "sent", "opened", "clicked",
                                     "signed_up", "line"])
    # local wall-clock times: the repeated autumn hour is read as the first (summer) one
    local = pd.DatetimeIndex(df["sent"].astype("datetime64[ns]"))
    df["sent"] = local.tz_localize(str(timezone), ambiguous=np.ones(len(df), bool),
                                   nonexistent="shift_forward").tz_convert("UTC")

    flag_future(df["sent"], source=SOURCE, quality=quality, where=f"{path.name}, column "
                f"{header[col['sent_at']]!r}", labels=df["line"], label="lines")

    # exact duplicates judged on every raw cell; then repeated recipients (first kept)
    exact = pd.Series([tuple(r) for r in rows], dtype=object).duplicated().to_numpy()
    if exact.any():
        quality.count(SOURCE, RULE_DUPLICATE, int(exact.sum()), action="dropped",
                      detail=f"{path.name}: lines {_lines(df['line'][exact])}")
    df = df[~exact]
    named = df["email"] != ""
    again = (df["email"].duplicated(keep="first") & named).to_numpy()
    if again.any():
        quality.count(SOURCE, RULE_SAME_RECIPIENT, int(again.sum()), action="dropped",
                      detail=f"{path.name}: lines {_lines(df['line'][again])}")
    df = df[~again]
    for rule, mask in ((RULE_BLANK_EMAIL, df["email"] == ""),
                       (RULE_CLICK_NO_OPEN, (df["clicked"] == 1) & (df["opened"] == 0)),
                       (RULE_SIGNUP_NO_CLICK, (df["signed_up"] == 1) & (df["clicked"] == 0))):
        if mask.any():
            quality.count(SOURCE, rule, int(mask.sum()), action="flagged",
                          detail=f"{path.name}: lines {_lines(df['line'][mask])}")

    g = df.groupby("variant", sort=True)
    out = pd.DataFrame({
        "channel": "email",
        "post_id": pd.Series([f"email:{v}" for v in g.groups], dtype=object),
        "published_at": pd.DatetimeIndex(g["sent"].min().to_numpy(), dtype="datetime64[ns, UTC]"),
        "variant": pd.Series(list(g.groups), dtype=object),
        "exposures": pd.array(g.size().to_numpy(), dtype="Int64"),
        "engagements": pd.array(g["opened"].sum().to_numpy(), dtype="Int64"),
        "clicks": pd.array(g["clicked"].sum().to_numpy(), dtype="Int64"),
        "signups": pd.array(g["signed_up"].sum().to_numpy(), dtype="Int64"),
    })
    out["recipients"] = out["exposures"].copy()
    out["channel"] = out["channel"].astype(object)
    return validate(out[OUTREACH_COLUMNS], "outreach", source=path)


def _parse_time(value, path, line, column) -> pd.Timestamp:
    """A local ``YYYY-MM-DD HH:MM`` cell (or an XLSX datetime) as naive local time."""
    text = "" if value is None else str(value).strip()
    for fmt in _FORMATS:
        try:
            when = value if isinstance(value, dt.datetime) else dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if not 1678 <= when.year <= 2261:  # what datetime64[ns] holds
            raise InputError(path, f"sent_at {text!r}: the year is outside 1678-2261",
                             row=line, column=column)
        return pd.Timestamp(when)
    raise InputError(path, f"sent_at {text!r} is not like '2026-01-05 09:30'", row=line,
                     column=column)


def _lines(lines: pd.Series) -> str:
    shown = ", ".join(str(v) for v in lines.head(20))
    return shown + (" ..." if len(lines) > 20 else "")
