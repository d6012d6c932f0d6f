"""Exceptions raised by verger: one class per engine status code, each a
VergerError and the matching built-in (ValueError for InvalidArgument,
FileNotFoundError for NotFound, ...), carrying the engine's message as is.
Defined in Python so they pickle across Dask workers."""


class VergerError(Exception):
    """Base of every error the engine reports. `code` is the status name."""
    code = "Unknown"

    def __str__(self):
        return str(self.args[0]) if self.args else ""


class InvalidArgumentError(VergerError, ValueError):
    code = "InvalidArgument"


class NotFoundError(VergerError, FileNotFoundError):
    code = "NotFound"


class AlreadyExistsError(VergerError, FileExistsError):
    code = "AlreadyExists"


class VergerIOError(VergerError, OSError):
    code = "IOError"


class CorruptError(VergerError, ValueError):
    code = "Corrupt"


class UnsupportedError(VergerError, NotImplementedError):
    code = "Unsupported"


class ResourceExhaustedError(VergerError, RuntimeError):
    code = "ResourceExhausted"


class PermissionDeniedError(VergerError, PermissionError):
    code = "PermissionDenied"


class CancelledError(VergerError, RuntimeError):
    code = "Cancelled"


class InternalError(VergerError, RuntimeError):
    code = "Internal"


class UnavailableError(VergerError, ConnectionError):
    """A store that cannot be reached, or keeps failing after retries: the job stops; rerun with resume."""
    code = "Unavailable"


_BY_CODE = {c.code: c for c in (InvalidArgumentError, NotFoundError, AlreadyExistsError, VergerIOError,
                                CorruptError, UnsupportedError, ResourceExhaustedError, PermissionDeniedError,
                                CancelledError, InternalError, UnavailableError)}


def error_class(code):
    """The exception class for an engine status name (as StatusCodeName spells it)."""
    return _BY_CODE.get(code, VergerError)


# Exit codes of the `verger` CLI (cli/commands.cc ExitCodeFor).
_USAGE_CODES = {"InvalidArgument", "NotFound", "AlreadyExists", "PermissionDenied", "Unsupported"}


def exit_code_for(error):
    return 2 if isinstance(error, VergerError) and error.code in _USAGE_CODES else 1
