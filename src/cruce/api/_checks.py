"""`POST /api/v1/checks`: border checks for border officers, one traveller or a manifest.

The index is built from the store when the routes are installed (the server's start) and
topped up as alerts change. Each call is one consultation in the audit log with the officer
(the token's user), the post and the justification (X-Cruce-Purpose, X-Cruce-Case), logged
before the answer. A traveller whose fields are bad is answered with its error; the others
are still checked.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations, which
# name the wiring's dependencies (locals of install_checks).
from typing import Annotated, Any

from fastapi import Depends, FastAPI
from pydantic import BaseModel, ConfigDict, Field

from cruce.api._users import Role, User
from cruce.api._wiring import Wiring
from cruce.audit import Justification
from cruce.checks import AlertIndex, Traveller, screen_async, traveller_from_mrz
from cruce.errors import InvalidInput, PermissionDenied

MAX_TRAVELLERS = 2000  # a large flight's manifest in one call, within the 1 MB body limit
_Text = Annotated[str, Field(max_length=200)]


class TravellerIn(BaseModel):
    """One traveller: any of a document, a person, a vehicle, or an MRZ (check digits
    verified; its document and holder are checked)."""

    model_config = ConfigDict(extra="forbid")
    traveller_id: _Text = ""
    given_names: _Text = ""
    surnames: _Text = ""
    birth_date: _Text = ""
    nationality: _Text = ""
    document_type: _Text = ""
    document_country: _Text = ""
    document_number: _Text = ""
    plate: _Text = ""
    plate_country: _Text = ""
    vin: _Text = ""
    mrz: Annotated[str, Field(max_length=200)] = ""


class ChecksIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    post: Annotated[str, Field(min_length=1, max_length=64)]
    travellers: Annotated[list[TravellerIn], Field(min_length=1, max_length=MAX_TRAVELLERS)]


def install_checks(app: FastAPI, wiring: Wiring) -> None:
    index = AlertIndex.build(wiring.node.store)

    def officer(user: Annotated[User, Depends(wiring.authenticated)]) -> User:
        if user.role != Role.BORDER_OFFICER:
            raise PermissionDenied(f"the {user.role.value} role may not do this (allowed: "
                                   "border_officer)")
        return user

    @app.post("/api/v1/checks", tags=["checks"])
    async def checks(
        body: ChecksIn,
        user: Annotated[User, Depends(officer)],
        reason: Annotated[Justification, Depends(wiring.why)],
    ) -> dict[str, Any]:
        """Check travellers against every alert the node holds: for each, `no-hit` or its
        hits (alert id, kind, score 0-1, explanation, reason, action, issuer, contact)."""
        parsed: list[Traveller | str] = [_traveller(t, i) for i, t in enumerate(body.travellers)]
        good = [t for t in parsed if isinstance(t, Traveller)]
        with wiring.acting(user) as node:
            results = iter(await screen_async(node, index, good, reason, body.post))
        answers: list[dict[str, Any]] = []
        for i, item in enumerate(parsed):
            if isinstance(item, str):
                answers.append({"traveller_id": body.travellers[i].traveller_id or str(i),
                                "error": item})
                continue
            hits = next(results)
            answers.append({"traveller_id": item.traveller_id,
                            "outcome": "hit" if hits else "no-hit",
                            "hits": [h.to_dict() for h in hits]})
        return {"post": body.post, "checked": len(good), "results": answers}

    @app.get("/api/v1/checks/index", tags=["checks"])
    def index_memory(user: Annotated[User, Depends(officer)]) -> dict[str, Any]:
        """What the index holds (alert counts, bytes of its key arrays) and its build time."""
        index.refresh()
        return {**index.memory(), "built_seconds": round(index.built_seconds, 3)}


def _traveller(t: TravellerIn, position: int) -> Traveller | str:
    """The traveller to check, or why not (`field: why`)."""
    fields = t.model_dump()
    mrz = fields.pop("mrz")
    fields["traveller_id"] = fields["traveller_id"] or str(position)
    try:
        if mrz:
            return traveller_from_mrz(mrz, fields["traveller_id"])
        return Traveller.from_dict(fields)
    except InvalidInput as exc:
        return exc.message


__all__ = ["install_checks"]
