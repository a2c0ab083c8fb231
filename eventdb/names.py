"""Normalizing names, aliases and external ids for lookup. Pure.

`Banghāzī`, `BANGHAZI` and `banghazi` are one key; so are `Ansar al-Sharia` and `Ansar al Sharia`:
a key keeps only letters and digits, case-folded, with accents stripped.
"""

import unicodedata


def name_key(name: str) -> str:
    """The lookup key of a name or alias; empty when the name has no letter or digit."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if char.isalnum())


def external_id_key(external_id: str) -> str:
    """The lookup key of an external id such as `ucdp:144` or `Wikidata:Q1234`."""
    scheme, _, value = external_id.strip().partition(":")
    return f"{scheme.strip().casefold()}:{value.strip().casefold()}"
