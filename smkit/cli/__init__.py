"""The ``smkit`` command line."""
