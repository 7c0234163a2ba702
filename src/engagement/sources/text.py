"""What every loader of raw files shares: decoding bytes, reading local times, time zones,
dropping exact duplicate rows.

One rule set for all sources, so a quality log reads the same whichever export a row
came from:

* :func:`decode`: a file's bytes as text. Automatic detection tries UTF-16/UTF-32 with a
  byte-order mark (where the caller accepts them), UTF-8 with BOM, strict UTF-8, then
  cp1252; NUL bytes (UTF-16 without BOM, binary files) are refused rather than decoded
  as cp1252 garbage.
* :func:`localize`: local wall-clock times -> UTC. A time that occurs twice at a DST change
  is read as the earlier (summer-time) instant; one skipped by the clock change is shifted
  forward to the first valid instant. Both are counted as fixed, under
  :data:`AMBIGUOUS_RULE` and :data:`NONEXISTENT_RULE`.
* :func:`check_timezone`: the same clear error for an unknown zone in every loader.
* :func:`find_columns`: the same error for missing columns (file, row 1, what was found).
* :func:`drop_exact_duplicates`: rows equal to an earlier row dropped and counted under
  :data:`DUPLICATE_RULE`.
* :func:`flag_future`: times after the moment the file is read (a wrong clock or zone, a
  typed year) kept and counted as flagged under :data:`FUTURE_RULE`.
"""

from __future__ import annotations

import codecs
import os
import zoneinfo
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from engagement.schema import InputError, QualityLog

__all__ = ["decode", "localize", "check_timezone", "find_columns", "drop_exact_duplicates",
           "flag_future", "AUTO_ENCODINGS", "AMBIGUOUS_RULE", "NONEXISTENT_RULE",
           "DUPLICATE_RULE", "FUTURE_RULE"]

AUTO_ENCODINGS = ("utf-8-sig", "utf-8", "cp1252")
"""Encodings tried in this order by ``decode(..., encoding="auto")`` after the BOM checks
(utf-8-sig is used only when the file starts with a UTF-8 byte-order mark)."""

AMBIGUOUS_RULE = "ambiguous local time at a DST change"
"""Quality rule (action fixed): a local time that occurs twice, read as the earlier instant."""

NONEXISTENT_RULE = "nonexistent local time at a DST change"
"""Quality rule (action fixed): a local time skipped by the clock change, shifted forward."""

DUPLICATE_RULE = "exact duplicate row"
"""Quality rule (action dropped): a row equal to an earlier row of the same file."""

FUTURE_RULE = "time in the future (after the file was read)"
"""Quality rule (action flagged): a time later than the moment the loader ran; kept, since
the loader cannot know the right time, but counted so that a wrong clock, zone or year
is seen before it stretches a course's observation end."""

# UTF-32-LE's BOM starts with UTF-16-LE's: the longer marks are tested first.
_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
              (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


# --------------------------------------------------------------------------- decoding

def decode(path: str | os.PathLike, *, encoding: str = "auto",
           utf16: bool = True) -> tuple[str, str]:
    """A raw file's text, and the encoding used to read it.

    Parameters
    ----------
    path : str or path
        The file; only read.
    encoding : str
        ``"auto"`` (default), or a codec name given by the user. With a codec, a UTF-8
        byte-order mark is still removed (``utf-8`` is read as ``utf-8-sig``).
    utf16 : bool
        With ``"auto"``: whether a file starting with a UTF-16 or UTF-32 byte-order mark is
        decoded by it (True) or refused (False, for loaders whose exports are never wide).

    Returns
    -------
    tuple of (str, str)
        The text (without byte-order mark) and the encoding: ``utf-16``, ``utf-32``,
        ``utf-8-sig``, ``utf-8`` or ``cp1252`` when detected, else the codec used.

    Raises
    ------
    InputError
        Auto: a UTF-16/32 file when `utf16` is False; NUL bytes (UTF-16 without BOM or a
        binary file); a UTF-8 BOM followed by invalid UTF-8; bytes that are neither UTF-8
        nor cp1252. Explicit codec: the line (row) of the first byte it cannot decode.
    """
    path = Path(path)
    raw = path.read_bytes()
    if encoding != "auto":
        # A BOM is not part of the first column's name.
        enc = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError as exc:
            raise InputError(path, f"not valid {encoding} text (byte {raw[exc.start]:#04x})",
                             row=_line(raw, exc.start)) from None
    if not raw.startswith(codecs.BOM_UTF8):
        for bom, enc in _WIDE_BOMS:
            if raw.startswith(bom):
                if not utf16:
                    raise InputError(path, "the file is UTF-16/UTF-32 (byte-order mark "
                                           "found); save it as CSV in UTF-8 or cp1252")
                try:
                    return raw.decode(enc), enc
                except UnicodeDecodeError as exc:
                    raise InputError(path, f"starts with a {enc.upper()} byte-order mark but "
                                           f"is not valid {enc.upper()} (at byte "
                                           f"{exc.start})") from None
    if b"\x00" in raw:
        # cp1252 (and UTF-8) would "decode" NUL bytes: catch UTF-16 without BOM and binaries
        raise InputError(path, "the file contains NUL bytes: it is UTF-16 or binary, not a "
                               "CSV in UTF-8 or cp1252", row=_line(raw, raw.index(b"\x00")))
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise InputError(path, f"starts with a UTF-8 byte-order mark but is not valid "
                                   f"UTF-8 ({exc.reason} at byte {exc.start + 3})",
                             row=_line(raw, exc.start + 3)) from None
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise InputError(path, f"cannot be decoded as UTF-8 nor cp1252 (byte "
                               f"{raw[exc.start]:#04x} at offset {exc.start}); save it as "
                               f"UTF-8", row=_line(raw, exc.start)) from None


def _line(raw: bytes, offset: int) -> int:
    """1-based line number of a byte offset (header = line 1)."""
    return raw.count(b"\n", 0, offset) + 1


# --------------------------------------------------------------------------- time zones

def check_timezone(timezone) -> zoneinfo.ZoneInfo:
    """The zone named by `timezone`, an IANA name such as ``"Europe/London"``.

    Raises
    ------
    TypeError
        If `timezone` is not a non-empty string (e.g. None: the zone was not given).
    ValueError
        If no such zone is known.
    """
    if not isinstance(timezone, str) or not timezone:
        raise TypeError(f"timezone must be an IANA time zone name such as 'Europe/London', "
                        f"not {timezone!r}")
    try:
        return zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {timezone!r}: give an IANA name such as "
                         f"'Europe/London', 'Asia/Muscat' or 'UTC'") from None


def localize(naive: pd.Series, timezone: str, *, source: str, quality: QualityLog,
             where: str = "", column: str | None = None) -> pd.Series:
    """Local wall-clock times -> UTC, resolving and counting DST edge cases.

    Parameters
    ----------
    naive : Series of datetime64 (naive)
        Local times; NaT stays NaT. Not modified.
    timezone : str
        IANA zone of the times (checked by :func:`check_timezone`).
    source : str
        Name of the source in `quality`.
    quality : QualityLog
        Receives the fixed rows: :data:`AMBIGUOUS_RULE` (a time occurring twice, read as
        the earlier, summer-time, instant) and :data:`NONEXISTENT_RULE` (a time skipped by
        the clock change, shifted forward to the first valid instant), counted per row.
    where, column : str, optional
        The file (and column) named at the start of the quality detail.

    Returns
    -------
    Series
        datetime64[ns, UTC], same index as `naive`.
    """
    timezone = check_timezone(timezone).key
    naive = naive.dt.as_unit("ns")
    strict = naive.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
    bad = strict.isna() & naive.notna()
    if not bad.any():
        return strict.dt.tz_convert("UTC")
    earliest = np.ones(int(bad.sum()), dtype=bool)  # True = the DST (earlier) instant
    gap = naive[bad].dt.tz_localize(timezone, ambiguous=earliest, nonexistent="NaT").isna()
    fixed = naive[bad].dt.tz_localize(timezone, ambiguous=earliest,
                                      nonexistent="shift_forward")
    strict = strict.copy()
    strict.loc[bad] = fixed
    prefix = ", ".join(p for p in (where, f"column {column!r}" if column else "") if p)
    prefix = f"{prefix}: " if prefix else ""
    n_gap, n_twice = int(gap.sum()), int((~gap).sum())
    if n_twice:
        quality.count(source, AMBIGUOUS_RULE, n_twice, action="fixed",
                      detail=f"{prefix}time occurs twice in {timezone}; the earlier "
                             f"(summer-time) instant was taken")
    if n_gap:
        quality.count(source, NONEXISTENT_RULE, n_gap, action="fixed",
                      detail=f"{prefix}time skipped by the clock change in {timezone}; "
                             f"shifted forward to the first valid instant")
    return strict.dt.tz_convert("UTC")


# --------------------------------------------------------------------------- columns

def find_columns(path: str | os.PathLike, header: Sequence[str],
                 wanted: Mapping[str, str | Sequence[str]], *, optional: Sequence[str] = (),
                 casefold: bool = False) -> dict[str, int | None]:
    """Where each wanted column is in a file's header.

    Parameters
    ----------
    path : str or path
        The file, named in the error.
    header : sequence of str
        The file's column names (already trimmed).
    wanted : mapping
        key -> the column's name, or the spellings accepted for it (first found wins; the
        first spelling is the one named when none is found).
    optional : sequence of str
        Keys that may be absent (their index is None).
    casefold : bool
        Compare names case-insensitively (`wanted` spellings then given in lower case).

    Returns
    -------
    dict
        key -> index of the column in `header` (None for an absent optional column).

    Raises
    ------
    InputError
        At row 1, naming every missing column and the columns the file has.
    """
    found = {(h.strip().casefold() if casefold else h): i for i, h in enumerate(header)}
    index, missing = {}, []
    for key, names in wanted.items():
        names = (names,) if isinstance(names, str) else tuple(names)
        hit = next((found[n] for n in names if n in found), None)
        if hit is None and key not in optional:
            missing.append(names[0])
        index[key] = hit
    if missing:
        raise InputError(path, f"missing column(s) {', '.join(map(repr, missing))}; the file "
                         f"has {', '.join(map(repr, header)) or 'no columns'}", row=1)
    return index


# --------------------------------------------------------------------------- duplicates

def drop_exact_duplicates(df: pd.DataFrame, *, source: str, quality: QualityLog, where: str,
                          labels: Sequence, label: str = "rows",
                          exact=None) -> tuple[pd.DataFrame, np.ndarray]:
    """Drop rows equal to an earlier row (the first is kept), counted under
    :data:`DUPLICATE_RULE`.

    Parameters
    ----------
    df : DataFrame
        Not modified.
    source : str
        Name of the source in `quality`.
    quality : QualityLog
        Receives the count (nothing when there is no duplicate).
    where : str
        The file named at the start of the quality detail.
    labels : sequence, one per row of `df`
        What names a row in the detail (line numbers, post ids); the first 20 dropped are
        listed, under `label`.
    exact : boolean array, optional
        The rows to drop when equality is judged on more than `df`'s columns (e.g. every
        raw cell); default: equal to an earlier row in every column of `df`.

    Returns
    -------
    tuple of (DataFrame, ndarray of bool)
        The rows kept (index untouched), and the mask of kept rows, to filter what runs
        alongside `df`.
    """
    dup = np.asarray(df.duplicated(keep="first") if exact is None else exact, dtype=bool)
    if not dup.any():
        return df, ~dup
    shown = [str(v) for v in np.asarray(labels, dtype=object)[dup]]
    more = f" and {len(shown) - 20} more" if len(shown) > 20 else ""
    quality.count(source, DUPLICATE_RULE, int(dup.sum()), action="dropped",
                  detail=f"{where}: {label} {', '.join(shown[:20])}{more}")
    return df.loc[~dup], ~dup


# --------------------------------------------------------------------------- future times

def flag_future(times: pd.Series, *, source: str, quality: QualityLog, where: str,
                labels: Sequence | None = None, label: str = "rows",
                now: pd.Timestamp | None = None) -> int:
    """Count the times later than `now` (default: the current time) under :data:`FUTURE_RULE`.

    Parameters
    ----------
    times : Series of datetime64[ns, UTC]
        Not modified; NaT is not in the future.
    source : str
        Name of the source in `quality`.
    quality : QualityLog
        Receives the count (action flagged; nothing when no time is in the future).
    where : str
        The file (and column) named at the start of the quality detail.
    labels : sequence, optional
        What names each row in the detail (line numbers, ids); the first 20 are listed.

    Returns
    -------
    int
        The number of times flagged.
    """
    now = pd.Timestamp.now(tz="UTC") if now is None else now
    future = np.asarray((pd.Series(times) > now).fillna(False), dtype=bool)
    n = int(future.sum())
    if n:
        shown = ""
        if labels is not None:
            hit = [str(v) for v in np.asarray(labels, dtype=object)[future]]
            shown = f"; {label} {', '.join(hit[:20])}" + (
                f" and {len(hit) - 20} more" if len(hit) > 20 else "")
        latest = pd.Series(times)[future].max()
        quality.count(source, FUTURE_RULE, n, action="flagged",
                      detail=f"{where}: latest {latest.isoformat()}{shown}; kept")
    return n
