"""The payments domain's HTTP pages: the hosted cashier a trade's QR code opens."""

from bankstack.payments.api.cashier import SECURITY_HEADERS, DemoCustomers, cashier_router

__all__ = ["SECURITY_HEADERS", "DemoCustomers", "cashier_router"]
