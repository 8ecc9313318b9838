"""Reading a gap back from a real OPC UA server's history: in rounds, oldest first, resumable."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asyncua import Client, Server, ua

from smkit.connectors.opcua.backfill import VALUES_PER_READ, read_back
from smkit.core.timeunits import NS_PER_S
from smkit.localservers import free_port
from smkit.simulators.opcua_history import TimedHistory

T0 = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
T0_NS = int(T0.timestamp()) * NS_PER_S
SECONDS = 1200  # two 1 Hz nodes: three pages each
MINUTES = range(0, 20, 2)  # one node changing every two minutes: one page


@pytest.fixture
async def history_server() -> AsyncIterator[tuple[Client, list[ua.NodeId]]]:
    """A server keeping two nodes' values each second and one node's every two minutes."""
    server = Server()
    await server.init()
    endpoint = f"opc.tcp://127.0.0.1:{free_port()}"
    server.set_endpoint(endpoint)
    history = TimedHistory()
    server.iserver.history_manager.set_storage(history)
    namespace = await server.register_namespace("urn:smkit:test:read-back")
    nodes = []
    for name in ("spindle", "coolant", "state"):
        variable = await server.nodes.objects.add_variable(namespace, name, 0.0)
        nodes.append(variable.nodeid)
        await history.new_historized_node(variable.nodeid, None, 0)
    for second in range(SECONDS):
        for node_id in nodes[:2]:
            await history.save_node_value(node_id, _value(second, second))
    for minute in MINUTES:
        await history.save_node_value(nodes[2], _value(minute, minute * 60))
    async with server, Client(endpoint) as client:
        yield client, nodes


def _value(value: float, second: int) -> ua.DataValue:
    return ua.DataValue(ua.Variant(float(value)), SourceTimestamp=T0 + dt.timedelta(seconds=second))


def _every_value(nodes: list[ua.NodeId]) -> set[tuple[Any, float]]:
    return {(n, float(s)) for n in nodes[:2] for s in range(SECONDS)} | {
        (nodes[2], float(m)) for m in MINUTES
    }


async def test_every_value_comes_once_in_time_order_and_the_nodes_go_on_together(
    history_server: tuple[Client, list[ua.NodeId]],
) -> None:
    client, nodes = history_server
    got: list[tuple[Any, float]] = []
    finished: dict[Any, int] = {}

    def reached(node_id: Any, ns: int, done: bool) -> None:
        assert node_id not in finished, "nothing is read of a node after it is done"
        if done:
            finished[node_id] = ns

    count = await read_back(
        client, dict.fromkeys(nodes, T0_NS), lambda n, v: got.append((n, v.Value.Value)),
        reached=reached,
    )  # fmt: skip
    assert count == len(got) == len(_every_value(nodes)) and set(got) == _every_value(nodes)
    just_after = {n: T0_NS + (SECONDS - 1) * NS_PER_S + 1000 for n in nodes[:2]}
    assert finished == {**just_after, nodes[2]: T0_NS + MINUTES[-1] * 60 * NS_PER_S + 1000}
    for node_id in nodes:
        values = [v for n, v in got if n == node_id]
        assert values == sorted(values), "oldest first per node"
    second_page_of_first = got.index((nodes[0], float(VALUES_PER_READ)))
    assert got.index((nodes[1], 0.0)) < second_page_of_first, "one page of each node per round"
    assert got.index((nodes[2], 0.0)) < second_page_of_first


async def test_each_node_is_read_up_to_the_first_value_its_monitored_item_gave(
    history_server: tuple[Client, list[ua.NodeId]],
) -> None:
    """The subscription has everything after a node's first value; a node whose first value has
    not come yet is read on (here to the end of its history)."""
    client, nodes = history_server
    first_live = {nodes[0]: T0_NS + 599 * NS_PER_S, nodes[2]: T0_NS + 240 * NS_PER_S}
    got: list[tuple[Any, float]] = []
    await read_back(
        client, {n: T0_NS for n in first_live}, lambda n, v: got.append((n, v.Value.Value)),
        first_live.get,
    )  # fmt: skip
    assert sorted(v for n, v in got if n == nodes[0]) == [float(s) for s in range(600)]
    assert {0.0, 2.0, 4.0} <= {v for n, v in got if n == nodes[2]}, "one request: up to 599 s"
    got.clear()
    await read_back(
        client, dict.fromkeys(nodes[:2], T0_NS), lambda n, v: got.append((n, v.Value.Value)),
        first_live.get,
    )  # fmt: skip
    assert sorted(v for n, v in got if n == nodes[1]) == [float(s) for s in range(SECONDS)]


async def test_a_read_lost_halfway_goes_on_from_where_each_node_had_reached(
    history_server: tuple[Client, list[ua.NodeId]],
) -> None:
    """The session drops while the second node's first page is handed over: the next read
    starts the first node after its first page, the others from the gap's start."""
    client, nodes = history_server
    got: list[tuple[Any, float]] = []
    reached: dict[Any, int] = {}

    def accept_until_lost(node_id: Any, value: Any) -> None:
        if len(got) == VALUES_PER_READ + 200:
            raise ConnectionError("the session dropped")
        got.append((node_id, value.Value.Value))

    with pytest.raises(ConnectionError):
        await read_back(
            client, dict.fromkeys(nodes, T0_NS), accept_until_lost,
            reached=lambda node_id, ns, done: reached.__setitem__(node_id, ns),
        )  # fmt: skip
    assert reached == {nodes[0]: T0_NS + (VALUES_PER_READ - 1) * NS_PER_S + 1000}
    again: list[tuple[Any, float]] = []
    starts = {n: reached.get(n, T0_NS) for n in nodes}
    count = await read_back(client, starts, lambda n, v: again.append((n, v.Value.Value)))
    assert set(got) | set(again) == _every_value(nodes), "nothing of the gap is left out"
    assert count == len(_every_value(nodes)) - VALUES_PER_READ, "the first page is not read again"
