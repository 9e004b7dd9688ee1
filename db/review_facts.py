"""The facts an order's review judges (customer, credit, history, risks), gathered for the
version in force or a proposed one: the review activity and a change's dry run ask the same
question of the same rules (domain/review.py)."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.customers import customer_history, open_balance
from db.models import Customer, Order, Product
from db.policies import current_policy
from domain.changes import OrderVersion
from domain.policy import OrderFacts, PolicyDocument
from domain.review import CustomerFacts, PaymentMethod, ReviewResult, review_order
from domain.risks import OrderToAssess, assess_risks


async def judge(
    session: AsyncSession, order: Order, customer: Customer, version: OrderVersion
) -> tuple[int, PolicyDocument, ReviewResult]:
    """The current policy's verdict on this version of the order (with the policy)."""
    facts = CustomerFacts(
        complete=all([customer.name, customer.email, customer.phone, customer.line1]),
        on_credit_hold=customer.on_credit_hold,
        credit_limit=customer.credit_limit,
        open_balance=await open_balance(session, customer.id, order.id),
    )
    number, policy = await current_policy(session)
    priced = version.lines
    rows = await session.execute(
        select(Product.sku, Product.category).where(Product.sku.in_([x.sku for x in priced]))
    )
    history = await customer_history(session, customer.id, order.id)
    payment = PaymentMethod(version.payment_method)
    order_facts = OrderFacts(
        total=version.total,
        channel=order.channel,
        payment=payment,
        customer_tier=customer.tier,
        lines=priced,
        categories={sku: category for sku, category in rows},
        risks=assess_risks(
            OrderToAssess(priced, payment, version.total, version.ship_to, customer.address),
            facts,
            history,
            policy.checks,
        ),
        order_type=order.order_type,
    )
    return number, policy, review_order(facts, order_facts, policy)
