"""Urdu Genre App: tells the genre of an Urdu song (Ghazal, Qawwali, Hip-hop, Rock)."""

__version__ = "0.1.0"
