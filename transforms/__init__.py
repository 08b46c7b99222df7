"""Shaping validated returns into warehouse rows."""
