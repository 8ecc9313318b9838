"""What Grafana does to a dashboard's InfluxQL before sending it, for tests that run the queries
against a real influxd (no Grafana server can run here).

Grafana's InfluxDB data source replaces ``$timeFilter`` with ``time >= <from>ms and time <=
<to>ms``, ``${__from}`` / ``${__to}`` with epoch milliseconds, ``$__interval`` with the panel's
interval, and each template variable by its current value: for a variable that is multi-value
or includes "All", every value escaped as a regular expression and joined as ``(a|b)`` (one
value alone, escaped); for a plain one, the value as it is. "All" without a custom value is
every option the variable's query returned.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

Ask = Callable[[str], list[str]]
"""Runs a variable's query and returns its values."""


def escaped(value: str) -> str:
    """A value as a regular expression matching it alone (lodash's escapeRegExp set)."""
    return re.sub(r"[\\^$.*+?()[\]{}|/]", lambda m: "\\" + m.group(0), value)


def formatted(values: list[str], variable: Mapping[str, Any]) -> str:
    if not variable.get("multi") and not variable.get("includeAll"):
        return values[0]
    found = [escaped(v) for v in values]
    return found[0] if len(found) == 1 else "(" + "|".join(found) + ")"


def substituted(query: str, values: Mapping[str, str], window_ms: tuple[int, int],
                interval: str = "5m") -> str:  # fmt: skip
    """``query`` with the macros and variables replaced."""
    start, end = window_ms
    out = query.replace("$timeFilter", f"time >= {start}ms and time <= {end}ms")
    out = out.replace("${__from}", str(start)).replace("${__to}", str(end))
    out = out.replace("$__interval", interval)
    for name in sorted(values, key=len, reverse=True):  # $machine before a $m
        out = out.replace("${" + name + "}", values[name]).replace("$" + name, values[name])
    return out


def resolved(dashboard: Mapping[str, Any], ask: Ask, window_ms: tuple[int, int]) -> dict[str, str]:
    """Every variable at its current value ("All": every option), in the order Grafana resolves
    them (each may use those before it)."""
    values: dict[str, str] = {}
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable["type"] == "custom":
            options = [o.strip() for o in variable["query"].split(",") if o.strip()]
        else:
            options = ask(substituted(variable["query"], values, window_ms))
        assert options, f"variable {variable['name']} has no value"
        values[variable["name"]] = formatted(options, variable)
    return values


def panel_queries(dashboard: Mapping[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    """Every (panel, query) of a dashboard, rows included."""
    for panel in dashboard.get("panels", []):
        for inner in [panel, *panel.get("panels", [])]:
            for target in inner.get("targets", []):
                yield inner, target["query"]
