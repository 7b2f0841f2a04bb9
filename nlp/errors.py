"""Typed errors with messages a user can act on. The CLI prints them; the API maps them to JSON."""

from __future__ import annotations


class ReferatError(Exception):
    """Base of every error Referat raises on purpose."""

    status_code = 400


class NotAReferatError(ReferatError):
    """A file that is not a referat Referat can read: empty, binary, foreign JSON, ..."""

    status_code = 422


class NotFoundError(ReferatError):
    status_code = 404


class BadQueryError(ReferatError):
    status_code = 422


class IndexMismatchError(ReferatError):
    """The vector index was built by another model than the one configured."""

    status_code = 409


class ModelUnavailableError(ReferatError):
    status_code = 503


class FileTimeoutError(ReferatError):
    """One file took longer than `settings.file_time_limit_s`; it is reported and skipped."""

    status_code = 422


class ArchiveMissingError(ReferatError):
    """A read command pointed at a home folder that holds no archive (a mistyped `--home`)."""

    status_code = 404


class SettingsError(ReferatError):
    """A `REFERAT_…` environment value that is not of its setting's type."""

    status_code = 500


class HarvestError(ReferatError):
    """A FirstAgenda site could not be harvested: a wrong address, not FirstAgenda, too slow, over a
    deadline, or it stopped answering. It ends the run; what was fetched is kept and the next run resumes."""

    status_code = 502


class HarvestRefusedError(HarvestError):
    """One response a careful client does not take (a redirect off the site, over the size cap,
    undecodable): that meeting is reported as failed and the run goes on."""
