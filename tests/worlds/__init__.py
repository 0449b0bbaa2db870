"""The worlds the domain tests share, one module per domain, each built from tests/factories.py: a test module
names its builder in ``WORLD`` and asks for the ``world`` fixture (conftest.py)."""
