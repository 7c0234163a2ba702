"""How learners build community: reply networks, shared threads and workplaces.

Who replied to whom in the forum, who talked in the same threads, whether learners from
the same workplace (organisation) keep to themselves, and how each organisation takes part.

Definitions
-----------
- A *post* is a forum event with action ``post`` (it starts a discussion); a *reply* has
  action ``reply`` and ``target_learner_id`` = the author replied to. Only events of
  `sources` (default :data:`FORUM_SOURCES`) count.
- A *reply tie* A -> B exists when A replied at least once to B. Replies whose target is
  unknown (null) or the author themself are no tie: they are left out of the network
  (counted in the :class:`~engagement.schema.QualityLog` by :func:`reply_edges`).
- A *thread tie* {A, B} exists when A and B both posted in the same discussion thread. The
  thread is read from ``object_id`` by :func:`thread_of`; posts whose object id names no
  thread (older ``post:<id>`` or bare ids, as in the Moodle log) give no thread ties.
- The *learners* of a course's network are everyone who posted or replied there, plus
  anyone who was replied to. Learners who posted but never had a reply from anyone else are
  *isolated*; they stay in the network (they are part of its story).
- Network measures on small networks mean little: below `min_network_size` learners
  (default 20) betweenness and communities are missing (NaN), never computed.
- Communities are Louvain communities (``networkx.community.louvain_communities``, seeded)
  of the undirected graph in which the weight of {A, B} is the replies A -> B, plus the
  replies B -> A, plus the threads A and B shared. Nodes and edges are added in sorted
  order so that the same data and seed always give the same communities.
- The *E-I index* (Krackhardt and Stern 1988) of a set of ties is (E - I) / (E + I), with I
  the ties within a group (organisation) and E those across groups: -1 when every tie is
  within a workplace, +1 when every tie crosses. It is compared with a permutation null in
  which the group labels are shuffled among the same learners, keeping the graph.

Everything here is observational: learners choose whom to answer, and a pattern of ties is
not evidence of what caused it.

Inputs are never modified; missing columns raise ``ValueError`` naming them.
"""

from __future__ import annotations

import zlib

import networkx as nx
import numpy as np
import pandas as pd

from engagement import results, stats
from engagement.activity import ONLINE_SOURCES, week_start
from engagement.results import Result, TotalRow
from engagement.retention import UNKNOWN, _utc
from engagement.schema import QualityLog, require_columns

FORUM_SOURCES = ("forum",)
"""Sources whose ``post`` and ``reply`` events make the network."""

POSTING_ACTIONS = ("post", "reply")

ALL_COURSES = "(all courses)"
"""The ``course`` label of pooled rows."""

REPLY_EDGE_COLUMNS = ["course", "source_learner", "target_learner", "replies", "first_at",
                      "last_at"]
THREAD_EDGE_COLUMNS = ["course", "learner_a", "learner_b", "shared_threads"]
SUMMARY_COLUMNS = ["learners", "ties", "replies", "density", "reciprocity",
                   "in_degree_centralisation", "isolated_share", "largest_component_share",
                   "communities", "modularity", "learners_in_small_communities"]
MEASURE_COLUMNS = ["course", "learner_id", "posts", "replies_given", "replies_received",
                   "in_degree", "out_degree", "reciprocated_ties", "reciprocity", "isolated",
                   "betweenness"]
EI_COLUMNS = ["course", "nodes", "groups", "ties", "internal", "external", "ei",
              "null_ei_mean", "null_ei_low", "null_ei_high", "p_value", "permutations",
              "ties_unknown_group"]

_WEEK = pd.Timedelta(days=7)
# permutation blocks are sized so that a block's label matrix stays a few MB
_BLOCK_CELLS = 4_000_000


# --------------------------------------------------------------------------- helpers

def _bound(value, name: str) -> pd.Timestamp | None:
    if value is None:
        return None
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), not naive: {value!r}")
    return ts.tz_convert("UTC")


def _sort_key(values) -> list:
    # ids are strings in the contract; str() keeps the order defined if a caller mixes types
    return sorted(set(values), key=str)


def thread_of(object_id) -> str | None:
    """The discussion thread named by a forum ``object_id``, or None.

    The convention is ``discussion:<thread id>/post:<post id>`` (the Moodle forum export);
    older data may have only ``post:<post id>`` or a bare id, which name no thread.

    Examples
    --------
    >>> thread_of("discussion:17/post:204")
    '17'
    >>> thread_of("post:204") is None
    True
    """
    if object_id is None or (isinstance(object_id, float) and np.isnan(object_id)):
        return None
    text = str(object_id)
    if not text.startswith("discussion:"):
        return None
    thread = text[len("discussion:"):].split("/", 1)[0]
    return thread or None


def _threads(object_ids: pd.Series) -> pd.Series:
    """:func:`thread_of` for a whole column (vectorised)."""
    found = object_ids.astype("string").str.extract(r"^discussion:([^/]+)", expand=False)
    return found.astype(object).where(found.notna(), None)


def _posts(events: pd.DataFrame, *, learner: str, target: str, course: str, timestamp: str,
           object_id: str, start, end, sources) -> tuple[pd.DataFrame, dict]:
    """Forum posts and replies in [start, end) in standard columns, and what was not a tie.

    Columns: learner_id, course, timestamp, action, target (None when unknown or a
    self-reply), thread (None when the object id names none), weight (``count``, else 1).
    """
    needed = [learner, course, timestamp, "action", target]
    if sources is not None:
        needed.append("source")
    require_columns(events, needed, "events")
    start, end = _bound(start, "start"), _bound(end, "end")
    mask = events["action"].isin(POSTING_ACTIONS)
    if sources is not None:
        mask &= events["source"].isin(tuple(sources))
    df = events.loc[mask]
    ts = _utc(df[timestamp], f"events column {timestamp!r}")
    keep = pd.Series(True, index=df.index)
    if start is not None:
        keep &= ts >= start
    if end is not None:
        keep &= ts < end
    df, ts = df.loc[keep], ts.loc[keep]
    is_reply = df["action"].eq("reply")
    tgt = df[target].where(is_reply)
    unknown = is_reply & tgt.isna()
    self_reply = is_reply & tgt.notna() & tgt.eq(df[learner])
    tgt = tgt.where(~self_reply)
    weight = (pd.to_numeric(df["count"], errors="coerce").fillna(1).astype(float)
              if "count" in df.columns else pd.Series(1.0, index=df.index))
    threads = (_threads(df[object_id]) if object_id in df.columns
               else pd.Series(None, index=df.index, dtype=object))
    out = pd.DataFrame({
        "learner_id": df[learner].to_numpy(dtype=object),
        "course": df[course].to_numpy(dtype=object),
        "timestamp": ts.to_numpy(),
        "action": df["action"].to_numpy(dtype=object),
        "target": tgt.astype(object).where(tgt.notna(), None).to_numpy(dtype=object),
        "thread": threads.to_numpy(dtype=object),
        "weight": weight.to_numpy(),
    })
    out["timestamp"] = pd.to_datetime(out["timestamp"], utc=True)
    dropped = {"unknown": int(unknown.sum()), "self": int(self_reply.sum())}
    return out, dropped


def _reply_edges_from(posts: pd.DataFrame) -> pd.DataFrame:
    r = posts[posts["action"].eq("reply") & posts["target"].notna()]
    if r.empty:
        return _empty_reply_edges()
    out = (r.groupby(["course", "learner_id", "target"], sort=True)
           .agg(replies=("weight", "sum"), first_at=("timestamp", "min"),
                last_at=("timestamp", "max"))
           .reset_index()
           .rename(columns={"learner_id": "source_learner", "target": "target_learner"}))
    out["replies"] = out["replies"].astype("int64")
    return out[REPLY_EDGE_COLUMNS]


def _empty_reply_edges() -> pd.DataFrame:
    return pd.DataFrame({
        "course": pd.Series(dtype=object), "source_learner": pd.Series(dtype=object),
        "target_learner": pd.Series(dtype=object), "replies": pd.Series(dtype="int64"),
        "first_at": pd.Series(dtype="datetime64[ns, UTC]"),
        "last_at": pd.Series(dtype="datetime64[ns, UTC]")})


def _thread_edges_from(posts: pd.DataFrame) -> pd.DataFrame:
    part = posts.loc[posts["thread"].notna(), ["course", "thread", "learner_id"]].drop_duplicates()
    pairs = part.merge(part, on=["course", "thread"], suffixes=("_a", "_b"))
    pairs = pairs[pairs["learner_id_a"].astype(str) < pairs["learner_id_b"].astype(str)]
    if pairs.empty:
        return pd.DataFrame({"course": pd.Series(dtype=object),
                             "learner_a": pd.Series(dtype=object),
                             "learner_b": pd.Series(dtype=object),
                             "shared_threads": pd.Series(dtype="int64")})
    out = (pairs.groupby(["course", "learner_id_a", "learner_id_b"], sort=True).size()
           .rename("shared_threads").reset_index()
           .rename(columns={"learner_id_a": "learner_a", "learner_id_b": "learner_b"}))
    out["shared_threads"] = out["shared_threads"].astype("int64")
    return out[THREAD_EDGE_COLUMNS]


def _nodes_from(posts: pd.DataFrame) -> pd.DataFrame:
    """(course, learner_id) of everyone who posted, replied or was replied to."""
    wrote = posts[["course", "learner_id"]]
    got = posts.loc[posts["target"].notna(), ["course", "target"]].rename(
        columns={"target": "learner_id"})
    return pd.concat([wrote, got], ignore_index=True).drop_duplicates().reset_index(drop=True)


def _build(nodes, u, v, w, *, directed: bool) -> nx.Graph:
    """A graph with nodes and edges added in sorted order (seeded algorithms then repeat)."""
    graph = nx.DiGraph() if directed else nx.Graph()
    u, v = np.asarray(u, dtype=object), np.asarray(v, dtype=object)
    w = np.asarray(w, dtype=float)
    graph.add_nodes_from(_sort_key(list(nodes) + list(u) + list(v)))
    if len(u):
        if not directed:
            # one key per unordered pair, so A-B and B-A add up
            swap = np.array([str(a) > str(b) for a, b in zip(u, v, strict=True)], dtype=bool)
            u, v = np.where(swap, v, u), np.where(swap, u, v)
        agg = (pd.DataFrame({"u": u, "v": v, "w": w}).groupby(["u", "v"], sort=False)["w"]
               .sum().reset_index())
        triples = sorted(zip(agg["u"], agg["v"], agg["w"], strict=True),
                         key=lambda t: (str(t[0]), str(t[1])))
        graph.add_weighted_edges_from(triples, weight="weight")
    return graph


def _combined_graph(nodes, redges: pd.DataFrame, tedges: pd.DataFrame) -> nx.Graph:
    u = list(redges["source_learner"]) + list(tedges["learner_a"])
    v = list(redges["target_learner"]) + list(tedges["learner_b"])
    w = list(redges["replies"]) + list(tedges["shared_threads"])
    return _build(nodes, u, v, w, directed=False)


def _louvain(graph: nx.Graph, *, seed: int) -> list[set]:
    """Louvain communities ordered by size (largest first), ties by their smallest id."""
    parts = nx.community.louvain_communities(graph, weight="weight", seed=seed)
    return sorted(parts, key=lambda c: (-len(c), min(str(x) for x in c)))


def _label_communities(parts: list[set], min_community_size: int) -> dict:
    labels, k = {}, 0
    for part in parts:
        if len(part) >= min_community_size:
            k += 1
            label = f"C{k}"
        else:
            label = "small"
        labels.update({node: label for node in part})
    return labels


def _check_sizes(min_network_size: int, min_community_size: int | None = None) -> None:
    if not (isinstance(min_network_size, (int, np.integer)) and min_network_size >= 2):
        raise ValueError(f"min_network_size must be an integer of at least 2, "
                         f"not {min_network_size!r}")
    if min_community_size is not None and not (
            isinstance(min_community_size, (int, np.integer)) and min_community_size >= 1):
        raise ValueError(f"min_community_size must be a positive integer, "
                         f"not {min_community_size!r}")


def _edge_kind(edges: pd.DataFrame, what: str) -> tuple[str, str, str, bool]:
    """(from column, to column, weight column, directed) of a reply or thread edge table."""
    if not isinstance(edges, pd.DataFrame):
        raise ValueError(f"{what}: expected a pandas DataFrame, got {type(edges).__name__}")
    if {"source_learner", "target_learner", "replies"} <= set(edges.columns):
        return "source_learner", "target_learner", "replies", True
    if {"learner_a", "learner_b", "shared_threads"} <= set(edges.columns):
        return "learner_a", "learner_b", "shared_threads", False
    raise ValueError(f"{what}: expected reply edges (source_learner, target_learner, replies) "
                     f"or thread edges (learner_a, learner_b, shared_threads); it has "
                     f"{', '.join(map(str, edges.columns)) or 'no columns'}")


# --------------------------------------------------------------------------- edges

def reply_edges(events: pd.DataFrame, *, learner: str = "learner_id",
                target: str = "target_learner_id", course: str = "course",
                timestamp: str = "timestamp", start=None, end=None,
                sources=FORUM_SOURCES, quality: QualityLog | None = None) -> pd.DataFrame:
    """Directed reply ties: who replied to whom, how often, and when.

    Replies whose target is unknown (null) or the author themself make no tie; how many
    were left out is recorded in `quality` (source ``events``).

    Parameters
    ----------
    events : DataFrame
        The contract's events table.
    learner, target, course, timestamp : str
        Column names.
    start, end : timestamp-like, optional
        Keep only events in [start, end) (timezone-aware).
    sources : sequence of str or None
        Sources whose replies count (default :data:`FORUM_SOURCES`; None: any source).
    quality : QualityLog, optional
        Where the replies left out are counted.

    Returns
    -------
    DataFrame, one row per course and ordered pair of learners with at least one reply:
    course, source_learner (who replied), target_learner (who was replied to), replies
    (sum of ``count``), first_at, last_at (UTC).
    """
    quality = QualityLog() if quality is None else quality
    posts, dropped = _posts(events, learner=learner, target=target, course=course,
                            timestamp=timestamp, object_id="object_id", start=start, end=end,
                            sources=sources)
    if dropped["unknown"]:
        quality.count("events", "reply with unknown target (no network tie)", dropped["unknown"],
                      detail="target_learner_id is null; the reply is left out of the network")
    if dropped["self"]:
        quality.count("events", "reply to oneself (no network tie)", dropped["self"],
                      detail="target_learner_id is the author; left out of the network")
    return _reply_edges_from(posts)


def thread_edges(events: pd.DataFrame, *, learner: str = "learner_id",
                 target: str = "target_learner_id", course: str = "course",
                 timestamp: str = "timestamp", object_id: str = "object_id", start=None,
                 end=None, sources=FORUM_SOURCES) -> pd.DataFrame:
    """Undirected co-participation ties: learners who posted in the same thread.

    The thread of a post is :func:`thread_of` its ``object_id``; posts naming no thread give
    no ties. Posts and replies both count as taking part.

    Returns
    -------
    DataFrame, one row per course and unordered pair of learners (learner_a < learner_b):
    course, learner_a, learner_b, shared_threads (number of threads both posted in).
    """
    posts, _ = _posts(events, learner=learner, target=target, course=course,
                      timestamp=timestamp, object_id=object_id, start=start, end=end,
                      sources=sources)
    return _thread_edges_from(posts)


def interaction_graph(edges: pd.DataFrame, *, nodes=None, directed: bool = True) -> nx.Graph:
    """A networkx graph of reply ties (or thread ties), weighted.

    Parameters
    ----------
    edges : DataFrame
        From :func:`reply_edges` (weight = replies) or :func:`thread_edges` (weight =
        shared_threads). Rows of several courses are pooled (weights add up): filter to one
        course first for a course's network.
    nodes : iterable of learner ids, optional
        Learners to include even without ties (isolated posters).
    directed : bool
        A ``DiGraph`` (reply ties only) or an undirected ``Graph`` in which the weights of
        A -> B and B -> A add up.

    Returns
    -------
    networkx.DiGraph or networkx.Graph with edge attribute ``weight``; nodes and edges are
    added in sorted order.
    """
    u, v, w, is_directed = _edge_kind(edges, "edges")
    if directed and not is_directed:
        raise ValueError("edges: thread ties are undirected; use directed=False")
    return _build([] if nodes is None else list(nodes), edges[u], edges[v], edges[w],
                  directed=directed)


def in_degree_centralisation(graph: nx.DiGraph) -> float:
    """Freeman's in-degree centralisation: sum(max - d_i) / (n - 1)^2.

    1 for a star in which everyone replies to one learner; 0 when every learner is replied
    to by as many people (e.g. a cycle). NaN with fewer than 2 learners.
    """
    n = graph.number_of_nodes()
    if n < 2:
        return float("nan")
    degrees = np.array([d for _, d in graph.in_degree()], dtype=float)
    return float((degrees.max() - degrees).sum() / (n - 1) ** 2)


# --------------------------------------------------------------------------- learner measures

def learner_measures(events: pd.DataFrame, *, min_network_size: int = 20,
                     learner: str = "learner_id", target: str = "target_learner_id",
                     course: str = "course", timestamp: str = "timestamp", start=None,
                     end=None, sources=FORUM_SOURCES) -> pd.DataFrame:
    """Each learner's place in their course's reply network.

    Betweenness is computed only when the course network has at least `min_network_size`
    learners (default 20): below it, it means nothing and is NaN.

    Parameters
    ----------
    events : DataFrame
        The contract's events table.
    min_network_size : int
        Fewest learners in a course network for betweenness to be computed.
    learner, target, course, timestamp, start, end, sources
        As in :func:`reply_edges`.

    Returns
    -------
    DataFrame, one row per course and learner who posted, replied or was replied to:
    course, learner_id, posts (discussions started), replies_given (replies to another
    known learner), replies_received (from others), in_degree, out_degree (distinct people
    replied by / to), reciprocated_ties (people the learner replied to who also replied to
    them), reciprocity (reciprocated_ties / out_degree; NaN with no out ties), isolated
    (wrote in the forum but no one else ever replied to them), betweenness (networkx
    normalised betweenness on the directed, unweighted reply graph; NaN below
    `min_network_size`).
    """
    _check_sizes(min_network_size)
    posts, _ = _posts(events, learner=learner, target=target, course=course,
                      timestamp=timestamp, object_id="object_id", start=start, end=end,
                      sources=sources)
    nodes = _nodes_from(posts)
    edges = _reply_edges_from(posts)
    if nodes.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in MEASURE_COLUMNS})
    out = nodes.copy()
    starts = posts[posts["action"].eq("post")].groupby(["course", "learner_id"])["weight"].sum()
    out["posts"] = _lookup(out, starts)
    given = edges.groupby(["course", "source_learner"])
    got = edges.groupby(["course", "target_learner"])
    out["replies_given"] = _lookup(out, given["replies"].sum())
    out["replies_received"] = _lookup(out, got["replies"].sum())
    out["out_degree"] = _lookup(out, given.size())
    out["in_degree"] = _lookup(out, got.size())
    back = edges.merge(edges, left_on=["course", "source_learner", "target_learner"],
                       right_on=["course", "target_learner", "source_learner"],
                       suffixes=("", "_back"))
    out["reciprocated_ties"] = _lookup(out, back.groupby(["course", "source_learner"]).size())
    with np.errstate(invalid="ignore", divide="ignore"):
        out["reciprocity"] = np.where(out["out_degree"] > 0,
                                      out["reciprocated_ties"] / out["out_degree"], np.nan)
    wrote = set(zip(posts["course"], posts["learner_id"], strict=True))
    out["isolated"] = [(c, lid) in wrote and r == 0
                       for c, lid, r in zip(out["course"], out["learner_id"],
                                            out["replies_received"], strict=True)]
    out["betweenness"] = np.nan
    for c, idx in out.groupby("course").groups.items():
        members = out.loc[idx, "learner_id"]
        if len(members) < min_network_size:
            continue
        ce = edges[edges["course"] == c]
        graph = _build(members, ce["source_learner"], ce["target_learner"], ce["replies"],
                       directed=True)
        bc = nx.betweenness_centrality(graph, normalized=True)
        out.loc[idx, "betweenness"] = members.map(bc).to_numpy(dtype=float)
    for col in ("posts", "replies_given", "replies_received", "in_degree", "out_degree",
                "reciprocated_ties"):
        out[col] = out[col].astype("int64")
    out["isolated"] = out["isolated"].astype(bool)
    order = out["course"].astype(str) + "\x00" + out["learner_id"].astype(str)
    return out.loc[order.sort_values().index, MEASURE_COLUMNS].reset_index(drop=True)


def _lookup(rows: pd.DataFrame, series: pd.Series) -> np.ndarray:
    """Values of a (course, learner)-indexed series for each row, 0 where absent."""
    if series.empty:
        return np.zeros(len(rows))
    index = pd.MultiIndex.from_arrays([rows["course"], rows["learner_id"]])
    return series.reindex(index).fillna(0).to_numpy()


# --------------------------------------------------------------------------- course summaries

def _summary_one(nodes, redges: pd.DataFrame, tedges: pd.DataFrame, *, min_network_size: int,
                 min_community_size: int, seed: int, wrote: set) -> tuple[dict, dict]:
    """Summary measures of one course network, and its community labels (may be empty)."""
    graph = _build(nodes, redges["source_learner"], redges["target_learner"], redges["replies"],
                   directed=True)
    n, m = graph.number_of_nodes(), graph.number_of_edges()
    nan = float("nan")
    row = {"learners": n, "ties": m, "replies": int(redges["replies"].sum()),
           "density": nx.density(graph) if n >= 2 else nan,
           "reciprocity": nx.overall_reciprocity(graph) if m else nan,
           "in_degree_centralisation": in_degree_centralisation(graph)}
    isolated = sum(1 for x in graph.nodes if x in wrote and graph.in_degree(x) == 0)
    row["isolated_share"] = isolated / n if n else nan
    row["largest_component_share"] = (
        max(len(c) for c in nx.weakly_connected_components(graph)) / n if n else nan)
    labels = {}
    if n < min_network_size:
        row.update(communities=nan, modularity=nan, learners_in_small_communities=nan)
        return row, labels
    undirected = _combined_graph(graph.nodes, redges, tedges)
    parts = _louvain(undirected, seed=seed)
    labels = _label_communities(parts, min_community_size)
    row["communities"] = sum(1 for p in parts if len(p) >= min_community_size)
    row["modularity"] = (nx.community.modularity(undirected, parts, weight="weight")
                         if undirected.number_of_edges() else nan)
    row["learners_in_small_communities"] = sum(len(p) for p in parts
                                               if len(p) < min_community_size)
    return row, labels


def _summaries(posts: pd.DataFrame, courses, *, min_network_size: int, min_community_size: int,
               seed: int) -> tuple[list[dict], dict]:
    nodes = _nodes_from(posts)
    redges, tedges = _reply_edges_from(posts), _thread_edges_from(posts)
    rows, labels = [], {}
    for c in courses:
        wrote = set(posts.loc[posts["course"] == c, "learner_id"])
        row, lab = _summary_one(nodes.loc[nodes["course"] == c, "learner_id"],
                                redges[redges["course"] == c], tedges[tedges["course"] == c],
                                min_network_size=min_network_size,
                                min_community_size=min_community_size, seed=seed, wrote=wrote)
        rows.append({"course": c, **row})
        labels[c] = lab
    return rows, labels


def _summary_frame(rows: list[dict], keys: list[str]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=keys + SUMMARY_COLUMNS)
    for col in ("learners", "ties", "replies"):
        out[col] = out[col].astype("int64")
    for col in SUMMARY_COLUMNS[3:]:
        out[col] = out[col].astype(float)
    return out


def _summary_columns(min_community_size: int) -> dict:
    """The columns of :data:`SUMMARY_COLUMNS` (network_summary, weekly_networks)."""
    network = ("learners", "ties")
    return {
        "learners": results.count("Learners who posted, replied or were replied to"),
        "ties": results.count("Reply ties (who replied to whom)", unit="ties"),
        "replies": results.count("Replies in those ties", unit="replies"),
        "density": results.estimate("number", "Density (share of possible ties present)",
                                    of=network),
        # shares whose numerators are not in the table: numbers of their network
        "reciprocity": results.estimate("number", "Share of ties returned (0-1)", of=("ties",)),
        "in_degree_centralisation": results.estimate(
            "number", "In-degree centralisation (0: replies spread evenly, 1: all to one "
            "learner)", of=network),
        "isolated_share": results.estimate(
            "number", "Share who wrote but were never replied to (0-1)", of=("learners",)),
        "largest_component_share": results.estimate(
            "number", "Share of learners in the largest connected group (0-1)", of=network),
        "communities": results.count(f"Communities of at least {min_community_size} learners",
                                     unit="communities"),
        "modularity": results.estimate("number", "Modularity (above about 0.3: clearly "
                                       "separate groups)", of=network),
        "learners_in_small_communities": results.count(
            f"Learners in communities of fewer than {min_community_size}", part_of="learners"),
    }


def _summary_notes(min_network_size: int, min_community_size: int) -> tuple[str, ...]:
    return (f"Communities are looked for only in networks of at least {min_network_size} "
            f"learners; communities of fewer than {min_community_size} learners are counted "
            "as small.",)


def network_summary(events: pd.DataFrame, *, min_network_size: int = 20,
                    min_community_size: int = 5, seed: int = 0, learner: str = "learner_id",
                    target: str = "target_learner_id", course: str = "course",
                    timestamp: str = "timestamp", start=None, end=None,
                    sources=FORUM_SOURCES) -> Result:
    """Each course's reply network in a row: size, density, reciprocity, communities.

    Parameters
    ----------
    events : DataFrame
        The contract's events table.
    min_network_size : int
        Fewest learners for communities to be looked for (below it they are NaN).
    min_community_size : int
        Communities smaller than this are not counted as communities; their learners are
        counted in ``learners_in_small_communities`` (isolated learners are such one-person
        communities).
    seed : int
        Seed of the Louvain method.
    learner, target, course, timestamp, start, end, sources
        As in :func:`reply_edges`.

    Returns
    -------
    Result (``n`` learners, partition course), one row per course in `events` (courses
    without forum posts have 0 learners): course, learners (posted, replied or were replied
    to), ties (directed reply ties), replies (in those ties), density (``networkx.density``
    of the directed graph), reciprocity (``networkx.overall_reciprocity``: share of ties
    returned), in_degree_centralisation (Freeman, :func:`in_degree_centralisation`),
    isolated_share (learners who
    wrote but were never replied to by anyone else, over learners), largest_component_share
    (largest weakly connected component over learners), communities (Louvain communities
    of at least `min_community_size` learners in the undirected reply + thread graph),
    modularity (of that partition), learners_in_small_communities.
    """
    _check_sizes(min_network_size, min_community_size)
    posts, _ = _posts(events, learner=learner, target=target, course=course,
                      timestamp=timestamp, object_id="object_id", start=start, end=end,
                      sources=sources)
    rows, _ = _summaries(posts, _sort_key(events[course].dropna()),
                         min_network_size=min_network_size,
                         min_community_size=min_community_size, seed=seed)
    columns = {"course": results.label("Course"), **_summary_columns(min_community_size)}
    return Result(_summary_frame(rows, ["course"]), columns,
                  title="The reply network of each course", n="learners", partition="course",
                  notes=_summary_notes(min_network_size, min_community_size),
                  kind="community.network_summary")


def communities(events: pd.DataFrame, *, min_network_size: int = 20, min_community_size: int = 5,
                seed: int = 0, learner: str = "learner_id", target: str = "target_learner_id",
                course: str = "course", timestamp: str = "timestamp", start=None, end=None,
                sources=FORUM_SOURCES) -> pd.DataFrame:
    """Which community each learner of the network belongs to.

    Communities are those of :func:`network_summary` (Louvain, same seed, undirected reply +
    thread graph).

    Returns
    -------
    DataFrame, one row per course and learner of the network: course, learner_id, community
    ("C1", "C2", ... from the largest; "small" for communities under
    `min_community_size`; missing when the course network has fewer than
    `min_network_size` learners).
    """
    _check_sizes(min_network_size, min_community_size)
    posts, _ = _posts(events, learner=learner, target=target, course=course,
                      timestamp=timestamp, object_id="object_id", start=start, end=end,
                      sources=sources)
    nodes = _nodes_from(posts)
    _, labels = _summaries(posts, _sort_key(nodes["course"]), min_network_size=min_network_size,
                           min_community_size=min_community_size, seed=seed)
    out = nodes.copy()
    out["community"] = [labels[c].get(lid) for c, lid in zip(out["course"], out["learner_id"],
                                                             strict=True)]
    out["community"] = out["community"].astype(object).where(out["community"].notna(), None)
    order = out["course"].astype(str) + "\x00" + out["learner_id"].astype(str)
    return out.loc[order.sort_values().index].reset_index(drop=True)


def weekly_networks(events: pd.DataFrame, *, cumulative: bool = True, weeks=None,
                    min_network_size: int = 20, min_community_size: int = 5, seed: int = 0,
                    learner: str = "learner_id", target: str = "target_learner_id",
                    course: str = "course", timestamp: str = "timestamp",
                    sources=FORUM_SOURCES) -> Result:
    """How each course's network grew, week by week (weeks start Monday 00:00 UTC).

    Parameters
    ----------
    events : DataFrame
        The contract's events table.
    cumulative : bool
        True: the network of everything up to the end of each week (snapshots only grow).
        False: the network of that week's posts alone.
    weeks : sequence of timestamps, optional
        The weeks to report (each is moved to its Monday). Default: every week from each
        course's first to its last forum post or reply.
    min_network_size, min_community_size, seed
        As in :func:`network_summary`.

    Returns
    -------
    Result, one row per course and week: course, week_start, then the columns of
    :func:`network_summary` for that week's network (``n`` learners).
    """
    _check_sizes(min_network_size, min_community_size)
    posts, _ = _posts(events, learner=learner, target=target, course=course,
                      timestamp=timestamp, object_id="object_id", start=None, end=None,
                      sources=sources)
    if weeks is not None:
        chosen = week_start(_utc(pd.Series(list(weeks)), "weeks")).drop_duplicates().sort_values()
    rows = []
    for c in _sort_key(posts["course"]):
        cp = posts[posts["course"] == c]
        if weeks is None:
            first, last = week_start(cp["timestamp"]).agg(["min", "max"])
            course_weeks = pd.date_range(first, last, freq="7D")
        else:
            course_weeks = chosen
        for w in course_weeks:
            keep = cp["timestamp"] < w + _WEEK
            if not cumulative:
                keep &= cp["timestamp"] >= w
            summary, _ = _summaries(cp[keep], [c], min_network_size=min_network_size,
                                    min_community_size=min_community_size, seed=seed)
            rows.append({"week_start": w, **summary[0]})
    out = _summary_frame(rows, ["course", "week_start"])
    out["week_start"] = pd.to_datetime(out["week_start"], utc=True).dt.as_unit("ns")
    columns = {"course": results.label("Course"), "week_start": results.date("Week starting"),
               **_summary_columns(min_community_size)}
    what = "up to the end of each week" if cumulative else "of each week's posts alone"
    return Result(out, columns, title=f"Each course's reply network {what}", n="learners",
                  notes=_summary_notes(min_network_size, min_community_size),
                  kind="community.weekly_networks")


PROTECTING = "so that a smaller group's numbers cannot be worked out from it"
"""Said where a number is hidden to protect another (secondary suppression)."""


def _signed(value, decimals: int = 2) -> str:
    """An index that runs from -1 to +1, with its sign: ``+0.33``, ``-0.50``, ``0.00``."""
    text = stats.format_number(value, decimals)
    return text if text.startswith("-") or not stats.finite(value) or value <= 0 or \
        set(text) <= set("0.") else f"+{text}"


def describe_network(summary: Result) -> str:
    """A few plain sentences per course on its reply network (from :func:`network_summary`).

    Takes the Result as computed or after disclosure control: hidden numbers are not said.
    """
    table = results.table_of(summary)
    require_columns(table, ["course", *SUMMARY_COLUMNS], "network summary")
    texts = []
    for i, row in enumerate(table.itertuples(index=False)):
        if results.hidden(summary, i, ["learners"]):
            texts.append(f"In {row.course}, the network is not described here, {PROTECTING}."
                         if results.protecting(summary, i, ["learners"]) else
                         f"In {row.course}, too few learners posted in the forum to describe "
                         "their network.")
            continue
        if row.learners == 0:
            texts.append(f"In {row.course}, no one posted in the forum.")
            continue
        text = f"In {row.course}, {stats.format_count(row.learners)} learners posted, replied " \
               "or were replied to, "
        if results.hidden(summary, i, ["ties"]):
            text += "with too few reply ties between them to show"
        else:
            text += f"with {stats.format_count(row.ties)} reply ties between them"
            if row.ties and not results.hidden(summary, i, ["reciprocity"]):
                text += (f"; {stats.format_share(row.reciprocity)} of ties were returned (the "
                         "person replied to also replied back)")
        said = []
        if not results.hidden(summary, i, ["isolated_share"]):
            said.append(f"{stats.format_share(row.isolated_share)} wrote but never had a reply "
                        "from anyone else")
        if not results.hidden(summary, i, ["largest_component_share"]):
            said.append("the largest connected group held "
                        f"{stats.format_share(row.largest_component_share)} of learners")
        text += "." + (f" {said[0][0].upper()}{said[0][1:]}" + "".join(
            f", and {x}" for x in said[1:]) + "." if said else "")
        if results.hidden(summary, i, ["communities"]):
            text += " Its communities are not described here, so that small groups stay unseen."
        elif np.isnan(row.communities):
            text += " The network is too small for communities to mean anything."
        elif row.communities == 0:
            text += " No community of useful size stood out."
        else:
            text += (f" {int(row.communities)} communit{'y' if row.communities == 1 else 'ies'} "
                     "stood out")
            text += ("." if results.hidden(summary, i, ["modularity"]) else
                     f" (modularity {stats.format_number(row.modularity)}; above about 0.3 the "
                     "groups are clearly separate).")
        texts.append(text)
    return " ".join(texts)


# --------------------------------------------------------------------------- organisations

def _group_lookup(learners: pd.DataFrame, *, group: str, learner: str, course: str) -> pd.Series:
    require_columns(learners, [learner, course, group], "learners")
    lut = learners.drop_duplicates([course, learner])
    return pd.Series(lut[group].to_numpy(dtype=object),
                     index=pd.MultiIndex.from_arrays([lut[course], lut[learner]]))


def _groups_of(lookup: pd.Series, courses, ids) -> np.ndarray:
    index = pd.MultiIndex.from_arrays([np.asarray(courses, dtype=object),
                                       np.asarray(ids, dtype=object)])
    found = lookup.reindex(index)
    return found.astype(object).where(found.notna(), None).to_numpy(dtype=object)


def _null_internal(src: np.ndarray, dst: np.ndarray, labels: np.ndarray, permutations: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Internal ties under `permutations` shufflings of `labels` among the nodes."""
    n, m = len(labels), len(src)
    out = np.empty(permutations, dtype=np.int64)
    block = max(1, _BLOCK_CELLS // max(n, m, 1))
    for lo in range(0, permutations, block):
        k = min(block, permutations - lo)
        shuffled = rng.permuted(np.tile(labels, (k, 1)), axis=1)
        out[lo:lo + k] = (shuffled[:, src] == shuffled[:, dst]).sum(axis=1)
    return out


def _null_summary(row: dict, null_internal: np.ndarray, permutations: int) -> dict:
    """Mean, 95% range and two-sided p of the E-I index under shuffled labels."""
    ties = row["ties"]
    null = (ties - 2 * null_internal) / ties
    mean = null.mean()
    # a small tolerance: equal E-I values must count as "at least as extreme"
    extreme = np.abs(null - mean) >= np.abs(row["ei"] - mean) - 1e-12
    return {"null_ei_mean": float(mean), "null_ei_low": float(np.quantile(null, 0.025)),
            "null_ei_high": float(np.quantile(null, 0.975)),
            "p_value": float((1 + extreme.sum()) / (1 + permutations))}


def ei_index(edges: pd.DataFrame, learners: pd.DataFrame, *, group: str = "organisation",
             permutations: int = 2000, seed: int = 0, pooled: bool = False,
             learner: str = "learner_id", course: str = "course") -> Result:
    """Krackhardt's E-I index of ties within and across groups, with a permutation test.

    Each distinct tie counts once (a reply tie A -> B and B -> A are two ties; thread ties
    are undirected). Ties with an end whose group is unknown (null, or the learner is not in
    `learners`) are left out and counted in ``ties_unknown_group``. The null distribution
    shuffles the group labels among the network's learners with a known group (those at the
    ends of the ties kept), keeping the graph; E + I is fixed, so the null of the E-I index
    is that of E - I rescaled.

    Parameters
    ----------
    edges : DataFrame
        From :func:`reply_edges` or :func:`thread_edges`.
    learners : DataFrame
        The contract's learners table (one row per learner and course).
    group : str
        The learners column that defines groups (default: organisation, the workplace).
    permutations : int
        Number of label shufflings (0: no test).
    seed : int
        Seed of the shuffling (each course gets its own stream, stable across runs).
    pooled : bool
        Add a row for all courses together (course :data:`ALL_COURSES`): ties summed over
        courses, labels shuffled within each course (a stratified null), so that several
        small courses can be judged together.
    learner, course : str
        Column names in `learners`.

    Returns
    -------
    Result (``n`` nodes), one row per course with ties: course, nodes (learners with a
    known group at the ends of the ties kept), groups, ties (I + E), internal (I), external (E), ei
    ((E - I) / (E + I): -1 all ties within groups, +1 all across), null_ei_mean,
    null_ei_low, null_ei_high (mean, 2.5% and 97.5% quantiles of the index under shuffled
    labels), p_value (two-sided: (1 + #{|null - null mean| >= |ei - null mean|}) /
    (1 + permutations)), permutations, ties_unknown_group. With `pooled`, a last row for
    :data:`ALL_COURSES` (nodes and groups there count learner-course pairs and distinct
    groups over all courses).
    """
    if not (isinstance(permutations, (int, np.integer)) and permutations >= 0):
        raise ValueError(f"permutations must be a non-negative integer, not {permutations!r}")
    u, v, _, _ = _edge_kind(edges, "edges")
    require_columns(edges, ["course"], "edges")
    lookup = _group_lookup(learners, group=group, learner=learner, course=course)
    rows, nulls, all_groups = [], [], set()
    for c in _sort_key(edges["course"]):
        ce = edges.loc[edges["course"] == c, [u, v]].drop_duplicates()
        gu = _groups_of(lookup, [c] * len(ce), ce[u])
        gv = _groups_of(lookup, [c] * len(ce), ce[v])
        known = np.array([a is not None and b is not None
                          for a, b in zip(gu, gv, strict=True)], dtype=bool)
        ce, gu, gv = ce[known], gu[known], gv[known]
        nodes = _sort_key(list(ce[u]) + list(ce[v]))
        code = {x: i for i, x in enumerate(nodes)}
        node_group = {x: g for x, g in zip(list(ce[u]) + list(ce[v]), list(gu) + list(gv),
                                           strict=True)}
        src = np.array([code[x] for x in ce[u]], dtype=np.int64)
        dst = np.array([code[x] for x in ce[v]], dtype=np.int64)
        group_codes = {g: i for i, g in enumerate(_sort_key(node_group.values()))}
        labels = np.array([group_codes[node_group[x]] for x in nodes], dtype=np.int64)
        ties = len(ce)
        internal = int((labels[src] == labels[dst]).sum()) if ties else 0
        row = {"course": c, "nodes": len(nodes), "groups": len(group_codes), "ties": ties,
               "internal": internal, "external": ties - internal,
               "ei": (ties - 2 * internal) / ties if ties else np.nan,
               "null_ei_mean": np.nan, "null_ei_low": np.nan, "null_ei_high": np.nan,
               "p_value": np.nan, "permutations": permutations,
               "ties_unknown_group": int((~known).sum())}
        all_groups |= set(group_codes)
        if ties and permutations:
            rng = np.random.default_rng([seed, zlib.crc32(str(c).encode())])
            null_internal = _null_internal(src, dst, labels, permutations, rng)
            nulls.append(null_internal)
            row.update(_null_summary(row, null_internal, permutations))
        rows.append(row)
    if pooled:
        total = {k: sum(r[k] for r in rows) for k in
                 ("nodes", "ties", "internal", "external", "ties_unknown_group")}
        row = {"course": ALL_COURSES, "groups": len(all_groups), **total,
               "ei": ((total["ties"] - 2 * total["internal"]) / total["ties"]
                      if total["ties"] else np.nan),
               "null_ei_mean": np.nan, "null_ei_low": np.nan, "null_ei_high": np.nan,
               "p_value": np.nan, "permutations": permutations}
        if total["ties"] and permutations:
            # courses are independent strata: a pooled draw is the sum of one draw per course
            row.update(_null_summary(row, np.sum(nulls, axis=0), permutations))
        rows.append(row)
    out = pd.DataFrame(rows, columns=EI_COLUMNS)
    for col in ("nodes", "groups", "ties", "internal", "external", "permutations",
                "ties_unknown_group"):
        out[col] = out[col].astype("int64")
    return Result(out, _ei_columns(group), title=f"Ties within and across {_group_word(group)}s",
                  n="nodes", total_row=TotalRow("course", ALL_COURSES) if pooled else None,
                  constants={"permutations": _permutation_sentence(permutations, group)},
                  kind="community.ei_index")


def _group_word(group: str) -> str:
    return "workplace" if group == "organisation" else group.replace("_", " ")


def _permutation_sentence(permutations: int, group: str) -> str:
    if not permutations:
        return "No shuffling was done, so there is no range of chance values to compare with."
    return (f"The range expected by chance comes from {permutations:,} random shufflings of the "
            f"{_group_word(group)} labels among the same learners, keeping who replied to whom.")


def _ei_columns(group: str) -> dict:
    word = _group_word(group)
    split = ("ties", "internal", "external")
    null = ("nodes", "ties")
    return {
        "course": results.label("Course"),
        "nodes": results.count(f"Learners at the ends of these ties (known {word})"),
        # a count of groups, not of people
        "groups": results.count(f"Distinct {word}s", unit="organisations"),
        "ties": results.count(f"Ties between learners of known {word}", unit="ties"),
        "internal": results.count(f"Ties within a {word}", unit="ties", part_of="ties"),
        "external": results.count(f"Ties across {word}s", unit="ties", part_of="ties"),
        "ei": results.estimate("number", "E-I index (-1 all within, +1 all across)", of=split),
        "null_ei_mean": results.estimate("number", "E-I index expected by chance", of=null),
        "null_ei_low": results.estimate("number", "Chance range (95%), from", of=null),
        "null_ei_high": results.estimate("number", "Chance range (95%), to", of=null),
        "p_value": results.estimate("p", "p-value (against shuffled labels)",
                                    of=(*split, "nodes")),
        "permutations": results.estimate("number", "Label shufflings", of=(), technical=True),
        "ties_unknown_group": results.count(f"Ties with a learner of unknown {word} (left out)",
                                            unit="ties"),
    }


def describe_ei(table: Result, *, group: str = "organisation", alpha: float = 0.05) -> str:
    """One or two sentences per course on ties within and across groups (from :func:`ei_index`).

    A negative E-I index means ties mostly within groups (workplaces), a positive one mostly
    across. It is judged against the shuffled-label null rather than against 0: with many
    groups, even random ties mostly cross groups. Takes the Result as computed or after
    disclosure control: hidden numbers are not said.
    """
    res, table = table, results.table_of(table)
    require_columns(table, EI_COLUMNS, "E-I table")
    word = _group_word(group)
    texts = []
    for i, row in enumerate(table.itertuples(index=False)):
        where = "Across all courses" if row.course == ALL_COURSES else f"In {row.course}"
        if results.hidden(res, i, ["ties"]):
            texts.append(f"{where}, ties within and across {word}s are not shown, {PROTECTING}."
                         if results.protecting(res, i, ["ties"]) else
                         f"{where}, too few ties joined learners whose {word} is known to show "
                         "how many stayed within one.")
            continue
        if row.ties == 0:
            texts.append(f"In {row.course}, no tie joined two learners whose {word} is "
                         f"known.")
            continue
        lean = ("mostly within" if row.ei < 0 else "mostly across" if row.ei > 0
                else "as often within as across")
        between = f"the {stats.format_count(row.ties)} ties"
        if not results.hidden(res, i, ["nodes"]):
            between += f" between {stats.format_count(row.nodes)} learners"
        if results.hidden(res, i, ["internal", "external", "ei"]):
            text = (f"{where}, how many of {between} stayed within a {word} is not "
                    "shown, as it would give away a group too small to show")
        else:
            text = (f"{where}, {stats.format_share(row.internal / row.ties)} of {between} "
                    f"stayed within a {word} (E-I index {_signed(row.ei)}: ties were {lean} "
                    f"{word}s)")
            if stats.finite(row.p_value) and not results.hidden(res, i, ["p_value", "null_ei_mean", "null_ei_low", "null_ei_high"]):
                text += (f"; had the {word} labels been shuffled among the same learners, the "
                         f"index would have been about {_signed(row.null_ei_mean)} (95% of "
                         f"shufflings {_signed(row.null_ei_low)} to "
                         f"{_signed(row.null_ei_high)}), ")
                if row.p_value < alpha:
                    side = "within" if row.ei < row.null_ei_mean else "across"
                    text += (f"so learners tied {side} {word}s more than chance would give "
                             f"({stats.p_phrase(row.p_value)})")
                else:
                    text += ("so the pattern is within what chance would give "
                             f"({stats.p_phrase(row.p_value)})")
        text += "."
        if not results.hidden(res, i, ["ties_unknown_group"]) and row.ties_unknown_group:
            text += (f" {stats.format_count(row.ties_unknown_group)} tie(s) with a learner of "
                     f"unknown {word} are left out.")
        texts.append(text)
    texts.append("This describes who replied to whom; it does not show why.")
    return " ".join(texts)


def organisation_ties(edges: pd.DataFrame, learners: pd.DataFrame, *,
                      group: str = "organisation", learner: str = "learner_id",
                      course: str = "course", complete: bool = False,
                      pooled: bool = False) -> Result:
    """Reply ties and replies from each group to each group (tidy, for a heatmap).

    Learners whose group is null or who are missing from `learners` are shown as
    "(unknown)", never dropped.

    Parameters
    ----------
    edges : DataFrame
        From :func:`reply_edges`.
    learners : DataFrame
        The contract's learners table.
    group : str
        The learners column defining groups.
    complete : bool
        Also list every pair of the course's groups (in `learners`) with no tie, as 0.
    pooled : bool
        All courses together: ties and replies summed over courses, course
        :data:`ALL_COURSES`.

    Returns
    -------
    Result, one row per course and (from_group, to_group): course, from_group (group of
    the learner who replied), to_group (group of the learner replied to), ties (distinct
    ordered pairs of learners), replies. ``n`` is ties.
    """
    u, v, w, directed = _edge_kind(edges, "edges")
    if not directed:
        raise ValueError("edges: organisation_ties needs reply edges (from reply_edges)")
    lookup = _group_lookup(learners, group=group, learner=learner, course=course)
    df = pd.DataFrame({"course": edges["course"].to_numpy(dtype=object),
                       "from_group": _groups_of(lookup, edges["course"], edges[u]),
                       "to_group": _groups_of(lookup, edges["course"], edges[v]),
                       "replies": edges[w].to_numpy()})
    df[["from_group", "to_group"]] = df[["from_group", "to_group"]].fillna(UNKNOWN)
    out = (df.groupby(["course", "from_group", "to_group"], sort=True)
           .agg(ties=("replies", "size"), replies=("replies", "sum")).reset_index())
    if complete:
        lut = learners[[course, group]].rename(columns={course: "course", group: "g"})
        lut = lut.assign(g=lut["g"].fillna(UNKNOWN))
        grids = []
        for c in _sort_key(list(lut["course"]) + list(out["course"])):
            gs = _sort_key(list(lut.loc[lut["course"] == c, "g"])
                           + list(out.loc[out["course"] == c, "from_group"])
                           + list(out.loc[out["course"] == c, "to_group"]))
            grids.append(pd.MultiIndex.from_product([[c], gs, gs]).to_frame(index=False))
        grid = pd.concat(grids, ignore_index=True)
        grid.columns = ["course", "from_group", "to_group"]
        out = grid.merge(out, on=["course", "from_group", "to_group"], how="left")
        out[["ties", "replies"]] = out[["ties", "replies"]].fillna(0)
    out["ties"] = out["ties"].astype("int64")
    out["replies"] = out["replies"].astype("int64")
    word = _group_word(group)
    if pooled:
        out = out.groupby(["from_group", "to_group"], as_index=False, sort=True)[
            ["ties", "replies"]].sum()
        out.insert(0, "course", ALL_COURSES)
    columns = {"course": results.label("Course"),
               "from_group": results.organisation(f"From ({word} of who replied)"),
               "to_group": results.organisation(f"To ({word} of who was replied to)"),
               "ties": results.count("Reply ties", unit="ties"),
               "replies": results.count("Replies", unit="replies")}
    return Result(out[list(columns)], columns, title=f"Reply ties between {word}s", n="ties",
                  kind="community.organisation_ties")


def top_brokers(measures: pd.DataFrame, *, n: int = 10) -> Result:
    """The `n` learners who most often sit on the shortest reply paths between others
    (highest betweenness), without their ids: for researchers (one row per person).

    Parameters
    ----------
    measures : DataFrame
        :func:`learner_measures`.
    n : int
        How many.

    Returns
    -------
    Result, one row per learner: course, posts, replies_given, replies_received, in_degree,
    out_degree, reciprocity, betweenness.
    """
    require_columns(measures, MEASURE_COLUMNS, "measures")
    top = (measures.sort_values("betweenness", ascending=False, kind="stable").head(n)
           .drop(columns=["learner_id", "reciprocated_ties", "isolated"]))
    columns = {"course": results.label("Course"),
               "posts": results.count("Posts", unit="posts"),
               "replies_given": results.count("Replies given", unit="posts"),
               "replies_received": results.count("Replies received", unit="posts"),
               "in_degree": results.estimate("number", "Learners who replied to them"),
               "out_degree": results.estimate("number", "Learners they replied to"),
               "reciprocity": results.estimate("number", "Share of ties returned"),
               "betweenness": results.estimate("number", "Betweenness")}
    return Result(top[list(columns)], columns, title="The learners most often between others "
                  "(no ids; researchers only)", kind="community.top_brokers")


def organisation_participation(events: pd.DataFrame, learners: pd.DataFrame, *,
                               group: str = "organisation", learner: str = "learner_id",
                               target: str = "target_learner_id", course: str = "course",
                               timestamp: str = "timestamp",
                               sources=FORUM_SOURCES) -> Result:
    """How each organisation's learners took part, per course.

    Only enrolled learners (rows of `learners`) count; events of anyone else are ignored.
    Learners with no organisation are grouped as "(unknown)".

    Returns
    -------
    Result (partition `group`, ``n`` enrolled), one row per course and group: course,
    <group>, enrolled, started (any
    online event: :data:`engagement.activity.ONLINE_SOURCES`), posters (posted or replied
    in the forum), replies_given (replies to another known learner), replies_received
    (from others), within_organisation_reply_share (of the replies given to a learner whose
    group is known, the share to someone of the same group; NaN when none and for the
    "(unknown)" group),
    median_active_weeks (median number of distinct Monday-to-Sunday UTC weeks with online
    events, among learners who started; NaN when none started).
    """
    require_columns(events, [learner, course, timestamp, "source"], "events")
    lookup = _group_lookup(learners, group=group, learner=learner, course=course)
    enrolled = learners[[course, learner, group]].drop_duplicates([course, learner])
    enrolled = pd.DataFrame({"course": enrolled[course].to_numpy(dtype=object),
                             "learner_id": enrolled[learner].to_numpy(dtype=object),
                             "g": enrolled[group].astype(object).where(enrolled[group].notna(),
                                                                       UNKNOWN).to_numpy()})
    online = events[events["source"].isin(ONLINE_SOURCES)]
    weeks = pd.DataFrame({"course": online[course].to_numpy(dtype=object),
                          "learner_id": online[learner].to_numpy(dtype=object),
                          "week": week_start(_utc(online[timestamp],
                                                  f"events column {timestamp!r}")).to_numpy()})
    active = weeks.drop_duplicates().groupby(["course", "learner_id"]).size()
    posts, _ = _posts(events, learner=learner, target=target, course=course,
                      timestamp=timestamp, object_id="object_id", start=None, end=None,
                      sources=sources)
    edges = _reply_edges_from(posts)
    wrote = posts[["course", "learner_id"]].drop_duplicates().assign(poster=True)
    e = enrolled.merge(wrote, on=["course", "learner_id"], how="left")
    e["poster"] = e["poster"].eq(True)
    e["active_weeks"] = _lookup(e, active)
    e["started"] = e["active_weeks"] > 0
    e["replies_given"] = _lookup(e, edges.groupby(["course", "source_learner"])["replies"].sum())
    e["replies_received"] = _lookup(e, edges.groupby(["course", "target_learner"])["replies"].sum())
    # replies given to someone whose group is known, and whether that is the giver's own
    to_g = _groups_of(lookup, edges["course"], edges["target_learner"])
    from_g = _groups_of(lookup, edges["course"], edges["source_learner"])
    known = np.array([t is not None for t in to_g], dtype=bool)
    same = np.array([f is not None and f == t
                     for f, t in zip(from_g, to_g, strict=True)], dtype=bool)
    ek = edges.assign(known=np.where(known, edges["replies"], 0),
                      same=np.where(same, edges["replies"], 0))
    by_giver = ek.groupby(["course", "source_learner"])
    e["to_known"] = _lookup(e, by_giver["known"].sum())
    e["to_same"] = _lookup(e, by_giver["same"].sum())
    out = (e.groupby(["course", "g"], sort=True)
           .agg(enrolled=("learner_id", "size"), started=("started", "sum"),
                posters=("poster", "sum"), replies_given=("replies_given", "sum"),
                replies_received=("replies_received", "sum"), to_known=("to_known", "sum"),
                to_same=("to_same", "sum"))
           .reset_index())
    median = (e[e["started"]].groupby(["course", "g"])["active_weeks"].median()
              .rename("median_active_weeks"))
    out = out.merge(median.reset_index(), on=["course", "g"], how="left")
    with np.errstate(invalid="ignore", divide="ignore"):
        out["within_organisation_reply_share"] = np.where(
            out["to_known"] > 0, out["to_same"] / out["to_known"], np.nan)
    # "within" means nothing for learners whose own organisation is unknown
    out.loc[out["g"] == UNKNOWN, "within_organisation_reply_share"] = np.nan
    for col in ("enrolled", "started", "posters", "replies_given", "replies_received"):
        out[col] = out[col].astype("int64")
    out = out.rename(columns={"g": group})
    word = _group_word(group)
    columns = {
        "course": results.label("Course"),
        group: results.organisation(word.capitalize()),
        "enrolled": results.count("Enrolled"),
        "started": results.count("Started (any online activity)", part_of="enrolled"),
        "posters": results.count("Posted or replied in the forum", part_of="started"),
        # replies are people's records: counted and controlled, and said only with posters
        "replies_given": results.count("Replies given", unit="replies", of="posters"),
        "replies_received": results.count("Replies received", unit="replies", of="posters"),
        # a share whose numerator and denominator (replies to a known group) are not shown
        "within_organisation_reply_share": results.estimate(
            "number", f"Share of replies given that went to their own {word} (0-1)",
            of=("posters", "replies_given")),
        "median_active_weeks": results.estimate("number", "Median active weeks of those who "
                                                "started", of=("started",)),
    }
    return Result(out[list(columns)], columns, title=f"How each {word}'s learners took part",
                  n="enrolled", partition=group, kind="community.organisation_participation")


# --------------------------------------------------------------------------- position summaries

DEGREE_BANDS = ((0, 0, "0"), (1, 1, "1"), (2, 2, "2"), (3, 5, "3-5"), (6, 10, "6-10"),
                (11, np.inf, "11+"))


def degree_distribution(measures: pd.DataFrame, *, degree: str = "in_degree") -> Result:
    """How many learners have how many distinct repliers (or people replied to), per course.

    Parameters
    ----------
    measures : DataFrame
        From :func:`learner_measures`.
    degree : {"in_degree", "out_degree"}

    Returns
    -------
    Result: course, band ("0", "1", "2", "3-5", "6-10", "11+"), learners. The bands of a
    course partition its learners, whose number other tables show (partition ``band``).
    """
    require_columns(measures, ["course", degree], "learner measures")
    rows = []
    for course, sub in measures.groupby("course", sort=True):
        for low, high, band in DEGREE_BANDS:
            n = int(sub[degree].between(low, high).sum())
            rows.append({"course": course, "band": band, "learners": n})
    out = pd.DataFrame(rows, columns=["course", "band", "learners"])
    out["learners"] = out["learners"].astype("int64")
    who = ("distinct learners who replied to them" if degree == "in_degree" else
           "distinct learners they replied to" if degree == "out_degree" else
           degree.replace("_", " "))
    columns = {"course": results.label("Course"),
               "band": results.label(who[0].upper() + who[1:]),
               "learners": results.count("Learners")}
    return Result(out, columns, title=f"How many learners have how many {who}", n="learners",
                  partition="band", kind="community.degree_distribution")


def position_summary(measures: pd.DataFrame) -> Result:
    """Per course, how replies are spread over learners (no learner named).

    Returns
    -------
    Result (``n`` learners), one row per course: course, learners, isolated (posted, never
    answered),
    isolated_share, with_returned_tie (learners with at least one reciprocated tie),
    median_in_degree, median_out_degree, top_tenth_reply_share (the share of all replies
    received that went to the most-replied-to tenth of learners: how concentrated
    attention is).
    """
    require_columns(measures, ["course", "isolated", "reciprocated_ties", "in_degree",
                               "out_degree", "replies_received"], "learner measures")
    rows = []
    for course, sub in measures.groupby("course", sort=True):
        received = np.sort(sub["replies_received"].to_numpy())[::-1]
        top = max(1, int(np.ceil(len(sub) / 10)))
        rows.append({"course": course, "learners": len(sub),
                     "isolated": int(sub["isolated"].sum()),
                     "isolated_share": float(sub["isolated"].mean()),
                     "with_returned_tie": int((sub["reciprocated_ties"] > 0).sum()),
                     "median_in_degree": float(sub["in_degree"].median()),
                     "median_out_degree": float(sub["out_degree"].median()),
                     "top_tenth_reply_share": (float(received[:top].sum() / received.sum())
                                               if received.sum() else np.nan)})
    columns = {
        "course": results.label("Course"),
        "learners": results.count("Learners in the network"),
        "isolated": results.count("Wrote but were never replied to", part_of="learners"),
        "isolated_share": results.share("Share never replied to", of="isolated",
                                        over="learners"),
        "with_returned_tie": results.count("With at least one tie returned",
                                           part_of="learners"),
        "median_in_degree": results.estimate("number", "Median learners replying to each",
                                             of=("learners",)),
        "median_out_degree": results.estimate("number", "Median learners each replied to",
                                              of=("learners",)),
        # a share of replies, whose counts are not in the table
        "top_tenth_reply_share": results.estimate(
            "number", "Share of replies received that went to the most-replied-to tenth (0-1)",
            of=("learners",)),
    }
    out = pd.DataFrame(rows, columns=list(columns))
    return Result(out, columns, title="How replies are spread over learners, per course",
                  n="learners", partition="course", kind="community.position_summary")


# --------------------------------------------------------------------------- retention by position

def week_one_positions(events: pd.DataFrame, *, learner: str = "learner_id",
                       target: str = "target_learner_id", course: str = "course",
                       timestamp: str = "timestamp") -> pd.DataFrame:
    """Each learner's place in the forum during their first week, for those who posted in it.

    A learner's *week one* is the Monday-to-Sunday (UTC) week of their first online
    (``lms``/``forum``) event in the course. Only learners who posted or replied in the
    forum that week are listed: the others could not have been answered.

    Returns
    -------
    DataFrame, one row per learner and course: learner_id, course, week_one (Monday 00:00
    UTC), active_days_week_one, posts_week_one (posts and replies written),
    threads_started_week_one (posts that opened a discussion), peers_replying (distinct
    other learners who replied to them in week one: in-degree), peers_replied_to
    (out-degree), received_peer_reply (bool).
    """
    require_columns(events, [learner, course, timestamp, "source", "action", target], "events")
    ev = events[events["source"].isin(ONLINE_SOURCES)]
    when = _utc(ev[timestamp], f"events.{timestamp}")
    ev = ev.assign(_week=week_start(when), _day=when.dt.floor("D"))
    first = ev.groupby([learner, course])["_week"].min().rename("week_one")
    ev = ev.join(first, on=[learner, course])
    wk1 = ev[ev["_week"] == ev["week_one"]]
    posting = wk1[wk1["source"].isin(FORUM_SOURCES) & wk1["action"].isin(POSTING_ACTIONS)]
    out = (posting.groupby([learner, course]).agg(
               posts_week_one=("action", "size"),
               threads_started_week_one=("action", lambda a: int(a.eq("post").sum())))
           .reset_index()
           .merge(first.reset_index(), on=[learner, course])
           .merge(wk1.groupby([learner, course])["_day"].nunique()
                  .rename("active_days_week_one").reset_index(), on=[learner, course]))
    # replies from peers: another learner answering within the target's own week one
    replies = ev[ev["source"].isin(FORUM_SOURCES) & ev["action"].eq("reply") & ev[target].notna()
                 & ev[target].ne(ev[learner])]
    # out-degree counts replies in the replier's own week one
    outdeg = (replies[replies["_week"] == replies["week_one"]]
              .groupby([learner, course])[target].nunique().rename("peers_replied_to"))
    replies = replies.merge(first.rename("target_week_one").reset_index()
                            .rename(columns={learner: target}), on=[target, course])
    replies = replies[replies["_week"] == replies["target_week_one"]]
    indeg = replies.groupby([target, course])[learner].nunique().rename("peers_replying")
    out = (out.join(indeg.rename_axis([learner, course]), on=[learner, course])
           .join(outdeg, on=[learner, course]))
    for col in ("peers_replying", "peers_replied_to"):
        out[col] = out[col].fillna(0).astype("int64")
    out["received_peer_reply"] = out["peers_replying"] > 0
    out = out.rename(columns={learner: "learner_id", course: "course"})
    return out[["learner_id", "course", "week_one", "active_days_week_one", "posts_week_one",
                "threads_started_week_one", "peers_replying", "peers_replied_to",
                "received_peer_reply"]].sort_values(
        ["course", "learner_id"], kind="stable").reset_index(drop=True)


def landmark_table(positions: pd.DataFrame, disengaged: pd.DataFrame) -> pd.DataFrame:
    """Follow the week-one posters from the end of their week one (the landmark).

    Time counts in weeks after week one: a learner last active in the k-th week after it
    (k = 0: never active again after week one) and seen to disengage has
    ``weeks_after_week_one`` = k + 1 with ``event`` True (they disengaged during week k + 1);
    a learner still active at their observation end is censored there. Nobody is credited
    with week one itself: every learner here had to post in it to be included, so those
    weeks are not compared.

    Parameters
    ----------
    positions : DataFrame
        From :func:`week_one_positions`.
    disengaged : DataFrame
        From :func:`engagement.retention.disengagement` (last_active, event, observed_until).

    Returns
    -------
    DataFrame: the columns of `positions`, plus last_active, weeks_after_week_one (int),
    event (bool), censor_reason. Learners whose observation ends within week one are left
    out (they cannot be followed), and so are those missing from `disengaged`.
    """
    require_columns(disengaged, ["learner_id", "course", "last_active", "event",
                                 "observed_until", "censor_reason"], "disengagement")
    t = positions.merge(disengaged[["learner_id", "course", "last_active", "event",
                                    "observed_until", "censor_reason"]],
                        on=["learner_id", "course"], how="inner")
    landmark = t["week_one"] + _WEEK
    t = t[(t["observed_until"] >= landmark) & t["event"].notna()]
    k = ((week_start(t["last_active"]) - t["week_one"]) / _WEEK).astype("int64")
    return (t.assign(weeks_after_week_one=k + 1, event=t["event"].astype(bool))
            .drop(columns=["observed_until"]).reset_index(drop=True))


ADJUSTER_LABELS = {"active_days_week_one": "active days in week one",
                   "threads_started_week_one": "discussions started in week one",
                   "posts_week_one": "posts in week one"}


def landmark_hazard(table: pd.DataFrame, *, exposure: str = "received_peer_reply",
                    adjust_for=("active_days_week_one", "threads_started_week_one"),
                    alpha: float = 0.05) -> Result:
    """Hazard ratio of disengaging after week one by network position (Cox, lifelines).

    Parameters
    ----------
    table : DataFrame
        From :func:`landmark_table`.
    exposure : str
        The position measured in week one (``received_peer_reply``, ``peers_replying``,
        ``peers_replied_to``).
    adjust_for : sequence of str
        Other week-one columns in the model (default: active days and discussions started
        in week one, so that a reply is not credited with what keen learners do anyway, and
        learners who only answered others, and so had nothing of their own to be answered,
        are not the whole comparison group). A column with one value for everybody (say,
        no discussion starts in a reply-only edge list) cannot be adjusted for and is left
        out; the ``adjusted_for`` column names those used.
    alpha : float
        1 - confidence level.

    Returns
    -------
    Result (design "observational", ``n`` learners; its notes say what was adjusted for),
    one row per term: term, hazard_ratio, ci_low, ci_high, p_value, learners, events,
    exposed (learners with a non-zero exposure), adjusted_for (the adjusters used,
    comma-separated). Ties are handled by Efron's method.
    """
    from lifelines import CoxPHFitter

    require_columns(table, [exposure, *adjust_for, "weeks_after_week_one", "event"],
                    "landmark table")
    adjust_for = [c for c in adjust_for if table[c].nunique(dropna=False) > 1]
    cols = [exposure, *adjust_for]
    data = table[[*cols, "weeks_after_week_one", "event"]].astype(float)
    fit = CoxPHFitter(alpha=alpha).fit(data, duration_col="weeks_after_week_one",
                                       event_col="event")
    s = fit.summary
    lo = next(c for c in s.columns if c.startswith("exp(coef) lower"))
    hi = next(c for c in s.columns if c.startswith("exp(coef) upper"))
    out = pd.DataFrame({"term": s.index, "hazard_ratio": s["exp(coef)"].to_numpy(),
                        "ci_low": s[lo].to_numpy(), "ci_high": s[hi].to_numpy(),
                        "p_value": s["p"].to_numpy()})
    out = out.assign(learners=len(data), events=int(data["event"].sum()),
                     exposed=int((data[exposure] > 0).sum()),
                     adjusted_for=", ".join(adjust_for))
    low, high = results.interval("hazard_ratio", level=1 - alpha)
    columns = {
        "term": results.label("Term"),
        "hazard_ratio": results.estimate("ratio", "Hazard ratio of disengaging"),
        "ci_low": low, "ci_high": high,
        "p_value": results.estimate("p", "p-value"),
        "learners": results.count("Learners who posted or replied in their first week"),
        "events": results.count("Disengaged later", part_of="learners"),
        "exposed": results.count(_EXPOSED_LABELS.get(exposure, f"With {exposure}"),
                                 part_of="learners"),
        "adjusted_for": results.text("Adjusted for", technical=True),
    }
    return Result(out, columns,
                  title="Disengaging after week one, by place in the forum in week one",
                  design="observational", n="learners",
                  notes=(_capital(_landmark_adjustment(adjust_for)),
                         "Replies were not assigned at random, so these are associations, not "
                         "proof that replies keep learners."),
                  kind="community.landmark_hazard")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


_EXPOSED_LABELS = {"received_peer_reply": "Replied to by another learner in week one",
                   "peers_replying": "Replied to by another learner in week one",
                   "peers_replied_to": "Replied to another learner in week one"}


def _landmark_adjustment(adjust_for) -> str:
    """``counted from the end of week one and adjusted for ...`` (what the model used)."""
    used = [ADJUSTER_LABELS.get(c, c.replace("_", " ")) for c in adjust_for if c]
    adjusted = f" and adjusted for {' and '.join(used)}" if used else ""
    return f"counted from the end of week one{adjusted}."


def describe_landmark(hazard: Result, *, exposure: str = "received_peer_reply") -> str:
    """A sentence on the exposure's hazard ratio, worded as an observational association.

    Takes :func:`landmark_hazard` as computed or after disclosure control: a hidden number
    is not said.
    """
    table = results.table_of(hazard)
    i = int(np.flatnonzero(table["term"].to_numpy() == exposure)[0])
    r = table.iloc[i]
    what = {"received_peer_reply": "had a reply from another learner in their first week",
            "peers_replying": "had one more learner reply to them in their first week",
            "peers_replied_to": "replied to one more learner in their first week"}.get(
        exposure, f"had one unit more of {exposure}")
    who = "learners who posted or replied in their first week"
    among = who if results.hidden(hazard, i, ["learners"]) else \
        f"{stats.format_count(r['learners'])} {who}"
    if not results.hidden(hazard, i, ["events"]):
        among += f" ({stats.format_count(r['events'])} later disengaged)"
    if results.hidden(hazard, i, ["hazard_ratio", "ci_low", "ci_high"]):
        return (f"Among {among}, the groups are too small to show how the hazard of "
                f"disengaging differed for those who {what}. Replies were not assigned at "
                "random, so any difference would be an association, not proof that replies "
                "keep learners.")
    clear = r["ci_high"] < 1 or r["ci_low"] > 1
    how = ("a lower" if r["hazard_ratio"] < 1 else "a higher") if clear else "no clearly different"
    used = str(r.get("adjusted_for", "") or "").split(", ")
    ratio = stats.estimate_with_interval(r["hazard_ratio"], r["ci_low"], r["ci_high"], "ratio")
    p = "" if results.hidden(hazard, i, ["p_value"]) else f", {stats.p_phrase(r['p_value'])}"
    return (f"Among {among}, those who {what} had {how} hazard of disengaging afterwards: "
            f"hazard ratio {ratio}{p}, {_landmark_adjustment(used)[:-1]}. Replies were not "
            "assigned at random, so this is an association, not proof that replies keep "
            "learners.")


# --------------------------------------------------------------------------- organisation growth

def organisation_growth(events: pd.DataFrame, learners: pd.DataFrame, *,
                        group: str = "organisation", weeks: int = 12) -> Result:
    """Do colleagues enrol and become active after an organisation's first active learner?

    For each organisation, week 0 is the week (Monday, UTC) of its first learner's first
    online activity in any course. Every enrolment of the organisation is then placed by
    when it enrolled and when it first became active online, relative to that week.

    Parameters
    ----------
    events, learners : DataFrame
        Contract tables (``learners`` needs enrolled_at and `group`).
    group : str
        The workplace column; learners with no value are left out.
    weeks : int
        Weeks after week 0 to follow.

    Returns
    -------
    Result (partition `group`, ``n`` enrolments), one row per organisation and week since
    its first active learner (0 ..
    `weeks`): organisation, week, enrolled (cumulative enrolments by the end of that week,
    including those made before week 0), active (cumulative enrolments that had become
    active online), enrolments (the organisation's total), enrolled_before_first_active
    (enrolments made before week 0), started (enrolments ever active).
    """
    require_columns(learners, ["learner_id", "course", "enrolled_at", group], "learners")
    ev = events[events["source"].isin(ONLINE_SOURCES)]
    first = (ev.assign(_t=_utc(ev["timestamp"], "events.timestamp"))
             .groupby(["learner_id", "course"])["_t"].min().rename("first_active"))
    lf = learners[learners[group].notna()].join(first, on=["learner_id", "course"])
    lf = lf.assign(enrolled_at=_utc(lf["enrolled_at"], "learners.enrolled_at"),
                   first_active=lf["first_active"].astype("datetime64[ns, UTC]"))
    week0 = week_start(lf.groupby(group)["first_active"].transform("min"))
    lf = lf.assign(week0=week0).dropna(subset=["week0"])
    rows = []
    for w in range(weeks + 1):
        end = lf["week0"] + (w + 1) * _WEEK
        rows.append(pd.DataFrame({group: lf[group], "week": w,
                                  "enrolled": lf["enrolled_at"] < end,
                                  "active": lf["first_active"] < end}))
    cum = (pd.concat(rows).groupby([group, "week"], as_index=False)[["enrolled", "active"]]
           .sum())
    per_org = lf.groupby(group).agg(
        enrolments=("learner_id", "size"),
        enrolled_before_first_active=(
            "enrolled_at", lambda s: int((s < lf.loc[s.index, "week0"]).sum())),
        started=("first_active", "count"))
    out = cum.merge(per_org.reset_index(), on=group).sort_values(
        [group, "week"], kind="stable").reset_index(drop=True)
    word = _group_word(group)
    columns = {
        group: results.organisation(word.capitalize()),
        "week": results.label("Weeks since its first active learner"),
        "enrolled": results.count("Enrolments made by the end of that week", unit="enrolments"),
        "active": results.count("Enrolments active online by the end of that week",
                                unit="enrolments", part_of="enrolled"),
        "enrolments": results.count("Enrolments in all", unit="enrolments"),
        # not declared part of enrolments: it overlaps `started`, and the parts of one total
        # are taken to be disjoint
        "enrolled_before_first_active": results.count(
            "Enrolments made before its first learner was active", unit="enrolments"),
        "started": results.count("Enrolments ever active online", unit="enrolments",
                                 part_of="enrolments"),
    }
    return Result(out, columns,
                  title=f"Enrolments and activity by week since each {word}'s first active "
                        "learner",
                  n="enrolments" if "enrolments" in out.columns else None, partition=group,
                  kind="community.organisation_growth")


def describe_growth(growth: Result, *, group: str = "organisation", week: int = 4) -> str:
    """How many of the organisations' eventual active learners were active by `week`.

    Takes :func:`organisation_growth` as computed or after disclosure control. Its numbers
    are sums over organisations: a sum is said only when no organisation's number in it is
    hidden (a sum of the shown ones would give a hidden one back).
    """
    table = results.table_of(growth)
    if table.empty:
        return "No organisation had an active learner."
    rows = np.flatnonzero((table["week"] == min(week, int(table["week"].max()))).to_numpy())
    if not len(rows):
        return "No organisation had an active learner."
    at = table.iloc[rows]

    def total(*columns):
        """The sums of `columns` over the organisations, or None if any cell is hidden."""
        if results.hidden(growth, rows, columns):
            return None
        return [int(at[c].sum()) for c in columns]

    timing = total("enrolled_before_first_active", "enrolments", "enrolled")
    activity = total("active", "started")
    text = f"Across {len(at)} organisations, "
    if timing is not None:
        before, enrolments, enrolled = timing
        text += (f"{stats.format_count(before)} of {stats.format_count(enrolments)} enrolments "
                 "were made before the organisation's first learner became active, and "
                 f"{stats.format_count(enrolments - enrolled)} more than {week} weeks after it")
    if activity is not None:
        active, started = activity
        text += "; " if timing is not None else ""
        text += (f"{stats.format_count(active)} of the {stats.format_count(started)} "
                 f"enrolments that ever became active had done so within {week} weeks of "
                 "their organisation's first active learner")
    if timing is None and activity is None:
        text += ("some organisations have too few enrolments to show how many enrolled or "
                 "became active, and when")
    elif timing is None or activity is None:
        text += ("; some organisations have too few enrolments to show the "
                 + ("timing of enrolments" if timing is None else "numbers who became active"))
    return text + ". Timing alone does not show that colleagues drew each other in."


