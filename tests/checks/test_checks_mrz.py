"""MRZ parsing (ICAO Doc 9303): every specimen passes, any changed character is caught."""

import pytest

from cruce.checks import check_digit, parse_mrz
from cruce.errors import InvalidInput

# The specimens of ICAO Doc 9303 (part 4 appendix for TD3, part 5 for TD1, part 6 for TD2).
TD3 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
TD2 = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6"
TD1 = ("I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\n"
       "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")


@pytest.mark.parametrize(("zone", "kind", "number"), [(TD3, "TD3", "L898902C3"),
                                                      (TD2, "TD2", "D23145890"),
                                                      (TD1, "TD1", "D23145890")])
def test_every_icao_specimen_passes(zone: str, kind: str, number: str) -> None:
    mrz = parse_mrz(zone)
    assert (mrz.format, mrz.issuing_country, mrz.document_number) == (kind, "UTO", number)
    assert (mrz.surnames, mrz.given_names, mrz.nationality) == ("ERIKSSON", "ANNA MARIA", "UTO")
    assert (mrz.birth_date, mrz.sex, mrz.expiry_date) == ("1974-08-12", "F", "2012-04-15")


def test_the_check_digit_is_icao_7_3_1() -> None:
    assert [check_digit(f) for f in ("L898902C3", "740812", "120415", "ZE184226B<<<<<")] == \
        ["6", "2", "9", "1"]


def _change(zone: str, line: int, col: int) -> str:
    lines = zone.split("\n")
    char = lines[line][col]
    other = "7" if char != "7" else "3"
    lines[line] = lines[line][:col] + other + lines[line][col + 1:]
    return "\n".join(lines)


@pytest.mark.parametrize(("zone", "line", "col", "field"), [
    (TD3, 1, 3, "document number"), (TD3, 1, 9, "document number"), (TD3, 1, 15, "birth date"),
    (TD3, 1, 24, "expiry date"), (TD3, 1, 30, "personal number"), (TD3, 1, 43, "composite"),
    (TD2, 1, 0, "document number"), (TD2, 1, 16, "birth date"), (TD2, 1, 35, "composite"),
    (TD1, 0, 7, "document number"), (TD1, 1, 2, "birth date"), (TD1, 1, 10, "expiry date"),
    (TD1, 1, 29, "composite"),
])
def test_a_changed_digit_is_caught_naming_its_field(zone: str, line: int, col: int,
                                                   field: str) -> None:
    with pytest.raises(InvalidInput, match=f"^MRZ {field}: check digit"):
        parse_mrz(_change(zone, line, col))


def test_ocr_confusions_in_the_number_are_caught() -> None:
    for wrong in ("L898902CB", "L8989O2C3", "LB98902C3"):
        with pytest.raises(InvalidInput, match="^MRZ document number"):
            parse_mrz(TD3.replace("L898902C3", wrong))


def test_a_zone_of_the_wrong_shape_is_refused_saying_what_it_got() -> None:
    with pytest.raises(InvalidInput, match=r"got 44 \+ 43$"):
        parse_mrz(TD3[:-1])
    with pytest.raises(InvalidInput, match="line 2: '-'"):
        parse_mrz(TD3.replace("<<<<<10", "<<<<-10"))


def test_a_td1_number_longer_than_nine_continues_in_the_optional_field() -> None:
    number = "D23145890734"
    line1 = f"I<UTO{number[:9]}<{number[9:]}{check_digit(number)}".ljust(30, "<")
    line2 = "7408122F1204159UTO<<<<<<<<<<<"
    line2 += check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    mrz = parse_mrz(f"{line1}\n{line2}\nERIKSSON<<ANNA<MARIA<<<<<<<<<<")
    assert mrz.document_number == number
