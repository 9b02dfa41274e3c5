"""Two caches that make nbgrader cheaper per student inside a long-lived worker.

nbgrader validates every cell's metadata with ``jsonschema.validate``, which checks
the schema itself again on every call (about a third of nbgrader's own time per
notebook here), and it opens the gradebook about ten times per student, each time
with a new SQLAlchemy engine, so no compiled query is ever reused. A worker grades
many students, so it keeps one validator per schema and one engine per database URL.
Results are unchanged: the same schema, the same database, the same queries.
"""

from __future__ import annotations

import functools
import json

import jsonschema
import nbgrader.api
import nbgrader.nbgraderformat.common as metadata_format
from sqlalchemy import create_engine

_applied = False


@functools.cache
def _validator(schema_text: str):
    schema = json.loads(schema_text)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


class _CachedJsonschema:
    """Stands in for the ``jsonschema`` module inside nbgrader's metadata validator."""

    ValidationError = jsonschema.ValidationError

    @staticmethod
    def validate(instance, schema) -> None:
        error = jsonschema.exceptions.best_match(
            _validator(json.dumps(schema, sort_keys=True)).iter_errors(instance)
        )
        if error is not None:
            raise error


@functools.cache
def _engine(url: str, **kwargs):
    return create_engine(url, **kwargs)


def _cached_create_engine(url, **kwargs):
    return _engine(str(url), **kwargs)


def apply() -> None:
    """Install both caches in this process (idempotent)."""
    global _applied
    if _applied:
        return
    metadata_format.jsonschema = _CachedJsonschema
    nbgrader.api.create_engine = _cached_create_engine
    _applied = True
