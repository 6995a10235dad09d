"""Streamlit pages of the app, one module each; app.py lists them in its navigation."""
