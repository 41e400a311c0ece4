"""The command line, the entry layer above every other package.

``python -m assistant <command>`` (and the ``council-assistant`` script) land in ``main``;
each command is one function in ``cli.commands``, named in ``cli.main.COMMANDS``.
"""

from cli.main import EXIT_ADDRESS, EXIT_FAILURE, EXIT_PARTIAL, EXIT_USAGE, build_parser, main

__all__ = ["EXIT_ADDRESS", "EXIT_FAILURE", "EXIT_PARTIAL", "EXIT_USAGE", "build_parser", "main"]
