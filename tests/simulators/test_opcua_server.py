"""The simulated OPC UA server, read by a real asyncua client."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from asyncua import Client, ua
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256
from cryptography.x509.oid import ExtendedKeyUsageOID

from smkit.errors import ConfigError
from smkit.localservers import free_port
from smkit.simulators.catalog import find_scenario
from smkit.simulators.chaos import Chaos, ChaosLog, OpcUaChaos, connection_faults
from smkit.simulators.live import MAX
from smkit.simulators.opcua_options import OpcUaOptions
from smkit.simulators.opcua_server import SimulatedOpcUaServer
from smkit.simulators.run import simulate
from smkit.simulators.scenario import LoadedScenario
from smkit.simulators.serve import ServeOptions, serve
from smkit.simulators.signals import SignalValue, signal_values

NSU = "urn:smkit:sim:cnc-cell"
CLIENT_URI = "urn:smkit:tests:client"


@pytest.fixture(scope="module")
def cnc() -> LoadedScenario:
    return find_scenario("cnc-cell")


@pytest.fixture
async def served(cnc: LoadedScenario) -> AsyncIterator[SimulatedOpcUaServer]:
    server = SimulatedOpcUaServer(
        cnc.plant, "cnc-cell", OpcUaOptions(f"opc.tcp://127.0.0.1:{free_port()}"), ChaosLog()
    )
    await server.start()
    yield server
    await server.stop()


def first_half_hour(cnc: LoadedScenario) -> list[SignalValue]:
    return list(signal_values(cnc.scenario, cnc.plant, simulate(cnc, 3, 1800)))


async def node(client: Client, identifier: str) -> object:
    index = (await client.get_namespace_array()).index(NSU)
    return client.get_node(f"ns={index};s={identifier}")


async def test_the_address_space_follows_the_plant_with_types_and_units(
    served: SimulatedOpcUaServer,
) -> None:
    async with Client(served.endpoint) as client:
        index = (await client.get_namespace_array()).index(NSU)
        machine = await client.nodes.objects.get_child(
            [f"{index}:cnc-cell", f"{index}:machining", f"{index}:cell-1", f"{index}:lathe-01"]
        )
        names = {(await child.read_browse_name()).Name for child in await machine.get_children()}
        assert {"state", "parts_total", "spindle_speed", "program"} <= names
        assert (await machine.read_display_name()).Text == "CNC lathe"
        expected = {
            "lathe-01.State": ua.VariantType.Int32,  # PackML state numbers
            "lathe-01.PartsTotal": ua.VariantType.UInt16,  # 16-bit rollover counter
            "lathe-01.SpindleSpeed": ua.VariantType.Double,
            "lathe-01.Program": ua.VariantType.String,
        }
        for identifier, variant_type in expected.items():
            variable = client.get_node(f"ns={index};s={identifier}")
            assert await variable.read_data_type_as_variant_type() == variant_type
        speed = client.get_node(f"ns={index};s=lathe-01.SpindleSpeed")
        units = await (await speed.get_child("0:EngineeringUnits")).read_value()
        assert units.UnitId == int.from_bytes(b"RPM", "big")  # UNECE common code RPM
        assert units.DisplayName.Text == "rpm"


async def test_values_arrive_with_their_simulated_source_timestamps(
    served: SimulatedOpcUaServer, cnc: LoadedScenario
) -> None:
    async with Client(served.endpoint) as client:
        state = await node(client, "vmc-02.State")
        before = await state.read_data_value(raise_on_bad_status=False)  # type: ignore[attr-defined]
        assert before.StatusCode.value == ua.StatusCodes.BadWaitingForInitialData
        values = first_half_hour(cnc)
        await served.publish(values)
        latest = {(v.machine, v.signal): v for v in values}
        names = {"state": "State", "parts_total": "PartsTotal", "coolant_temp": "CoolantTemp",
                 "program": "Program", "order": "Order"}  # fmt: skip
        for machine in ("vmc-01", "vmc-02", "lathe-01"):
            for signal, identifier in names.items():
                want = latest[(machine, signal)]
                variable = await node(client, f"{machine}.{identifier}")
                got = await variable.read_data_value()  # type: ignore[attr-defined]
                assert got.Value.Value == want.value, (machine, signal)
                seconds, ns = divmod(want.ts, 10**9)
                moment = dt.datetime.fromtimestamp(seconds, dt.UTC) + dt.timedelta(
                    microseconds=ns // 1000
                )
                assert got.SourceTimestamp == moment


async def test_a_subscriber_sees_every_change_in_order(
    served: SimulatedOpcUaServer, cnc: LoadedScenario
) -> None:
    values = [v for v in first_half_hour(cnc) if (v.machine, v.signal) == ("vmc-01", "parts_total")]
    assert len(values) > 10
    seen: list[tuple[int, object]] = []

    class Handler:
        def datachange_notification(self, node: object, value: object, data: object) -> None:
            item = data.monitored_item.Value  # type: ignore[attr-defined]
            seen.append((item.SourceTimestamp, item.Value.Value))

    async with Client(served.endpoint) as client:
        subscription = await client.create_subscription(50, Handler())
        counter = await node(client, "vmc-01.PartsTotal")
        await subscription.subscribe_data_change(counter, queuesize=1000)
        await asyncio.sleep(0.3)
        seen.clear()  # the initial BadWaitingForInitialData notification
        for value in values:
            await served.publish([value])
        for _ in range(100):
            if len(seen) >= len(values):
                break
            await asyncio.sleep(0.05)
    assert [v for _, v in seen] == [v.value for v in values]


async def test_a_restart_can_shift_the_namespace_index_and_comes_back_with_the_latest_values(
    served: SimulatedOpcUaServer, cnc: LoadedScenario
) -> None:
    values = first_half_hour(cnc)
    await served.publish(values[:100])
    async with Client(served.endpoint) as client:
        before = (await client.get_namespace_array()).index(NSU)
    await served.restart(values[100].ts, 0.2, shift_namespace=True)
    assert not served.is_up
    changes = await served.publish(values[100:110])  # while down: none shown
    await served.settled()
    assert changes == [] and served.missed > 0
    assert served.take_replayed(), "the latest values are written again"
    async with Client(served.endpoint) as client:
        after = (await client.get_namespace_array()).index(NSU)
        state = await node(client, "vmc-01.State")
        latest = [v for v in values[:110] if (v.machine, v.signal) == ("vmc-01", "state")][-1]
        assert await state.read_value() == latest.value  # type: ignore[attr-defined]
    assert after == before + 1
    entry = served.chaos_log.entries[-1]
    assert entry["kind"] == "server_restart" and entry["namespace_shift"] == 1
    assert entry["values_missed"] == served.missed


async def test_dropping_sessions_disconnects_clients_but_the_server_stays_up(
    served: SimulatedOpcUaServer,
) -> None:
    client = Client(served.endpoint)
    await client.connect()
    await served.drop_sessions(0)
    with pytest.raises((ConnectionError, asyncio.TimeoutError, ua.UaError)):
        for _ in range(20):
            await client.nodes.server_state.read_value()
            await asyncio.sleep(0.05)
    await client.disconnect()
    async with Client(served.endpoint) as again:
        assert await again.nodes.server_state.read_value() == ua.ServerState.Running
    assert served.chaos_log.entries[-1]["connections"] == 1


async def test_a_port_in_use_is_a_clear_error(cnc: LoadedScenario) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = SimulatedOpcUaServer(
            cnc.plant, "cnc-cell", OpcUaOptions(f"opc.tcp://127.0.0.1:{port}"), ChaosLog()
        )
        with pytest.raises(ConfigError, match=f"127.0.0.1:{port}: the port is already in use"):
            await server.start()


async def client_certificate(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    key, cert = folder / "client-key.pem", folder / "client-cert.der"
    await setup_self_signed_certificate(
        key, cert, CLIENT_URI, socket.gethostname(), [ExtendedKeyUsageOID.CLIENT_AUTH],
        {"commonName": "smkit tests"},
    )  # fmt: skip
    return cert, key


async def secure_client(endpoint: str, cert: Path, key: Path, user: str, password: str) -> Client:
    client = Client(endpoint)
    client.application_uri = CLIENT_URI
    await client.set_security(
        SecurityPolicyBasic256Sha256,
        str(cert),
        str(key),
        mode=ua.MessageSecurityMode.SignAndEncrypt,
    )
    client.set_user(user)
    client.set_password(password)
    return client


async def test_sign_and_encrypt_with_a_user_and_a_trust_list(
    cnc: LoadedScenario, tmp_path: Path
) -> None:
    trusted = tmp_path / "trusted"
    cert, key = await client_certificate(tmp_path / "client")
    trusted.mkdir()
    (trusted / "client.der").write_bytes(cert.read_bytes())
    stranger_cert, stranger_key = await client_certificate(tmp_path / "stranger")
    options = OpcUaOptions(
        f"opc.tcp://127.0.0.1:{free_port()}",
        security=("sign-encrypt",),
        users={"operator": "s3cret"},
        anonymous=False,
        pki_dir=tmp_path / "pki",
        trusted_clients=trusted,
    )
    server = SimulatedOpcUaServer(cnc.plant, "cnc-cell", options, ChaosLog())
    await server.start()
    try:
        good = await secure_client(server.endpoint, cert, key, "operator", "s3cret")
        async with good:
            assert await good.nodes.server_state.read_value() == ua.ServerState.Running
        wrong_password = await secure_client(server.endpoint, cert, key, "operator", "guess")
        with pytest.raises(ua.UaError):
            await wrong_password.connect()
        stranger = await secure_client(
            server.endpoint, stranger_cert, stranger_key, "operator", "s3cret"
        )
        with pytest.raises((ua.UaError, ConnectionError, asyncio.TimeoutError)):
            await stranger.connect()
        with pytest.raises(ua.UaError):
            async with Client(server.endpoint) as anonymous:  # no security, no user
                await anonymous.nodes.server_state.read_value()
    finally:
        await server.stop()
    assert (tmp_path / "pki" / "server-cert.der").exists()


async def test_served_with_chaos_the_truth_lists_every_restart_and_session_drop(
    cnc: LoadedScenario, tmp_path: Path
) -> None:
    chaos = Chaos(
        opcua=OpcUaChaos(
            session_drops_per_hour=2, restarts_per_hour=1.5, restart_downtime=0.1,
            shift_namespace_on_restart=True,
        )
    )  # fmt: skip
    options = ServeOptions(
        seed=8, duration_s=2 * 3600, speed=MAX, chaos=chaos, values_path=tmp_path / "v.jsonl",
        opcua=OpcUaOptions(f"opc.tcp://127.0.0.1:{free_port()}"),
    )  # fmt: skip
    report = await serve(cnc, options)
    log = simulate(cnc, 8, 2 * 3600)
    planned = connection_faults(chaos, 8, log.start, log.end)
    assert [(e["ts"], e["kind"]) for e in report.chaos.entries] == [(f.ts, f.kind) for f in planned]
    restarts = [e for e in report.chaos.entries if e["kind"] == "server_restart"]
    shifts = [e["namespace_shift"] for e in restarts if "skipped" not in e]
    assert shifts == list(range(1, len(shifts) + 1))
    assert planned == connection_faults(chaos, 8, log.start, log.end), "same seed, same faults"
    assert planned != connection_faults(chaos, 9, log.start, log.end)
    done = [e for e in restarts if "skipped" not in e]
    assert done and all(e["values_missed"] > 0 for e in done), "machines run on meanwhile"
    lines = [json.loads(line) for line in (tmp_path / "v.jsonl").read_text().splitlines()]
    served = {(v["ts"], v["machine"], v["signal"]) for v in lines}
    produced, last = set(), {}  # every change of a variable (repeats are not changes)
    for v in signal_values(cnc.scenario, cnc.plant, log):
        key = (v.machine, v.signal)
        if key not in last or (type(last[key]), last[key]) != (type(v.value), v.value):
            produced.add((v.ts, v.machine, v.signal))
            last[key] = v.value
    missed = sum(e["values_missed"] for e in done)
    assert served < produced and len(produced - served) <= missed, "the gap is not served"
