"""The ``kind: file`` source: exported CSV files, imported once or watched (see README.md)."""
