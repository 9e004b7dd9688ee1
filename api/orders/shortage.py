"""An order short of stock: customer service changes its shortage choice while it waits, and
the customer (by a signed link, or through customer service) answers a proposed substitute.

Reads run in short transactions, none held open while Temporal answers (see db/engine.py).
"""

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client

from api.auth import Principal
from api.customer_links import verified_link
from api.orders.schemas import (
    OrderStateOut,
    ShortageChoiceIn,
    SubstitutionDecision,
    SubstitutionIn,
)
from api.orders.views import load_order
from api.workflow_calls import update_order
from config import Settings
from domain.confirmation_links import SUBSTITUTE
from domain.messages import ShortageChoiceInput, SubstitutionAnswer
from temporal_client import OrderWorkflow


async def change_choice(
    session: AsyncSession, temporal: Client, user: Principal, order_id: str, body: ShortageChoiceIn
) -> OrderStateOut:
    async with session.begin():
        await load_order(session, order_id, user)
    choice = ShortageChoiceInput(on_shortage=body.on_shortage, actor=user.username)
    state = await update_order(temporal, order_id, OrderWorkflow.shortage_choice, choice)
    return OrderStateOut.of(order_id, state)


async def relay_answer(
    session: AsyncSession, temporal: Client, user: Principal, order_id: str, body: SubstitutionIn
) -> OrderStateOut:
    """Customer service relays the customer's answer to a proposed substitute."""
    async with session.begin():
        await load_order(session, order_id, user)
    return await _answer(temporal, order_id, body, f"{user.username} for the customer")


async def answer_by_link(
    temporal: Client, settings: Settings, token: str, body: SubstitutionIn
) -> OrderStateOut:
    """The customer's own answer through the signed link in the proposal."""
    order_id, _ = verified_link(settings, token, SUBSTITUTE)
    return await _answer(temporal, order_id, body, "customer")


async def _answer(
    temporal: Client, order_id: str, body: SubstitutionIn, actor: str
) -> OrderStateOut:
    answer = SubstitutionAnswer(accept=body.decision == SubstitutionDecision.ACCEPT, actor=actor)
    state = await update_order(temporal, order_id, OrderWorkflow.substitution_answer, answer)
    return OrderStateOut.of(order_id, state)
