"""The cashier page as one self-contained HTML document (no scripts, no external assets).

Every value that comes from data (merchant name, subject, customer ids and labels, URLs) goes
through ``_e`` (``html.escape`` with quotes) exactly once, where it is placed; the fixed markup
around it is written here. The QR code is an ``<img>`` of an SVG ``data:`` URL: an SVG shown
as an image can run nothing, whatever it contains.

The style sheet is inlined, so the page needs no other request. Mobile first: one column
from 320 px up, touch targets at least 48 px high, body text 16 px or more (no zoom on focus
in iOS); from 52 rem the order and its QR code sit side by side for a counter screen.
Colours keep a contrast of at least 4.5:1 in the light and the dark scheme, and a status is
always written out in words, never told by colour alone.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bankstack.payments.api.view import Notice, Phase, TradeView

PROCESSING_REFRESH_S: Final = 3
# The HTML pattern of a customer id, the same as the service's PARTY_ID (checked there too).
CUSTOMER_ID_PATTERN: Final = r"[A-Za-z0-9_.\-]{1,64}"


def _e(value: str) -> str:
    return html.escape(value, quote=True)


@dataclass(frozen=True, slots=True)
class PayForm:
    """The demo payment form: a choice of ``customers`` (id, label), or a text field."""

    action: str
    customers: Sequence[tuple[str, str]] | None
    selected: str = ""


@dataclass(frozen=True, slots=True)
class ConfirmForm:
    """The one-time code form of a challenged payment; ``demo_code``: the demo shows the code
    the customer's phone received (there is no phone)."""

    action: str
    customer_id: str
    demo_code: str | None = None


def render_trade_page(
    view: TradeView,
    *,
    page_path: str,
    form: PayForm | ConfirmForm | None,
    notice: Notice | None,
    qr_svg: str | None,
) -> str:
    """The page of one trade; ``form`` only while it can be paid, ``qr_svg`` to show its code."""
    order = [
        '<section class="card" aria-labelledby="merchant">',
        '<p class="eyebrow">Pay to</p>',
        f'<h1 id="merchant">{_e(view.merchant_name)}</h1>',
        f'<p class="subject">{_e(view.subject)}</p>',
        (
            f'<p class="amount"><span class="sr-only">Amount: </span>{_e(view.amount)}'
            f' <span class="code">{_e(view.currency)}</span></p>'
        ),
        _status(view, page_path),
        _form(view, form) if form is not None and view.payable else "",
        '<dl class="facts">',
        f"<dt>Trade no.</dt><dd>{_e(view.trade_id)}</dd>",
        f"<dt>Paid at</dt><dd>{_e(view.paid_at_text)}</dd>" if view.paid_at_text else "",
        "</dl>",
        "</section>",
    ]
    parts = [_notice(notice), *order]
    if qr_svg is not None and view.shows_qr:
        parts.append(_qr(view, qr_svg))
    refresh = PROCESSING_REFRESH_S if view.phase is Phase.PROCESSING else None
    title = f"{view.label}: {view.amount} to {view.merchant_name}"
    return _document(title, "".join(parts), refresh_s=refresh)


def render_message_page(notice: Notice) -> str:
    """A page with nothing but a message (an unknown trade, an unreadable request)."""
    return _document(notice.title, _notice(notice))


def _status(view: TradeView, page_path: str) -> str:
    lines = [
        f'<div class="status tone-{view.tone}">',
        f'<span class="badge">{_e(view.label)}</span>',
        f"<p>{_e(view.explanation)}</p>",
    ]
    if view.time_left is not None:
        lines.append(
            f'<p class="meta">Expires in <strong>{_e(view.time_left)}</strong>'
            f' (at <time datetime="{_e(view.expires_at_iso)}">{_e(view.expires_at_text)}'
            "</time>).</p>"
        )
    if view.phase in {Phase.WAITING, Phase.PROCESSING}:
        lines.append(f'<p class="meta"><a href="{_e(page_path)}">Refresh status</a></p>')
    lines.append("</div>")
    return "".join(lines)


def _form(view: TradeView, form: PayForm | ConfirmForm) -> str:
    if isinstance(form, ConfirmForm):
        return _confirm_form(view, form)
    if form.customers is not None and not form.customers:
        return (
            '<p class="hint">No demo customers are set up, so this order cannot be paid here.</p>'
        )
    if form.customers is None:
        field = (
            '<label for="customer">Your customer id</label>'
            f'<input id="customer" name="customer_id" type="text" required maxlength="64"'
            f' pattern="{_e(CUSTOMER_ID_PATTERN)}" value="{_e(form.selected)}"'
            ' autocomplete="off" autocapitalize="none" spellcheck="false"'
            ' aria-describedby="customer-hint">'
            '<p id="customer-hint" class="hint">Letters, digits, dot, dash or underscore.</p>'
        )
    else:
        options = "".join(
            f'<option value="{_e(customer_id)}"'
            f"{' selected' if customer_id == form.selected else ''}>{_e(label)}</option>"
            for customer_id, label in form.customers
        )
        field = (
            '<label for="customer">Pay as</label>'
            f'<select id="customer" name="customer_id">{options}</select>'
        )
    return (
        f'<form method="post" action="{_e(form.action)}">'
        f"{field}"
        f'<button type="submit">Pay {_e(view.amount)}</button>'
        '<p class="hint">Demo: the amount is paid from the chosen customer\'s wallet.</p>'
        "</form>"
    )


def _confirm_form(view: TradeView, form: ConfirmForm) -> str:
    phone = (
        f'<p class="hint">Demo phone of {_e(form.customer_id)}: your code is'
        f" <strong>{_e(form.demo_code)}</strong></p>"
        if form.demo_code
        else ""
    )
    return (
        f'<form method="post" action="{_e(form.action)}">'
        f'<input type="hidden" name="customer_id" value="{_e(form.customer_id)}">'
        '<label for="code">One-time code</label>'
        '<input id="code" name="code" type="text" required inputmode="numeric"'
        ' pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code">'
        f'<button type="submit">Confirm and pay {_e(view.amount)}</button>'
        f"{phone}"
        "</form>"
    )


def _notice(notice: Notice | None) -> str:
    if notice is None:
        return ""
    role = "alert" if notice.tone in {"error", "warn"} else "status"
    return (
        f'<div class="notice tone-{notice.tone}" role="{role}">'
        f"<strong>{_e(notice.title)}</strong><p>{_e(notice.text)}</p></div>"
    )


def _qr(view: TradeView, svg: str) -> str:
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        '<section class="card qr" aria-labelledby="qr-title">'
        '<h2 id="qr-title">Scan to pay</h2>'
        f'<img src="data:image/svg+xml;base64,{_e(data)}" width="240" height="240"'
        ' alt="QR code that opens this payment page">'
        f'<p class="hint">Or open {_e(view.cashier_url)}</p>'
        "</section>"
    )


def _document(title: str, body: str, *, refresh_s: int | None = None) -> str:
    refresh = f'<meta http-equiv="refresh" content="{refresh_s}">' if refresh_s else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"{refresh}<title>{_e(title)} · bankstack</title>"
        f"<style>{CSS}</style></head><body>"
        '<main class="shell"><p class="brand">bankstack <span>cashier</span></p>'
        f"{body}</main></body></html>"
    )


CSS: Final = """
*,*::before,*::after{box-sizing:border-box}
:root{color-scheme:light dark;--bg:#f3f5f8;--card:#fff;--ink:#14202e;--muted:#4d5b6a;
--line:#d5dce4;--brand:#0b5cad;--brand-ink:#fff;--focus:#f5a623;
--ok-bg:#e3f4ea;--ok-ink:#145c32;--info-bg:#e4eefb;--info-ink:#0b4a8c;
--warn-bg:#fdf0dc;--warn-ink:#7a4505;--error-bg:#fbe5e5;--error-ink:#8f1d1d}
@media (prefers-color-scheme:dark){:root{--bg:#0e141b;--card:#18212c;--ink:#eef2f6;
--muted:#aab6c3;--line:#2c3947;--brand:#5aa5f0;--brand-ink:#06121f;
--ok-bg:#143524;--ok-ink:#9be0b5;--info-bg:#13304f;--info-ink:#a9cdf5;
--warn-bg:#3d2a0c;--warn-ink:#f6cf8f;--error-bg:#421919;--error-ink:#f6b1b1}}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);line-height:1.5;font-size:1rem;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"PingFang SC","Noto Sans CJK SC",
"Microsoft YaHei",sans-serif}
.shell{max-width:28rem;margin:0 auto;padding:1rem .75rem 2rem;display:grid;gap:1rem}
.brand{margin:0;font-weight:700;letter-spacing:.02em;color:var(--brand)}
.brand span{color:var(--muted);font-weight:400}
.card{background:var(--card);border:1px solid var(--line);border-radius:1rem;padding:1.25rem}
.eyebrow{margin:0;color:var(--muted);font-size:.875rem;text-transform:uppercase;
letter-spacing:.06em}
h1{margin:.25rem 0 0;font-size:1.375rem;line-height:1.3;overflow-wrap:anywhere}
h2{margin:0 0 .75rem;font-size:1.125rem}
.subject{margin:.25rem 0 0;color:var(--muted);overflow-wrap:anywhere}
.amount{margin:1rem 0;font-size:2.25rem;font-weight:700;line-height:1.1;
font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
.amount .code{font-size:1rem;font-weight:600;color:var(--muted);margin-left:.25rem}
.status{border-radius:.75rem;padding:.75rem 1rem;margin:0 0 1rem}
.status p{margin:.25rem 0 0}
.badge{display:inline-block;font-weight:700}
.tone-ok{background:var(--ok-bg);color:var(--ok-ink)}
.tone-info{background:var(--info-bg);color:var(--info-ink)}
.tone-warn{background:var(--warn-bg);color:var(--warn-ink)}
.tone-error{background:var(--error-bg);color:var(--error-ink)}
.notice{border-radius:.75rem;padding:.75rem 1rem}
.notice p{margin:.25rem 0 0}
.meta{font-size:.9375rem}
a{color:inherit;text-underline-offset:.15em}
a:focus-visible,button:focus-visible,select:focus-visible,input:focus-visible{
outline:3px solid var(--focus);outline-offset:2px}
form{display:grid;gap:.5rem;margin:0 0 1rem}
label{font-weight:600}
select,input{width:100%;min-height:3rem;padding:.5rem .75rem;font:inherit;color:var(--ink);
background:var(--card);border:1px solid var(--muted);border-radius:.5rem}
button{min-height:3rem;margin-top:.5rem;padding:.75rem 1rem;font:inherit;font-weight:700;
font-size:1.125rem;color:var(--brand-ink);background:var(--brand);border:0;
border-radius:.75rem;cursor:pointer}
.hint{margin:0;color:var(--muted);font-size:.875rem}
.facts{margin:0;display:grid;grid-template-columns:auto 1fr;gap:.25rem .75rem;
font-size:.875rem;color:var(--muted)}
.facts dt{font-weight:600}
.facts dd{margin:0;overflow-wrap:anywhere;font-variant-numeric:tabular-nums}
.qr{text-align:center}
.qr img{display:block;width:100%;max-width:15rem;height:auto;margin:0 auto;
background:#fff;border-radius:.5rem;padding:.25rem}
.qr .hint{margin-top:.75rem;overflow-wrap:anywhere}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;
clip:rect(0,0,0,0);white-space:nowrap;border:0}
@media (min-width:52rem){.shell{max-width:52rem;grid-template-columns:3fr 2fr;
align-items:start;padding-top:2rem}.brand,.notice{grid-column:1/-1}}
"""
