"""Platform services every domain builds on: settings, logging, database engines, migrations.

Nothing here knows about money or any domain; domains (and their adapters) import the
platform, never the other way round. Nothing here is a global either: the composition root
(``bankstack.entrypoints``) calls ``load_settings()`` once and passes what it built along.
"""
