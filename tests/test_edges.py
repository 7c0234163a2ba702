"""Reply edge lists and participant files (sources/edges.py), by hand and on the DLT2 MOOC-Ed."""

import csv
import io

import pandas as pd
import pytest

from engagement.schema import InputError, QualityLog, validate
from engagement.sources.edges import (SELF_REPLY_RULE, load_reply_network, read_reply_edges,
                                      read_reply_nodes, staff_ids)

# The DLT2 layout in miniature: a quoted description spanning two lines, a self-reply (5->5)
# and dates M/D/YY with a day above 12 (so the order is detected, not assumed).
EDGE_LINES = [
    "Sender,Reciever,Timestamp,Title,Description,CommentID,DiscussionID",
    '1,2,9/27/13,Hello,"first line{nl}second line",3,1',
    "2,1,9/28/13,Re,plain,4,1",
    "5,5,10/1/13,Me,talking to myself,7,2",
    "3,5,10/15/13,Q,asks,8,2",
]


def write(path, lines, nl):
    path.write_bytes(nl.join(lines).replace("{nl}", nl).encode() + nl.encode())
    return path


def rules(quality, source=None):
    return {r["rule"]: r for r in quality.rules if source in (None, r["source"])}


@pytest.mark.parametrize("nl", ["\r", "\n", "\r\n"])
def test_cr_lf_and_crlf_files_give_the_same_events(tmp_path, nl):
    q = QualityLog()
    ev = read_reply_edges(write(tmp_path / "e.csv", EDGE_LINES, nl), course="C", quality=q)
    assert ev["learner_id"].tolist() == ["1", "2", "5", "3"]
    # the misspelt Reciever column is found
    assert ev["target_learner_id"].tolist() == ["2", "1", None, "5"]
    assert ev["timestamp"].tolist() == [pd.Timestamp(d, tz="UTC") for d in
                                        ("2013-09-27", "2013-09-28", "2013-10-01",
                                         "2013-10-15")]
    assert ev["object_id"].tolist() == ["discussion:1/post:3", "discussion:1/post:4",
                                        "discussion:2/post:7", "discussion:2/post:8"]
    assert set(ev["source"]) == {"forum"} and set(ev["action"]) == {"reply"}
    assert ev["count"].tolist() == [1, 1, 1, 1] and set(ev["course"]) == {"C"}
    assert q.rows_read["reply_edges"] == 4 and q.timezones["reply_edges"] == "UTC"
    validate(ev, "events")


def test_self_replies_are_kept_without_target_and_counted(tmp_path):
    q = QualityLog()
    ev = read_reply_edges(write(tmp_path / "e.csv", EDGE_LINES + ["4,4,10/16/13,x,y,9,3"],
                                "\r"), course="C", quality=q)
    assert len(ev) == 5
    assert ev.loc[ev["learner_id"].isin(["4", "5"]), "target_learner_id"].isna().all()
    rule = rules(q)[SELF_REPLY_RULE]
    assert "self-repl" in rule["rule"] and rule["action"] == "flagged" and rule["rows"] == 2


def test_blank_sender_dropped_and_blank_receiver_flagged(tmp_path):
    lines = ["from,to,date", "1,2,2024-03-05", ",2,2024-03-06", "3,,2024-03-07",
             ",,not a date"]  # a dropped row's date is never read
    q = QualityLog()
    ev = read_reply_edges(write(tmp_path / "e.csv", lines, "\n"), course="C", quality=q)
    assert ev["learner_id"].tolist() == ["1", "3"]
    assert ev["target_learner_id"].tolist() == ["2", None]
    r = rules(q)
    assert r["blank sender"]["rows"] == 2 and r["blank sender"]["action"] == "dropped"
    assert "lines 3, 5" in r["blank sender"]["detail"]
    blank_to = r["blank receiver: target_learner_id left null"]
    assert blank_to["rows"] == 1 and blank_to["action"] == "flagged"
    assert q.dropped("reply_edges") == 2


@pytest.mark.parametrize("nl", ["\r", "\r\n"])
def test_bad_date_names_line_and_column(tmp_path, nl):
    # the quoted value spans lines 2-3, so the bad record starts on line 6
    lines = EDGE_LINES[:4] + ["3,5,10/32/13,Q,asks,8,2"]
    with pytest.raises(InputError) as err:
        read_reply_edges(write(tmp_path / "e.csv", lines, nl), course="C")
    assert err.value.row == 6 and err.value.column == "Timestamp"
    assert "10/32/13" in str(err.value) and "e.csv" in str(err.value)


def test_line_numbers_count_breaks_inside_quotes(tmp_path):
    lines = EDGE_LINES[:2] + ["2,1,someday,Re,plain,4,1"]
    with pytest.raises(InputError) as err:
        read_reply_edges(write(tmp_path / "e.csv", lines, "\r"), course="C")
    assert err.value.row == 4  # header 1, quoted record 2-3


def test_day_first_dates_and_local_midnight(tmp_path):
    lines = ["Author,Recipient,Created", "a,b,25/12/2023", "b,a,01/02/2024"]
    q = QualityLog()
    ev = read_reply_edges(write(tmp_path / "e.csv", lines, "\n"), course="C",
                          timezone="Europe/London", quality=q)
    # 1 Feb: London is on GMT; 25 Dec likewise, midnight local = midnight UTC
    assert ev["timestamp"].tolist() == [pd.Timestamp("2023-12-25", tz="UTC"),
                                        pd.Timestamp("2024-02-01", tz="UTC")]
    ev = read_reply_edges(write(tmp_path / "e.csv", lines, "\n"), course="C",
                          timezone="Australia/Sydney")
    assert ev["timestamp"].iloc[0] == pd.Timestamp("2023-12-24 13:00", tz="UTC")
    assert "day/month order of dates assumed" not in rules(q)


def test_ambiguous_date_order_is_assumed_and_flagged(tmp_path):
    lines = ["sender,receiver,time", "a,b,01/02/24", "b,a,03/04/24"]
    q = QualityLog()
    ev = read_reply_edges(write(tmp_path / "e.csv", lines, "\n"), course="C", quality=q)
    assert ev["timestamp"].iloc[0] == pd.Timestamp("2024-01-02", tz="UTC")  # M/D/YY
    assert rules(q)["day/month order of dates assumed"]["rows"] == 2
    ev = read_reply_edges(write(tmp_path / "e.csv", lines, "\n"), course="C",
                          date_format="%d/%m/%y")
    assert ev["timestamp"].iloc[0] == pd.Timestamp("2024-02-01", tz="UTC")


def test_explicit_columns_override_aliases_and_missing_ones_are_named(tmp_path):
    lines = ["Sender,Receiver,Who,Whom,When", "a,b,x,y,2024-03-05 14:30"]
    path = write(tmp_path / "e.csv", lines, "\n")
    ev = read_reply_edges(path, course="C", sender="WHO", receiver="whom", timestamp="when")
    assert ev[["learner_id", "target_learner_id"]].values.tolist() == [["x", "y"]]
    assert ev["timestamp"].iloc[0] == pd.Timestamp("2024-03-05 14:30", tz="UTC")
    # no post column: the data row number; no thread column: post only
    assert ev["object_id"].tolist() == ["post:1"]
    with pytest.raises(InputError) as err:
        read_reply_edges(path, course="C", thread="discussion_id")
    assert err.value.row == 1 and "'discussion_id'" in str(err.value)
    with pytest.raises(InputError, match="missing column.*timestamp"):
        read_reply_edges(write(tmp_path / "f.csv", ["from,to", "a,b"], "\n"), course="C")


def test_thread_without_post_column_uses_row_numbers(tmp_path):
    lines = ["from,to,date,thread", "a,b,2024-03-05,9", "b,a,2024-03-06,", "c,a,2024-03-04,9",
             "c,b,2024-03-07,#N/A"]
    q = QualityLog()
    ev = read_reply_edges(write(tmp_path / "e.csv", lines, "\n"), course="C", quality=q)
    # sorted by time: row 3 first; a blank or #N/A thread leaves the post alone
    assert ev["object_id"].tolist() == ["discussion:9/post:3", "discussion:9/post:1",
                                        "post:2", "post:4"]
    assert rules(q)["null marker in an id column read as blank"]["rows"] == 1


NODE_LINES = ["uid,facilitator,role,group", "1,0,teacher,AL", "2,0,other,NULL",
              "3,1,staff,OZ", "5,0,teacher,"]


def test_nodes_as_learners_and_staff(tmp_path):
    path = write(tmp_path / "n.csv", NODE_LINES, "\r")
    q = QualityLog()
    lr = read_reply_nodes(path, course="C", organisation="group", quality=q)
    assert lr["learner_id"].tolist() == ["1", "2", "3", "5"]
    assert lr["organisation"].tolist() == ["AL", None, "OZ", None]
    assert lr["enrolled_at"].isna().all() and lr["acquisition_channel"].isna().all()
    assert rules(q)["null marker in organisation read as missing"]["rows"] == 1
    assert q.rows_read["reply_nodes"] == 4
    lr = read_reply_nodes(path, course="C", staff_column="Facilitator")
    assert lr["learner_id"].tolist() == ["1", "2", "5"] and lr["organisation"].isna().all()
    assert staff_ids(path, staff_column="facilitator")["learner_id"].tolist() == ["3"]


def test_staff_values_must_be_yes_or_no(tmp_path):
    path = write(tmp_path / "n.csv", ["uid,facilitator", "1,yes", "2,maybe"], "\n")
    with pytest.raises(InputError) as err:
        staff_ids(path, staff_column="facilitator")
    assert err.value.row == 3 and err.value.column == "facilitator"


def test_network_removes_staff_and_adds_missing_people(tmp_path):
    edges = write(tmp_path / "e.csv", EDGE_LINES + ["3,1,10/16/13,x,y,9,3",
                                                    "1,3,10/17/13,x,y,10,3",
                                                    "6,1,10/18/13,x,y,11,3"], "\r")
    nodes = write(tmp_path / "n.csv", NODE_LINES, "\r")
    q = QualityLog()
    net = load_reply_network(edges, nodes, course="C", staff_column="facilitator",
                             organisation="group", timezone="America/New_York", quality=q)
    ev = net["events"]
    # staff 3 sent two replies (dropped); 1 replied to 3 (kept, target null)
    assert "3" not in set(ev["learner_id"]) and "3" not in set(ev["target_learner_id"])
    assert len(ev) == 5 and ev.loc[ev["object_id"] == "discussion:3/post:10",
                                   "target_learner_id"].isna().all()
    r = rules(q)
    assert r["reply by staff ('facilitator' is yes)"]["rows"] == 2
    assert r["reply to staff ('facilitator' is yes): target_learner_id left null"]["rows"] == 1
    assert r["staff ('facilitator' is yes) are not learners"]["rows"] == 1
    added = r["person in the edge list missing from the nodes file added as a learner"]
    assert added["rows"] == 1 and "6" in added["detail"]
    assert sorted(net["learners"]["learner_id"]) == ["1", "2", "5", "6"]
    c = net["courses"].iloc[0]
    assert c["course"] == "C" and c["title"] == "C" and pd.isna(c["ends_at"])
    assert c["starts_at"] == pd.Timestamp("2013-09-27 04:00", tz="UTC")  # EDT midnight
    assert c["observation_end"] == pd.Timestamp("2013-10-18 04:00", tz="UTC")
    for name, df in net.items():
        validate(df, name)


def test_network_without_nodes_file(tmp_path):
    net = load_reply_network(write(tmp_path / "e.csv", EDGE_LINES, "\n"), course="C")
    assert sorted(net["learners"]["learner_id"]) == ["1", "2", "3", "5"]
    with pytest.raises(ValueError, match="nodes_path"):
        load_reply_network(tmp_path / "e.csv", course="C", staff_column="facilitator")


@pytest.mark.realdata
def test_dlt2_reply_network(shared_data_dir):
    folder = shared_data_dir("forum-mooc-ed")
    edges, nodes = folder / "DLT2 Edgelist.csv", folder / "DLT2 Nodes.csv"
    # independent count with plain csv on the raw bytes (CR-only, breaks inside quotes)
    text = edges.read_bytes().decode("utf-8")
    assert "\n" not in text and "\r" in text
    rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
    self_replies = sum(1 for r in rows if r[0].strip() == r[1].strip())
    senders = {r[0].strip() for r in rows}
    node_rows = list(csv.reader(io.StringIO(nodes.read_bytes().decode("utf-8"),
                                            newline="")))[1:]
    staff = {r[0] for r in node_rows if r[1] == "1"}

    q = QualityLog()
    ev = read_reply_edges(edges, course="DLT2", quality=q)
    assert q.rows_read["reply_edges"] == len(rows) == 2584 and len(ev) == 2584
    assert rules(q)[SELF_REPLY_RULE]["rows"] == self_replies > 0
    assert ev["target_learner_id"].isna().sum() == self_replies
    assert ev["learner_id"].nunique() == len(senders)
    assert ev["timestamp"].min() == pd.Timestamp("2013-09-27", tz="UTC")
    # one DiscussionID is Excel's #N/A: that reply keeps its post id only
    na_thread = sum(1 for r in rows if r[8].strip() == "#N/A")
    assert ev["object_id"].str.fullmatch(r"(discussion:\d+/)?post:\d+").all()
    assert (~ev["object_id"].str.startswith("discussion:")).sum() == na_thread
    assert rules(q)["null marker in an id column read as blank"]["rows"] == na_thread

    q = QualityLog()
    lr = read_reply_nodes(nodes, course="DLT2", quality=q)
    assert q.rows_read["reply_nodes"] == len(node_rows) == 492 and len(lr) == 492

    q = QualityLog()
    net = load_reply_network(edges, nodes, course="DLT2", staff_column="facilitator",
                             quality=q)
    by_staff = sum(1 for r in rows if r[0] in staff)
    to_staff = sum(1 for r in rows if r[0] not in staff and r[1] in staff and r[0] != r[1])
    r = rules(q)
    assert r["reply by staff ('facilitator' is yes)"]["rows"] == by_staff > 0
    assert (r["reply to staff ('facilitator' is yes): target_learner_id left null"]["rows"]
            == to_staff > 0)
    assert len(net["events"]) == 2584 - by_staff
    assert len(net["learners"]) == 492 - len(staff)
    assert not set(net["events"]["learner_id"]) & staff
    assert not set(net["events"]["target_learner_id"].dropna()) & staff
