"""Pre-sale places: taken when the deposit is in, let go on the release day."""

from temporalio import activity

from db import stock
from db.engine import SessionFactory
from db.status import change_status, lock_order
from domain.messages import PresaleRelease, PresaleReleaseResult
from domain.status import OrderStatus


class PresaleActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    @activity.defn(name="take_presale_place")
    async def take_presale_place(self, order_id: str) -> int:
        """The deposit is in: the order takes the next place in the queue (run again, it
        keeps the place it took) and is QUEUED; returns the place."""
        async with self.sessions.begin() as session:
            order = await lock_order(session, order_id)
            await stock.enqueue_wait(session, order_id, held_for_release=True)
            place = await stock.queue_place(session, order_id) or 0
            released = order.release_date.isoformat() if order.release_date else "release"
            reason = f"deposit paid: place {place} in the pre-sale queue until {released}"
            await change_status(session, order, OrderStatus.QUEUED, "system", reason)
            return place

    @activity.defn(name="release_presale")
    async def release_presale(self, release: PresaleRelease) -> PresaleReleaseResult:
        """The release day came (the workflow's day: its timer fired): every place released
        by then is let go and served, in order, from the stock on hand."""
        async with self.sessions.begin() as session:
            served = await stock.release_places(session, release.day)
            return PresaleReleaseResult(allocated_orders=served)
