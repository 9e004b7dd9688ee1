"""Approvals: the approver's decision, the customer's confirmation, the inbox and the approval
KPIs."""
