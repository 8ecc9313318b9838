"""Connectors turn machine data (OPC UA, MQTT) into :class:`~smkit.connectors.common.Sample` objects."""
