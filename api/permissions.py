"""One dependency per permission: a route names what it needs, `user: CanCreateOrder`, and
the role table (`domain/roles.py`) decides who has it. `api/matrix.py` reads each route's
permission from the dependency to print and test the role x endpoint matrix."""

from typing import Annotated

from fastapi import Depends

from api.auth import Principal
from api.deps import allowed
from domain.roles import Action

CanManagePricing = Annotated[Principal, Depends(allowed(Action.MANAGE_PRICING))]
CanManageProducts = Annotated[Principal, Depends(allowed(Action.MANAGE_PRODUCTS))]
CanReadCatalogue = Annotated[Principal, Depends(allowed(Action.READ_CATALOGUE))]
CanManageCustomers = Annotated[Principal, Depends(allowed(Action.MANAGE_CUSTOMERS))]
CanReceiveStock = Annotated[Principal, Depends(allowed(Action.RECEIVE_STOCK))]
CanReadStock = Annotated[Principal, Depends(allowed(Action.READ_STOCK))]
CanCreateOrder = Annotated[Principal, Depends(allowed(Action.CREATE_ORDER))]
CanReadOrders = Annotated[Principal, Depends(allowed(Action.READ_ORDERS))]
CanDecideApproval = Annotated[Principal, Depends(allowed(Action.DECIDE_APPROVAL))]
CanReadApprovalInbox = Annotated[Principal, Depends(allowed(Action.READ_APPROVAL_INBOX))]
CanRelayCustomerAnswer = Annotated[Principal, Depends(allowed(Action.RELAY_CUSTOMER_ANSWER))]
CanRecordPayment = Annotated[Principal, Depends(allowed(Action.RECORD_PAYMENT))]
CanRecordShipmentEvent = Annotated[Principal, Depends(allowed(Action.RECORD_SHIPMENT_EVENT))]
CanCancelOrder = Annotated[Principal, Depends(allowed(Action.CANCEL_ORDER))]
CanSetPrices = Annotated[Principal, Depends(allowed(Action.SET_PRICES))]
CanSetCredit = Annotated[Principal, Depends(allowed(Action.SET_CREDIT))]
CanAssignCustomerOwner = Annotated[Principal, Depends(allowed(Action.ASSIGN_CUSTOMER_OWNER))]
CanReadPolicy = Annotated[Principal, Depends(allowed(Action.READ_POLICY))]
CanManagePolicy = Annotated[Principal, Depends(allowed(Action.MANAGE_POLICY))]
CanDelegateApproval = Annotated[Principal, Depends(allowed(Action.DELEGATE_APPROVAL))]
CanManageApiKeys = Annotated[Principal, Depends(allowed(Action.MANAGE_API_KEYS))]
CanManageUsers = Annotated[Principal, Depends(allowed(Action.MANAGE_USERS))]
CanReadAudit = Annotated[Principal, Depends(allowed(Action.READ_AUDIT))]
CanReadKpis = Annotated[Principal, Depends(allowed(Action.READ_KPIS))]
CanReadNotifications = Annotated[Principal, Depends(allowed(Action.READ_NOTIFICATIONS))]
CanRetryNotifications = Annotated[Principal, Depends(allowed(Action.RETRY_NOTIFICATIONS))]
CanManageWebhooks = Annotated[Principal, Depends(allowed(Action.MANAGE_WEBHOOKS))]
CanDecodePayloads = Annotated[Principal, Depends(allowed(Action.DECODE_PAYLOADS))]
CanImportOrders = Annotated[Principal, Depends(allowed(Action.IMPORT_ORDERS))]
CanReadPickLists = Annotated[Principal, Depends(allowed(Action.READ_PICK_LISTS))]
CanPackShipment = Annotated[Principal, Depends(allowed(Action.PACK_SHIPMENT))]
CanTransferStock = Annotated[Principal, Depends(allowed(Action.TRANSFER_STOCK))]
CanSetShortageChoice = Annotated[Principal, Depends(allowed(Action.SET_SHORTAGE_CHOICE))]
CanResolveShipmentException = Annotated[
    Principal, Depends(allowed(Action.RESOLVE_SHIPMENT_EXCEPTION))
]
CanManageWarehouses = Annotated[Principal, Depends(allowed(Action.MANAGE_WAREHOUSES))]
CanChangeOrder = Annotated[Principal, Depends(allowed(Action.CHANGE_ORDER))]
CanAuthorizeReturn = Annotated[Principal, Depends(allowed(Action.AUTHORIZE_RETURN))]
CanReceiveReturn = Annotated[Principal, Depends(allowed(Action.RECEIVE_RETURN))]
CanDecideProduction = Annotated[Principal, Depends(allowed(Action.DECIDE_PRODUCTION))]
CanRecordProductionEvent = Annotated[Principal, Depends(allowed(Action.RECORD_PRODUCTION_EVENT))]
CanReadDocuments = Annotated[Principal, Depends(allowed(Action.READ_DOCUMENTS))]
CanReadAccounts = Annotated[Principal, Depends(allowed(Action.READ_ACCOUNTS))]
CanRefund = Annotated[Principal, Depends(allowed(Action.REFUND))]
CanReconcile = Annotated[Principal, Depends(allowed(Action.RECONCILE))]
CanCorrectInvoices = Annotated[Principal, Depends(allowed(Action.CORRECT_INVOICES))]
