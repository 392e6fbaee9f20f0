"""Local stand-ins for the payment providers, for tests and `make run` offline.

Each is a small WSGI app with no Django models and no database: it keeps its state in
memory, has its own RSA keys, and speaks the provider's documented HTTP API closely
enough that the real client libraries talk to it unchanged.
"""
