"""The admin role over the API: add users, disable them, rotate their tokens, list them.

Each change takes effect at the next request (the server's token table is refreshed before
the answer) and is logged as an administrative event by the admin who made it. Admins read
no case data; nobody else manages users.
"""

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Response
from pydantic import BaseModel
from pydantic import Field as PydanticField

from cruce.api._tokens import TokenTable
from cruce.api._users import Role, User, Users
from cruce.api._wiring import Wiring
from cruce.audit import Actor
from cruce.errors import PermissionDenied

UserName = Annotated[str, Path(min_length=2, max_length=64, description="The user's name")]


class NewUser(BaseModel):
    name: str = PydanticField(min_length=2, max_length=64, description="e.g. ana.lopez")
    role: Role


def install_users(app: FastAPI, wiring: Wiring, tokens: TokenTable) -> None:
    node, lock = wiring.node, wiring.lock

    def administering(user: Annotated[User, Depends(wiring.authenticated)]) -> User:
        if user.role is not Role.ADMIN:
            raise PermissionDenied(f"the {user.role.value} role may not manage users "
                                   "(allowed: admin)")
        return user

    def users_by(admin: User) -> Users:
        return Users(node.store, Actor(node.agency or "unknown", admin.name, admin.role.value))

    @app.get("/api/v1/users", tags=["users"])
    def list_users(admin: Annotated[User, Depends(administering)]) -> list[dict[str, Any]]:
        """Every user of this node with their role (tokens are never shown)."""
        with lock:
            rows = users_by(admin).list()
        return [{"name": name, "role": role, "disabled": off} for name, role, off in rows]

    @app.post("/api/v1/users", tags=["users"])
    def add_user(body: NewUser, admin: Annotated[User, Depends(administering)],
                 response: Response) -> dict[str, str]:
        """Add a user; the answer carries their API token, shown this once."""
        with lock:
            token = users_by(admin).add(body.name, body.role.value)
            tokens.refresh()
        response.headers["Cache-Control"] = "no-store"
        return {"name": body.name, "role": body.role.value, "token": token}

    @app.post("/api/v1/users/{name}/disable", tags=["users"])
    def disable_user(name: UserName,
                     admin: Annotated[User, Depends(administering)]) -> dict[str, Any]:
        """Disable a user: their token is refused from the next request on."""
        with lock:
            users_by(admin).disable(name)
            tokens.refresh()
        return {"name": name, "disabled": True}

    @app.post("/api/v1/users/{name}/rotate", tags=["users"])
    def rotate_token(name: UserName, admin: Annotated[User, Depends(administering)],
                     response: Response) -> dict[str, str]:
        """Give a user a new token (shown this once); the old one is refused from the next
        request on."""
        with lock:
            token = users_by(admin).rotate(name)
            tokens.refresh()
        response.headers["Cache-Control"] = "no-store"
        return {"name": name, "token": token}
