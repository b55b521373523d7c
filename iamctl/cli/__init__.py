"""The command line: Typer apps, one module per command group, over iamctl.core.

Command modules do not postpone annotations (no `from __future__ import annotations`): Typer
reads every parameter's annotation when it builds a command, and as strings each one would be
compiled and evaluated on every run. Names imported only for type checkers are quoted.
"""
