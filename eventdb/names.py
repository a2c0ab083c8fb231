"""Normalizing names, aliases and external ids for lookup. Pure.

`Banghāzī`, `BANGHAZI` and `banghazi` are one key; so are `Ansar al-Sharia` and `Ansar al Sharia`:
a key keeps only letters and digits, case-folded, with accents stripped.
"""

import re
import unicodedata
from functools import lru_cache
from typing import Final

# Anything that is not a letter or a digit: what `str.isalnum` rejects, and the underscore.
_NOT_ALNUM: Final = re.compile(r"[\W_]+")


@lru_cache(maxsize=65_536)
def name_key(name: str) -> str:
    """The lookup key of a name or alias; empty when the name has no letter or digit."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return _NOT_ALNUM.sub("", decomposed)


def external_id_key(external_id: str) -> str:
    """The lookup key of an external id such as `ucdp:144` or `Wikidata:Q1234`."""
    scheme, _, value = external_id.strip().partition(":")
    return f"{scheme.strip().casefold()}:{value.strip().casefold()}"
