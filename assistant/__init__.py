"""Local question answering that answers only with verbatim, cited quotes."""
