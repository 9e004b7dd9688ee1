"""A change of a running order made a new version: lines re-priced from the catalogue, terms
and address as asked, the diff recorded, and the stock it no longer wants given back (what
it wants more of is reserved by the reservation step the workflow runs next)."""

from temporalio import activity

from db import stock
from db.audit import Who, audit
from db.engine import SessionFactory
from db.models import Order
from db.status import lock_order, record_event
from db.versions import propose, write_change
from domain.carrier import ShippingMethod
from domain.messages import ChangeRecord, ChangeResult
from domain.payment import PaymentMethod


class ChangeActivities:
    def __init__(self, sessions: SessionFactory, seller_country: str) -> None:
        self.sessions = sessions
        self.seller_country = seller_country

    @activity.defn(name="apply_change")
    async def apply_change(self, record: ChangeRecord) -> ChangeResult:
        c = record.change
        async with self.sessions.begin() as session:
            order = await lock_order(session, record.order_id)
            if order.version >= record.version:
                # A retry of a change already made: answered from the order as it is.
                return _result(order)
            _, after = await propose(session, order, c.change, self.seller_country)
            version, changes = await write_change(session, order, after, c.actor, c.change.reason)
            freed = await stock.release_surplus(session, order.id, after.quantities())
            allocated = [o for o in await stock.allocate_waiting(session, freed) if o != order.id]
            what = "; ".join(f"{d.field}: {d.before or '-'} -> {d.after or '-'}" for d in changes)
            why = f"version {version} by {c.actor}: {c.change.reason}" + (
                f" ({what})" if what else ""
            )
            await record_event(session, order, c.actor, why[:2000])
            audit(
                session,
                Who(c.actor, c.role or "unknown", c.request_id, c.client_addr),
                "order.change",
                "changed",
                order_id=order.id,
                detail=why,
            )
            result = _result(order)
            result.diff, result.allocated_orders = changes, allocated
            return result


def _result(order: Order) -> ChangeResult:
    """The order's version in force, as the workflow keeps it."""
    return ChangeResult(
        version=order.version,
        total=order.total,
        payment_method=PaymentMethod(order.payment_method),
        shipping_method=ShippingMethod(order.shipping_method),
    )
