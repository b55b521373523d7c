"""iamctl's exit statuses: one table, documented in the README and the man page."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    IAM_ERROR = 1  # AWS-style error: no such entity, conflict, limit, malformed policy, ...
    USAGE = 2  # bad command line: unknown option, missing argument, bad value
    DENIED = 3  # `simulate` / `policy validate`: some request denied or an ERROR finding
    INTERNAL = 70  # a bug in iamctl (EX_SOFTWARE); rerun with --debug and report it
    INTERRUPTED = 130  # Ctrl-C
