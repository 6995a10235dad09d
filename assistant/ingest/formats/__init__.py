"""Every document format the product reads, one module each; a new format is a module plus one line here."""

from assistant.ingest.formats import docx, html, pdf, plain
from assistant.ingest.registry import Format

FORMATS: tuple[Format, ...] = (
    pdf.FORMAT,
    plain.TEXT,
    plain.MARKDOWN,
    html.FORMAT,
    docx.FORMAT,
)
