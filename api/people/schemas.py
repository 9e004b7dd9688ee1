"""Request and response bodies of the people routes."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from api.fields import In, Instant, Username
from domain.roles import Role


class DelegationIn(In):
    stand_in: Username
    starts_at: Instant
    ends_at: Instant

    @model_validator(mode="after")
    def _period(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at: must be after starts_at")
        return self


class DelegationOut(BaseModel):
    id: int
    delegator: str
    stand_in: str
    starts_at: datetime
    ends_at: datetime
    revoked_at: datetime | None


class UserIn(In):
    """Create or change a person: their role, whether they may sign in, their approval limit."""

    role: Role
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    active: bool = True
    approval_limit: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] | None = None


class UserOut(BaseModel):
    username: str
    role: str
    display_name: str
    active: bool
    approval_limit: Decimal | None


class ApiKeyIn(In):
    """Keys are for upstream systems only: a person signs in with their own token."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_\-]{1,63}$")]


class ApiKeyOut(BaseModel):
    id: str
    name: str
    role: str
    created_by: str
    created_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    # Shown once: only its hash is stored.
    key: str
