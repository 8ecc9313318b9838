"""smkit's HTTP API for MES systems, integrators and smkit's own pages (FastAPI).

``smkit.api.app.create_app`` builds it; this package imports nothing heavy itself, so the CLI's
key commands start fast.
"""
