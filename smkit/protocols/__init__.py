"""Protocol codecs and helpers that both sides of a wire use: the connectors that read machines
and the simulators that stand in for them. Sparkplug B payloads, OPC UA address syntax, paho's
network loop on asyncio. They import only :mod:`smkit.core` and :mod:`smkit.errors`."""
