"""Errors that the command line turns into exit codes."""


class InputError(Exception):
    """Invalid input: a file, a field or a command-line value that the tool cannot use.

    The command line prints the message and exits with code 2. Messages name the
    file and the place (line, column or JSON field) where that is known.
    """
