"""The spec's text rules: NFC, case- and space-insensitive matching, Serbian transliteration."""
import re
import unicodedata

# Any Unicode space at either end (str.isspace covers the no-break and the figure spaces);
# zero-width characters are format characters, not spaces, and are not forgiven.
_EDGE_SPACE = re.compile(r"^\s+|\s+$")

# The standard one-to-one correspondence of the Serbian Cyrillic and Latin alphabets.
_SERBIAN_CYR_TO_LAT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "е": "e", "ж": "ž",
    "з": "z", "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n",
    "њ": "nj", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "ć", "у": "u",
    "ф": "f", "х": "h", "ц": "c", "ч": "č", "џ": "dž", "ш": "š",
}
_SERBIAN_TABLE = str.maketrans(
    {**_SERBIAN_CYR_TO_LAT, **{c.upper(): latin.capitalize() for c, latin in _SERBIAN_CYR_TO_LAT.items()}}
)


def clean(value: str) -> str:
    """A cell as the warehouse keeps it: NFC, surrounding spaces removed."""
    return _EDGE_SPACE.sub("", unicodedata.normalize("NFC", value))


def serbian_latin(value: str) -> str:
    """Serbian Cyrillic written in Latin letters; Latin text passes unchanged."""
    return unicodedata.normalize("NFC", value).translate(_SERBIAN_TABLE)


def match_key(value: str, transliterate: bool = False) -> str:
    """The form in which headers and codes are compared: NFC, trimmed, case-folded,
    and for dialects that allow both scripts, written in Latin."""
    text = clean(value)
    if transliterate:
        text = serbian_latin(text)
    return text.casefold()
