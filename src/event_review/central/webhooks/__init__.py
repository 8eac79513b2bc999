"""Outbound webhooks: admin-registered receivers of what happens to reviews, fed by a
durable outbox (outbox.py), delivered signed (Standard Webhooks) by a worker
(delivery.py), and never to an address the centre may not call (destination.py)."""
