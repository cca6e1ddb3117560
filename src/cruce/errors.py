"""One error root for cruce; subclasses say how the caller can react.

    CruceError                      (500) a bug or an unexpected state
    ├── InvalidInput                (400) the caller's data or usage is wrong: fix and retry
    │   ├── InvalidEnvelope               an envelope field has a bad value
    │   ├── InvalidEntity                 an FtM entity does not fit its schema
    │   │   └── InvalidEntityField        ...naming the field (id, schema, a property)
    │   ├── InvalidMapping                a mapping file is malformed
    │   ├── BadRow                        one row of an ingested file cannot be read
    │   └── LinkageConfigError            a linkage model or setting is unusable
    ├── NotAuthenticated            (401) no or bad credentials
    ├── PermissionDenied            (403) the rules forbid it (role, handling code, TLP)
    ├── NotFound                    (404) no such record or resource
    ├── Conflict                    (409) the state changed under the caller
    ├── SignatureInvalid            (422) a signed object does not verify
    ├── DecryptionFailed            (422) a sealed object cannot be opened
    └── AuditChainBroken            (500) the audit log does not verify

Messages say what failed, the bad value where it is the caller's own, and the fix. Keys never
appear in a message.
"""

from __future__ import annotations


class CruceError(Exception):
    """Root of every error cruce raises on purpose."""

    status: int = 500
    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(CruceError):
    status = 400
    exit_code = 2


class InvalidEnvelope(InvalidInput):
    """An envelope field is missing or has a value outside its vocabulary."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"envelope field {field!r}: {message}")
        self.field = field
        self.reason = message


class InvalidEntity(InvalidInput):
    pass


class InvalidMapping(InvalidInput):
    pass


class BadRow(InvalidInput):
    """A row of an ingested file cannot be read; names the file, line and column."""

    def __init__(self, file: str, line: int, column: str, reason: str) -> None:
        super().__init__(f"{file}, line {line}, column {column!r}: {reason}")
        self.file = file
        self.line = line
        self.column = column
        self.reason = reason


class LinkageConfigError(InvalidInput):
    pass


class NotAuthenticated(CruceError):
    status = 401
    exit_code = 2


class PermissionDenied(CruceError):
    status = 403
    exit_code = 2


class NotFound(CruceError):
    status = 404
    exit_code = 2


class Conflict(CruceError):
    status = 409


class SignatureInvalid(CruceError):
    status = 422


class DecryptionFailed(CruceError):
    status = 422


class AuditChainBroken(CruceError):
    status = 500


class InvalidEntityField(InvalidEntity):
    """One field of an FtM entity (its id, schema or a property) has a bad value."""

    def __init__(self, where: str, field: str, reason: str) -> None:
        super().__init__(f"{where}: {field}: {reason}")
        self.field = field
        self.reason = reason


__all__ = [
    "AuditChainBroken",
    "BadRow",
    "Conflict",
    "CruceError",
    "DecryptionFailed",
    "InvalidEntity",
    "InvalidEntityField",
    "InvalidEnvelope",
    "InvalidInput",
    "InvalidMapping",
    "LinkageConfigError",
    "NotAuthenticated",
    "NotFound",
    "PermissionDenied",
    "SignatureInvalid",
]
