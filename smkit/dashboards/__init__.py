"""smkit's Grafana dashboards, built as code with grafana-foundation-sdk (see README.md)."""
