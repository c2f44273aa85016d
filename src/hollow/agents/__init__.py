"""Agents of the market layer; each belongs to a counterparty class used in every output."""
