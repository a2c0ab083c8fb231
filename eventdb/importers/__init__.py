"""Importers: real datasets as fixture entries, loaded by the same path as `eventdb load`."""
