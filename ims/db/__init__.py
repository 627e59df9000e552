"""Database layer: typed SQLAlchemy models, the engine and session, the embedded cluster."""
