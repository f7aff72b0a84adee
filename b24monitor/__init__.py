"""b24monitor: a live monitor for Bitrix24 REST event deliveries."""

__version__ = "0.1.0"
