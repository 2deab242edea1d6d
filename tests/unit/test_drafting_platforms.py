"""Platform counting against the twitter-text v3 rules, fitting, hashtags, sensitive terms,
edits and diffs (no model: these are the deterministic parts of drafting)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.core.errors import ConfigError, InputError
from assistant.drafting.checks import sentences_in, split_post
from assistant.drafting.diffing import text_diff
from assistant.drafting.editing import posts_of
from assistant.drafting.fitting import ELLIPSIS, fit_post, fit_thread
from assistant.drafting.model import DraftRequest
from assistant.drafting.platforms import (
    PLATFORM_NAMES,
    format_hashtag,
    invalid_mentions,
    length_report,
    platform,
    x_length,
)
from assistant.drafting.sensitive import SensitiveTerms

X = platform("x")

# Expected weighted lengths under the twitter-text v3 configuration, worked out from its
# published rules: code points up to U+10FF (Latin, Greek, Cyrillic, Hebrew, Arabic,
# Devanagari…) and some general punctuation weigh 1, everything else 2 (CJK, kana, hangul),
# an emoji sequence 2 however many code points it has, and every URL 23.
WEIGHTED = [
    ("plain ASCII", "This is a test.", 15),
    ("a URL counts 23 whatever its length", "Hi http://test.co", 3 + 23),
    ("a URL without a scheme counts 23", "see example.com", 4 + 23),
    ("ten long URLs with spaces", "https://www.twitter.com/aloha " * 10, 240),
    ("CJK characters count 2", "外交部", 6),
    ("Japanese kana count 2", "のの", 4),
    ("Korean hangul counts 2", "저찀쯿쿿", 8),
    ("an emoji counts 2", "😷", 2),
    ("five emoji", "😷👾😡🔥💩", 10),
    ("a ZWJ family is one emoji", "👨\u200d👩\u200d👧\u200d👦", 2),
    ("skin tone and ZWJ sequences", "🙋🏽👨\u200d🎤", 4),
    ("a keycap sequence is one emoji", "1\u20e3", 2),
    (
        "a flag tag sequence is one emoji",
        "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
        2,
    ),
    ("accented Latin counts 1", "café", 4),
    ("combining accent normalised (NFC) first", "cafe\u0301", 4),
    ("Cyrillic counts 1 (below U+10FF)", "мир", 3),
    ("Arabic counts 1 (below U+10FF)", "سلام", 4),
    ("quotes and dashes count 1, the ellipsis 2", "“quoted” — dash…", 17),
    ("CRLF is one newline", "a\r\nb", 3),
    ("mixed text, URL, emoji, hashtag", "中文 https://example.org/a?b=c 😀 #外交", 37),
]


@pytest.mark.parametrize(("why", "text", "expected"), WEIGHTED, ids=[w[0] for w in WEIGHTED])
def test_x_weighted_length_follows_twitter_text(why: str, text: str, expected: int) -> None:
    assert x_length(text) == expected, why


def test_x_limit_edges() -> None:
    assert X.fits("の" * 140) and not X.fits("の" * 141)
    assert X.fits("a" * 280) and not X.fits("a" * 281)
    assert X.fits("😀" * 140) and not X.fits("😀" * 141)
    assert X.fits("x " * 128 + "https://example.org/" + "a" * 500)  # 256 + 23 = 279
    report = length_report(X, "の" * 141)
    assert report == {"platform": "x", "length": 282, "limit": 280, "remaining": -2,
                      "within_limit": False, "rule": X.rule}  # fmt: skip


def test_other_platforms_count_by_their_rules() -> None:
    weibo = platform("weibo")
    assert weibo.limit == 2000 and weibo.count("中文abc") == 4  # 2 + 3 halves → 3.5 → 4
    assert weibo.fits("中" * 2000) and not weibo.fits("中" * 2001)
    assert weibo.fits("a" * 4000) and not weibo.fits("a" * 4001)
    telegram = platform("telegram")
    assert telegram.count("😀") == 2 and telegram.fits("a" * 4096) and not telegram.fits("a" * 4097)
    assert platform("linkedin").limit == 3000 and platform("threads").limit == 500
    mastodon = platform("mastodon")
    assert mastodon.count("hi @someone@mastodon.social https://example.org/" + "p" * 80) == 35
    assert platform("mastodon", mastodon_limit=1000).limit == 1000
    assert platform("Twitter").name == "x" and len(PLATFORM_NAMES) == 7
    with pytest.raises(InputError, match="unknown platform 'myspace'"):
        platform("myspace")


def test_hashtags_and_mentions_follow_platform_conventions() -> None:
    assert format_hashtag("climate action", X) == "#ClimateAction"
    assert format_hashtag("#UNGA80", X) == "#UNGA80"
    assert format_hashtag("气候 行动", platform("weibo")) == "#气候行动#"
    assert format_hashtag("12345", X) is None and format_hashtag("  ", X) is None
    assert invalid_mentions("Thanks @UN and @antonio-guterres.", X) == ["@antonio-guterres"]
    assert invalid_mentions("Thanks @someone@mastodon.social", X) == ["@someone@mastodon.social"]
    assert invalid_mentions("Thanks @someone@mastodon.social", platform("mastodon")) == []


SENTENCES = [
    "The Secretary-General opened the general debate of the eightieth session today.",
    "He called on Member States to recommit to the Charter and to cooperation on climate.",
    "Leaders from 193 countries will speak over six days in the General Assembly Hall.",
    "The debate is streamed live every day at https://webtv.un.org/en/schedule for all.",
]
TAGS = ["#UNGA80", "#ClimateAction", "#Multilateralism"]


def test_fitting_never_exceeds_and_gives_way_in_order() -> None:
    fitted = fit_post(X, "en", SENTENCES, TAGS)
    assert all(X.fits(p) for p in fitted.posts) and len(fitted.posts) == 1
    assert fitted.sentences_kept == [0, 1, 2] and fitted.dropped == [3]
    assert fitted.hashtags_kept and fitted.posts[0].endswith(" ".join(fitted.hashtags_kept))
    short = fit_post(X, "en", SENTENCES[:1], TAGS)
    assert not short.dropped and short.hashtags_kept == TAGS
    huge = fit_post(X, "en", ["word " * 100], [])
    assert huge.truncated and huge.posts[0].endswith(ELLIPSIS) and X.fits(huge.posts[0])
    token = fit_post(X, "en", ["x" * 400], [])  # one word longer than the limit
    assert token.truncated and X.fits(token.posts[0]) and x_length(token.posts[0]) >= 270
    chinese = fit_post(X, "zh", ["联合国大会第八十届会议一般性辩论今天开幕。" * 8], [])
    assert chinese.truncated and X.fits(chinese.posts[0]) and x_length(chinese.posts[0]) >= 270


def test_a_thread_numbers_posts_each_within_the_limit() -> None:
    fitted = fit_thread(X, "en", SENTENCES * 2, TAGS)
    assert fitted.split and len(fitted.posts) >= 2 and not fitted.dropped
    total = len(fitted.posts)
    for i, post in enumerate(fitted.posts, start=1):
        assert X.fits(post) and f"({i}/{total})" in post
    assert fitted.posts[-1].endswith(" ".join(fitted.hashtags_kept))
    single = fit_thread(X, "en", SENTENCES[:1], [])
    assert single.posts == [SENTENCES[0]] and not single.split
    giant = fit_thread(X, "en", ["y" * 700, "A short closing sentence."], [])
    assert giant.split and all(X.fits(p) for p in giant.posts)
    weibo = platform("weibo")  # no threads on Weibo: one long post
    assert len(fit_thread(weibo, "en", SENTENCES * 2, []).posts) == 1


def test_sensitive_terms_block_or_flag_in_every_listed_language(tmp_path: Path) -> None:
    terms = SensitiveTerms()
    hits = terms.check("NOT FOR PUBLICATION: the regimes' #TopSecret plan")
    assert [(h.term, h.action) for h in hits] == [
        ("not for publication", "block"), ("top secret", "block"), ("regime", "flag"),
    ]  # fmt: skip
    assert [h.action for h in terms.check("这是绝密文件")] == ["block"]
    assert [h.term for h in terms.check("Они назвали это вторжением")] == ["вторжение"]
    assert [h.term for h in terms.check("после аннексии")] == ["аннексия"]
    assert [h.term for h in terms.check("وصفوه بالإرهابي")] == ["إرهابي"]
    assert terms.check("The regimental band played.") == []  # a word start, not any substring
    extra = tmp_path / "terms.json"
    extra.write_text(json.dumps({"terms": [{"term": "Operation Nightfall", "action": "block"},
                                           {"term": "regime", "action": "off"}]}))  # fmt: skip
    custom = SensitiveTerms(extra)
    assert [h.term for h in custom.check("the regime and operation nightfall")] == [
        "Operation Nightfall"
    ]
    extra.write_text('{"terms": [{"term": "x", "action": "maybe"}]}')
    with pytest.raises(ConfigError, match="block, flag or off"):
        SensitiveTerms(extra)


def test_request_checks_refuse_bad_input() -> None:
    DraftRequest("Welcome the talks", "x", ["en", "fr", "zh"]).check()
    for bad, message in (
        (DraftRequest(" ", "x"), "instruction is empty"),
        (DraftRequest("a", "x", ["en", "xx"]), "unsupported language"),
        (DraftRequest("a", "x", ["en", "en"]), "named twice"),
        (DraftRequest("a", "x", tone="angry"), "unknown tone"),
        (DraftRequest("a" * 2001, "x"), "over 2000"),
    ):
        with pytest.raises(InputError, match=message):
            bad.check()


def test_edits_split_into_posts_sentences_and_hashtags() -> None:
    assert posts_of("First post. (1/2)\n---\nSecond post. (2/2)\n\n#UN") == [
        "First post. (1/2)", "Second post. (2/2)\n\n#UN",
    ]  # fmt: skip
    assert split_post("Second post. (2/2)\n\n#UN #Peace") == ("Second post.", ["#UN", "#Peace"])
    assert split_post("微博正文。\n\n#外交部# #联合国#") == ("微博正文。", ["#外交部#", "#联合国#"])
    sentences, tags = sentences_in(["One fact. Another fact! (1/2)", "Third? (2/2)\n\n#UN"])
    assert sentences == ["One fact.", "Another fact!", "Third?"] and tags == ["#UN"]


def test_word_level_diff() -> None:
    ops = text_diff("The minister met 12 leaders today.", "The minister met 14 leaders on Monday.")
    assert {"op": "delete", "text": "12 "} in ops and {"op": "insert", "text": "14 "} in ops
    assert (
        "".join(o["text"] for o in ops if o["op"] != "insert")
        == "The minister met 12 leaders today."
    )
    assert (
        "".join(o["text"] for o in ops if o["op"] != "delete")
        == "The minister met 14 leaders on Monday."
    )
    zh = text_diff("外交部长今天会见了12位领导人。", "外交部长周一会见了14位领导人。")
    assert {"op": "delete", "text": "今天"} in zh and {"op": "insert", "text": "14"} in zh
