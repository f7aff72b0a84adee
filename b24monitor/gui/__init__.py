"""The desktop front end (PySide6 + qasync): the only package of b24monitor that imports Qt.

`app.run(data_dir)` composes one Session with the main window. Modules without Qt imports
(`event_list`, `store_worker`, `deletion`, `rate_history`, `export_job`) hold the state; the Qt
modules are thin adapters and widgets over it (../shared/guide/architecture.md, "Models and views").
"""
