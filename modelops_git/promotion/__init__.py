"""Promotions: gates, records, providers."""
