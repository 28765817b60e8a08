"""RNN-T reference transcripts with numbers: normalize() against the reference's own cleaners.

Every expected string here is what upstream's normalize_string (mlcommons/inference f9a643c,
speech_recognition/rnnt/pytorch/parts/manifest.py with parts/text/cleaners.py and numbers.py)
returned under inflect 4.1.0 and unidecode 1.1.1, the versions its environment.yml pins. None is
where normalize_string fails and the reference Manifest drops the utterance; here that is an error.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest

from harness.envs import requirement_pins
from speech_recognition.rnnt import numbers, text

INTEGERS = [
    ("chapter 12", "chapter twelve"), ("0", "zero"), ("7", "seven"), ("13", "thirteen"),
    ("100", "one hundred"), ("101", "one hundred one"), ("999", "nine hundred ninety nine"),
    ("123456", "one hundred twenty three thousand four hundred fifty six"),
    # leading zeros: digit by digit
    ("007", "zero zero seven"), ("05", "zero five"), ("00", "zero zero"),
    # 1001 to 2999 read as years
    ("1000", "one thousand"), ("1001", "ten oh one"), ("1066", "ten sixty six"), ("1100", "eleven hundred"),
    ("1984", "nineteen eighty four"), ("1999", "nineteen ninety nine"), ("2000", "two thousand"),
    ("2001", "two thousand one"), ("2009", "two thousand nine"), ("2010", "twenty ten"),
    ("2024", "twenty twenty four"), ("2100", "twenty one hundred"), ("2999", "twenty nine ninety nine"),
    ("3000", "three thousand"), ("10000", "ten thousand"),
    # above a billion and not a multiple of 10**4: digit by digit
    ("1000000", "one million"), ("1000000000", "one billion"),
    ("1000000001", "one zero zero zero zero zero zero zero zero one"),
    ("1234567890", "one two three four five six seven eight nine zero"), ("10000000000", "ten billion"),
    ("12340000", "twelve million three hundred forty thousand"),
    ("99999999990000", "ninety nine trillion nine hundred ninety nine billion nine hundred ninety nine million"
                       " nine hundred ninety thousand"),
    ("1" + "0" * 35, "one hundred decillion"), ("1" * 40, " ".join(["one"] * 40)),
]

CURRENCY = [
    ("$3.50", "three dollars fifty cents"), ("$1", "one dollar"), ("$1.00", "one dollar"), ("$2", "two dollars"),
    ("$0.01", "one cent"), ("$0.1", "one cent"), ("$.5", "five cents"), ("$.50", "fifty cents"),
    ("$1.01", "one dollar one cent"), ("$1.5", "one dollar five cents"), ("$0", "zero dollars"),
    ("$0.00", "zero dollars"), ("$007", "seven dollars"), ("$3.", "three dollars"), ("$", ""),
    ("$1,000.50", "one thousand dollars fifty cents"), ("$1,000,000", "one million dollars"),
    ("$1.2.3", "one point two three dollars"),
    # unidecode turns "£" into "PS" before the numbers, so upstream's pounds rule never fires
    ("£2", "pstwo"), ("£1,000.5", "psone thousand point five"), ("¥100 €20", "y one hundred eurtwenty"),
]

ORDINALS = [
    ("1st", "first"), ("2nd", "second"), ("3rd", "third"), ("4th", "fourth"), ("11th", "eleventh"),
    ("12th", "twelfth"), ("13th", "thirteenth"), ("21st", "twenty first"), ("22nd", "twenty second"),
    ("103rd", "one hundred and third"), ("1000th", "one thousandth"), ("1th", "first"), ("2st", "second"),
    ("0th", "zeroth"), ("007th", "seventh"), ("5stars", "fifthars"), ("1960s", "nineteen sixtys"),
]

DECIMALS_COMMAS_FRACTIONS_TIMES = [
    ("3.14", "three point fourteen"), ("0.5", "zero point five"), ("10.05", "ten point zero five"),
    ("1.2.3", "one point two three"), (".5", "five"), ("5.", "five"), ("1.5m", "one point fivem"),
    ("1,000,000", "one million"), ("1,000", "one thousand"), ("1,000.5", "one thousand point five"),
    ("1,2,3", "one hundred twenty three"), ("12,34", "twelve thirty four"), ("1,", "one"), (",5", "five"),
    # no fraction rule: the slash is punctuation, and unidecode writes "½" as " 1/2 "
    ("1/2", "one two"), ("3/4", "three four"), ("½", "one two"), ("2½", "two one two"), ("¼ cup", "one four cup"),
    # upstream's H:MM rule runs after every digit is spelled, so it never fires
    ("8:00", "eight zero zero"), ("12:30", "twelve thirty"), ("10:05 pm", "ten zero five pm"),
    ("-5", "five"), ("+5", "plus five"), ("5%", "five"), ("#1", "one"),
]

MIXED = [
    ("a4 mp3 b2b covid19 x2.5", "afour mpthree btwob covidnineteen xtwo point five"),
    ("the '60s", "the 'sixtys"),
    ("Mr. Smith paid $3.50 on the 1st of May, 1984.",
     "mister smith paid three dollars fifty cents on the first of may nineteen eighty four"),
    ("He was born in 1066 & died 1100; he had 3 sons + 2 daughters.",
     "he was born in ten sixty six and died eleven hundred he had three sons plus two daughters"),
    ("Chapter XII: 22nd St. costs £5", "chapter xii twenty second saint costs psfive"),
    ("don’t stop “now” — it’s 2½ past 7", "don't stop now it's two one two past seven"),
    ("Straße Æsop Ørsted naïve", "strasse aesop orsted naive"), ("中文 5", "zhong wen five"), ("Ɂ 5", "five"),
    # random strings from the comparison with upstream
    ("$14:06439 045378383064014365370565 st$1734197923  æ ½ ",
     "fourteen dollars zero six four three nine zero four five three seven eight three eight three zero six four"
     " zero one four three six five three seven zero five six five stone seven three four one nine seven nine two"
     " three dollars ae one two"),
    ("8thdollars $ œ$4143337761740,92\t$070.7484  83 point ",
     "eighthdollars oefour one four three three three seven seven six one seven four zero nine two dollars seventy"
     " dollars seven thousand four hundred eighty four cents eighty three point"),
    ("¡\t610735 5706360 14 ́ 9045440003th\t한-| ",
     "six hundred ten thousand seven hundred thirty five five million seven hundred six thousand three hundred"
     " sixty fourteen nine billion forty five million four hundred and forty thousand and third han"),
    ("1227-П\t36450749528831436676\t\" stars  ",
     "twelve twenty seven p three six four five zero seven four nine five two eight eight three one four three six"
     " six seven six stars"),
    ("th-Ɂ-} st. co.-71 co.  mr.-", "th saint company seventy one company mister"),
]


@pytest.mark.parametrize("transcript,expected",
                         INTEGERS + CURRENCY + ORDINALS + DECIMALS_COMMAS_FRACTIONS_TIMES + MIXED)
def test_normalize_spells_numbers_as_upstream(transcript, expected):
    assert text.normalize(transcript) == expected


@pytest.mark.parametrize("transcript", ["$,5", "$1,.5", "$5.,0", "1" + "0" * 36, "10" * 20 + "0000"])
def test_transcripts_upstream_drops_are_errors(transcript):
    # a comma left in a dollar amount fails int(); 10**36 and above is past inflect's largest unit
    with pytest.raises(ValueError, match="drops it"):
        text.normalize(transcript)


def test_spell_numbers_before_punctuation_is_removed():
    assert numbers.spell_numbers("1,000,000 and 1984") == "one million and nineteen eighty-four"
    assert numbers.spell_numbers("$3.50 for 22nd") == "three dollars, fifty cents for twenty-second"
    assert numbers.spell_numbers("2005 007 103rd") == "two thousand five zero, zero, seven one hundred and third"
    assert numbers.spell_numbers("3.14 1.2.3 $1.2.3") == (
        "three point fourteen one point two.three one point two.three dollars")


def test_long_digit_runs_need_no_int_conversion():
    # Python 3.6 (upstream) has no int() digit limit; Python 3.11+ refuses more than 4300 digits
    assert text.normalize("9" * 5000) == " ".join(["nine"] * 5000)
    assert text.normalize("$" + "7" * 5000) == " ".join(["seven"] * 5000) + " dollars"


def test_installed_inflect_and_unidecode_are_the_pinned_versions():
    pins = requirement_pins(Path(text.__file__).with_name("requirements.txt"))
    assert (version("inflect"), version("unidecode")) == (pins["inflect"], pins["unidecode"]) == ("4.1.0", "1.1.1")
