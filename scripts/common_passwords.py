"""Write academy/auth/data/common-passwords.txt: passwords people pick most, 12 characters or longer.

Generated, not copied from a leak: the shapes that top every published breach analysis (a
common word, name or keyboard walk, then digits, a year or a symbol; runs of one character;
a word twice), with Thai romanised words and Buddhist-Era years added. Shorter passwords are
left out: the policy refuses them by length already. Run: python scripts/common_passwords.py
"""

from __future__ import annotations

from itertools import product
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "academy" / "auth" / "data" / "common-passwords.txt"
MIN_LENGTH = 12

WORDS = [
    "password",
    "passw0rd",
    "p@ssword",
    "p@ssw0rd",
    "pass",
    "admin",
    "administrator",
    "root",
    "user",
    "login",
    "welcome",
    "letmein",
    "changeme",
    "qwerty",
    "qwertyuiop",
    "asdfgh",
    "asdfghjkl",
    "zxcvbnm",
    "abc",
    "abcd",
    "abcdef",
    "iloveyou",
    "loveyou",
    "lovely",
    "love",
    "monkey",
    "dragon",
    "master",
    "shadow",
    "superman",
    "batman",
    "spiderman",
    "football",
    "baseball",
    "basketball",
    "soccer",
    "hockey",
    "sunshine",
    "princess",
    "flower",
    "starwars",
    "pokemon",
    "naruto",
    "trustno1",
    "whatever",
    "freedom",
    "secret",
    "access",
    "hello",
    "helloworld",
    "computer",
    "internet",
    "jordan",
    "michael",
    "jennifer",
    "hunter",
    "ranger",
    "buster",
    "charlie",
    "thomas",
    "daniel",
    "andrew",
    "robert",
    "george",
    "jessica",
    "ashley",
    "michelle",
    "nicole",
    "tigger",
    "summer",
    "winter",
    "autumn",
    "spring",
    "samsung",
    "apple",
    "google",
    "facebook",
    "microsoft",
    "windows",
    "linux",
    "ubuntu",
    "oracle",
    "cisco",
    "server",
    "database",
    "system",
    "chocolate",
    "cookie",
    "banana",
    "orange",
    "purple",
    "yellow",
    "silver",
    "golden",
    "diamond",
    "crystal",
    "angel",
    "angels",
    "killer",
    "ninja",
    "pepper",
    "ginger",
    "maggie",
    "bailey",
    "shelby",
    "cheese",
    "butter",
    "mustang",
    "corvette",
    "ferrari",
    "porsche",
    "liverpool",
    "chelsea",
    "arsenal",
    "manchester",
    "barcelona",
    "realmadrid",
    "juventus",
    "mercedes",
    "toyota",
    "honda",
    "thailand",
    "bangkok",
    "siam",
    "sawasdee",
    "sawatdee",
    "khonkaen",
    "chiangmai",
    "phuket",
    "pattaya",
    "korat",
    "isan",
    "rakthai",
    "thailand",
    "kaokai",
    "chaiyo",
    "sanook",
    "mailove",
    "rakjung",
    "rakna",
    "khunmae",
    "khunpor",
    "government",
    "official",
    "civil",
    "service",
    "academy",
    "digital",
    "office",
    "ministry",
    "department",
    "summer2024",
    "family",
    "friends",
    "forever",
    "mylove",
    "myself",
    "baby",
    "babygirl",
    "babyboy",
    "sweety",
    "sweetheart",
]

SUFFIXES = [
    "",
    "1",
    "12",
    "123",
    "1234",
    "12345",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "!",
    "1!",
    "123!",
    "@123",
    "#1",
    "01",
    "007",
    "69",
    "99",
    "2000",
    "11",
    "22",
    "00",
]
YEARS = [*[str(year) for year in range(1990, 2031)], *[str(year) for year in range(2540, 2575)]]

PREFIXES = ["", "my", "the", "i", "ilove"]

KEYBOARD = [
    "1qaz2wsx3edc",
    "1qaz2wsx3edc4rfv",
    "zaq12wsxcde3",
    "zaq1xsw2cde3",
    "qazwsxedcrfv",
    "qazwsxedcrfvtgb",
    "1q2w3e4r5t6y",
    "1q2w3e4r5t6y7u",
    "1q2w3e4r5t6y7u8i",
    "qwertyuiopasdfghjkl",
    "asdfghjklzxcvbnm",
    "qwertyuiop[]",
    "qwertyuiop12",
    "qwertyuiop123",
    "q1w2e3r4t5y6",
    "q1w2e3r4t5y6u7",
    "a1s2d3f4g5h6",
    "zxcvbnmasdfghjkl",
    "qweasdzxc123",
    "qweasdzxcqwe",
    "1234qwerasdf",
    "1234qwerasdfzxcv",
    "qwer1234asdf",
    "!qaz2wsx#edc",
    "!qaz@wsx#edc",
    "1qazxsw23edc",
    "mnbvcxzlkjhgfdsa",
    "poiuytrewqasdf",
    "0987654321poiu",
    "abcdefghijkl",
    "abcdefghijklm",
    "abcdefghijklmnop",
    "abcd1234abcd",
    "abc123abc123",
    "abcabcabcabc",
    "qwertyqwerty",
    "asdfasdfasdf",
    "zxcvzxcvzxcv",
    "123qweasdzxc",
    "123qwe123qwe",
    "147258369147",
    "159753159753",
    "147852369852",
    "741852963741",
    "963852741963",
    "123698745123",
    "789456123789",
    "456123789456",
    "1234567890qwerty",
]


def candidates() -> list[str]:
    found: dict[str, None] = {}

    def add(word: str) -> None:
        if len(word) >= MIN_LENGTH:
            found.setdefault(word, None)

    for digits in range(MIN_LENGTH, 21):
        add("".join(str((n + 1) % 10) for n in range(digits)))  # 123456789012...
        add("".join(str(9 - n % 10) for n in range(digits)))  # 987654321098...
        for char in "0123456789abcxqz!*.":
            add(char * digits)
    for word in KEYBOARD:
        add(word)
        add(word + "!")
    for word, year in product(WORDS, YEARS):
        add(word + year)
        add(word + "@" + year)
    for prefix, word, suffix in product(PREFIXES, WORDS, SUFFIXES):
        if prefix and suffix not in ("", "1", "123", "1234", "123456"):
            continue
        add(prefix + word + suffix)
        if prefix == "" and suffix in ("", "1", "123", "!"):
            add(word.capitalize() + suffix)
            add(word + word + suffix)  # a word twice: passwordpassword
    return list(found)


def main() -> None:
    words = candidates()
    header = [
        "# Common passwords of 12 characters or more, refused by the password policy (academy.auth.passwords).",
        "# Generated by scripts/common_passwords.py (no leaked data; public domain). One a line, compared lowercase.",
    ]
    TARGET.write_text("\n".join([*header, *words]) + "\n", encoding="utf-8")
    print(f"{len(words)} passwords written to {TARGET}")


if __name__ == "__main__":
    main()
