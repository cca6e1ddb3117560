"""The API's one JSON error shape, and the handlers that give every error that shape.

    {"error": {"status": 400, "type": "InvalidInput", "message": "…"}}

Messages never carry the server's own paths: a bad line of an upload is named by its line
and field, not by the temporary file it was read from.
"""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cruce.errors import BadRow, CruceError

# What the framework's own HTTP errors are called in the error shape.
HTTP_KINDS = {401: "NotAuthenticated", 404: "NotFound", 405: "MethodNotAllowed",
              408: "RequestTimeout", 413: "ContentTooLarge", 429: "TooManyRequests"}


def error_body(status: int, kind: str, message: str) -> dict[str, Any]:
    """The one JSON error shape of the API."""
    return {"error": {"status": status, "type": kind, "message": message}}


def error_response(status: int, kind: str, message: str,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, kind, message), status_code=status, headers=headers)


def public_message(exc: CruceError) -> str:
    """The message a client may see: a bad row by line and field, without the file's path."""
    if isinstance(exc, BadRow):
        return f"line {exc.line}, field {exc.column!r}: {exc.reason}"
    return exc.message


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CruceError)
    def cruce_error(_: Request, exc: CruceError) -> JSONResponse:
        return error_response(exc.status, type(exc).__name__, public_message(exc))

    @app.exception_handler(RequestValidationError)
    def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error_response(422, "InvalidRequest",
                              f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(StarletteHTTPException)
    def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Routing, body-parsing and body-limit errors raised by the framework: same shape.
        kind = HTTP_KINDS.get(exc.status_code, "InvalidRequest")
        return error_response(exc.status_code, kind, str(exc.detail),
                              getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    def unexpected(_: Request, exc: Exception) -> JSONResponse:
        # A bug: say so without leaking case data or internals; the trace goes to the
        # server's own log for its engineers.
        logging.getLogger("cruce.api").error("unexpected error", exc_info=exc)
        return error_response(500, "InternalError", "internal error")
