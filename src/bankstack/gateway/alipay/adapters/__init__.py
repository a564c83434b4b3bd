"""Adapters of the Alipay gateway's ports: in memory (single process), on the database
(SQLAlchemy Core, shared by every process), and the platform key file."""
