"""The OPC UA connector: subscribe to (or poll) machine signals on OPC UA servers."""
