"""The MQTT connector: JSON, plain values and Sparkplug B from a broker."""
