"""Text-encoding detection for delimited files and JSON.

Order of evidence: a byte-order mark is certain; UTF-8 that validates is almost certain (random
8-bit text practically never does); UTF-8 with a few broken sequences among many valid ones is
damaged UTF-8, never a legacy code page (reading it as cp1252 would garble every accented letter),
so it is refused with the place of the damage unless the user asks for `utf-8-replace`; otherwise
charset-normalizer may recognise a non-Latin code page (a guess no language supports is reported
as low-confidence), and everything Latin-looking falls back to cp1252, what Western Excel writes.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from core.errors import UserInputError

Opener = Callable[[], BinaryIO]

SAMPLE_BYTES = 1024**2
"""Leading bytes used to detect encoding, delimiter and header."""
UTF8_VALIDATE_BYTES = 64 * 1024**2
"""UTF-8 is validated this far into the file, so a cp1252 umlaut on row 90 000 is still seen."""
_NORMALIZER_BYTES = 256 * 1024

UTF8_REPLACE = "utf-8-replace"
"""The encoding name a user gives to read UTF-8 with invalid byte sequences replaced by U+FFFD."""
_UTF8_REPLACE_NAMES = {"utf-8-replace", "utf8-replace", "utf_8_replace", "utf-8-sig-replace"}
_MULTIBYTE = {
    codecs.lookup(name).name
    for name in (
        *("shift_jis", "cp932", "euc_jp", "gb2312", "gbk", "gb18030"),
        *("big5", "big5hkscs", "euc_kr", "cp949", "johab"),
    )
}
MIN_COHERENCE = 0.2
"""charset-normalizer's language coherence below which a guessed code page is low-confidence."""

_BOMS: list[tuple[bytes, str, str]] = [
    # order matters: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16-be"),
]

# Code pages charset-normalizer may be trusted on: scripts that cp1252 would turn into nonsense.
# Latin-family guesses (cp1250, latin-1, mac-roman, ...) are ignored in favour of cp1252: for
# German/French/Spanish text they are mostly the same bytes and the guesses are unstable.
_NON_LATIN = {
    codecs.lookup(name).name
    for name in (
        "cp1251",
        "koi8_r",
        "koi8_u",
        "iso8859_5",
        "mac_cyrillic",
        "cp866",
        "cp855",
        "cp1253",
        "iso8859_7",
        "cp1255",
        "iso8859_8",
        "cp1256",
        "iso8859_6",
        "shift_jis",
        "cp932",
        "euc_jp",
        "gb2312",
        "gbk",
        "gb18030",
        "big5",
        "big5hkscs",
        "euc_kr",
        "cp949",
        "johab",
        "cp874",
        "tis_620",
        "cp1258",
    )
}

_PG_ENCODINGS = {
    "utf-8": "UTF8",
    "utf-8-sig": "UTF8",
    "ascii": "SQL_ASCII",
    "cp1252": "WIN1252",
    "iso8859-1": "LATIN1",
    "iso8859-15": "LATIN9",
    "iso8859-2": "LATIN2",
    "cp1250": "WIN1250",
    "cp1251": "WIN1251",
    "cp1253": "WIN1253",
    "cp1254": "WIN1254",
    "cp1255": "WIN1255",
    "cp1256": "WIN1256",
    "cp1257": "WIN1257",
    "cp1258": "WIN1258",
    "cp866": "WIN866",
    "cp874": "WIN874",
    "koi8-r": "KOI8R",
    "koi8-u": "KOI8U",
    "iso8859-5": "ISO_8859_5",
    "iso8859-6": "ISO_8859_6",
    "iso8859-7": "ISO_8859_7",
    "iso8859-8": "ISO_8859_8",
    "shift_jis": "SJIS",
    "cp932": "SJIS",
    "euc_jp": "EUC_JP",
    "gbk": "GBK",
    "gb18030": "GB18030",
    "big5": "BIG5",
    "euc_kr": "EUC_KR",
    "cp949": "UHC",
}
_STATEFUL = {
    "utf-7",
    "hz",
    "iso2022_jp",
    "iso2022_jp_1",
    "iso2022_jp_2",
    "iso2022_jp_2004",
    "iso2022_jp_3",
    "iso2022_jp_ext",
    "iso2022_kr",
}


@dataclass(frozen=True)
class EncodingChoice:
    """How to decode a file.

    `encoding` is what `open()` needs (BOM-aware codecs strip the BOM); `byte_codec` is a
    stateless, BOM-less codec giving the exact byte length of decoded text, or None when that
    is impossible (stateful encodings), which disables `data_start_offset`.
    """

    encoding: str
    bom_length: int
    byte_codec: str | None
    note: str
    errors: str = "strict"
    damaged_utf8: DamagedUtf8 | None = None
    guess: EncodingGuess | None = None


@dataclass(frozen=True)
class DamagedUtf8:
    """UTF-8 with a few invalid sequences among many valid ones (seen in the validated prefix)."""

    invalid_sequences: int
    valid_non_ascii: int
    scanned_bytes: int
    complete: bool


@dataclass(frozen=True)
class EncodingGuess:
    """What charset-normalizer said about a code page it chose (chaos: mess ratio, 0 is clean)."""

    encoding: str
    chaos: float
    coherence: float
    languages: list[str]
    confident: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "guessed": self.encoding,
            "confident": self.confident,
            "chaos": round(self.chaos, 3),
            "coherence": round(self.coherence, 3),
            "languages": self.languages,
        }


def bom_of(head: bytes) -> tuple[str, str, int] | None:
    """(encoding, byte codec, BOM length) when `head` starts with a byte-order mark."""
    for bom, enc, byte_codec in _BOMS:
        if head.startswith(bom):
            return enc, byte_codec, len(bom)
    return None


def _bomless_utf16(head: bytes) -> str | None:
    """UTF-16 without BOM: ASCII-heavy text then has a NUL in every other byte."""
    sample = head[:4096]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    even_nul = even.count(0) / len(even)
    odd_nul = odd.count(0) / len(odd)
    if odd_nul > 0.4 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.4 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def is_utf8_replace(name: str | None) -> bool:
    """Did the user ask for UTF-8 with invalid bytes replaced (`utf-8-replace`)?"""
    return name is not None and name.strip().lower() in _UTF8_REPLACE_NAMES


def normalize_encoding(name: str, display: str) -> str:
    """Python's canonical codec name, or a clear error for a typo."""
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        raise UserInputError(
            f"unknown text encoding {name!r}",
            file=display,
            hint="use a name such as utf-8, cp1252, latin-1 or utf-16",
        ) from None


def _utf8_valid(opener: Opener, limit: int) -> tuple[bool, bytes]:
    """Validate UTF-8 over the first `limit` bytes; on failure return bytes around the bad spot."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    read = 0
    with opener() as fh:
        while read < limit:
            chunk = fh.read(min(1024**2, limit - read))
            if not chunk:
                try:
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    return False, b""
                return True, b""
            read += len(chunk)
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                start = max(0, exc.start - _NORMALIZER_BYTES // 2)
                return False, exc.object[start : start + _NORMALIZER_BYTES]
    return True, b""


_REPLACEMENT_UTF8 = "\ufffd".encode()


def utf8_damage(opener: Opener, limit: int, skip: int = 0) -> DamagedUtf8:
    """Count invalid UTF-8 sequences and valid non-ASCII characters in the first `limit` bytes.

    Decodes with replacement: U+FFFD characters beyond those spelled in the file (EF BF BD) are
    the invalid sequences, one per maximal invalid subpart as Unicode recommends.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    invalid = non_ascii = read = genuine = 0
    tail = b""
    complete = False
    with opener() as fh:
        fh.read(skip)
        while read < limit:
            chunk = fh.read(min(1024**2, limit - read))
            final = not chunk
            text = decoder.decode(chunk, final=final)
            both = tail + chunk
            genuine += both.count(_REPLACEMENT_UTF8) - tail.count(_REPLACEMENT_UTF8)
            tail = both[-2:]
            replaced = text.count("\ufffd")
            invalid += replaced
            non_ascii += len(text) - len(text.encode("ascii", "ignore")) - replaced
            if final:
                complete = True
                break
            read += len(chunk)
    invalid -= genuine
    return DamagedUtf8(max(invalid, 0), non_ascii + genuine, read, complete)


_WORD = re.compile(r"[^\W\d_]+")


def western_plausible(text: str) -> bool:
    """Does text decoded as cp1252 read like a Western language?

    In German/French/Spanish words accented letters are a minority ("Größe", "Région"); Cyrillic,
    Greek or CJK bytes read as cp1252 give words made almost only of accented letters ("Èìÿ").
    """
    accented = letters = 0
    for word in _WORD.findall(text):
        extra = sum(1 for ch in word if ch > "\x7f")
        if extra:
            accented += extra
            letters += len(word)
    return letters == 0 or accented / letters < 0.6


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(opener: Opener, head: bytes, display: str, explicit: str | None) -> EncodingChoice:
    """Choose the encoding of a text file from its leading bytes (`head`) and, for UTF-8, more.

    `explicit` (the user's choice) wins, except that a matching BOM is still stripped.
    """
    bom = bom_of(head)
    if is_utf8_replace(explicit):
        if bom is not None and bom[0] != "utf-8-sig":
            raise UserInputError(
                f"starts with a {bom[0].upper()} byte-order mark, so it is not UTF-8; 'utf-8-replace' "
                "cannot read it",
                file=display,
                hint="leave the encoding empty (detected from the byte-order mark)",
            )
        length = bom[2] if bom is not None else 0
        return EncodingChoice(
            "utf-8-sig" if length else "utf-8",
            length,
            "utf-8",
            "encoding utf-8, invalid bytes replaced by U+FFFD (given)",
            errors="replace",
        )
    if explicit:
        name = normalize_encoding(explicit, display)
        if bom is not None:
            enc, byte_codec, length = bom
            if name.split("-")[:2] == enc.split("-")[:2]:  # utf-8[-sig] / utf-16[-le] / utf-32...
                return EncodingChoice(enc, length, byte_codec, f"encoding {enc} (given, with BOM)")
        byte_codec = None if name in _STATEFUL else name
        if name == "utf-16" or name == "utf-32":
            byte_codec = None  # BOM-less "utf-16" means platform order; keep no offsets
        return EncodingChoice(name, 0, byte_codec, f"encoding {name} (given)")

    if bom is not None:
        enc, byte_codec, length = bom
        if enc == "utf-8-sig" and not _utf8_valid(opener, UTF8_VALIDATE_BYTES)[0]:
            damage = utf8_damage(opener, UTF8_VALIDATE_BYTES, skip=length)
            note = "encoding utf-8-sig (byte-order mark; damaged: invalid byte sequences)"
            return EncodingChoice(enc, length, byte_codec, note, damaged_utf8=damage)
        return EncodingChoice(enc, length, byte_codec, f"encoding {enc} (byte-order mark)")

    utf16 = _bomless_utf16(head)
    if utf16 is not None:
        return EncodingChoice(utf16, 0, utf16, f"encoding {utf16} (no BOM, detected from NUL bytes)")

    ok, around_error = _utf8_valid(opener, UTF8_VALIDATE_BYTES)
    if ok:
        return EncodingChoice("utf-8", 0, "utf-8", "encoding utf-8 (validated)")
    damage = utf8_damage(opener, UTF8_VALIDATE_BYTES)
    if damage.valid_non_ascii > damage.invalid_sequences:
        return EncodingChoice(
            "utf-8", 0, "utf-8", "encoding utf-8 (damaged: invalid byte sequences)", damaged_utf8=damage
        )

    from charset_normalizer import from_bytes  # only needed for non-UTF-8 files; slow to import

    probe = around_error or head[:_NORMALIZER_BYTES]
    best = from_bytes(probe).best()
    guess = codecs.lookup(best.encoding).name if best is not None else None
    western = _decodes(head, "cp1252") and _decodes(probe, "cp1252")
    if (
        guess in _NON_LATIN
        and _decodes(head, guess)
        and not (western and western_plausible(probe.decode("cp1252", errors="replace")))
    ):
        return _guessed(guess, best)
    if western:
        return EncodingChoice("cp1252", 0, "cp1252", "encoding cp1252 (not UTF-8; Western Excel default)")
    if guess is not None and _decodes(head, guess) and _decodes(probe, guess):
        return _guessed(guess, best)
    raise UserInputError(
        "the text encoding could not be detected (not UTF-8, not Windows-1252)",
        file=display,
        hint="save the file as CSV UTF-8, or choose its encoding explicitly",
    )


def _guessed(name: str, best: Any) -> EncodingChoice:
    """A code page charset-normalizer chose, with how sure it can be.

    Confident when the decoded text reads as some language (coherence), or for a multi-byte
    East Asian code page whose byte structure the text follows without mess (chaos); a DOS code
    page that merely has a character for every byte is neither.
    """
    languages = [lang for lang in best.languages if lang and lang != "Unknown"]
    confident = (best.coherence >= MIN_COHERENCE and bool(languages) and best.chaos <= 0.25) or (
        name in _MULTIBYTE and best.chaos <= 0.1
    )
    guess = EncodingGuess(name, float(best.chaos), float(best.coherence), languages[:3], confident)
    note = f"encoding {name} (detected)" if confident else f"encoding {name} (guessed, low confidence)"
    return EncodingChoice(name, 0, None if name in _STATEFUL else name, note, guess=guess)


def pg_encoding_name(encoding: str) -> str | None:
    """PostgreSQL's name for a Python codec (for COPY ... ENCODING), None when PG can't read it."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None
    return _PG_ENCODINGS.get(name)


def looks_binary(text: str) -> bool:
    """Decoded text with NULs or many control characters is not a delimited text file."""
    if "\x00" in text:
        return True
    if not text:
        return False
    controls = sum(1 for ch in text[:65536] if ch < " " and ch not in "\t\r\n\f\v")
    return controls > max(2, len(text[:65536]) // 200)


@dataclass(frozen=True)
class DecodeErrorLocation:
    """Where decoding failed: absolute byte offset, 1-based line, and the offending bytes."""

    offset: int
    line: int
    bad_bytes: bytes


def locate_decode_error(opener: Opener, choice: EncodingChoice) -> DecodeErrorLocation | None:
    """Re-scan the file to name the exact byte offset and line of the first undecodable byte.

    Only run after a decode failure, so the normal path pays nothing for precise messages.
    """
    codec = choice.byte_codec or choice.encoding
    decoder = codecs.getincrementaldecoder(codec)("strict")
    offset = choice.bom_length
    breaks = 0
    with opener() as fh:
        fh.read(choice.bom_length)
        while True:
            chunk = fh.read(1024**2)
            final = not chunk
            buffered = decoder.getstate()[0]
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                data = exc.object
                start = offset - len(buffered) + exc.start
                good = data[: exc.start].decode(codec, errors="replace")
                breaks += good.count("\n") + good.count("\r") - good.count("\r\n")
                return DecodeErrorLocation(start, breaks + 1, bytes(data[exc.start : exc.end]))
            breaks += text.count("\n") + text.count("\r") - text.count("\r\n")
            offset += len(chunk)
            if final:
                return None


def decode_error(
    display: str,
    choice: EncodingChoice,
    where: DecodeErrorLocation | None,
    sheet: str | None = None,
    row: int | None = None,
    column: str | None = None,
    field: int | None = None,
) -> UserInputError:
    """The one message for undecodable bytes (`row`/`column`: the record and field, when known;
    `field`: the 0-based field index, kept so a caller can name the column later)."""
    if where is None:
        return UserInputError(
            f"the file cannot be decoded as {choice.encoding}",
            file=display,
            sheet=sheet,
            hint="save it as CSV UTF-8, or choose the right encoding (e.g. cp1252)",
        )
    utf8 = codecs.lookup(choice.encoding).name in ("utf-8", "utf-8-sig")
    return UserInputError(
        f"byte {where.bad_bytes.hex(' ').upper() or '?'} at byte offset {where.offset:,} cannot be "
        f"decoded as {choice.encoding}",
        file=display,
        sheet=sheet,
        row=row if row is not None else where.line,
        column=column,
        hint="the file mixes encodings or has a different one: save it as CSV UTF-8, "
        "or choose its encoding explicitly (e.g. cp1252)"
        + (
            f"; or import with the encoding {UTF8_REPLACE} (command line: --encoding {UTF8_REPLACE}) to "
            "replace invalid bytes with U+FFFD"
            if utf8
            else ""
        ),
        details={
            "offset": where.offset,
            "encoding": choice.encoding,
            **({"field": field + 1} if field is not None else {}),
        },
    )


def damaged_utf8_error(
    display: str,
    damage: DamagedUtf8,
    where: DecodeErrorLocation,
    sheet: str | None,
    row: int | None,
    column: str | None,
) -> UserInputError:
    """Refuse a file that is UTF-8 except for a few broken byte sequences, naming the first one."""
    scope = "in the file" if damage.complete else f"in its first {damage.scanned_bytes / 1024**2:,.0f} MB"
    return UserInputError(
        f"byte sequence {where.bad_bytes.hex(' ').upper()} at byte offset {where.offset:,} is not valid "
        f"UTF-8, although the file is otherwise UTF-8 ({damage.valid_non_ascii:,} non-ASCII characters "
        f"decode as UTF-8; {damage.invalid_sequences:,} invalid sequence(s) {scope}); reading it as a "
        "legacy code page would garble all of them",
        file=display,
        sheet=sheet,
        row=row if row is not None else where.line,
        column=column,
        hint="fix those bytes in the file, or import with the encoding "
        f"{UTF8_REPLACE} (command line: --encoding {UTF8_REPLACE}) to replace each invalid sequence with "
        "U+FFFD (the count is recorded with the import); choose cp1252 only if the whole file really is "
        "Windows-1252",
        details={
            "offset": where.offset,
            "encoding": "utf-8",
            "invalid_sequences": damage.invalid_sequences,
            "valid_non_ascii": damage.valid_non_ascii,
            "complete": damage.complete,
        },
    )
