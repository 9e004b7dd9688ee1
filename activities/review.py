"""Review stage: customer, credit, prices and discounts."""

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity

from db.engine import SessionFactory
from db.models import Approval, Customer, Order, OrderLine, Payment
from db.status import change_status, lock_order
from domain.messages import ReviewOutcome
from domain.pricing import PricedLine
from domain.review import CustomerFacts, PaymentMethod, ReviewDecision, review_order
from domain.status import FINAL_STATUSES, OrderStatus

PENDING = "pending"


class ReviewActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @activity.defn(name="review_order")
    async def review_order(self, order_id: str) -> ReviewOutcome:
        async with self.sessions.begin() as session:
            order = await lock_order(session, order_id)
            customer = await session.get_one(Customer, order.customer_id)
            lines = list(
                await session.scalars(select(OrderLine).where(OrderLine.order_id == order_id))
            )
            facts = CustomerFacts(
                complete=all([customer.name, customer.email, customer.phone, customer.line1]),
                on_credit_hold=customer.on_credit_hold,
                credit_limit=customer.credit_limit,
                open_balance=await self._open_balance(session, customer.id, order_id),
            )
            result = review_order(
                facts, PaymentMethod(order.payment_method), [_priced(x) for x in lines], order.total
            )
            summary = f"review {result.decision}: " + "; ".join(result.reasons)
            await change_status(session, order, OrderStatus.UNDER_REVIEW, "system", summary)
            order.review_reasons = result.reasons
            if result.decision == ReviewDecision.REJECT:
                await change_status(
                    session, order, OrderStatus.REJECTED, "system", "; ".join(result.reasons)
                )
            for level in result.levels:
                await session.execute(
                    insert(Approval)
                    .values(order_id=order_id, level=level, status=PENDING, reasons=result.reasons)
                    .on_conflict_do_nothing()
                )
            return ReviewOutcome(
                decision=result.decision, reasons=result.reasons, levels=result.levels
            )

    @staticmethod
    async def _open_balance(session: AsyncSession, customer_id: str, order_id: str) -> Decimal:
        """Unpaid value of the customer's other live credit-terms orders."""
        paid = (
            select(func.coalesce(func.sum(Payment.amount), 0))
            .where(Payment.order_id == Order.id)
            .scalar_subquery()
        )
        balance = await session.scalar(
            select(func.coalesce(func.sum(Order.total - paid), 0)).where(
                Order.customer_id == customer_id,
                Order.id != order_id,
                Order.payment_method == PaymentMethod.CREDIT,
                Order.status.not_in([*FINAL_STATUSES, OrderStatus.RECEIVED]),
            )
        )
        return Decimal(balance or 0)


def _priced(line: OrderLine) -> PricedLine:
    return PricedLine(
        sku=line.sku,
        quantity=line.quantity,
        catalogue_price=line.catalogue_price,
        unit_price=line.unit_price,
        discount_pct=line.discount_pct,
        gross=line.gross,
        discount=line.discount,
        net=line.net,
    )
