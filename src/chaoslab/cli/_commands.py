"""Imports every subcommand module so that each attaches itself to the app.

One line per command group; each module owns its commands.
"""
