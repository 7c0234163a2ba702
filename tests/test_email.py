"""The person-level e-mail invitation test loader, on hand-made files and on the demo."""

import json

import pandas as pd
import pytest

from engagement import clean
from engagement.schema import COLUMNS, InputError, QualityLog
from engagement.sources import email

HEADER = "recipient_email,variant,sent_at,opened,clicked,signed_up"


def write(path, lines):
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def rule_rows(quality, rule, action=None):
    return sum(r["rows"] for r in quality.rules if r["source"] == "email"
               and r["rule"] == rule and (action is None or r["action"] == action))


@pytest.fixture
def by_hand(tmp_path):
    return write(tmp_path / "invite.csv", [
        "ann@x.org,A,2026-01-05 09:30,1,1,1",      # line 2
        "bob@x.org,B,2026-01-05 09:00,0,0,0",      # line 3
        "cat@x.org,A,2026-03-29 10:00,1,0,0",      # line 4: summer time (BST), 09:00 UTC
        "dan@x.org,B,2026-01-05 10:00,1,1,0",      # line 5
        "dan@x.org,B,2026-01-05 10:00,1,1,0",      # line 6: exact duplicate of line 5
        "ANN@x.org,B,2026-01-06 09:00,1,1,1",      # line 7: ann again, other variant: dropped
        "eve@x.org,A,2026-01-04 08:15,0,1,0",      # line 8: clicked, open not tracked
        ",C,2026-01-07 12:00,1,0,0",               # line 9: blank address, kept
    ])


def test_aggregates_per_variant_by_hand(by_hand):
    q = QualityLog()
    df = email.read_email_test(by_hand, timezone="Europe/London", quality=q)
    assert list(df.columns) == COLUMNS["outreach"] + ["recipients"]
    assert list(df["post_id"]) == ["email:A", "email:B", "email:C"]
    assert (df["channel"] == "email").all() and list(df["variant"]) == ["A", "B", "C"]
    # A: ann, cat, eve; B: bob, dan; C: the blank address
    assert list(df["exposures"]) == [3, 2, 1] and list(df["recipients"]) == [3, 2, 1]
    assert list(df["engagements"]) == [2, 1, 1]
    assert list(df["clicks"]) == [2, 1, 0]
    assert list(df["signups"]) == [1, 0, 0]
    assert list(df["published_at"]) == [pd.Timestamp("2026-01-04 08:15", tz="UTC"),
                                        pd.Timestamp("2026-01-05 09:00", tz="UTC"),
                                        pd.Timestamp("2026-01-07 12:00", tz="UTC")]
    assert str(df["published_at"].dtype) == "datetime64[ns, UTC]"
    assert str(df["exposures"].dtype) == "Int64"
    # every rule counted, no address in the quality log
    assert q.rows_read == {"email": 8}
    assert q.timezones["email"] == "Europe/London"
    assert rule_rows(q, email.RULE_DUPLICATE, "dropped") == 1
    assert rule_rows(q, email.RULE_SAME_RECIPIENT, "dropped") == 1
    assert rule_rows(q, email.RULE_CLICK_NO_OPEN, "flagged") == 1
    assert rule_rows(q, email.RULE_BLANK_EMAIL, "flagged") == 1
    assert q.dropped("email") == 2
    assert "x.org" not in json.dumps(q.to_dict()).casefold()
    assert not any("@" in str(v) for v in df.astype(str).to_numpy().ravel())


def test_summer_time_and_other_zone(tmp_path):
    path = write(tmp_path / "t.csv", ["a@x.org,A,2026-07-01 10:00,0,0,0"])
    london = email.read_email_test(path, timezone="Europe/London")
    ny = email.read_email_test(path, timezone="America/New_York")
    assert london.loc[0, "published_at"] == pd.Timestamp("2026-07-01 09:00", tz="UTC")
    assert ny.loc[0, "published_at"] == pd.Timestamp("2026-07-01 14:00", tz="UTC")


def test_input_not_modified(by_hand):
    before = by_hand.read_bytes()
    email.read_email_test(by_hand, timezone="Europe/London")
    assert by_hand.read_bytes() == before


def test_missing_columns_named(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("recipient_email,variant,sent_at,opened\na@x.org,A,2026-01-05 09:00,1\n")
    with pytest.raises(InputError, match="clicked, signed_up") as err:
        email.read_email_test(path, timezone="Europe/London")
    assert "bad.csv" in str(err.value) and err.value.row == 1


@pytest.mark.parametrize("line, column, message", [
    ("a@x.org,A,2026-01-05 09:00,yes,0,0", "opened", "not 0 or 1"),
    ("a@x.org,A,2026-01-05 09:00,1,2,0", "clicked", "not 0 or 1"),
    ("a@x.org,A,2026-01-05 09:00,1,1,", "signed_up", "not 0 or 1"),
    ("a@x.org,A,05/01/2026 09:00,1,0,0", "sent_at", "sent_at"),
    ("a@x.org,,2026-01-05 09:00,1,0,0", "variant", "blank variant"),
])
def test_bad_values_name_file_row_column(tmp_path, line, column, message):
    path = write(tmp_path / "bad.csv", ["ok@x.org,A,2026-01-05 09:00,0,0,0", line])
    with pytest.raises(InputError, match=message) as err:
        email.read_email_test(path, timezone="Europe/London")
    assert err.value.row == 3 and err.value.column == column
    assert "bad.csv" in str(err.value)


def test_unknown_zone(by_hand):
    with pytest.raises(ValueError, match="time zone"):
        email.read_email_test(by_hand, timezone="Europe/Nowhere")


def test_header_only_gives_no_rows(tmp_path):
    path = write(tmp_path / "empty.csv", [])
    df = email.read_email_test(path, timezone="Europe/London")
    assert len(df) == 0 and list(df.columns) == COLUMNS["outreach"] + ["recipients"]


def test_demo_email_read_through_load_exports(tmp_path):
    from engagement.sources import demo
    out = tmp_path / "demo"
    demo.write_demo(out, seed=5, n_learners=150, n_organisations=4, weeks=6)
    zones = clean._manifest_timezones(out)
    assert zones["email"] == "Europe/London"
    q = QualityLog()
    tables = clean.load_exports(out, timezone=zones, quality=q)
    o = tables["outreach"]
    mail = o[o["channel"] == "email"].set_index("variant")
    raw = pd.read_csv(out / "email/invitation_test.csv")
    assert int(mail["recipients"].sum()) == len(raw) == demo.N_EMAIL_RECIPIENTS
    assert mail["signups"].astype(int).to_dict() == raw.groupby("variant")["signed_up"].sum().to_dict()
    assert mail["engagements"].astype(int).to_dict() == raw.groupby("variant")["opened"].sum().to_dict()
    assert set(o["channel"]) == {"linkedin", "facebook", "x", "email"}
    assert o["impossible"].dtype == bool
    assert q.rows_read["email"] == len(raw)
