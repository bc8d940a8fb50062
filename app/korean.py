"""Korean particles chosen from the word before them (the same rules as ``particles`` in
app/static/js/common.js).

A text written with both forms of a particle after a field — ``{name}을(를)``, ``{programme}은(는)``,
``{time}(으)로`` — reads mechanically once the field is filled. :func:`particles` replaces each
such pair with the one form the word before it takes: after a final consonant (받침) 을, 은, 이,
과, 으로 (but 로 after ㄹ); else 를, 는, 가, 와, 로. The word is the text before the pair, skipping a
closing bracket group (``박도윤(3세 3개월)은(는)`` reads 박도윤) and closing quotes. A Hangul
syllable says its own 받침; a number is read in Sino-Korean (``19:15`` ends in 오, ``19:30`` in
십, ``0`` is 영); a Latin letter as its Korean name (L 엘, M 엠, N 엔, R 알 end in a consonant).
When the word cannot be read (nothing, a space, a symbol) the pair is kept as written.
tests/data/korean_particles.json is the table both implementations are tested against.
"""

from __future__ import annotations

import re

# the pair as written → (after a final consonant, after a vowel, after ㄹ)
_PAIRS = {
    "을(를)": ("을", "를", "을"), "를(을)": ("을", "를", "을"),
    "은(는)": ("은", "는", "은"), "는(은)": ("은", "는", "은"),
    "이(가)": ("이", "가", "이"), "가(이)": ("이", "가", "이"),
    "과(와)": ("과", "와", "과"), "와(과)": ("과", "와", "과"),
    "(으)로": ("으로", "로", "로"), "(이)": ("이", "", "이"),
}
_PAIR = re.compile("|".join(re.escape(p) for p in sorted(_PAIRS, key=len, reverse=True)))
PARTICLE_PAIR = _PAIR
"""A particle written as both its forms (을(를), 이(가), (으)로 …), as :func:`particles` finds them."""
_CLOSING = {")": "(", "]": "[", "）": "（"}
_QUOTES = "'\"’”」』"
_LATIN_CONSONANT = {"l": "ㄹ", "m": "ㅁ", "n": "ㄴ", "r": "ㄹ"}  # 엘 엠 엔 알; every other letter ends in a vowel
_DIGIT_FINAL = {"0": "ㅇ", "1": "ㄹ", "2": "", "3": "ㅁ", "4": "", "5": "", "6": "ㄱ", "7": "ㄹ", "8": "ㄹ", "9": ""}
_JONG_RIEUL = 8  # ㄹ's index among the final consonants of a Hangul syllable
# White space as the pages' script reads it (JavaScript's \s and trimEnd), not str.isspace():
# that also counts U+001C-U+001F and U+0085 and leaves out U+FEFF, and the two must agree.
_SPACES = ("\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
           "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff")


def final_consonant(word: str) -> str | None:
    """The final consonant the end of ``word`` is read with: ``""`` for none (a vowel), ``"ㄹ"``,
    another consonant (``"ㄴ"``, ``"ㅁ"`` …, the exact one only for ㄹ; others may be named
    loosely), or None when the end cannot be read."""
    text = word.rstrip(_SPACES)
    while text:
        last = text[-1]
        if last in _QUOTES:
            text = text[:-1].rstrip(_SPACES)
            continue
        if last in _CLOSING:  # skip a bracketed aside: the particle follows the word before it
            opening = text.rfind(_CLOSING[last])
            if opening <= 0:
                return None
            text = text[:opening].rstrip(_SPACES)
            continue
        break
    if not text:
        return None
    last = text[-1]
    if "가" <= last <= "힣":
        jong = (ord(last) - 0xAC00) % 28
        return "" if jong == 0 else "ㄹ" if jong == _JONG_RIEUL else "ㅇ"
    if last.isdigit() and last.isascii():
        digits = re.search(r"[0-9]+$", text)
        number = digits.group(0) if digits else last
        if set(number) == {"0"}:
            return "ㅇ"  # 영
        zeros = len(number) - len(number.rstrip("0"))
        if zeros:
            return "ㄴ" if zeros >= 3 else "ㅂ" if zeros == 1 else "ㄱ"  # 천/만, 십, 백
        return _DIGIT_FINAL[last]
    if last.isascii() and last.isalpha():
        return _LATIN_CONSONANT.get(last.lower(), "")
    return None


def particle(word: str, pair: str) -> str:
    """The form of ``pair`` (one of ``을(를)``, ``은(는)``, ``이(가)``, ``와(과)``, ``(으)로``,
    ``(이)`` or their reverse order) that follows ``word``; the pair itself when ``word``'s end
    cannot be read. Raises ``KeyError`` for an unknown pair."""
    after_consonant, after_vowel, after_rieul = _PAIRS[pair]
    final = final_consonant(word)
    if final is None:
        return pair
    return after_vowel if final == "" else after_rieul if final == "ㄹ" else after_consonant


def particles(text: str) -> str:
    """``text`` with every particle pair replaced by the form the word before it takes."""
    out: list[str] = []
    last = 0
    for found in _PAIR.finditer(text):
        before = text[:found.start()]
        out.append(text[last:found.start()])
        out.append(particle(before, found.group(0)) if before and before[-1] not in _SPACES else found.group(0))
        last = found.end()
    out.append(text[last:])
    return "".join(out)
