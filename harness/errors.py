"""The errors the command line turns into exit codes and one clear message."""


class HarnessError(Exception):
    """A failure with a complete, actionable message; the CLI prints it and exits ``exit_code``."""

    exit_code = 1


class UsageError(HarnessError):
    """A bad value or name given by the user (environment variable, flag, benchmark name)."""

    exit_code = 2


class MissingArtifactError(HarnessError):
    """A model or dataset file is absent and cannot be fetched here; the message says what to do."""

    exit_code = 3


class FetchError(HarnessError):
    """A download or a checksum verification failed; str(e) is a complete, actionable message."""


class AccuracyLogError(UsageError, ValueError):
    """An accuracy log that is not one a LoadGen run could have written; the message names the file
    and the entry."""
