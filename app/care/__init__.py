"""The care cycle's core (no Flask, no database): booking rules, the lifecycles of bookings,
care requests and offers, and the checks of a requested care window.

The web layer (``app/api``, ``app/pages``) and the storage (``app/db``) call these public
functions; nothing here reads settings or a clock of its own (``now`` is passed in).
"""
