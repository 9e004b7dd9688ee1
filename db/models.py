"""SQLAlchemy 2 models of the business records."""

from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Numeric,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from domain.authority import Parties
from domain.documents import DocumentLine
from domain.pricing import PricedLine

Money = Numeric(14, 2)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: DateTime(timezone=True)}


class User(Base):
    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(32))
    display_name: Mapped[str] = mapped_column(String(200))
    # An inactive user's valid token is refused: how a person's access is revoked.
    active: Mapped[bool] = mapped_column(default=True, server_default="true")
    # The largest order total this person may approve; None: no limit of their own.
    approval_limit: Mapped[Decimal | None] = mapped_column(Money)
    # Where staff messages go (None: they wait in the outbox as dead letters) and in which
    # language.
    email: Mapped[str | None] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")


class Product(Base):
    __tablename__ = "products"
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The barcode as GTIN-14 (domain/gtin.py); one product per code.
    gtin: Mapped[str | None] = mapped_column(String(14), unique=True)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    weight_kg: Mapped[Decimal] = mapped_column(Numeric(10, 3))
    category: Mapped[str] = mapped_column(String(64), default="general", server_default="general")
    # Where pickers find it (shown on pick lists), when the warehouse keeps bins.
    bin_location: Mapped[str | None] = mapped_column(String(32))
    # Available stock below this (over all warehouses) asks for reordering; 0: never.
    reorder_point: Mapped[int] = mapped_column(default=0, server_default="0")
    # Skus that may stand in for this one when it is short (the substitute choice).
    substitutes: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # standard | reduced | zero: which of the destination's rates it is taxed at.
    tax_class: Mapped[str] = mapped_column(
        String(16), default="standard", server_default="standard"
    )
    # A pre-sale product (domain/presale.py): sold before its release date for a deposit
    # (a percentage of the line or an amount per unit), up to a cap of units if set.
    presale_release_date: Mapped[date | None]
    presale_deposit_pct: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    presale_deposit_amount: Mapped[Decimal | None] = mapped_column(Money)
    presale_cap: Mapped[int | None]
    # Made to order (a custom order's product): the plant's production time in days.
    production_days: Mapped[int | None]
    __table_args__ = (CheckConstraint("unit_price >= 0", name="price_not_negative"),)


# The columns of a customer's postal address.
ADDRESS_FIELDS = ("line1", "line2", "city", "region", "postal_code", "country")


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    phone: Mapped[str] = mapped_column(String(40))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    credit_limit: Mapped[Decimal] = mapped_column(Money)
    tier: Mapped[str] = mapped_column(String(16))
    on_credit_hold: Mapped[bool] = mapped_column(default=False)
    owner: Mapped[str | None] = mapped_column(String(64))
    # A business customer's VAT id (printed on its invoices), when given.
    vat_id: Mapped[str | None] = mapped_column(String(20))
    # en | de: the language of its messages (None: German in German-speaking countries).
    language: Mapped[str | None] = mapped_column(String(2))
    # Who recorded the customer: an upstream system sees the customers it sent.
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    @property
    def address(self) -> dict[str, str | None]:
        """The postal address as one value: shown by the API, and where orders ship by default."""
        return {f: getattr(self, f) for f in ADDRESS_FIELDS}


class Warehouse(Base):
    __tablename__ = "warehouses"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class WarehouseZone(Base):
    """How near a warehouse is to destinations in a country (or a postal prefix of it): the
    allocation rule's distance table, as data. A lower zone is nearer."""

    __tablename__ = "warehouse_zones"
    warehouse: Mapped[str] = mapped_column(ForeignKey("warehouses.code"), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    # "" covers the whole country; the longest matching prefix decides.
    postal_prefix: Mapped[str] = mapped_column(String(12), primary_key=True, default="")
    zone: Mapped[int]


class Stock(Base):
    __tablename__ = "stock"
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"), primary_key=True)
    warehouse: Mapped[str] = mapped_column(ForeignKey("warehouses.code"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    # The database itself refuses overselling, whatever the code does.
    __table_args__ = (
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_within_on_hand"),
    )


class StockTransfer(Base):
    """Stock on its way from one warehouse to another: it left the source's on hand at
    dispatch and joins the destination's when received."""

    __tablename__ = "stock_transfers"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"))
    from_warehouse: Mapped[str] = mapped_column(ForeignKey("warehouses.code"))
    to_warehouse: Mapped[str] = mapped_column(ForeignKey("warehouses.code"))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))  # in_transit | received
    expected_on: Mapped[date | None]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    received_by: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime | None]
    __table_args__ = (
        CheckConstraint("quantity > 0", name="transfer_quantity_positive"),
        CheckConstraint("from_warehouse <> to_warehouse", name="transfer_between_two"),
        Index("stock_transfers_in_transit", "sku", postgresql_where=text("status = 'in_transit'")),
    )


class Substitution(Base):
    """A substitute the workflow proposed for a short line, and the customer's answer."""

    __tablename__ = "order_substitutions"
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    substitute: Mapped[str] = mapped_column(ForeignKey("products.sku"))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))  # proposed | accepted | declined | expired
    decided_by: Mapped[str | None] = mapped_column(String(64))
    proposed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    decided_at: Mapped[datetime | None]


class LowStock(Base):
    """A sku whose available stock is below its reorder point, since when: one row (and one
    notification) per crossing; the row goes when stock is back at the point."""

    __tablename__ = "low_stock"
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"), primary_key=True)
    since: Mapped[datetime] = mapped_column(server_default=func.now())


class ExpectedReceipt(Base):
    """Goods announced by a supplier: orders waiting for the sku show when they should come."""

    __tablename__ = "expected_receipts"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"))
    warehouse: Mapped[str] = mapped_column(ForeignKey("warehouses.code"))
    quantity: Mapped[int]
    expected_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(16))  # open | received
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    __table_args__ = (
        CheckConstraint("quantity > 0", name="expected_quantity_positive"),
        Index("expected_receipts_open", "sku", postgresql_where=text("status = 'open'")),
    )


class StockReceipt(Base):
    __tablename__ = "stock_receipts"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"))
    warehouse: Mapped[str] = mapped_column(ForeignKey("warehouses.code"))
    quantity: Mapped[int]
    received_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    external_ref: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(32))
    # Scoped to the caller (created_by): another caller's key or reference is not a retry.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    # SHA-256 of the request body: the same key with another body is a mistake (409).
    request_hash: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(32))
    payment_method: Mapped[str] = mapped_column(String(16))
    shipping_method: Mapped[str] = mapped_column(String(16))
    ship_to: Mapped[dict[str, Any]] = mapped_column(JSON)
    notes: Mapped[str | None] = mapped_column(String(2000))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal] = mapped_column(Money)
    discount: Mapped[Decimal] = mapped_column(Money)
    tax: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    # The shipping charge line (net; its tax is in tax), billed with the first invoice.
    shipping_charge: Mapped[Decimal] = mapped_column(Money, default=0, server_default="0")
    shipping_tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=0, server_default="0")
    # A business customer in another EU member state: no tax charged, the buyer accounts it.
    reverse_charge: Mapped[bool] = mapped_column(default=False, server_default="false")
    # Installment terms: how many parts, how many days apart (None for other terms).
    installment_count: Mapped[int | None]
    installment_interval_days: Mapped[int | None]
    review_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The approval policy version that judged the order (None before the review).
    policy_version: Mapped[int | None]
    # pass | needs_approval | reject: the review's verdict, for the auto-approval KPI.
    review_decision: Mapped[str | None] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # Set once the order's workflow is known to exist; the sweeper starts those left unset.
    workflow_started_at: Mapped[datetime | None]
    # urgent | high | normal, from the policy's priority rules at intake.
    priority: Mapped[str] = mapped_column(String(8), default="normal", server_default="normal")
    requested_delivery_date: Mapped[date | None]
    # backorder | partial | substitute | cancel: what to do when stock is short.
    on_shortage: Mapped[str] = mapped_column(
        String(12), default="backorder", server_default="backorder"
    )
    # When the stock a backordered order waits for is expected (a transfer on its way).
    expected_stock_date: Mapped[date | None]
    # Not delivered within the shipping method's promise.
    late: Mapped[bool] = mapped_column(default=False, server_default="false")
    # The day it was promised to leave by when confirmed (domain/carrier.promised_ship_date),
    # and, once its first parcel left, whether that was by then.
    promised_ship_date: Mapped[date | None]
    shipped_on_time: Mapped[bool | None]
    # Why it was cancelled (domain/cancellation.py), when it was.
    cancel_reason_code: Mapped[str | None] = mapped_column(String(24))
    # The version in force (1 until the first change; see order_versions).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Everyone who changed it: four-eyes keeps them from approving it.
    changed_by: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # standard | presale | bulk (domain/order_types.py): the path its workflow takes.
    order_type: Mapped[str] = mapped_column(
        String(16), default="standard", server_default="standard"
    )
    # A pre-sale order: the deposit that takes its place in the queue, and the day its
    # products are released (the latest of its lines').
    deposit: Mapped[Decimal | None] = mapped_column(Money)
    release_date: Mapped[date | None]
    # A bulk order whose whole schedule is set aside at approval, from this warehouse only.
    set_aside_warehouse: Mapped[str | None] = mapped_column(ForeignKey("warehouses.code"))
    # A custom order: its specification ({attributes, attachments}) and when its goods should
    # be ready (estimated at intake from the plant's queue).
    specification: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    estimated_ready: Mapped[date | None]

    def parties(self, customer_owner: str | None) -> Parties:
        """The people the order's approvers must be independent of."""
        return Parties(self.created_by, customer_owner, frozenset(self.changed_by))

    __table_args__ = (
        UniqueConstraint(
            "created_by", "channel", "external_ref", name="orders_caller_channel_external_ref"
        ),
        UniqueConstraint("created_by", "idempotency_key", name="orders_caller_idempotency_key"),
        Index(
            "orders_without_workflow",
            "created_at",
            postgresql_where=text("workflow_started_at IS NULL"),
        ),
        Index("orders_status_created", "status", "created_at"),
        # A full desk's lists and KPIs (migration 0022).
        Index("orders_created", "created_at", "id"),
        Index("orders_customer_created", "customer_id", "created_at", "id"),
        Index("orders_review_decision", "review_decision"),
        Index("orders_late", "id", postgresql_where=text("late")),
        Index("orders_status_id", "status", "id"),
    )


class OrderVersionRow(Base):
    """One version of an order (domain/changes.py): the order as it then was, and what it
    changed against the one before. Version 1 is written by the first change."""

    __tablename__ = "order_versions"
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    reason: Mapped[str] = mapped_column(String(2000), default="")
    diff: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)


class Installment(Base):
    """One part of an installment order's schedule, fixed when the order is approved; due
    from the first invoice on (domain/installments.py). What it has been paid is derived:
    payments go to the oldest installment first."""

    __tablename__ = "installments"
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    no: Mapped[int] = mapped_column(primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    due_date: Mapped[date | None]
    __table_args__ = (CheckConstraint("amount >= 0", name="installment_amount_not_negative"),)


class OrderLine(Base):
    __tablename__ = "order_lines"
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"))
    quantity: Mapped[int]
    catalogue_price: Mapped[Decimal] = mapped_column(Money)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    discount_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    gross: Mapped[Decimal] = mapped_column(Money)
    discount: Mapped[Decimal] = mapped_column(Money)
    net: Mapped[Decimal] = mapped_column(Money)
    # The rate the line is taxed at, fixed when it is priced (domain/tax.py).
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    # What the price rules gave it (domain/price_rules.py): the entitled unit price (None:
    # the catalogue's), its source, the promotions applied, its share of order promotions.
    list_price: Mapped[Decimal | None] = mapped_column(Money)
    price_source: Mapped[str] = mapped_column(
        String(200), default="catalogue", server_default="catalogue"
    )
    promotions: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    promotion_discount: Mapped[Decimal] = mapped_column(Money, default=0, server_default="0")

    def priced(self) -> PricedLine:
        """The line as the pricing rules priced it (the columns carry the same names)."""
        values = {f.name: getattr(self, f.name) for f in fields(PricedLine)}
        return PricedLine(**{**values, "promotions": tuple(self.promotions)})


class ProductionOrder(Base):
    """A custom order's production at the plant (domain/custom.py)."""

    __tablename__ = "production_orders"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    # The plant's own reference (from the production system).
    plant_ref: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    reworks: Mapped[int] = mapped_column(default=0, server_default="0")
    production_days: Mapped[int]
    estimated_ready: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("order_id", name="production_orders_order"),
        Index("ix_production_orders_status", "status"),
    )


class ProductionEvent(Base):
    __tablename__ = "production_events"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    production_order_id: Mapped[str] = mapped_column(ForeignKey("production_orders.id"), index=True)
    event: Mapped[str] = mapped_column(String(24))
    detail: Mapped[str | None] = mapped_column(String(2000))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(server_default=func.now())


class OrderBatch(Base):
    """One scheduled delivery of a bulk order (domain/bulk.py): its date and lines, and how
    far it got (scheduled, reserved, shipped, paid)."""

    __tablename__ = "order_batches"
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    batch_no: Mapped[int] = mapped_column(primary_key=True)
    delivery_date: Mapped[date]
    # The day its stock is reserved (the policy's days before, fixed at intake).
    reserve_on: Mapped[date]
    # [[sku, quantity], ...]
    lines: Mapped[list[list[Any]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="scheduled", server_default="scheduled")
    reserved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_order_batches_due", "status", "delivery_date"),)


class PriceList(Base):
    """Unit prices for one customer (a contract), a customer group (their tier) or everyone,
    with quantity breaks, valid between two days (domain/price_rules.py)."""

    __tablename__ = "price_lists"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"))
    customer_group: Mapped[str | None] = mapped_column(String(16))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    __table_args__ = (
        CheckConstraint(
            "customer_id IS NULL OR customer_group IS NULL", name="price_list_one_audience"
        ),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="price_list_dates"),
    )


class PriceListEntry(Base):
    """One quantity break of a price list: from min_quantity units, this unit price."""

    __tablename__ = "price_list_entries"
    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_lists.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"), primary_key=True)
    min_quantity: Mapped[int] = mapped_column(primary_key=True)
    unit_price: Mapped[Decimal] = mapped_column(Money)


class PromotionRow(Base):
    """A promotion: percent or amount off a product, a category or the order total, valid
    between two days, stackable with others or not (domain/price_rules.py)."""

    __tablename__ = "promotions"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[Decimal] = mapped_column(Money)
    scope: Mapped[str] = mapped_column(String(16))
    target: Mapped[str | None] = mapped_column(String(64))
    min_order_total: Mapped[Decimal] = mapped_column(Money, default=0, server_default="0")
    stackable: Mapped[bool] = mapped_column(default=False, server_default="false")
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="promotion_dates"),
    )


class Reservation(Base):
    """Stock one warehouse holds for an order; an order shipped in parts has several rows
    for the same sku and warehouse."""

    __tablename__ = "reservations"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    warehouse: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))  # reserved | released | shipped
    # The shipment whose pick list carries it (None until one is issued).
    shipment_id: Mapped[str | None] = mapped_column(String(40))


class StockWait(Base):
    """An order waiting for stock; the id orders the queue by arrival."""

    __tablename__ = "stock_waits"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # waiting | allocated | dropped
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # A pre-sale place: no receipt serves it until the release lets it go.
    held_for_release: Mapped[bool] = mapped_column(default=False, server_default="false")


class Approval(Base):
    __tablename__ = "approvals"
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    level: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # pending | approved | rejected | expired
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_role: Mapped[str | None] = mapped_column(String(32))
    decision_id: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(String(2000))
    requested_at: Mapped[datetime] = mapped_column(server_default=func.now())
    decided_at: Mapped[datetime | None]
    # The level that decides now: `level` until an escalation moves it up.
    current_level: Mapped[str | None] = mapped_column(String(32))
    approvers_needed: Mapped[int] = mapped_column(default=1, server_default="1")
    approvers_given: Mapped[int] = mapped_column(default=0, server_default="0")
    mode: Mapped[str] = mapped_column(String(16), default="parallel", server_default="parallel")
    rule_ids: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # Times come from the workflow's clock: opened when its turn comes (sequential levels).
    opened_at: Mapped[datetime | None]
    remind_at: Mapped[datetime | None]
    escalate_at: Mapped[datetime | None]
    deadline: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    __table_args__ = (
        Index("approvals_open", "status", "current_level", "deadline"),
        # The inbox: one level's open approvals in deadline order (migration 0022).
        Index(
            "approvals_inbox",
            "current_level",
            "deadline",
            "order_id",
            "level",
            postgresql_where=text("status = 'pending' AND opened_at IS NOT NULL"),
        ),
        Index(
            "approvals_pending",
            "order_id",
            "current_level",
            "level",
            postgresql_where=text("status = 'pending'"),
        ),
    )


class ApprovalDecision(Base):
    """Each person's decision; the decision id makes a repeated request count once."""

    __tablename__ = "approval_decisions"
    decision_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    level: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(16))
    decided_by: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    on_behalf_of: Mapped[str | None] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(String(2000), default="")
    decided_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # A person's own latest decisions (the console's approvals page).
    __table_args__ = (Index("approval_decisions_by", "decided_by", "decided_at"),)


class ApprovalPolicyVersion(Base):
    __tablename__ = "approval_policies"
    version: Mapped[int] = mapped_column(primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    comment: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Delegation(Base):
    """An approver's stand-in for a period; the stand-in decides in the approver's name."""

    __tablename__ = "delegations"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    delegator: Mapped[str] = mapped_column(ForeignKey("users.username"))
    stand_in: Mapped[str] = mapped_column(ForeignKey("users.username"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    revoked_at: Mapped[datetime | None]
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="delegation_period"),
        CheckConstraint("delegator <> stand_in", name="delegation_other_person"),
        Index("delegations_stand_in", "stand_in", "ends_at"),
    )


class ApiKey(Base):
    """Keys for upstream systems; only a SHA-256 of the key is kept."""

    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    revoked_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Append-only: a database trigger refuses UPDATE and DELETE (see migration 0002)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[str | None] = mapped_column(String(36))
    decision_id: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(2000), default="")
    request_id: Mapped[str | None] = mapped_column(String(64))
    client_addr: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (
        Index("audit_order", "order_id", "id"),
        Index("audit_actor", "actor", "id"),
        Index("audit_action", "action", "id"),
    )


class Notification(Base):
    """Outbox: messages to people, written with the change that causes them."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    # Order, kind and step: a retried activity writes one message, not two.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    order_id: Mapped[str | None] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(String(4000))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    sent_at: Mapped[datetime | None]
    # pending | sent | dead (retries used up; retried by hand) | skipped (before a sender)
    status: Mapped[str] = mapped_column(String(12), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
    __table_args__ = (
        Index(
            "notifications_due",
            "next_attempt_at",
            "id",
            postgresql_where=text("status = 'pending'"),
        ),
    )


class Shipment(Base):
    """One parcel of an order from one warehouse: picked, packed, booked, delivered."""

    __tablename__ = "shipments"
    # Orders shipped before pick and pack have one shipment whose id is the order's id.
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    warehouse: Mapped[str | None] = mapped_column(String(16))
    # Set when the carrier is booked (after packing).
    carrier: Mapped[str | None] = mapped_column(String(32))
    service: Mapped[str | None] = mapped_column(String(32))
    tracking_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    # picking | packed | booked | the carrier's last scan (in_transit, delivered, ...)
    status: Mapped[str] = mapped_column(String(16))
    packages: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    packaging: Mapped[str | None] = mapped_column(String(16))
    packed_by: Mapped[str | None] = mapped_column(String(64))
    packed_at: Mapped[datetime | None]
    booked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # An exchange's shipment: the return it replaces goods for (None: the order's own).
    rma: Mapped[str | None] = mapped_column(String(40))


class Return(Base):
    """A return authorized for delivered goods (domain/returns.py), run by its own workflow."""

    __tablename__ = "returns"
    rma: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    # authorized | received | refunded | exchanged | expired
    status: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str] = mapped_column(String(24))
    resolution: Mapped[str] = mapped_column(String(16))  # refund | exchange
    comment: Mapped[str] = mapped_column(String(2000), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # The goods are awaited until then; the return expires after.
    goods_due_by: Mapped[datetime | None]
    warehouse: Mapped[str | None] = mapped_column(String(16))
    received_by: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime | None]
    refunded: Mapped[Decimal | None] = mapped_column(Money)
    exchange_shipment_id: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[datetime | None]
    __table_args__ = (Index("returns_order", "order_id"),)


class ReturnLine(Base):
    """What a return authorizes per sku, and how it came back (sellable: restocked; damaged:
    written off)."""

    __tablename__ = "return_lines"
    rma: Mapped[str] = mapped_column(ForeignKey("returns.rma"), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"), primary_key=True)
    quantity: Mapped[int]
    sellable: Mapped[int] = mapped_column(default=0, server_default="0")
    damaged: Mapped[int] = mapped_column(default=0, server_default="0")
    __table_args__ = (
        CheckConstraint("quantity > 0", name="return_quantity_positive"),
        CheckConstraint(
            "sellable >= 0 AND damaged >= 0 AND sellable + damaged <= quantity",
            name="return_received_within_authorized",
        ),
    )


class ShipmentLine(Base):
    """What a shipment carries: its pick list."""

    __tablename__ = "shipment_lines"
    shipment_id: Mapped[str] = mapped_column(ForeignKey("shipments.id"), primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("products.sku"), primary_key=True)
    quantity: Mapped[int]


class ShipmentEvent(Base):
    __tablename__ = "shipment_events"
    tracking_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    event: Mapped[str] = mapped_column(String(16), primary_key=True)
    detail: Mapped[str] = mapped_column(String(500), default="")
    occurred_at: Mapped[datetime] = mapped_column(server_default=func.now())


class DocumentCounter(Base):
    """The last number given per series (INV, CN) and year: taken in the transaction that
    issues the document, so a rollback gives it back and numbers have no gaps."""

    __tablename__ = "document_counters"
    series: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int]


class Invoice(Base):
    """One shipment's invoice (orders invoiced before: one for the whole order). Never
    changed once issued but for its payment status; corrected by credit notes."""

    __tablename__ = "invoices"
    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    # None: an invoice of the whole order, from before invoices per shipment.
    shipment_id: Mapped[str | None] = mapped_column(String(40))
    issued_at: Mapped[datetime] = mapped_column(server_default=func.now())
    due_date: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3), default="EUR", server_default="EUR")
    payment_terms: Mapped[str | None] = mapped_column(String(16))
    seller: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    buyer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    subtotal: Mapped[Decimal] = mapped_column(Money)
    discount: Mapped[Decimal] = mapped_column(Money)
    tax: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    # issued | overdue | paid | credited (void: voided before credit notes existed)
    status: Mapped[str] = mapped_column(String(16))
    # No tax charged: the buyer, a business in another EU member state, accounts for it.
    reverse_charge: Mapped[bool] = mapped_column(default=False, server_default="false")
    __table_args__ = (
        Index("invoices_order", "order_id"),
        UniqueConstraint("shipment_id", name="invoices_shipment"),
    )


class _DocumentLine:
    """The columns of a line of an invoice or a credit note (domain/documents.DocumentLine)."""

    line_no: Mapped[int] = mapped_column(primary_key=True)
    # The order line it bills or credits (an order may list a sku twice).
    order_line_no: Mapped[int]
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Money)
    discount_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    net: Mapped[Decimal] = mapped_column(Money)
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    tax: Mapped[Decimal] = mapped_column(Money)

    def figures(self) -> DocumentLine:
        return DocumentLine(**{f.name: getattr(self, f.name) for f in fields(DocumentLine)})


class InvoiceLine(_DocumentLine, Base):
    __tablename__ = "invoice_lines"
    invoice_number: Mapped[str] = mapped_column(ForeignKey("invoices.number"), primary_key=True)


class CreditNote(Base):
    """Money taken back from an invoice (a cancellation after invoicing, a return, a price
    correction); once per invoice, reason and reference."""

    __tablename__ = "credit_notes"
    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    invoice_number: Mapped[str] = mapped_column(ForeignKey("invoices.number"))
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    reason: Mapped[str] = mapped_column(String(16))  # cancellation | return | correction
    # What it credits: the cancellation, the return's RMA, the correction's id.
    reference: Mapped[str] = mapped_column(String(64))
    net: Mapped[Decimal] = mapped_column(Money)
    tax: Mapped[Decimal] = mapped_column(Money)
    total: Mapped[Decimal] = mapped_column(Money)
    created_by: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(server_default=func.now())
    __table_args__ = (
        UniqueConstraint("invoice_number", "reason", "reference", name="credit_notes_once"),
        Index("credit_notes_order", "order_id"),
    )


class CreditNoteLine(_DocumentLine, Base):
    __tablename__ = "credit_note_lines"
    credit_note_number: Mapped[str] = mapped_column(
        ForeignKey("credit_notes.number"), primary_key=True
    )


class Payment(Base):
    """A payment, or the refund of one: keyed by the order, the kind and the payment's
    reference, so a refund is booked once per payment and never meets another order's key."""

    __tablename__ = "payments"
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # payment | refund
    # The payment's reference with its provider (for a refund: the payment it refunds).
    reference: Mapped[str] = mapped_column(String(100), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Money)  # refunds are negative
    method: Mapped[str] = mapped_column(String(32))
    # The refund's own reference at the payment gateway.
    gateway_ref: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    __table_args__ = (
        # One provider's reference pays one order: on another order it is refused (409).
        Index(
            "payments_provider_reference",
            "method",
            "reference",
            unique=True,
            postgresql_where=text("kind = 'payment'"),
        ),
    )


class ReconciliationCase(Base):
    """Money that does not match what was owed (an overpayment, a cash-on-delivery scan
    short of the invoice), open until finance resolves it."""

    __tablename__ = "reconciliation_cases"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    kind: Mapped[str] = mapped_column(String(16))  # overpayment | underpayment
    # The payment (or scan) that opened it.
    reference: Mapped[str] = mapped_column(String(100))
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16))  # open | resolved
    action: Mapped[str | None] = mapped_column(String(16))  # refund | write_off | keep_as_credit
    comment: Mapped[str] = mapped_column(String(2000), default="")
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    __table_args__ = (
        UniqueConstraint("order_id", "kind", "reference", name="reconciliation_once"),
        Index("reconciliation_open", "status", "id"),
    )


class SettlementReport(Base):
    """The daily settlement run's report: the day's payments matched to invoices, and what is
    left unmatched for finance."""

    __tablename__ = "settlement_reports"
    day: Mapped[date] = mapped_column(primary_key=True)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


# The history row of the status an order is in now: a status change not yet left.
OPEN_STAY = "left_at IS NULL AND from_status IS DISTINCT FROM to_status"


class OrderHistory(Base):
    __tablename__ = "order_history"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    actor: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(2000))
    # When the order left the status this row moved it to (set by the next status change;
    # never on events recorded within a status): the KPIs read stays without pairing rows.
    left_at: Mapped[datetime | None]
    # The order's creation time, filled by a trigger on insert (migration 0027): the KPIs
    # read the stays of a period's orders from one index range.
    order_created_at: Mapped[datetime | None]
    __table_args__ = (
        Index("order_history_to_status", "to_status", "order_id"),
        Index("order_history_order", "order_id", "id"),
        Index("order_history_open_stay", "order_id", postgresql_where=text(OPEN_STAY)),
        Index(
            "order_history_stays",
            "to_status",
            "order_created_at",
            postgresql_include=["at", "left_at"],
            postgresql_where=text("left_at IS NOT NULL"),
        ),
    )


class WebhookSubscription(Base):
    """An upstream system's subscription to events, delivered signed with its secret."""

    __tablename__ = "webhook_subscriptions"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True, server_default="true")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class WebhookDelivery(Base):
    """One event to one subscription, written in the transaction of the change behind it and
    delivered at least once by the notifier (receivers deduplicate by event_id)."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # pending | sent | dead
    status: Mapped[str] = mapped_column(String(12), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(String(500))
    response_status: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    delivered_at: Mapped[datetime | None]
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id", name="webhook_delivery_once"),
        Index(
            "webhook_deliveries_due",
            "next_attempt_at",
            "id",
            postgresql_where=text("status = 'pending'"),
        ),
    )


class ImportJob(Base):
    """An import of orders from a file (`POST /orders/import`), with its progress."""

    __tablename__ = "import_jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    created_by: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(200))
    dry_run: Mapped[bool]
    # running | done | failed (the file could not be read on)
    status: Mapped[str] = mapped_column(String(12))
    rows: Mapped[int] = mapped_column(default=0, server_default="0")
    orders_created: Mapped[int] = mapped_column(default=0, server_default="0")
    orders_duplicate: Mapped[int] = mapped_column(default=0, server_default="0")
    orders_rejected: Mapped[int] = mapped_column(default=0, server_default="0")
    rows_rejected: Mapped[int] = mapped_column(default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]


class ImportRow(Base):
    """One row's result: created, duplicate (an earlier import or call made the order), or
    rejected with its errors by column; the row as read, for the rejected rows' CSV."""

    __tablename__ = "import_rows"
    import_id: Mapped[str] = mapped_column(ForeignKey("import_jobs.id"), primary_key=True)
    row_no: Mapped[int] = mapped_column(primary_key=True)
    external_ref: Mapped[str | None] = mapped_column(String(100))
    result: Mapped[str] = mapped_column(String(12))
    order_id: Mapped[str | None] = mapped_column(String(36))
    errors: Mapped[dict[str, str]] = mapped_column(JSON)
    raw: Mapped[dict[str, str]] = mapped_column(JSON)


class ConsoleSession(Base):
    """A person signed in to the web console. The cookie carries a random token; only its
    SHA-256 is stored, so a copy of the table signs nobody in. Signing out ends the row: the
    cookie stops working at once, unlike a self-contained signed cookie."""

    __tablename__ = "console_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("users.username"))
    # Every form of the session carries it (the CSRF check).
    csrf_token: Mapped[str] = mapped_column(String(64))
    # What the console presents to the API for this person: a development token, or the
    # identity provider's access token.
    bearer: Mapped[str] = mapped_column(String(4000))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class SavedSearch(Base):
    """A person's named order search: the query string of the console's order list."""

    __tablename__ = "saved_searches"
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    owner: Mapped[str] = mapped_column(ForeignKey("users.username"))
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    __table_args__ = (UniqueConstraint("owner", "name", name="saved_search_name_once"),)
