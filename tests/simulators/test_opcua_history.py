"""The simulated server's history: time-ordered, bisected reads that agree with asyncua's own."""

from __future__ import annotations

import datetime as dt

from asyncua import ua
from asyncua.server.history import HistoryDict

from smkit.simulators.opcua_history import TimedHistory

NODE = ua.NodeId(1, 2)
T0 = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


def at(second: int) -> ua.DataValue:
    return ua.DataValue(
        ua.Variant(float(second)), SourceTimestamp=T0 + dt.timedelta(seconds=second)
    )


async def filled(history: HistoryDict, count: int, keep: int) -> HistoryDict:
    await history.new_historized_node(NODE, None, keep)
    await history.save_node_value(NODE, ua.DataValue(ua.Variant(None)))  # no source time
    for second in range(count):
        await history.save_node_value(NODE, at(second))
    return history


async def test_reads_by_time_equal_asyncuas_own() -> None:
    ours, theirs = await filled(TimedHistory(), 500, 0), await filled(HistoryDict(), 500, 0)
    theirs._datachanges[NODE] = [v for v in theirs._datachanges[NODE] if v.SourceTimestamp]
    epoch = ua.get_win_epoch()
    for start, end, count in [(10, 20, 0), (10, 400, 50), (0, 499, 0), (495, 600, 0),
                              (600, 700, 0), (10, None, 7), (250, None, 0)]:  # fmt: skip
        begin = T0 + dt.timedelta(seconds=start)
        until = epoch if end is None else T0 + dt.timedelta(seconds=end)
        got, _ = await ours.read_node_history(NODE, begin, until, count)
        want, _ = await theirs.read_node_history(NODE, begin, until, count)
        assert [v.Value.Value for v in got] == [v.Value.Value for v in want], (start, end, count)


async def test_the_oldest_values_go_beyond_the_limit_in_chunks() -> None:
    history = await filled(TimedHistory(), 1200, 1000)
    kept = history._datachanges[NODE]
    assert 1000 <= len(kept) <= 1100 and kept[-1].Value.Value == 1199.0
    got, _ = await history.read_node_history(NODE, T0, ua.get_win_epoch(), 5)
    assert got[0].Value.Value == kept[0].Value.Value, "the oldest kept comes first"
