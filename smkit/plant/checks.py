"""Checks that need the whole plant: references, duplicates, roles, overlapping shifts, secrets.

Shape errors are pydantic's job; these run on a plant whose shape is already valid and return
problems as (location, message) pairs, where the location is a path into the YAML document.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from difflib import get_close_matches
from itertools import pairwise

from pydantic import BaseModel

from smkit.plant.calendar import MINUTES_PER_DAY, Calendar, Weekday, minute_of_day
from smkit.plant.collectors import collector_problems
from smkit.plant.files import FileSource, file_source_problems
from smkit.plant.machine import (
    COUNT_ROLES,
    LATE_FINDING_ROLES,
    SINGLE_ROLES,
    FlagsStateMap,
    Machine,
    SignalRole,
)
from smkit.plant.model import Plant
from smkit.protocols.opcua_address import parse_address

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]


def plant_problems(plant: Plant) -> list[Problem]:
    """Every cross-reference problem of a shape-valid plant."""
    problems: list[Problem] = []
    problems += _duplicate_ids(plant)
    problems += collector_problems(plant.collectors, {s.id: s for s in plant.sources})
    problems += _reference_problems(plant)
    for loc, machine in _machines_with_loc(plant):
        problems += _machine_problems(plant, loc, machine)
    problems += _signal_type_problems(plant)
    for index, source in enumerate(plant.sources):
        if isinstance(source, FileSource):
            fed = [m.id for _, m in plant.machines() if m.source == source.id]
            problems += [(("sources", index), text) for text in file_source_problems(source, fed)]
    for name, calendar in plant.calendars.items():
        problems += _calendar_problems(plant, ("calendars", name), calendar)
    return problems


def secret_problems(
    plant: Plant, environ: Mapping[str, str]
) -> tuple[list[Problem], dict[str, str]]:
    """Check that every ``*_env`` secret is set; return the problems and the secrets found."""
    problems: list[Problem] = []
    secrets: dict[str, str] = {}
    for loc, env_name in _env_references(plant, ()):
        if env_name in environ:
            secrets[env_name] = environ[env_name]
        else:
            problems.append(
                (
                    loc,
                    f"environment variable {env_name!r} is not set (secrets never go in the file)",
                )
            )
    return problems, secrets


def _machines_with_loc(plant: Plant) -> Iterator[tuple[Loc, Machine]]:
    for a, area in enumerate(plant.site.areas):
        for ln, line in enumerate(area.lines):
            for m, machine in enumerate(line.machines):
                yield ("site", "areas", a, "lines", ln, "machines", m), machine


def _hint(value: str, choices: list[str]) -> str:
    close = get_close_matches(value, choices, n=1)
    allowed = ", ".join(repr(c) for c in choices) if choices else "none are defined"
    return (f"; did you mean {close[0]!r}?" if close else "") + f" (defined: {allowed})"


def _duplicate_ids(plant: Plant) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, Loc] = {}
    for loc, machine in _machines_with_loc(plant):
        if machine.id in seen:
            first = render_loc(seen[machine.id])
            problems.append(
                ((*loc, "id"), f"duplicate machine id {machine.id!r} (first defined at {first})")
            )
        else:
            seen[machine.id] = loc
    groups: list[tuple[Loc, list[str]]] = [
        (("sources",), [s.id for s in plant.sources]),
        (("reasons",), [r.code for r in plant.reasons]),
        (("site", "areas"), [a.id for a in plant.site.areas]),
    ]
    for a, area in enumerate(plant.site.areas):
        groups.append((("site", "areas", a, "lines"), [line.id for line in area.lines]))
    for loc, ids in groups:
        key = "code" if loc == ("reasons",) else "id"
        for index, ident in enumerate(ids):
            if ident in ids[:index]:
                problems.append(((*loc, index, key), f"duplicate {key} {ident!r}"))
    return problems


def _reference_problems(plant: Plant) -> list[Problem]:
    problems: list[Problem] = []
    calendars = sorted(plant.calendars)
    if plant.site.calendar is not None and plant.site.calendar not in plant.calendars:
        problems.append(
            (
                (("site", "calendar")),
                f"unknown calendar {plant.site.calendar!r}" + _hint(plant.site.calendar, calendars),
            )
        )
    for a, area in enumerate(plant.site.areas):
        for ln, line in enumerate(area.lines):
            if line.calendar is not None and line.calendar not in plant.calendars:
                loc: Loc = ("site", "areas", a, "lines", ln, "calendar")
                problems.append(
                    (loc, f"unknown calendar {line.calendar!r}" + _hint(line.calendar, calendars))
                )
    return problems


def _machine_problems(plant: Plant, loc: Loc, machine: Machine) -> list[Problem]:
    problems: list[Problem] = []
    sources = [s.id for s in plant.sources]
    if machine.source is not None and machine.source not in sources:
        problems.append(
            (
                (*loc, "source"),
                f"unknown source {machine.source!r}" + _hint(machine.source, sources),
            )
        )
    problems += _signal_problems(loc, machine)
    problems += _state_map_problems(plant, loc, machine)
    kinds = {s.id: s.kind for s in plant.sources}
    if machine.source is not None and kinds.get(machine.source) == "opcua":
        problems += _opcua_address_problems(loc, machine)
    products = [p.id for p in machine.products]
    for index, product in enumerate(products):
        if product in products[:index]:
            problems.append(((*loc, "products", index, "id"), f"duplicate product id {product!r}"))
    if machine.default_product is not None and machine.default_product not in products:
        problems.append(
            (
                (*loc, "default_product"),
                f"unknown product {machine.default_product!r}"
                + _hint(machine.default_product, products),
            )
        )
    return problems


def _opcua_address_problems(loc: Loc, machine: Machine) -> list[Problem]:
    """Every signal read over OPC UA needs an address the connector can understand."""
    problems: list[Problem] = []
    sample = {field: "x" for field in ("site", "area", "line", "machine")}
    for index, signal in enumerate(machine.signals):
        where = (*loc, "signals", index, "address")
        address = signal.address_for(sample)
        if address is None:
            problems.append((where, "a signal read over OPC UA needs an address (a NodeId)"))
            continue
        try:
            parse_address(address)
        except ValueError as error:
            problems.append((where, str(error)))
    return problems


def _signal_problems(loc: Loc, machine: Machine) -> list[Problem]:
    problems: list[Problem] = []
    names: list[str] = []
    roles: dict[SignalRole, int] = {}
    for index, signal in enumerate(machine.signals):
        here: Loc = (*loc, "signals", index)
        if signal.name in names:
            problems.append(((*here, "name"), f"duplicate signal name {signal.name!r}"))
        names.append(signal.name)
        if signal.role in SINGLE_ROLES and signal.role in roles:
            first = roles[signal.role]
            problems.append(
                (
                    (*here, "role"),
                    f"role {signal.role.value!r} is already given to signals[{first}]; "
                    "a machine has at most one",
                )
            )
        roles.setdefault(signal.role, index)
        if signal.counter is not None and signal.role not in COUNT_ROLES:
            problems.append(
                (
                    (*here, "counter"),
                    f"only count signals ({', '.join(sorted(COUNT_ROLES))}) take counter options",
                )
            )
        counts_units = signal.role in COUNT_ROLES | LATE_FINDING_ROLES
        if counts_units and signal.value_type not in ("int", "float"):
            problems.append(
                (
                    (*here, "type"),
                    f"a count signal must be 'int' or 'float', got {signal.value_type!r}",
                )
            )
    return problems


def _signal_type_problems(plant: Plant) -> list[Problem]:
    """A signal name has one type across the plant: InfluxDB keeps one type per field name."""
    problems: list[Problem] = []
    first: dict[str, tuple[str, str]] = {}
    for loc, machine in _machines_with_loc(plant):
        for index, signal in enumerate(machine.signals):
            kind = signal.value_type
            seen = first.setdefault(signal.name, (kind, machine.id))
            if seen[0] != kind:
                problems.append(
                    (
                        (*loc, "signals", index, "type"),
                        f"signal {signal.name!r} is {kind!r} here but {seen[0]!r} on machine "
                        f"{seen[1]!r}; a signal name keeps one type across the plant",
                    )
                )
    return problems


def _state_map_problems(plant: Plant, loc: Loc, machine: Machine) -> list[Problem]:
    state_signals = [s for s in machine.signals if s.role is SignalRole.STATE]
    maps = sorted(plant.state_maps)
    if machine.state_map is None:
        if state_signals:
            return [
                (
                    (*loc, "state_map"),
                    "a machine with a 'state' signal needs a state_map" + _hint("", maps),
                )
            ]
        return []
    state_map = plant.state_maps.get(machine.state_map)
    if state_map is None:
        return [
            (
                (*loc, "state_map"),
                f"unknown state map {machine.state_map!r}" + _hint(machine.state_map, maps),
            )
        ]
    if isinstance(state_map, FlagsStateMap):
        flags = {s.name for s in state_signals if s.value_type == "bool"}
        missing = [rule.signal for rule in state_map.rules if rule.signal not in flags]
        if missing:
            return [
                (
                    (*loc, "state_map"),
                    f"state map {machine.state_map!r} reads boolean state signals {missing} "
                    "that this machine lacks",
                )
            ]
        return []
    if len(state_signals) != 1:
        return [
            (
                (*loc, "signals"),
                f"state map {machine.state_map!r} maps one raw value: declare exactly one "
                f"'state' signal, found {len(state_signals)}",
            )
        ]
    return []


def _calendar_problems(plant: Plant, loc: Loc, calendar: Calendar) -> list[Problem]:
    problems: list[Problem] = []
    week = list(Weekday)
    spans: list[tuple[float, float, int]] = []
    for index, shift in enumerate(calendar.shifts):
        if shift.id in [s.id for s in calendar.shifts[:index]]:
            problems.append(((*loc, "shifts", index, "id"), f"duplicate shift id {shift.id!r}"))
        for day in shift.days:
            start = week.index(day) * MINUTES_PER_DAY + minute_of_day(shift.start)
            spans.append((start, start + shift.length_minutes, index))
    problems += _overlaps(loc, spans)
    reasons = [r.code for r in plant.reasons]
    machines = [m.id for _, m in plant.machines()]
    lines = [line.id for area in plant.site.areas for line in area.lines]
    for index, window in enumerate(calendar.planned_downtime):
        here: Loc = (*loc, "planned_downtime", index)
        if window.reason is not None and window.reason not in reasons:
            problems.append(
                (
                    (*here, "reason"),
                    f"unknown reason code {window.reason!r}" + _hint(window.reason, reasons),
                )
            )
        problems += [
            ((*here, "machines"), f"unknown machine {m!r}" + _hint(m, machines))
            for m in window.machines
            if m not in machines
        ]
        problems += [
            ((*here, "lines"), f"unknown line {ln!r}" + _hint(ln, lines))
            for ln in window.lines
            if ln not in lines
        ]
    return problems


def _overlaps(loc: Loc, spans: list[tuple[float, float, int]]) -> list[Problem]:
    """Shifts of one calendar must not overlap, including across the week's end."""
    week_minutes = 7 * MINUTES_PER_DAY
    unrolled = spans + [(s + week_minutes, e + week_minutes, i) for s, e, i in spans]
    unrolled.sort()
    found: set[tuple[int, int]] = set()
    for (_, end, first), (start, _, second) in pairwise(unrolled):
        if start < end and first != second:
            found.add((min(first, second), max(first, second)))
    return [
        (
            (*loc, "shifts", b),
            f"overlaps shifts[{a}]; a minute of the week belongs to one shift at most",
        )
        for a, b in sorted(found)
    ]


def _env_references(model: BaseModel, loc: Loc) -> Iterator[tuple[Loc, str]]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        if name.endswith("_env") and isinstance(value, str):
            yield (*loc, name), value
        elif isinstance(value, BaseModel):
            yield from _env_references(value, (*loc, name))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _env_references(item, (*loc, name, index))


def render_loc(loc: Loc) -> str:
    """``site.areas[0].lines[1]`` from ``("site", "areas", 0, "lines", 1)``; a key that is not
    printable on one line (a newline, a tab) is shown quoted: ``site['\\n']``."""
    text = ""
    for part in loc:
        if isinstance(part, int) or not part.isprintable():
            text += f"[{part!r}]"
        else:
            text += f".{part}" if text else part
    return text
