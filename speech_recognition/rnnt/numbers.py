"""Numbers in reference transcripts spelled out, as upstream's english_cleaners does with inflect.

The input is lower-case ASCII (after unidecode). The rules run in this order, each over the text
the previous one left:

1. Commas go from a digit run that starts and ends with a digit: "1,000,000" -> "1000000", and
   also "1,2,3" -> "123".
2. "$" with digits, dots and commas after it, up to the last digit: split at ".", more than two
   pieces stay as they are plus " dollars"; otherwise dollars and cents are the integers of the
   two pieces ("$1.5" is one dollar five cents, "$.50" fifty cents) written as "D dollars, C
   cents" with only the non-zero parts, singular for 1, and "zero dollars" when both are 0. A
   comma left in a piece ("$,5", "$1,.5") is an error.
3. A decimal "D.D" has its dot spelled " point " ("3.14" -> "3 point 14"; "1.2.3" -> "1 point 2.3").
4. Digits followed by st, nd, rd or th, even inside a word, are an ordinal: "22nd" ->
   "twenty-second", "103rd" -> "one hundred and third", "1th" -> "first".
5. Every other digit run: with a leading 0, digit by digit ("007" -> "zero, zero, seven"); 1001 to
   2999 as a year ("1984" -> "nineteen eighty-four", "2005" -> "two thousand five", "1900" ->
   "nineteen hundred", "2010" -> "twenty ten", "1001" -> "ten oh one"); above 10**9 and not a
   multiple of 10**4, digit by digit; else the number in words without "and".

Upstream's "£" rule never fires (unidecode has already made "£" into "PS") and its "H:MM" rule runs
after every digit is spelled, so neither is here. Upstream runs on Python 3.6, whose int() has no
digit limit, so long digit runs are handled as strings here rather than converted with int().
"""

from __future__ import annotations

import re

import inflect

_ENGINE = inflect.engine()
_COMMA_NUMBER = re.compile(r"[0-9][0-9,]+[0-9]")
_DOLLARS = re.compile(r"\$([0-9.,]*[0-9])")
_DECIMAL = re.compile(r"[0-9]+\.[0-9]+")
_ORDINAL = re.compile(r"[0-9]+(?:st|nd|rd|th)")
_DIGITS = re.compile(r"[0-9]+")


def _whole(piece: str) -> str:
    """The integer a piece of a dollar amount holds, without leading zeros; '' is 0."""
    if "," in piece:
        raise ValueError(f"a comma is left in the dollar amount piece {piece!r}")
    return piece.lstrip("0") or "0"


def _unit(amount: str, singular: str) -> str:
    return f"{amount} {singular}" if amount == "1" else f"{amount} {singular}s"


def _dollars(match: re.Match) -> str:
    amount = match.group(1)
    pieces = amount.split(".")
    if len(pieces) > 2:
        return amount + " dollars"
    dollars = _whole(pieces[0])
    cents = _whole(pieces[1]) if len(pieces) == 2 else "0"
    spelled = [_unit(dollars, "dollar")] if dollars != "0" else []
    if cents != "0":
        spelled.append(_unit(cents, "cent"))
    return ", ".join(spelled) or "zero dollars"


def _integer(match: re.Match) -> str:
    digits = match.group(0)
    words = _ENGINE.number_to_words
    if digits[0] == "0":
        return words(digits, andword="", group=1)
    if len(digits) == 4 and 1000 < int(digits) < 3000:
        year = int(digits)
        if year == 2000:
            return "two thousand"
        if 2000 < year < 2010:
            return "two thousand " + words(year % 100)
        if year % 100 == 0:
            return words(year // 100) + " hundred"
        return words(year, andword="", zero="oh", group=2).replace(", ", " ")
    if len(digits) >= 10 and not digits.endswith("0000"):  # > 10**9, not a multiple of 10**4
        return words(digits, andword="", group=1)
    return words(digits, andword="")


def spell_numbers(text: str) -> str:
    """Digits in lower-case ASCII text spelled as words; errors where upstream's expansion fails."""
    text = _COMMA_NUMBER.sub(lambda m: m.group(0).replace(",", ""), text)
    text = _DOLLARS.sub(_dollars, text)
    text = _DECIMAL.sub(lambda m: m.group(0).replace(".", " point "), text)
    text = _ORDINAL.sub(lambda m: _ENGINE.number_to_words(m.group(0)), text)
    return _DIGITS.sub(_integer, text)
