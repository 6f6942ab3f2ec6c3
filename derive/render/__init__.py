"""Renderers: text, LaTeX (Jinja2 templates), JSON and PDF.  No arithmetic here."""
