"""Command-line subcommands beyond the core ones in verifier.cli.

Every module in this package defines ``register(commands, check_kinds)``, which adds
its parsers to the top-level subparsers and to those of ``check``, each with
``set_defaults(handler=...)``. A handler takes the parsed arguments and returns the
exit code. Modules import heavy dependencies inside their handlers, so that
``python -m verifier`` starts quickly.
"""

import importlib
import pkgutil


def register_all(commands, check_kinds) -> None:
    """Import every module of this package and let it add its subcommands."""
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        importlib.import_module(f"{__name__}.{module.name}").register(commands, check_kinds)
