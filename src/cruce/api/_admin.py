"""Users over the API: admins add, disable and list users; supervisors approve the users an
admin proposed; every user rotates their own token.

Admins read no case data, so an admin never holds a working token of a role that does: a user
with a data role added by an admin waits, disabled, for a supervisor's approval, and the token
goes to the approving supervisor (who hands it over; the user rotates it at once); an admin
rotates only its own token (another user's is replaced by disabling them and adding the person
under a new name: names are never reused). Each change takes effect at the next request (the
server's token table is refreshed before the answer) and is logged as an administrative event
under its actor, with the justification of the `X-Cruce-Why` header.
"""

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Path, Response
from pydantic import BaseModel
from pydantic import Field as PydanticField

from cruce.api._tokens import TokenTable
from cruce.api._users import MAX_WHY, Role, User, Users
from cruce.api._wiring import Wiring
from cruce.audit import Actor
from cruce.errors import PermissionDenied

UserName = Annotated[str, Path(min_length=2, max_length=64, description="The user's name")]
Why = Annotated[str, Header(alias="X-Cruce-Why", max_length=MAX_WHY,
                            description="Why this change (logged with it)")]


class NewUser(BaseModel):
    name: str = PydanticField(min_length=2, max_length=64, description="e.g. ana.lopez")
    role: Role


def install_users(app: FastAPI, wiring: Wiring, tokens: TokenTable) -> None:
    node = wiring.node

    def only(user: User, *roles: Role, what: str) -> User:
        if user.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise PermissionDenied(f"the {user.role.value} role may not {what} "
                                   f"(allowed: {allowed})")
        return user

    def administering(user: Annotated[User, Depends(wiring.authenticated)]) -> User:
        return only(user, Role.ADMIN, what="manage users")

    def supervising(user: Annotated[User, Depends(wiring.authenticated)]) -> User:
        return only(user, Role.SUPERVISOR, what="approve users")

    def users_by(user: User) -> Users:
        return Users(node.store, Actor(node.agency or "unknown", user.name, user.role.value))

    @app.get("/api/v1/users", tags=["users"])
    def list_users(admin: Annotated[User, Depends(administering)]) -> list[dict[str, Any]]:
        """Every user of this node with their role and status (active, pending approval,
        disabled); tokens are never shown."""
        rows = users_by(admin).listing()
        return [{**row, "disabled": row["status"] != "active"} for row in rows]

    @app.post("/api/v1/users", tags=["users"])
    def add_user(body: NewUser, admin: Annotated[User, Depends(administering)],
                 response: Response, why: Why = "") -> dict[str, str | None]:
        """Add a user. An admin's user (an admin) is active at once and the answer carries
        their token, shown this once; a user with a data role waits for a supervisor's
        approval (`status: pending`, no token)."""
        users = users_by(admin)
        if users.needs_approval(body.role.value):
            users.propose(body.name, body.role.value, why)
            token = None
        else:
            token = users.add(body.name, body.role.value, why)
        tokens.refresh()
        response.headers["Cache-Control"] = "no-store"
        return {"name": body.name, "role": body.role.value,
                "status": "pending" if token is None else "active", "token": token}

    @app.post("/api/v1/users/{name}/approve", tags=["users"])
    def approve_user(name: UserName, supervisor: Annotated[User, Depends(supervising)],
                     response: Response, why: Why = "") -> dict[str, str]:
        """A supervisor approves a user an admin proposed (X-Cruce-Why required): the user is
        active from the next request; the answer carries their first token, shown this once."""
        token = users_by(supervisor).approve(name, why)
        tokens.refresh()
        response.headers["Cache-Control"] = "no-store"
        return {"name": name, "status": "active", "token": token}

    @app.post("/api/v1/users/{name}/disable", tags=["users"])
    def disable_user(name: UserName, admin: Annotated[User, Depends(administering)],
                     why: Why = "") -> dict[str, Any]:
        """Disable a user: their token is refused from the next request on. The name stays
        taken."""
        users_by(admin).disable(name, why)
        tokens.refresh()
        return {"name": name, "disabled": True}

    @app.post("/api/v1/users/{name}/rotate", tags=["users"])
    def rotate_token(name: UserName, user: Annotated[User, Depends(wiring.authenticated)],
                     response: Response, why: Why = "") -> dict[str, str]:
        """Replace your own token (shown this once); the old one is refused from the next
        request on. Nobody rotates another user's token over the API."""
        token = users_by(user).rotate(name, why)
        tokens.refresh()
        response.headers["Cache-Control"] = "no-store"
        return {"name": name, "token": token}
