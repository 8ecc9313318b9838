"""The simulated OPC UA server's history: what a collector away for a while reads back."""

from __future__ import annotations

import bisect
import datetime as dt

from asyncua import ua
from asyncua.server.history import HistoryDict

HISTORY_VALUES = 50_000
"""Values of history kept per variable (at 1 Hz, some 14 hours of simulated time)."""


class TimedHistory(HistoryDict):  # type: ignore[misc]
    """asyncua's in-memory history, kept in time order with bisected reads.

    asyncua's own filters every value of a node on each read and drops the oldest value with a
    ``list.pop(0)`` on each write: at tens of thousands of values per node and a collector
    paging through a long gap, the server spent its time there and answered too late. Values
    without a source time (a variable's first, bad, waiting for data) are not kept.
    """

    async def save_node_value(self, node_id: ua.NodeId, datavalue: ua.DataValue) -> None:
        if datavalue.SourceTimestamp is None:
            return
        data = self._datachanges[node_id]
        data.append(datavalue)
        _, count = self._datachanges_period[node_id]
        if count and len(data) > count + count // 10:  # trimmed in chunks: amortised O(1)
            del data[: len(data) - count]

    async def read_node_history(
        self, node_id: ua.NodeId, start: dt.datetime | None, end: dt.datetime | None,
        nb_values: int,
    ) -> tuple[list[ua.DataValue], dt.datetime | None]:  # fmt: skip
        """Raw values from ``start`` to ``end`` (both inclusive) in time order, ``nb_values``
        at most; the reverse-order and open-start forms are left to asyncua's own."""
        epoch = ua.get_win_epoch()
        if start is None or start == epoch or (end not in (None, epoch) and start > end):
            return await super().read_node_history(node_id, start, end, nb_values)  # type: ignore[no-any-return]
        data = self._datachanges.get(node_id, [])
        first = bisect.bisect_left(data, start, key=_source_time)
        last = (
            len(data) if end in (None, epoch) else bisect.bisect_right(data, end, key=_source_time)
        )
        limit = min(nb_values or last - first, self.max_history_data_response_size)
        found = data[first : min(last, first + limit)]
        more = first + limit < last
        return found, (data[first + limit].SourceTimestamp if more else None)


def _source_time(value: ua.DataValue) -> dt.datetime:
    return value.SourceTimestamp  # type: ignore[no-any-return]
