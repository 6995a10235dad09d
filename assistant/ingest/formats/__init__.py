"""Every document format the product reads: one module each (with a FORMATS tuple), listed once below. A new
format is a new module here plus one line in FORMAT_MODULES; the loader, uploads and the app follow."""

from importlib import import_module

from assistant.ingest.registry import Format

FORMAT_MODULES = (
    "pdf",
    "plain",
    "html",
    "docx",
    "odt",
)
FORMATS: tuple[Format, ...] = tuple(f for name in FORMAT_MODULES for f in import_module(f"{__name__}.{name}").FORMATS)
