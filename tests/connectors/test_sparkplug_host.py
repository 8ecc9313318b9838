"""The Sparkplug B host rules, message by message: births, aliases, seq, deaths, rebirths."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smkit.connectors.mqtt.sparkplug_host import SparkplugHost
from smkit.connectors.mqtt.sparkplug_state import MetricValue, SparkplugTopic
from smkit.core.sample import Quality
from smkit.errors import PayloadError
from smkit.protocols.sparkplug import (
    BDSEQ,
    REBIRTH,
    DataType,
    Metric,
    Payload,
    decode,
    encode,
)

S = 10**9
MS = 10**6
T0 = 1_795_385_400_000  # ms


def topic(kind: str, device: str | None = None) -> SparkplugTopic:
    return SparkplugTopic("im-shop", kind, "presses", device)


def wire(payload: Payload) -> Payload:
    """The payload as a host receives it: encoded, then decoded."""
    return decode(encode(payload))


def nbirth(bd_seq: int = 0) -> Payload:
    return wire(Payload(T0, [
        Metric(name=BDSEQ, datatype=DataType.INT64, value=bd_seq),
        Metric(name=REBIRTH, datatype=DataType.BOOLEAN, value=False),
    ], 0))  # fmt: skip


def dbirth(seq: int, ts: int = T0, values: tuple[float, int] = (21.5, 7)) -> Payload:
    return wire(Payload(ts, [
        Metric(name="melt_temp", alias=1, timestamp=T0, datatype=DataType.DOUBLE, value=values[0]),
        Metric(name="offset", alias=2, timestamp=T0, datatype=DataType.INT32, value=values[1]),
    ], seq))  # fmt: skip


def ddata(seq: int, ms: int, *metrics: tuple[int, float | int, DataType]) -> Payload:
    return wire(Payload(ms, [
        Metric(alias=alias, timestamp=ms, datatype=kind, value=value, send_datatype=False)
        for alias, value, kind in metrics
    ], seq))  # fmt: skip


def ndeath(bd_seq: int) -> Payload:
    return wire(Payload(None, [Metric(name=BDSEQ, datatype=DataType.INT64, value=bd_seq)]))


def born(host: SparkplugHost, bd_seq: int = 0) -> None:
    assert host.receive(topic("NBIRTH"), nbirth(bd_seq), 0).problems == []
    assert host.receive(topic("DBIRTH", "press-01"), dbirth(1), 0).problems == []


def test_data_is_read_through_the_birth_aliases_and_datatypes() -> None:
    host = SparkplugHost(2 * S)
    first = host.receive(topic("NBIRTH"), nbirth(), 0)
    assert first.values == [MetricValue(REBIRTH, T0 * MS, False)], "bdSeq is not a value"
    birth = host.receive(topic("DBIRTH", "press-01"), dbirth(1), 0)
    assert birth.values == [
        MetricValue("melt_temp", T0 * MS, 21.5),
        MetricValue("offset", T0 * MS, 7),
    ]
    data = host.receive(topic("DDATA", "press-01"), ddata(2, T0 + 5, (2, -3, DataType.INT32)), 0)
    assert data.values == [MetricValue("offset", (T0 + 5) * MS, -3)], "Int32 two's complement"
    assert data.problems == [] and data.rebirth is None


def test_data_before_birth_is_refused_with_a_rebirth_due_once_per_interval() -> None:
    host = SparkplugHost(2 * S, rebirth_interval_ns=10 * S, park_limit=0)  # none kept waiting
    early = host.receive(topic("DDATA", "press-01"), ddata(4, T0, (1, 1.0, DataType.DOUBLE)), 0)
    assert early.values == []
    assert early.problems == ["DDATA before the NBIRTH of edge node 'presses'"]
    assert early.rebirth is not None
    again = host.receive(topic("DDATA", "press-01"), ddata(5, T0, (1, 1.0, DataType.DOUBLE)), S)
    assert again.problems and again.rebirth is None, "asked already, 1 s ago"
    later = host.receive(topic("NDATA"), ddata(6, T0), 11 * S)
    assert later.rebirth is not None
    host.receive(topic("NBIRTH"), nbirth(), 12 * S)
    no_device = host.receive(
        topic("DDATA", "press-09"), ddata(1, T0, (1, 1.0, DataType.DOUBLE)), 12 * S
    )
    assert no_device.problems == ["DDATA before the DBIRTH of device 'press-09'"]
    assert no_device.rebirth is not None, "a new session may ask at once"


def test_an_unknown_alias_is_refused_and_the_known_ones_are_read() -> None:
    host = SparkplugHost(2 * S)
    born(host)
    payload = ddata(2, T0 + 1, (1, 22.0, DataType.DOUBLE), (9, 5, DataType.INT32))
    data = host.receive(topic("DDATA", "press-01"), payload, 0)
    assert data.values == [MetricValue("melt_temp", (T0 + 1) * MS, 22.0)]
    assert data.problems == ["unknown metric alias 9"]
    assert data.rebirth == "alias 9 is in no birth"


def test_a_seq_gap_filled_within_the_reorder_timeout_is_no_gap() -> None:
    host = SparkplugHost(2 * S)
    born(host)
    host.receive(topic("DDATA", "press-01"), ddata(3, T0 + 3, (1, 3.0, DataType.DOUBLE)), S)
    late = host.receive(
        topic("DDATA", "press-01"), ddata(2, T0 + 2, (1, 2.0, DataType.DOUBLE)), 2 * S
    )
    assert late.values == [MetricValue("melt_temp", (T0 + 2) * MS, 2.0)], "used, in any order"
    assert host.overdue(10 * S) == [] and host.gaps == 0


def test_a_seq_gap_that_outlasts_the_reorder_timeout_makes_a_rebirth_due_once() -> None:
    host = SparkplugHost(2 * S)
    born(host)
    host.receive(topic("DDATA", "press-01"), ddata(5, T0 + 5, (1, 5.0, DataType.DOUBLE)), S)
    assert host.overdue(2 * S) == [], "still within the reorder timeout"
    assert host.overdue(3 * S) == [("im-shop", "presses", "seq 2-4 never arrived")]
    assert host.gaps == 1
    assert host.overdue(30 * S) == [], "reported once"


def test_seq_wraps_from_255_to_0_without_a_gap() -> None:
    host = SparkplugHost(0)
    born(host)
    for n in range(2, 600):
        data = ddata(n % 256, T0 + n, (1, float(n), DataType.DOUBLE))
        assert host.receive(topic("DDATA", "press-01"), data, n).problems == []
    assert host.overdue(10**6) == [] and host.gaps == 0


@settings(max_examples=200, deadline=None)
@given(st.integers(4, 250), st.data())
def test_messages_swapped_with_their_neighbours_are_never_a_gap(
    count: int, data: st.DataObject
) -> None:
    """Swaps move a message less than 256 places: further, seq numbers repeat (mod 256)."""
    order = list(range(2, count))
    for i in data.draw(st.lists(st.integers(0, max(0, len(order) - 2)), max_size=count)):
        order[i], order[i + 1] = order[i + 1], order[i]
    host = SparkplugHost(2 * S)
    born(host)
    for arrival, n in enumerate(order):
        host.receive(topic("DDATA", "press-01"), ddata(n % 256, T0 + n), arrival)
        assert host.overdue(arrival) == []
    assert host.overdue(10**12) == [] and host.gaps == 0


def test_an_ndeath_of_an_older_session_leaves_the_node_online() -> None:
    host = SparkplugHost(2 * S)
    host.receive(topic("NBIRTH"), nbirth(bd_seq=3), 0)
    host.receive(topic("DBIRTH", "press-01"), dbirth(1), 0)
    stale = host.receive(topic("NDEATH"), ndeath(2), S)
    assert stale.stale == [] and stale.problems == []
    data = host.receive(topic("DDATA", "press-01"), ddata(2, T0 + 9, (1, 9.0, DataType.DOUBLE)), S)
    assert data.values == [MetricValue("melt_temp", (T0 + 9) * MS, 9.0)] and data.problems == []


def test_a_matching_ndeath_makes_node_and_devices_stale_at_the_node_clock() -> None:
    host = SparkplugHost(2 * S)
    born(host)
    host.receive(topic("DDATA", "press-01"), ddata(2, T0 + 1000, (1, 9.0, DataType.DOUBLE)), 5 * S)
    death = host.receive(topic("NDEATH"), ndeath(0), 8 * S)
    at = (T0 + 1000) * MS + 3 * S  # the node's last timestamp plus the 3 s since it arrived
    assert death.stale == [(None, at), ("press-01", at)]
    after = host.receive(
        topic("DDATA", "press-01"), ddata(3, T0 + 9000, (1, 1.0, DataType.DOUBLE)), 9 * S
    )
    assert after.values == [] and after.parked, "kept until the node is born again"
    assert after.rebirth == "DDATA from an edge node without a birth"


def test_a_birth_value_older_than_the_death_lifts_the_death_mark() -> None:
    """The edge node lost its connection, not its machine: a birth value dated before the
    death held all along, and is written again over the mark the death left."""
    host = SparkplugHost(2 * S)
    born(host)
    death = host.receive(topic("DDEATH", "press-01"), wire(Payload(T0 + 2000, [], 2)), S)
    ((_, mark_ns),) = death.stale
    rebirth_ms = T0 + 60_000
    back = host.receive(topic("DBIRTH", "press-01"), dbirth(3, ts=rebirth_ms), 2 * S)
    assert back.values == [
        MetricValue("melt_temp", T0 * MS, 21.5), MetricValue("melt_temp", mark_ns, 21.5),
        MetricValue("offset", T0 * MS, 7), MetricValue("offset", mark_ns, 7),
    ]  # fmt: skip


def forwarded_change(seq: int) -> Payload:
    """Historical DATA: the change to 25.0 at T0 + 30 s, forwarded after the node came back."""
    return wire(Payload(T0 + 61_000, [
        Metric(alias=1, timestamp=T0 + 30_000, value=25.0, datatype=DataType.DOUBLE,
               is_historical=True, send_datatype=False),
    ], seq))  # fmt: skip


def died(host: SparkplugHost) -> int:
    """press-01's DDEATH (its node's clock at T0 + 2 s); the time of the mark it leaves."""
    death = host.receive(topic("DDEATH", "press-01"), wire(Payload(T0 + 2000, [], 2)), S)
    ((_, mark_ns),) = death.stale
    return mark_ns


def changed_birth(seq: int) -> Payload:
    """press-01's DBIRTH after it was away: melt_temp changed to 25.0 at T0 + 30 s."""
    return wire(Payload(T0 + 60_000, [
        Metric(name="melt_temp", alias=1, timestamp=T0 + 30_000, datatype=DataType.DOUBLE,
               value=25.0),
    ], seq))  # fmt: skip


def test_historical_data_after_a_death_lifts_the_marks_with_what_held_before() -> None:
    """A value that changed while the edge node was away: the birth cannot say it held, but the
    historical DATA the node stored and now forwards shows it kept observing the machine."""
    host = SparkplugHost(2 * S)
    born(host)
    death = host.receive(topic("DDEATH", "press-01"), wire(Payload(T0 + 2000, [], 2)), S)
    ((_, mark_ns),) = death.stale
    changed = wire(Payload(T0 + 60_000, [
        Metric(name="melt_temp", alias=1, timestamp=T0 + 30_000, datatype=DataType.DOUBLE,
               value=25.0),
        Metric(name="offset", alias=2, timestamp=T0, datatype=DataType.INT32, value=7),
    ], 3))  # fmt: skip
    back = host.receive(topic("DBIRTH", "press-01"), changed, 2 * S)
    assert MetricValue("offset", mark_ns, 7) in back.values, "held since before: lifted at once"
    assert MetricValue("melt_temp", mark_ns, 21.5) not in back.values, "not yet: no evidence"
    history = forwarded_change(4)
    forwarded = host.receive(topic("DDATA", "press-01"), history, 3 * S)
    assert forwarded.values == [MetricValue("melt_temp", (T0 + 30_000) * MS, 25.0),
                                MetricValue("melt_temp", mark_ns, 21.5)]  # fmt: skip
    later = host.receive(topic("DDATA", "press-01"), history, 4 * S)
    assert later.values == [MetricValue("melt_temp", (T0 + 30_000) * MS, 25.0)], "lifted once"


def test_data_sent_before_the_death_but_arriving_after_it_is_what_held() -> None:
    """A value the node sent just before it died, resent after its reconnect: newer than the
    one the host knew at the death, so it, not the older one, is what held until the mark."""
    host = SparkplugHost(2 * S)
    born(host)
    mark_ns = died(host)
    late = ddata(3, T0 + 1500, (1, 23.0, DataType.DOUBLE))
    assert host.receive(topic("DDATA", "press-01"), late, 2 * S).parked
    back = host.receive(topic("DBIRTH", "press-01"), changed_birth(4), 3 * S)
    assert MetricValue("melt_temp", (T0 + 1500) * MS, 23.0) in back.values, "replayed"
    history = forwarded_change(5)
    forwarded = host.receive(topic("DDATA", "press-01"), history, 4 * S)
    assert forwarded.values == [MetricValue("melt_temp", (T0 + 30_000) * MS, 25.0),
                                MetricValue("melt_temp", mark_ns, 23.0)]  # fmt: skip


def test_ddeath_makes_one_device_stale_and_its_data_needs_a_new_birth() -> None:
    host = SparkplugHost(2 * S)
    born(host)
    death = host.receive(topic("DDEATH", "press-01"), wire(Payload(T0 + 2000, [], 2)), S)
    assert death.stale == [("press-01", (T0 + 2000) * MS)]
    assert host.devices("im-shop", "presses") == []
    data = host.receive(
        topic("DDATA", "press-01"), ddata(3, T0 + 3000, (1, 1.0, DataType.DOUBLE)), S
    )
    assert data.values == [] and data.parked and data.rebirth is not None


def test_data_parked_before_its_birth_is_read_when_the_birth_comes() -> None:
    """A host that missed a birth (QoS 0, sent while it was away) reads the DATA queued for it
    once the node is born again, with the new birth's aliases."""
    host = SparkplugHost(2 * S)
    born(host)
    host.receive(topic("NDEATH"), ndeath(0), S)
    waiting = host.receive(
        topic("DDATA", "press-01"),
        ddata(5, T0 + 50, (1, 3.0, DataType.DOUBLE), (2, 4, DataType.INT32)),
        2 * S,
    )
    assert (waiting.values, waiting.problems, waiting.parked) == ([], [], True)
    assert host.receive(topic("NBIRTH"), nbirth(1), 3 * S).replayed == []
    birth = host.receive(topic("DBIRTH", "press-01"), dbirth(1, ts=T0 + 60), 3 * S)
    assert birth.replayed == ["press-01"] and birth.problems == []
    assert birth.values[-2:] == [
        MetricValue("melt_temp", (T0 + 50) * MS, 3.0),
        MetricValue("offset", (T0 + 50) * MS, 4),
    ]
    assert host.expired(10**6 * S) == [], "nothing left waiting"


def test_parked_data_asks_for_its_birth_again_each_interval_until_it_comes() -> None:
    """The first request may reach no one (the edge node still reconnecting); no new DATA
    comes to ask again while the parked messages hold the broker's window, so the host does."""
    host = SparkplugHost(2 * S, rebirth_interval_ns=10 * S)
    parked = host.receive(topic("DDATA", "press-01"), ddata(5, T0, (1, 1.0, DataType.DOUBLE)), S)
    assert parked.parked and parked.rebirth is not None, "asked once as it was parked"
    assert host.overdue(10 * S) == [], "not again within the interval"
    assert host.overdue(11 * S) == [
        ("im-shop", "presses", "DATA of device 'press-01' still waits for a birth")
    ]
    assert host.overdue(12 * S) == []
    born(host)
    host.receive(topic("DBIRTH", "press-01"), dbirth(1), 13 * S)
    assert host.overdue(30 * S) == [], "read through its birth: nothing waits"


def test_parked_data_is_given_up_after_the_park_time_and_beyond_the_limit() -> None:
    host = SparkplugHost(2 * S, park_ns=60 * S, park_limit=2)
    early = [
        host.receive(topic("DDATA", "press-01"), ddata(n, T0, (1, 1.0, DataType.DOUBLE)), n * S)
        for n in range(3)
    ]
    assert [e.parked for e in early] == [True, True, False]
    assert early[2].problems == ["DDATA before the NBIRTH of edge node 'presses'"]
    assert host.expired(60 * S - 1) == []
    assert host.expired(60 * S) == [("im-shop", "presses", "press-01")]
    born(host)
    assert (
        host.receive(
            topic("DDATA", "press-01"), ddata(2, T0, (1, 1.0, DataType.DOUBLE)), 61 * S
        ).parked
        is False
    )
    again = host.receive(
        topic("DDATA", "press-02"), ddata(3, T0, (1, 1.0, DataType.DOUBLE)), 61 * S
    )
    assert again.parked, "given-up messages free their places"


def test_null_and_quality_give_bad_and_uncertain_values() -> None:
    host = SparkplugHost(2 * S)
    born(host)
    payload = wire(Payload(T0 + 1, [
        Metric(alias=1, timestamp=T0 + 1, datatype=DataType.DOUBLE, is_null=True,
               send_datatype=False),
        Metric(alias=2, timestamp=T0 + 1, datatype=DataType.INT32, value=4, send_datatype=False,
               properties={"Quality": 64}),
    ], 2))  # fmt: skip
    data = host.receive(topic("DDATA", "press-01"), payload, 0)
    assert data.values == [
        MetricValue("melt_temp", (T0 + 1) * MS, None, Quality.BAD),
        MetricValue("offset", (T0 + 1) * MS, 4, Quality.UNCERTAIN),
    ]


def test_topics_parse_and_state_is_not_data() -> None:
    assert SparkplugTopic.parse("spBv1.0/g/DDATA/n/d") == SparkplugTopic("g", "DDATA", "n", "d")
    assert SparkplugTopic.parse("spBv1.0/g/NBIRTH/n") == SparkplugTopic("g", "NBIRTH", "n")
    assert SparkplugTopic.parse("spBv1.0/STATE/scada") is None
    for bad in ("spBv1.0/g/DDATA/n", "spBv1.0/g/NDATA/n/d", "spBv1.0/g/XDATA/n", "other/x/y"):
        with pytest.raises(PayloadError):
            SparkplugTopic.parse(bad)


def test_a_death_arriving_with_the_last_data_is_marked_just_after_it() -> None:
    host = SparkplugHost(2 * S)
    born(host)
    host.receive(topic("DDATA", "press-01"), ddata(2, T0 + 1000, (1, 9.0, DataType.DOUBLE)), 5 * S)
    death = host.receive(topic("NDEATH"), ndeath(0), 5 * S)  # read in the same batch
    assert death.stale == [(None, (T0 + 1000) * MS + 1), ("press-01", (T0 + 1000) * MS + 1)]


def test_a_birth_in_the_millisecond_of_the_last_data_lifts_the_mark_just_after_it() -> None:
    """Born again at once (a rebirth in the same millisecond as its last DATA): the mark the
    death left a nanosecond after that DATA is lifted by the birth's values, which held."""
    host = SparkplugHost(2 * S)
    born(host)
    host.receive(topic("DDATA", "press-01"), ddata(2, T0 + 1000, (1, 9.0, DataType.DOUBLE)), 5 * S)
    ((_, mark_ns), _) = host.receive(topic("NDEATH"), ndeath(0), 5 * S).stale
    assert mark_ns == (T0 + 1000) * MS + 1
    host.receive(topic("NBIRTH"), nbirth(1), 5 * S)
    back = host.receive(topic("DBIRTH", "press-01"), dbirth(1, ts=T0 + 1000, values=(9.0, 7)),
                        5 * S)  # fmt: skip
    assert MetricValue("melt_temp", mark_ns, 9.0) in back.values
    assert MetricValue("offset", mark_ns, 7) in back.values


def test_a_host_started_again_from_its_saved_births_reads_data_by_alias() -> None:
    """A collector killed and started again: the DATA queued for it meanwhile carries aliases
    of births its earlier run took up; the births it saved say what they mean."""
    first = SparkplugHost(2 * S)
    born(first)
    assert first.births_changed
    saved = json.loads(json.dumps(first.births()))  # as the births file keeps them
    again = SparkplugHost(2 * S)
    again.restore(saved)
    assert not again.births_changed
    out = again.receive(
        topic("DDATA", "press-01"),
        ddata(5, T0 + 10, (1, 22.0, DataType.DOUBLE), (2, 2**32 - 3, DataType.INT32)),
        0,
    )
    assert (out.problems, out.rebirth) == ([], None)
    assert out.values == [MetricValue("melt_temp", (T0 + 10) * MS, 22.0),
                          MetricValue("offset", (T0 + 10) * MS, -3)]  # fmt: skip
    gap = again.receive(topic("DDATA", "press-01"), ddata(7, T0 + 20), 0)
    assert gap.problems == [] and again.overdue(3 * S), "seq counts on from the first one seen"
    dead = again.receive(topic("NDEATH"), ndeath(0), 0)
    assert dead.stale and again.births() == {}, "the saved bdSeq still tells its NDEATH"


def test_a_host_killed_between_a_death_and_the_birth_after_it_still_lifts_the_marks() -> None:
    """The collector is killed just after an edge node's death, before the birth that follows
    it: started again from what it saved, it lifts the marks as the first run would have."""
    first = SparkplugHost(2 * S)
    born(first)
    first.receive(topic("DDATA", "press-01"), ddata(2, T0 + 1000, (1, 9.0, DataType.DOUBLE)), S)
    ((_, mark_ns), _) = first.receive(topic("NDEATH"), ndeath(0), S).stale
    assert first.births_changed, "a death is saved before it is acknowledged"
    births, marks = json.loads(json.dumps([first.births(), first.marks()]))  # the births file
    again = SparkplugHost(2 * S)
    again.restore(births, marks)
    again.receive(topic("NBIRTH"), nbirth(1), 3 * S)
    back = again.receive(topic("DBIRTH", "press-01"), changed_birth(1), 3 * S)
    assert MetricValue("melt_temp", mark_ns, 9.0) not in back.values, "changed: no evidence yet"
    forwarded = again.receive(topic("DDATA", "press-01"), forwarded_change(2), 4 * S)
    assert MetricValue("melt_temp", mark_ns, 9.0) in forwarded.values, "what held at the death"
    assert again.marks() == {}, "lifted: nothing left to keep"


def test_forwarded_history_before_the_mark_all_counts_before_what_held_is_lifted() -> None:
    """The node lost its connection a little before the broker sent its death, and forwards
    two changes from that moment: the value that held at the mark is the later of them."""
    host = SparkplugHost(2 * S)
    born(host)
    mark_ns = died(host)
    host.receive(topic("DBIRTH", "press-01"), changed_birth(3), 2 * S)
    lifted = []
    for seq, (ms, value) in enumerate([(1000, 22.0), (1500, 23.0), (30_000, 25.0)], start=4):
        history = wire(Payload(T0 + 61_000, [
            Metric(alias=1, timestamp=T0 + ms, value=value, datatype=DataType.DOUBLE,
                   is_historical=True, send_datatype=False),
        ], seq))  # fmt: skip
        got = host.receive(topic("DDATA", "press-01"), history, 3 * S).values
        lifted += [v for v in got if v.ts == mark_ns]
    assert lifted == [MetricValue("melt_temp", mark_ns, 23.0)]
