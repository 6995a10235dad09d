"""Training, export and measurement of the learned reader (assistant/reader/ holds the runtime only)."""
