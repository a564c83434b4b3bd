"""Adapters of the Alipay gateway's ports that need no database."""
