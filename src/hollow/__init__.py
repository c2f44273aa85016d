"""hollow: where did the money go when an exchange was hollowed out by its own market maker?"""

__version__ = "0.1.0"
