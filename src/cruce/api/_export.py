"""`GET /api/v1/export`: a node's records as FtM JSON lines with their envelopes, for
`cruce export --node` while the node serves (the store is the server's then)."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations, which
# name the wiring's dependencies (locals of install_export).
import json
from collections.abc import Iterator
from itertools import islice
from typing import Annotated

from fastapi import Depends, FastAPI, Query
from fastapi.responses import StreamingResponse

from cruce.api._users import User
from cruce.api._wiring import Wiring
from cruce.audit import Justification

_CHUNK = 500  # records read and sent per turn


def install_export(app: FastAPI, wiring: Wiring) -> None:
    @app.get("/api/v1/export", tags=["records"])
    def export(
        user: Annotated[User, Depends(wiring.consulting)],
        reason: Annotated[Justification, Depends(wiring.why)],
        schema: Annotated[str | None, Query(max_length=64)] = None,
        dataset: Annotated[str | None, Query(max_length=200)] = None,
    ) -> StreamingResponse:
        """Every record the stated purpose may read (one logged consultation, before the first
        line), as JSON lines; `X-Cruce-Withheld` counts those withheld as collected for a
        purpose not compatible with it."""
        with wiring.acting(user) as acting_node:
            records = acting_node.export(reason, schema=schema, dataset=dataset)
            first = list(islice(records, _CHUNK))  # logs the consultation, or refuses, now

        def lines() -> Iterator[str]:
            batch = first
            while batch:
                yield "".join(json.dumps(r.to_dict(), ensure_ascii=False, sort_keys=True) + "\n"
                              for r in batch)
                batch = list(islice(records, _CHUNK))

        return StreamingResponse(lines(), media_type="application/x-ndjson",
                                 headers={"X-Cruce-Withheld": str(records.withheld)})


__all__ = ["install_export"]
