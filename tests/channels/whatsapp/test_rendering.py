"""WhatsApp rendering within its limits, and webhook payloads (in the shapes of Meta's documentation) as events."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone

from bot.channels.whatsapp_render import OWN_PHONE, one_line, parse_option_id, payload_of, render, template_message
from bot.channels.whatsapp_webhook import items_of, signature_ok
from handlers.engine.types import Choice, Contact, Expect, File, Location, Option, Reply, Text, Unsupported

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=timezone.utc)


def options(*labels: str) -> tuple[Option, ...]:
    return tuple(Option(f"o{i}", label) for i, label in enumerate(labels))


def test_up_to_three_short_options_are_reply_buttons() -> None:
    [message] = render(Reply("Benar?", options("✅ Simpan", "✏️ Ubah", "✖️ Batal"), Expect.OPTION, token=7))
    action = message["interactive"]["action"]
    assert message["interactive"]["type"] == "button"
    assert [b["reply"]["id"] for b in action["buttons"]] == ["7|o0", "7|o1", "7|o2"]
    assert all(len(b["reply"]["title"]) <= 20 for b in action["buttons"])


def test_long_labels_or_more_options_become_a_list_with_descriptions() -> None:
    labels = ("Daftarkan pekerja rentan baru", "Pekerja saya", "Bantuan", "English")
    [message] = render(Reply("Menu", options(*labels), Expect.OPTION))
    rows = message["interactive"]["action"]["sections"][0]["rows"]
    assert message["interactive"]["type"] == "list" and len(message["interactive"]["action"]["button"]) <= 20
    assert all(len(row["title"]) <= 24 for row in rows)
    assert rows[0]["description"] == labels[0] and rows[1]["title"] == "Pekerja saya"


def test_more_than_ten_options_are_numbered_pages_of_a_list() -> None:
    reply = Reply("Desa?", options(*[f"Desa nomor {n}" for n in range(1, 24)]), Expect.OPTION)
    pages = [render(reply, page)[0]["interactive"]["action"]["sections"][0]["rows"] for page in range(3)]
    assert all(len(rows) <= 10 for rows in pages)
    assert pages[0][0]["title"] == "1. Desa nomor 1" and pages[0][-1]["id"] == "~page:1"
    assert pages[1][0]["id"] == "~page:0" and pages[1][1]["title"] == "9. Desa nomor 9"
    assert pages[2][-1]["title"] == "23. Desa nomor 23"
    shown = [row["id"] for rows in pages for row in rows if not row["id"].startswith("~")]
    assert shown == [f"0|o{i}" for i in range(23)]  # every option on exactly one page


def test_duplicate_truncated_titles_stay_unique() -> None:
    labels = [f"Kelurahan yang sangat panjang sekali {n}" for n in range(5)]
    rows = render(Reply("?", options(*labels), Expect.OPTION))[0]["interactive"]["action"]["sections"][0]["rows"]
    assert len({row["title"] for row in rows}) == 5


def test_long_text_is_split_and_the_interactive_body_stays_within_1024() -> None:
    text = "\n".join(f"Baris {n} " + "x" * 90 for n in range(80))
    messages = render(Reply(text, options("Ya", "Tidak"), Expect.OPTION))
    assert messages[-1]["interactive"]["body"]["text"] and len(messages[-1]["interactive"]["body"]["text"]) <= 1024
    assert all(len(m["text"]["body"]) <= 4096 for m in messages[:-1])
    joined = "\n".join([m["text"]["body"] for m in messages[:-1]] + [messages[-1]["interactive"]["body"]["text"]])
    assert joined.replace("\n", "") == text.replace("\n", "")


def test_a_phone_question_offers_this_whatsapp_number() -> None:
    reply = Reply("Nomor HP?", options("Lewati"), Expect.CONTACT, extra={"contact_label": "Bagikan nomor saya"})
    buttons = render(reply)[0]["interactive"]["action"]["buttons"]
    assert buttons[0]["reply"]["id"] == OWN_PHONE
    assert parse_option_id(OWN_PHONE, "6281234567890") == Contact("6281234567890", own=True)


def test_template_parameters_are_one_line_and_buttons_carry_the_options() -> None:
    reply = Reply("Pengingat:\n\n\tbayar   Rp8.400\nsekarang", (Option("!paid:5", "Sudah bayar"),
                                                             Option("!later:5", "Nanti")), Expect.OPTION)
    message = template_message(reply, name="tuwai_pengingat_iuran", language="id", params=["program", "text"],
                               program="TuWai KeTan", buttons=2)
    body, *buttons = message["template"]["components"]
    assert body["parameters"][1]["text"] == "Pengingat: · bayar Rp8.400 · sekarang"
    assert [b["parameters"][0]["payload"] for b in buttons] == ["!paid:5", "!later:5"]
    assert len(one_line("x" * 5000)) == 700


def test_ids_from_buttons_are_parsed_strictly() -> None:
    assert parse_option_id("3|agree", None) == Choice("agree", 3)
    assert parse_option_id("²|agree", None) == Choice("agree", -1)
    assert parse_option_id("!kpj:5", None) == Choice("!kpj:5")
    assert parse_option_id("/start c_abc", None) == Text("/start c_abc")
    assert parse_option_id("whatever", None) == Text("whatever")


def envelope(**value: object) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {
            "display_phone_number": "15550783881", "phone_number_id": "106540352242922"}, **value}}]}]}


def test_every_message_type_of_the_documentation() -> None:
    phone = "6281234567890"
    cases = [
        ({"type": "text", "text": {"body": "halo"}}, Text("halo")),
        ({"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {
            "id": "4|agree", "title": "Saya setuju"}}}, Choice("agree", 4)),
        ({"type": "interactive", "interactive": {"type": "list_reply", "list_reply": {
            "id": "4|o2", "title": "Taratak", "description": "Taratak"}}}, Choice("o2", 4)),
        ({"type": "button", "button": {"payload": "!paid:9", "text": "Sudah bayar"}}, Choice("!paid:9")),
        ({"type": "button", "button": {"payload": "Sudah bayar", "text": "Sudah bayar"}}, Text("Sudah bayar")),
        ({"type": "image", "image": {"id": "111", "mime_type": "image/jpeg", "sha256": "x", "caption": "ok"}},
         File("111", None, "image/jpeg", None, "photo", sha256="x")),  # the hash is checked at the download
        ({"type": "document", "document": {"id": "222", "filename": "kk.pdf", "mime_type": "application/pdf"}},
         File("222", "kk.pdf", "application/pdf", None, "document")),
        ({"type": "sticker", "sticker": {"id": "333", "mime_type": "image/webp", "animated": False}},
         File("333", None, "image/webp", None, "sticker")),
        ({"type": "contacts", "contacts": [{"name": {"formatted_name": "Ani"}, "phones": [
            {"phone": "+62 813-7777-8888", "wa_id": "6281377778888", "type": "CELL"}]}]},
         Contact("+62 813-7777-8888", own=False)),
        ({"type": "location", "location": {"latitude": -0.62, "longitude": 100.12}}, Location(-0.62, 100.12)),
        ({"type": "reaction", "reaction": {"message_id": "wamid.X", "emoji": "👍"}}, None),
        ({"type": "unsupported", "errors": [{"code": 131051, "title": "Message type unknown"}]},
         Unsupported("unsupported")),
        ({"type": "order", "order": {"catalog_id": "1", "product_items": []}}, Unsupported("order")),
    ]
    for message, expected in cases:
        assert payload_of({"from": phone, "id": "wamid.1", "timestamp": "1", **message}, phone) == expected


def test_webhook_items_keep_the_business_scoped_user_id_and_the_statuses() -> None:
    data = envelope(
        contacts=[{"profile": {"name": "Ani"}, "wa_id": "6281377778888", "user_id": "ID.1349120865530274"}],
        messages=[{"from": "6281377778888", "from_user_id": "ID.1349120865530274", "id": "wamid.A",
                   "timestamp": "1764372000", "type": "text", "text": {"body": "halo"}},
                  {"from": "6281377778888", "id": "wamid.A", "timestamp": "1764372000", "type": "text",
                   "text": {"body": "halo"}}])
    items = items_of(data, NOW)
    assert items[0]["address"] == "ID.1349120865530274" and items[0]["phone"] == "6281377778888"
    assert items[0]["name"] == "Ani" and items[0]["item_key"] == "wamid.A"
    without_bsuid = items_of(envelope(contacts=[{"profile": {"name": "B"}, "wa_id": "6281200000000"}],
                                      messages=[{"from": "6281200000000", "id": "wamid.B", "timestamp": "1",
                                                 "type": "text", "text": {"body": "x"}}]), NOW)
    assert without_bsuid[0]["address"] == "6281200000000"
    statuses = items_of(envelope(statuses=[
        {"id": "wamid.S", "status": "delivered", "timestamp": "1", "recipient_id": "6281200000000"},
        {"id": "wamid.S", "status": "failed", "timestamp": "2", "recipient_id": "6281200000000",
         "errors": [{"code": 131026, "title": "Message undeliverable"}]}]), NOW)
    assert [s["item_key"] for s in statuses] == ["status:wamid.S:delivered", "status:wamid.S:failed"]
    assert items_of({"entry": "nonsense"}, NOW) == [] and items_of([], NOW) == []


def test_signatures_are_checked_against_the_raw_body() -> None:
    body = json.dumps(envelope()).encode()
    good = "sha256=" + hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert signature_ok(body, good, "secret")
    assert not signature_ok(body + b" ", good, "secret")
    assert not signature_ok(body, good, "other")
    assert not signature_ok(body, None, "secret") and not signature_ok(body, good, "")
