"""The API's changes to records: ingest (a logged collection or alteration; altered records
that had been shared go again, as corrections, to every agency that received them) and
erasure (a supervisor's act; every recipient gets a signed erasure notice)."""

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from pydantic import BaseModel
from pydantic import Field as PydanticField
from starlette.concurrency import run_in_threadpool

from cruce.api._users import Role, User
from cruce.api._wiring import Wiring
from cruce.audit import Justification
from cruce.errors import InvalidInput, PermissionDenied

MAX_UPLOAD = 64 * 1024 * 1024
MAX_LOWERING = 2000  # characters of a supervisor's justification for lowering protection


class Erasure(BaseModel):
    records: list[str] = PydanticField(min_length=1, max_length=10_000)


def install_changes(app: FastAPI, wiring: Wiring) -> None:
    acting, consulting, why, deliver = (wiring.acting, wiring.consulting, wiring.why,
                                        wiring.deliver)

    @app.post("/api/v1/records", tags=["records"], openapi_extra={"requestBody": {
        "required": True, "content": {"application/x-ndjson": {"schema": {
            "type": "array", "items": {"type": "object"},
            "description": "FtM entities, one JSON object per line, each with an optional "
            "`envelope` object"}}}}})
    async def ingest(
        request: Request,
        user: Annotated[User, Depends(consulting)],
        reason: Annotated[Justification, Depends(why)],
        lower: Annotated[str | None, Header(
            alias="X-Cruce-Lower", max_length=MAX_LOWERING,
            description="A supervisor's justification for lowering the protection (TLP, "
            "handling code, shareability, retention, victim status, purpose) of stored "
            "records; without it the more protective value is kept")] = None,
    ) -> dict[str, Any]:
        """Ingest FtM entities as JSON lines (each line may carry its envelope), logged under
        the request's justification; shared records it alters go again to their recipients
        as corrections. A line whose id is held from another agency is refused (listed in
        `refused`), the others are written; `kept_stricter` counts records whose stored,
        more protective value was kept."""
        if lower is not None and user.role is not Role.SUPERVISOR:
            raise PermissionDenied(f"the {user.role.value} role may not lower the protection "
                                   "of stored records (allowed: supervisor)")
        data = await request.body()
        if not data or len(data) > MAX_UPLOAD:
            raise InvalidInput(f"send 1 to {MAX_UPLOAD} bytes of JSON lines")

        def ingest_upload() -> dict[str, Any]:  # in a worker thread, off the event loop
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "upload.jsonl"
                path.write_bytes(data)
                # One transaction (Node.ingest, as for the command line): the write and what
                # its recipients must get, or neither. Recorded as `upload:<batch id>`, never
                # by this temporary path.
                with acting(user) as acting_node:
                    result = acting_node.ingest(path, why=reason, lower=lower, upload=True)
                outcome = result.outcome
            return {"rows": result.rows, "inserted": result.inserted,
                    "updated": result.updated, "unchanged": result.unchanged,
                    "batch": result.batch, **result.follow,
                    "refused": [{"id": i, "reason": text} for i, text in outcome.refused],
                    "kept_stricter": outcome.kept, "lowered": len(outcome.lowered),
                    "delivery": deliver()}

        return await run_in_threadpool(ingest_upload)

    @app.post("/api/v1/records/erase", tags=["records"])
    def erase(
        body: Erasure,
        user: Annotated[User, Depends(consulting)],
        reason: Annotated[Justification, Depends(why)],
    ) -> dict[str, Any]:
        """Erase records (supervisors); every agency they were shared with is told to erase
        its copy. The erasure is logged, never the erased content."""
        if user.role is not Role.SUPERVISOR:
            raise PermissionDenied(f"the {user.role.value} role may not erase records "
                                   "(allowed: supervisor)")
        with acting(user) as acting_node:
            done = acting_node.erase(body.records, reason)
        return {**done, "delivery": deliver()}
