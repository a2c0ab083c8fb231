"""Names match however they are typed: case, accents, hyphens and spaces do not matter."""

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventdb.names import external_id_key, name_key


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Banghāzī", "banghazi"),
        ("DAESH", "Daesh"),
        ("Ansar al-Sharia", "ansar al sharia"),
        ("Ansar al-Shari'a", "Ansar Al Sharia"),
        ("Darnah", "DARNAH"),
        ("Straße", "strasse"),
        ("  Derna ", "derna"),
        ("درنة", "دَرْنَة"),  # Arabic: vowel marks are stripped like accents
    ],
)
def test_variants_of_a_name_share_one_key(typed: str, stored: str) -> None:
    assert name_key(typed) == name_key(stored)


def test_different_names_keep_different_keys() -> None:
    assert name_key("Derna") != name_key("Dernah")
    assert name_key("ISIS") != name_key("IS")


def test_a_name_without_letters_has_an_empty_key() -> None:
    assert name_key("--- !") == ""


def test_external_ids_match_without_regard_to_case_or_spacing() -> None:
    assert external_id_key("UCDP:144") == external_id_key(" ucdp : 144 ") == "ucdp:144"
    assert external_id_key("wikidata:Q31") == "wikidata:q31"


@given(st.text(max_size=40))
def test_the_key_keeps_exactly_the_letters_and_digits_of_the_folded_name(name: str) -> None:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    assert name_key(name) == "".join(char for char in decomposed if char.isalnum())
