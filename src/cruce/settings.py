"""Settings from the environment, checked at start-up with every problem reported together."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

from cruce.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Settings:
    db: str
    user: str
    purpose: str | None
    case_reference: str | None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        problems: list[str] = []
        db = env.get("CRUCE_DB", "./cruce.duckdb")
        user = env.get("CRUCE_USER") or _os_user()
        purpose = env.get("CRUCE_PURPOSE") or None
        if purpose is not None:
            from cruce.records import PurposeArea

            if purpose not in {p.value for p in PurposeArea}:
                problems.append(f"CRUCE_PURPOSE={purpose!r} is not a purpose area")
        if not user.strip():
            problems.append("CRUCE_USER is empty")
        if problems:
            raise InvalidInput("bad settings: " + "; ".join(problems))
        return cls(db, user, purpose, env.get("CRUCE_CASE") or None)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"
