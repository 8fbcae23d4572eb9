"""Message text over the wire: what shows is what was meant (issue 11)."""

from __future__ import annotations

from wire_support import unique


async def test_bidi_overrides_are_dropped_from_messages(peers) -> None:
    # "invoice_<RLO>gnp.exe" shows as "invoice_exe.png" where the override survives.
    channel = unique("bidi-")
    sender = await (await peers()).named(unique("mallory"))
    reader = await (await peers()).named(unique("victim"))
    await sender.ok("create_channel", {"channel": channel})
    await sender.ok("join_channel", {"channel": channel})
    await reader.ok("join_channel", {"channel": channel})
    texts = ["invoice_\u202egnp.exe", "\u202dabc\u202c \u2067xyz\u2069 \u202a\u202bq"]
    for text in texts:
        sent = await sender.ok("send_message", {"channel": channel, "text": text})
        assert not any(
            "\u202a" <= c <= "\u202e" or "\u2066" <= c <= "\u2069" for c in sent["message"]["text"]
        )
    assert sent["message"]["text"] == "abc xyz q"
    received = await reader.wait_for("message", lambda d: d["message"]["text"] == "abc xyz q")
    history = (await reader.ok("join_channel", {"channel": channel}))["messages"]
    assert [m["text"] for m in history] == ["invoice_gnp.exe", "abc xyz q"]
    assert received["message"]["text"] == "abc xyz q"
    # Right-to-left writing keeps its marks.
    rtl = "שלום \u200fworld"
    assert (await sender.ok("send_message", {"channel": channel, "text": rtl}))["message"]["text"] == rtl
