"""The report files of ``audit`` and ``compare``: all checked before any is written, none left stale.

A run checks every output path before it reads a model, so a path that cannot be
written stops the run before any file changes. When a run stops with an error,
each report file it names is replaced by a record of that error. Then no report
file contains the results of an earlier run, which a CI job would show as this one's.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from typing import Callable

from verifier.errors import InputError
from verifier.files import check_output_paths, write_atomic, write_json

ERROR_STATUS = "error"
INVALID_INPUT = "InvalidInput"


@dataclass
class ReportFiles:
    """The report files of one run by option name (None when not requested), the files it reads, and its current step.

    ``step`` names what the run is doing ("read model", "read points", ...), so that an
    error record can name the step where the run stopped.
    """

    outputs: dict[str, str | None]
    inputs: list[str | None]
    step: str = "check output paths"
    _problems: dict[str, str] = field(default_factory=dict, init=False)

    def named(self) -> list[tuple[str, str]]:
        return [(option, path) for option, path in self.outputs.items() if path is not None]

    def check(self) -> None:
        """Raise InputError for the first output path that cannot be written, names a file the run reads, or repeats another."""
        self._problems = {}
        seen = {}
        for option, path in self.named():
            try:
                check_output_paths(path)
            except InputError as error:
                self._problems[option] = str(error)
                continue
            for other_option, other in seen.items():
                if _same_file(path, other):
                    self._problems[option] = f"{path}: --{option} names the same file as --{other_option}; give each output its own file"
            for source in self.inputs:
                if source is not None and _same_file(path, source):
                    self._problems[option] = f"{path}: --{option} names a file this command reads; give the output another path"
            seen.setdefault(option, path)
        if self._problems:
            raise InputError(next(iter(self._problems.values())))

    def write(self, contents: dict[str, dict | str]) -> None:
        """Write each named output atomically: a dict as JSON, a str as it is."""
        self.step = "write reports"
        for option, path in self.named():
            _write(path, contents[option])

    def write_error_records(self, records: dict[str, dict | str]) -> None:
        """Replace each named output that can be written with its error record; remove it where the write fails.

        An output whose path failed the check is left alone, because it cannot be
        written or it is a file that the run reads or another output.
        """
        for option, path in self.named():
            if option in self._problems:
                continue
            try:
                _write(path, records[option])
            except (OSError, InputError):
                _remove_regular_file(path)


def run_with_error_records(files: ReportFiles, run: Callable[[], int], error_records: Callable[[str, str, str], dict[str, dict | str]]) -> int:
    """Check the output paths, then return ``run()``; on an error write the error records, then re-raise.

    ``error_records(step, message, error_type)`` returns the content of each output for
    a run that stopped at ``step``. An InputError has the type INVALID_INPUT; any
    other exception is named by its class.
    """
    try:
        files.step = "check output paths"
        files.check()
        files.step = "check options"
        return run()
    except Exception as error:
        error_type = INVALID_INPUT if isinstance(error, InputError) else type(error).__name__
        message = str(error) if isinstance(error, InputError) else f"{type(error).__name__}: {error}"
        files.write_error_records(error_records(files.step, message, error_type))
        raise


def error_json(kind: str, schema_version: int, step: str, message: str, error_type: str, about: dict) -> dict:
    """Return the JSON record of a run that stopped with an error; ``about`` names the models it was given."""
    return {
        "schema_version": schema_version,
        "kind": kind,
        "status": ERROR_STATUS,
        "error": {"step": step, "type": error_type, "message": message},
    } | about


def _write(path: str, content: dict | str) -> None:
    if isinstance(content, dict):
        write_json(path, content)
    else:
        write_atomic(path, content)


def _same_file(first: str, second: str) -> bool:
    """Return whether two paths name one regular file, existing or not; a device such as /dev/null is never the same."""
    try:
        if os.path.exists(first) and os.path.exists(second):
            return os.path.samefile(first, second) and stat.S_ISREG(os.stat(first).st_mode)
    except OSError:
        pass
    return os.path.realpath(first) == os.path.realpath(second)


def _remove_regular_file(path: str) -> None:
    try:
        if stat.S_ISREG(os.lstat(path).st_mode):
            os.unlink(path)
    except OSError:
        pass  # nothing more can be done: the path can be neither written nor removed
