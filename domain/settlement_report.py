"""The daily settlement report as a rule: which of a day's payments its invoices account for,
and why the others do not. Pure; the records come from activities/settlement_run.py."""

from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel


@dataclass(frozen=True)
class OrderMoney:
    """One order's money as of the report: what its documents ask (invoices less credit
    notes) and what it was paid (payments less refunds)."""

    asked: Decimal
    paid: Decimal


class ReportLine(BaseModel):
    order_id: str
    reference: str
    amount: Decimal
    # Why unmatched: no invoice yet (paid ahead of shipping), or paid beyond the invoices.
    why: str = ""


class SettlementReportOut(BaseModel):
    day: str
    payments: int
    total: Decimal
    matched: list[ReportLine]
    unmatched: list[ReportLine]
    unmatched_total: Decimal


def match(
    day: str, payments: list[ReportLine], orders: dict[str, OrderMoney]
) -> SettlementReportOut:
    matched, unmatched = [], []
    for p in payments:
        money = orders[p.order_id]
        if money.asked <= 0:
            unmatched.append(
                p.model_copy(update={"why": "no invoice yet (paid ahead of shipping)"})
            )
        elif money.paid > money.asked:
            unmatched.append(
                p.model_copy(
                    update={
                        "why": f"the order is paid {money.paid - money.asked} beyond its invoices"
                    }
                )
            )
        else:
            matched.append(p)
    return SettlementReportOut(
        day=day,
        payments=len(payments),
        total=sum((p.amount for p in payments), Decimal(0)),
        matched=matched,
        unmatched=unmatched,
        unmatched_total=sum((p.amount for p in unmatched), Decimal(0)),
    )
