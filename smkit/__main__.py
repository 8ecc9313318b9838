"""``python -m smkit`` runs the command line."""

from smkit.cli.app import main

main()
