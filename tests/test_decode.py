"""Pages whose charset declaration is wrong or missing still read correctly."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from crawler.ingest.decode import decode_html
from crawler.ingest.extract import extract
from crawler.ingest.records import Page, Rejected
from tests.sampleweb.templates import render_article_page

FRENCH_CAFE = [
    "The café on the quay reopened on Saturday after a winter of repairs, and its owner, Amélie Roussel, "
    "said the first customers were the fishermen who had kept asking when the coffee machine would return.",
    "“We’re not changing the menu,” she said, pointing at the chalkboard where the crêpes and the fish soup "
    "are still listed at last year’s prices. “People come here because nothing changes.”",
    "The council paid for a new roof and a ramp at the entrance, while the façade was repainted by volunteers "
    "from the rowing club, who were thanked with a free déjeuner on the opening day.",
]
JAPANESE = [
    "港町の商店街で、三十年ぶりに古い映画館が営業を再開しました。地元の人々が寄付を集め、椅子と映写機を新しくしました。",
    "初日の上映には、朝早くから長い列ができました。子どもの頃にこの映画館に通っていたという男性は、懐かしそうに入口の看板を見上げていました。",
    "運営する団体によると、今後は週末に古い名作を上映し、平日は学校の授業や地域の集まりにも会場を貸し出す予定です。",
    "館長は「町の人が集まる場所をもう一度作りたかった」と話し、次の目標は屋上に小さな喫茶店を開くことだと笑顔で語りました。",
    "改修にかかった費用はおよそ二千万円で、その半分は全国から寄せられた寄付でまかなわれました。残りは市の補助金です。",
    "映画館の壁には、開館当時のポスターや古い切符が飾られています。訪れた人たちは、写真を撮りながら昔の思い出を語り合っていました。",
]


def page(body: bytes, content_type: str | None) -> Page:
    headers = {"content-type": content_type} if content_type else {}
    return Page(url="https://example.org/a.html", status=200, headers=headers, body=body,
                fetched_at=datetime(2024, 3, 5, tzinfo=timezone.utc))


def html(paragraphs: list[str], charset: str, lang: str = "en") -> str:
    return render_article_page("minimal", title="A page in an old encoding", paragraphs=paragraphs,
                               site_name="Old Town News", url="https://example.org/a.html", lang=lang,
                               charset=charset)


@pytest.mark.parametrize("declared", ["text/html; charset=utf-8", "text/html", None])
def test_windows_1252_page_reads_right_whatever_it_declares(declared):
    # The meta tag also claims utf-8: both declarations are wrong.
    body = html(FRENCH_CAFE, charset="utf-8").encode("cp1252")
    text = extract(page(body, declared)).text
    assert text.splitlines() == FRENCH_CAFE
    assert "\ufffd" not in text


@pytest.mark.parametrize("declared, meta", [
    (None, None),                                   # no declaration anywhere
    ("text/html; charset=iso-8859-1", None),        # header names a single-byte charset
    ("text/html; charset=utf-8", "Shift_JIS"),      # server default header, the page's meta is right
    ("text/html", "utf-8"),                         # the page's own meta is wrong
])
def test_shift_jis_page_reads_right_whatever_it_declares(declared, meta):
    source = html(JAPANESE, charset=meta or "", lang="ja")
    if meta is None:
        source = source.replace('<meta charset="">', "")
    text = extract(page(source.encode("shift_jis"), declared)).text
    assert text.splitlines() == JAPANESE


def test_utf8_page_wins_over_a_latin1_declaration():
    body = html(FRENCH_CAFE, charset="iso-8859-1").encode("utf-8")
    assert extract(page(body, "text/html; charset=iso-8859-1")).text.splitlines() == FRENCH_CAFE


def test_a_byte_order_mark_decides():
    body = html(JAPANESE, charset="utf-8", lang="ja").encode("utf-16")  # with BOM
    assert extract(page(body, "text/html; charset=utf-8")).text.splitlines() == JAPANESE


@pytest.mark.parametrize("body", [
    random.Random(3).randbytes(6000),
    b"\x89PNG\r\n\x1a\n" + random.Random(4).randbytes(4000),
    b"\x00\x01\x02\x03" * 500,
])
def test_binary_bytes_served_as_html_are_rejected_as_undecodable(body):
    with pytest.raises(Rejected) as exc:
        extract(page(body, "text/html; charset=utf-8"))
    assert exc.value.reason == "undecodable"


def test_decode_html_of_nothing_is_empty_text():
    assert decode_html(b"", {}) == ""
