"""Request and response bodies of the policy routes."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, StringConstraints

from api.fields import In
from domain.policy import PolicyDocument


class PolicyOut(BaseModel):
    version: int
    document: PolicyDocument
    comment: str
    created_by: str
    created_at: datetime | None


class PolicyIn(In):
    document: PolicyDocument
    comment: Annotated[str, StringConstraints(max_length=500)] = ""
