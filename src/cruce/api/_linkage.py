"""The linkage review queue over the API, for `cruce review --node` and `cruce judge --node`
while the node serves (its store is the server's then): the pairs the model is least sure of,
and a reviewer's judgement on one, kept under the reviewer's own name."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations, which
# name the wiring's dependencies (locals of install_linkage).
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel
from pydantic import Field as PydanticField

from cruce.api._users import User
from cruce.api._wiring import Wiring


class JudgementBody(BaseModel):
    left: str = PydanticField(min_length=1, max_length=200)
    right: str = PydanticField(min_length=1, max_length=200)
    verdict: str = PydanticField(description="same, different or unsure", max_length=16)
    reason: str = PydanticField(default="", max_length=2000)


def install_linkage(app: FastAPI, wiring: Wiring) -> None:
    @app.get("/api/v1/linkage/review", tags=["linkage"])
    def review(
        user: Annotated[User, Depends(wiring.consulting)],
        limit: Annotated[int, Query(ge=1, le=200)] = 10,
    ) -> list[dict[str, Any]]:
        """The pairs the model is least sure of, not yet judged, most uncertain first."""
        with wiring.acting(user) as acting_node:
            return acting_node.linkage.review(limit)

    @app.post("/api/v1/linkage/judgements", tags=["linkage"])
    def judge(
        body: JudgementBody, user: Annotated[User, Depends(wiring.consulting)],
    ) -> dict[str, str]:
        """A reviewer's judgement on a pair (appended; it overrides the model from the next
        run on)."""
        with wiring.acting(user) as acting_node:
            j = acting_node.linkage.judge(body.left, body.right, body.verdict, body.reason)
        return {"left_id": j.left_id, "right_id": j.right_id, "verdict": j.verdict.value,
                "user": j.user}


__all__ = ["install_linkage"]
