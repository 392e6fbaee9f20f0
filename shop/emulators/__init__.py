"""Local stand-ins for the payment providers, for tests and offline `make run`.

Each is a small WSGI app with no Django models and no database: state lives in memory.
They speak the providers' documented HTTP protocols over real sockets, so the adapters
are exercised through their real client libraries.
"""
