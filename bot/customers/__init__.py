"""Verified customers: the signed identity, the company's customer-data connector and the demo
shop's account."""
