"""Connectors turn machine data (OPC UA, MQTT) into :class:`~smkit.connectors.common.Sample`
objects and hand them to a sink; they never touch storage."""
