"""The one error type of the LMS layer."""

from __future__ import annotations


class LmsError(ValueError):
    """A roster, download or export the LMS layer cannot use; the message says why."""
