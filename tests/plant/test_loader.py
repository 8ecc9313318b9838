"""plant.yaml: the shipped example loads; every kind of mistake is one clear line with its place."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from smkit.errors import ConfigError
from smkit.plant import (
    FlagsStateMap,
    InfluxSettings,
    SignalRole,
    SqliteSettings,
    StateCategory,
    load_plant,
    parse_plant,
)

EXAMPLE = Path(__file__).parents[2] / "examples" / "plant.yaml"

MINIMAL = """\
site:
  id: s1
  timezone: Asia/Ho_Chi_Minh
  areas:
    - id: a1
      lines:
        - id: l1
          machines:
            - id: m1
              products: [{id: p1, ideal_cycle_time_s: 30}]
"""


def problems(text: str, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_plant(textwrap.dedent(text), "plant.yaml", environ=environ or {})
    return caught.value.problems


def with_machine(block: str) -> str:
    """The minimal plant with its only machine replaced by ``block`` (YAML, machine level)."""
    body = textwrap.indent(textwrap.dedent(block), " " * 14)
    return MINIMAL.replace(
        "            - id: m1\n              products: [{id: p1, ideal_cycle_time_s: 30}]\n",
        "            - " + body.lstrip(),
    )


def test_the_example_documents_a_valid_plant() -> None:
    plant = load_plant(EXAMPLE)
    machines = {machine.id: machine for _, machine in plant.machines()}
    assert sorted(machines) == ["cnc-01", "cnc-02", "press-01"]
    assert plant.places()["press-01"].line == "press-line"
    assert isinstance(plant.historian, SqliteSettings)
    assert plant.historian.path == EXAMPLE.parent / "smkit.db"
    assert plant.outbox.max_age == 7 * 86400 and plant.outbox.max_bytes == 2**30
    assert isinstance(plant.state_maps["tower-light"], FlagsStateMap)
    assert plant.state_maps["packml"].values[6] is StateCategory.RUNNING  # type: ignore[union-attr]
    counter = machines["cnc-01"].signals[2]
    assert counter.role is SignalRole.COUNT_TOTAL and counter.counter is not None
    assert counter.counter.rollover_bits == 32
    night = plant.calendars["three-shift"].shifts[2]
    assert (night.start, night.end, night.length_minutes) == (dt.time(22), dt.time(6), 480)
    assert [r.code for r in plant.reasons][:2] == ["101", "102"]


def test_minimal_plant_takes_the_defaults_next_to_the_file(tmp_path: Path) -> None:
    plant = parse_plant(MINIMAL, base_dir=tmp_path)
    assert isinstance(plant.historian, SqliteSettings)
    assert plant.historian.path == tmp_path / "smkit.db"
    assert plant.outbox.path == tmp_path / "smkit-outbox.db"
    assert plant.outbox.when_full == "drop_oldest"


def test_the_issue_example_message() -> None:
    text = MINIMAL.replace("ideal_cycle_time_s: 30", "ideal_cycle_time_s: -3")
    assert problems(text) == [
        "plant.yaml:10:35: site.areas[0].lines[0].machines[0].products[0].ideal_cycle_time_s: "
        "must be > 0, got -3"
    ]


def test_malformed_yaml_names_line_and_column() -> None:
    (line,) = problems("site:\n  id: [s1\n  timezone: UTC\n")
    assert line.startswith("plant.yaml:3:") and "invalid YAML" in line


def test_unknown_key_suggests_the_right_one() -> None:
    missing, unknown = problems(MINIMAL.replace("timezone:", "time_zone:"))
    assert missing == "plant.yaml:2:3: site.timezone: missing required key 'timezone'"
    assert unknown.startswith(
        "plant.yaml:3:3: site.time_zone: unknown key 'time_zone'; did you mean 'timezone'?"
    )


def test_a_key_that_is_a_line_break_stays_on_one_quoted_line() -> None:
    text = MINIMAL.replace("  timezone:", '  "\\n": 1\n  timezone:')
    (unknown,) = problems(text)
    assert unknown.startswith("plant.yaml:3:3: site['\\n']: unknown key '\\n' (allowed: ")


def test_wrong_types_say_what_is_allowed() -> None:
    found = problems(
        with_machine(
            """\
            id: m1
            products: [{id: p1, ideal_cycle_time_s: fast, units_per_cycle: 2.5}]
            signals: [{name: t, role: temperature, type: double}]
            """
        )
    )
    assert len(found) == 4
    assert "ideal_cycle_time_s: must be a number, got 'fast'" in found[0]
    assert "units_per_cycle: must be a whole number, got 2.5" in found[1]
    assert "signals[0].role: must be one of 'state', 'reason'" in found[2]
    assert (
        "signals[0].type: must be one of 'float', 'int', 'bool' or 'str'; got 'double'" in found[3]
    )


def test_duplicate_machine_ids_point_at_both() -> None:
    text = MINIMAL + "            - {id: m1}\n"
    (line,) = problems(text)
    assert line == (
        "plant.yaml:11:16: site.areas[0].lines[0].machines[1].id: duplicate machine id 'm1' "
        "(first defined at site.areas[0].lines[0].machines[0])"
    )


def test_missing_secret_names_the_variable(tmp_path: Path) -> None:
    text = MINIMAL + "historian: {kind: influx, username: u, password_env: SMKIT_TEST_PW}\n"
    (line,) = problems(text)
    assert line.startswith(
        "plant.yaml:11:40: historian.password_env: environment variable 'SMKIT_TEST_PW'"
    )
    plant = parse_plant(text, environ={"SMKIT_TEST_PW": "s3cret"})
    assert isinstance(plant.historian, InfluxSettings)
    assert plant.secret("SMKIT_TEST_PW") == "s3cret"
    assert "s3cret" not in plant.model_dump_json()


def test_a_key_written_twice_is_refused() -> None:
    (line,) = problems(MINIMAL.replace("  id: s1\n", "  id: s1\n  id: s2\n"))
    assert line == "plant.yaml:3:3: invalid YAML: key 'id' is written twice in this mapping"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the file must be a mapping"),
        ("- just\n- a list\n", "the file must be a mapping"),
        ("version: 2\n" + MINIMAL, "version: must be one of 1; got 2"),
        (MINIMAL.replace("Asia/Ho_Chi_Minh", "Asia/Hanoi"), "did you mean"),
        (
            MINIMAL + "historian: {kind: mysql}\n",
            "'kind' must be one of 'sqlite', 'influx'; got 'mysql'",
        ),
        (
            MINIMAL + "historian: {kind: influx, url: 'ftp://x'}\n",
            "must be an http:// or https:// URL",
        ),
        (MINIMAL + "outbox: {max_age: soon}\n", "outbox.max_age: must be a duration such as 500ms"),
        (MINIMAL + "outbox: {max_bytes: 1TB}\n", "outbox.max_bytes: must be a size such as 512MiB"),
        (
            MINIMAL + "sources: [{id: x, kind: opcua, endpoint: 'http://a'}]\n",
            "opc.tcp://host:port",
        ),
        (MINIMAL.replace("id: m1", "id: 'm 1'"), "machines[0].id: must be 1-64 characters"),
    ],
)
def test_one_clear_line_per_mistake(text: str, expected: str) -> None:
    (line,) = problems(text)
    assert line.startswith("plant.yaml") and expected in line, line


def test_references_must_exist_and_suggest_close_names() -> None:
    found = problems(
        MINIMAL.replace(
            "  timezone: Asia/Ho_Chi_Minh\n",
            "  timezone: Asia/Ho_Chi_Minh\n  calendar: two-shifts\n",
        ).replace(
            "            - id: m1\n",
            "            - id: m1\n"
            "              source: cell-opcu\n"
            "              state_map: packml\n",
        )
        + "calendars:\n  two-shift:\n    shifts: [{id: A, start: '06:00', end: '14:00'}]\n"
        + "sources: [{id: cell-opcua, kind: opcua, endpoint: 'opc.tcp://127.0.0.1:4840'}]\n"
    )
    assert "site.calendar: unknown calendar 'two-shifts'; did you mean 'two-shift'?" in found[0]
    assert "machines[0].source: unknown source 'cell-opcu'; did you mean 'cell-opcua'?" in found[1]
    assert "machines[0].state_map: unknown state map 'packml'" in found[2]


def test_signal_rules() -> None:
    found = problems(
        with_machine(
            """\
            id: m1
            state_map: tl
            signals:
              - {name: speed, role: process}
              - {name: count, role: count_total}
              - {name: count, role: count_total}
              - {name: temp, counter: {kind: delta}}
              - {name: red, role: state, type: bool}
            """
        )
        + "state_maps:\n  tl: {kind: flags, rules: [{signal: green, category: running}]}\n"
    )
    assert len(found) == 4
    assert "state_map: state map 'tl' reads boolean state signals ['green']" in found[0]
    assert "signals[2].name: duplicate signal name 'count'" in found[1]
    assert "signals[2].role: role 'count_total' is already given to signals[1]" in found[2]
    assert "signals[3].counter: only count signals" in found[3]


def test_historian_tag_names_are_reserved_for_signals() -> None:
    (line,) = problems(with_machine("id: m1\nsignals: [{name: line}]\n"))
    assert line.endswith(
        "signals[0].name: 'line' is reserved (not allowed: area, line, machine, site, time)"
    )


def test_calendar_rules() -> None:
    calendar = """\
    calendars:
      c:
        shifts:
          - {id: A, start: 06:00, end: "14:00", breaks: [{start: "15:00", end: "15:30"}]}
          - {id: B, start: "13:00", end: "21:00"}
          - {id: N, start: "22:00", end: "06:30", days: [sun]}
        planned_downtime:
          - {start: 2026-12-05T08:00:00, end: 2026-12-05T07:00:00}
          - {start: 2026-12-06T08:00:00, end: 2026-12-06T09:00:00, reason: PM, machines: [m9]}
    """
    found = problems(MINIMAL + textwrap.dedent(calendar))
    assert (
        "shifts[0]: breaks[0] (15:00:00-15:30:00) must lie inside the shift (06:00:00-14:00:00)"
        in found[0]
    )
    assert "planned_downtime[0]: end (2026-12-05 07:00:00) must be after start" in found[1]
    calendar = calendar.replace('breaks: [{start: "15:00", end: "15:30"}]', "breaks: []")
    calendar = calendar.replace("end: 2026-12-05T07:00:00", "end: 2026-12-05T09:00:00")
    found = problems(MINIMAL + textwrap.dedent(calendar))
    assert "calendars.c.shifts[1]: overlaps shifts[0]" in found[0]
    assert "calendars.c.shifts[2]: overlaps shifts[0]" in found[1]  # Sunday night into Monday
    assert "planned_downtime[1].reason: unknown reason code 'PM'" in found[2]
    assert "planned_downtime[1].machines: unknown machine 'm9'" in found[3]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gives_a_plant_or_a_config_error(text: str) -> None:
    try:
        parse_plant(text)
    except ConfigError as error:
        assert error.problems and all("\n" not in line for line in error.problems)
        assert all(line.startswith("plant.yaml") and "\n" not in line for line in error.problems)


def _mutations() -> st.SearchStrategy[object]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-5, 10**12),
        st.floats(allow_nan=True),
        st.text(max_size=12),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    )


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_any_corruption_of_the_example_gives_a_config_error_not_a_crash(
    data: st.DataObject,
) -> None:
    document = yaml.safe_load(EXAMPLE.read_text())
    node = document
    while isinstance(node, dict | list) and node:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = data.draw(st.sampled_from(keys))
        if not isinstance(node[key], dict | list) or data.draw(st.booleans()):
            node[key] = data.draw(_mutations())
            break
        node = node[key]
    try:
        parse_plant(yaml.safe_dump(document, allow_unicode=True))
    except ConfigError as error:
        assert error.problems and all("\n" not in line for line in error.problems)


def test_control_characters_are_reported_at_their_place() -> None:
    (line,) = problems("site:\n  id: a\x1f\n")
    assert line == "plant.yaml:2:8: invalid YAML: control character U+001F is not allowed"


def test_a_signal_name_keeps_one_type_across_the_plant() -> None:
    text = with_machine("id: m1\nsignals: [{name: program, type: str}]\n") + (
        "            - {id: m2, signals: [{name: program, type: int}]}\n"
    )
    (line,) = problems(text)
    assert line.endswith(
        "machines[1].signals[0].type: signal 'program' is 'int' here but 'str' on machine 'm1'; "
        "a signal name keeps one type across the plant"
    )


def test_addresses_take_the_machines_place_and_refuse_unknown_placeholders() -> None:
    text = with_machine(
        "id: m1\nsignals: [{name: temp, address: '{site}/{area}/{line}/{machine}/temp'}]\n"
    )
    assert parse_plant(text).address("m1", "temp") == "s1/a1/l1/m1/temp"
    (line,) = problems(text.replace("{machine}/temp", "{machin}/temp"))
    assert line.endswith(
        "signals[0].address: unknown placeholder {machin} in '{site}/{area}/{line}/{machin}/temp' "
        "(allowed: {site}, {area}, {line}, {machine})"
    )


def test_opcua_addresses_are_checked_where_they_are_written() -> None:
    text = (
        with_machine(
            """\
        id: m1
        source: plc
        products: [{id: p1, ideal_cycle_time_s: 30}]
        signals:
          - {name: state, role: reason, address: "ns=2;i=State"}
          - {name: parts, role: count_total}
          - {name: temp, address: "Temperature"}
          - {name: speed, address: "nsu=urn:acme:plc;s=Spindle.Speed"}
        """
        )
        + "sources:\n  - {id: plc, kind: opcua, endpoint: opc.tcp://10.0.0.5:4840}\n"
    )
    found = problems(text)
    assert len(found) == 3, found
    assert found[0].startswith("plant.yaml:13:47: site.areas[0].lines[0].machines[0].signals[0]")
    assert "address: malformed NodeId 'ns=2;i=State' (ns= takes a namespace index" in found[0]
    assert "signals[1].address: a signal read over OPC UA needs an address" in found[1]
    assert "signals[2].address: not an OPC UA address: 'Temperature'" in found[2]


def test_an_ideal_cycle_time_of_zero_is_refused_at_its_place() -> None:
    text = MINIMAL.replace("ideal_cycle_time_s: 30", "ideal_cycle_time_s: 0")
    assert problems(text) == [
        "plant.yaml:10:35: site.areas[0].lines[0].machines[0].products[0].ideal_cycle_time_s: "
        "must be > 0, got 0"
    ]
