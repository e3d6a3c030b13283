"""The demo's knowledge base (docs/knowledge-base.md): the articles a web shop's agents use
most (returns, shipping, tracking, refunds) in English with German, French, Dutch and Spanish
variants for some; four public (served at ``/kb``), two internal (staff only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from csdesk.domain import kb
from csdesk.server.feed import log as feed
from csdesk.server.kb import search
from csdesk.storage import models as m

Variants = dict[str, tuple[str, str]]  # lang -> (title, Markdown body)

RETURNS: Variants = {
    "en": (
        "Returns policy",
        "You can return most items within **30 days** of delivery for a full refund.\n\n"
        "## How to return an item\n\n"
        "1. Sign in and open *My orders*.\n"
        "2. Choose **Return an item** next to the order and print the free return label.\n"
        "3. Pack the item in its original packaging and drop it at any parcel shop.\n\n"
        "## What cannot be returned\n\n"
        "- Gift cards\n- Opened hygiene products\n- Items made to measure\n\n"
        "Once the item reaches our warehouse we refund you within 5 working days.",
    ),
    "de": (
        "Rückgaberecht",
        "Die meisten Artikel können Sie innerhalb von **30 Tagen** nach der Lieferung "
        "zurückgeben und erhalten den vollen Betrag zurück.\n\n"
        "## So senden Sie einen Artikel zurück\n\n"
        "1. Melden Sie sich an und öffnen Sie *Meine Bestellungen*.\n"
        "2. Wählen Sie **Artikel zurücksenden** und drucken Sie das kostenlose Rücksendeetikett.\n"
        "3. Verpacken Sie den Artikel und geben Sie ihn in einem Paketshop ab.\n\n"
        "Sobald der Artikel bei uns eingetroffen ist, erstatten wir den Betrag innerhalb von "
        "5 Werktagen.",
    ),
    "fr": (
        "Politique de retour",
        "Vous pouvez retourner la plupart des articles dans les **30 jours** suivant la "
        "livraison et être remboursé intégralement.\n\n"
        "## Comment retourner un article\n\n"
        "1. Connectez-vous et ouvrez *Mes commandes*.\n"
        "2. Choisissez **Retourner un article** et imprimez l'étiquette de retour gratuite.\n"
        "3. Déposez le colis dans un point relais.\n\n"
        "Nous vous remboursons dans les 5 jours ouvrés après réception.",
    ),
    "nl": (
        "Retourbeleid",
        "De meeste artikelen kunt u binnen **30 dagen** na levering retourneren voor een "
        "volledige terugbetaling.\n\n"
        "## Zo stuurt u een artikel terug\n\n"
        "1. Log in en open *Mijn bestellingen*.\n"
        "2. Kies **Artikel retourneren** en print het gratis retourlabel.\n"
        "3. Breng het pakket naar een pakketpunt.\n\n"
        "Binnen 5 werkdagen na ontvangst betalen we u terug.",
    ),
    "es": (
        "Política de devoluciones",
        "Puede devolver la mayoría de los artículos en un plazo de **30 días** desde la "
        "entrega y recibir el reembolso completo.\n\n"
        "## Cómo devolver un artículo\n\n"
        "1. Inicie sesión y abra *Mis pedidos*.\n"
        "2. Elija **Devolver un artículo** e imprima la etiqueta de devolución gratuita.\n"
        "3. Entregue el paquete en un punto de recogida.\n\n"
        "Le reembolsamos en un plazo de 5 días hábiles tras recibirlo.",
    ),
}

SHIPPING: Variants = {
    "en": (
        "Shipping times",
        "| Destination | Standard | Express |\n|---|---|---|\n"
        "| Germany, Netherlands | 1–2 working days | next day |\n"
        "| Rest of the EU | 3–5 working days | 1–2 working days |\n"
        "| United Kingdom, Switzerland | 4–7 working days | 2–3 working days |\n\n"
        "Orders placed before 14:00 on a working day leave our warehouse the same day. "
        "Delivery is free on orders over 50 EUR.",
    ),
    "de": (
        "Lieferzeiten",
        "Deutschland und die Niederlande: **1–2 Werktage** (Express: am nächsten Tag). "
        "Übrige EU: 3–5 Werktage. Vereinigtes Königreich und Schweiz: 4–7 Werktage.\n\n"
        "Bestellungen bis 14:00 Uhr an einem Werktag verlassen unser Lager am selben Tag. "
        "Ab 50 EUR liefern wir versandkostenfrei.",
    ),
    "fr": (
        "Délais de livraison",
        "Allemagne et Pays-Bas : **1 à 2 jours ouvrés**. Reste de l'UE : 3 à 5 jours ouvrés. "
        "Royaume-Uni et Suisse : 4 à 7 jours ouvrés.\n\n"
        "Les commandes passées avant 14 h un jour ouvré partent le jour même. "
        "Livraison gratuite dès 50 EUR.",
    ),
}

TRACKING: Variants = {
    "en": (
        "Track your order",
        "As soon as your parcel leaves our warehouse we email you a **tracking number** "
        "and a link to the carrier's page.\n\n"
        "You can also find it under *My orders* → *Order details*. Tracking can take up to "
        "24 hours to show the first scan.\n\n"
        "If the tracking has not moved for 5 working days, contact us and we will open an "
        "investigation with the carrier.",
    ),
    "es": (
        "Seguimiento de su pedido",
        "En cuanto su paquete sale de nuestro almacén le enviamos por correo el **número de "
        "seguimiento** y un enlace a la página del transportista.\n\n"
        "También lo encontrará en *Mis pedidos*. Si el seguimiento no avanza durante 5 días "
        "hábiles, escríbanos y abriremos una investigación con el transportista.",
    ),
    "nl": (
        "Uw bestelling volgen",
        "Zodra uw pakket ons magazijn verlaat, mailen we u een **trackingnummer** en een link "
        "naar de pagina van de vervoerder.\n\n"
        "U vindt het ook onder *Mijn bestellingen*. Beweegt de tracking 5 werkdagen niet, "
        "neem dan contact op; wij starten een onderzoek bij de vervoerder.",
    ),
}

REFUNDS: Variants = {
    "en": (
        "Refunds: when will I get my money back?",
        "We refund to the payment method you used, within **5 working days** of your return "
        "reaching us.\n\n"
        "- Card payments: 3–5 days more for your bank to show it.\n"
        "- PayPal: usually within 24 hours.\n"
        "- Gift cards: the amount goes back onto the card.\n\n"
        "Shipping costs are refunded when you return the whole order.",
    ),
    "de": (
        "Erstattungen: Wann bekomme ich mein Geld zurück?",
        "Wir erstatten auf das Zahlungsmittel, mit dem Sie bezahlt haben, innerhalb von "
        "**5 Werktagen**, nachdem Ihre Rücksendung bei uns eingetroffen ist.\n\n"
        "- Kartenzahlung: Ihre Bank braucht 3–5 Tage mehr.\n"
        "- PayPal: meist innerhalb von 24 Stunden.",
    ),
}

GOODWILL: Variants = {
    "en": (
        "Goodwill refunds and vouchers (internal)",
        "Agents may offer a goodwill **voucher of up to 10 EUR** without approval when a "
        "delivery was late or an item arrived damaged.\n\n"
        "Refunds outside the 30-day window, or over 10 EUR of goodwill, need a supervisor: "
        "use *Goodwill…* on the order so the request goes for approval.\n\n"
        "Never promise a refund before the return is scanned at the warehouse.",
    ),
}

LOST_PARCEL: Variants = {
    "en": (
        "Lost parcel: opening a carrier investigation (internal)",
        "1. Check the tracking: no scan for **5 working days** (10 outside the EU).\n"
        "2. Open the carrier's business portal and file an investigation with the tracking "
        "number and the customer's address.\n"
        "3. Tag the conversation `lost-parcel` and snooze it for 3 days.\n"
        "4. If the carrier confirms the loss, send a replacement or refund in full.",
    ),
    "de": (
        "Verlorenes Paket: Nachforschungsauftrag (intern)",
        "1. Sendungsverfolgung prüfen: **5 Werktage** ohne Scan.\n"
        "2. Im Geschäftskundenportal des Versanddienstleisters einen Nachforschungsauftrag "
        "anlegen.\n"
        "3. Gespräch mit `lost-parcel` markieren und 3 Tage zurückstellen.",
    ),
}

#: (id suffix, slug, public, tags, variants)
ARTICLES: list[tuple[int, str, bool, list[str], Variants]] = [
    (1, "returns-policy", True, ["returns"], RETURNS),
    (2, "shipping-times", True, ["shipping", "delivery"], SHIPPING),
    (3, "track-your-order", True, ["tracking", "delivery"], TRACKING),
    (4, "refunds", True, ["refund", "returns"], REFUNDS),
    (5, "goodwill-refunds", False, ["refund", "goodwill"], GOODWILL),
    (6, "lost-parcel", False, ["tracking", "carrier"], LOST_PARCEL),
]


def seed(s: Session, at: datetime) -> int:
    """The articles above; the number of feed items written."""
    sam = s.scalar(select(m.User.id).where(m.User.username == "sam"))
    rows: list[m.Base] = []
    variant_ids: list[str] = []
    for n, slug, public, tags, variants in ARTICLES:
        aid = f"00000000-0000-4000-8b00-{n:012d}"
        rows.append(
            m.KbArticle(
                id=aid,
                realm="production",
                slug=slug,
                public=public,
                tags=tags,
                author_id=sam,
                updated_by_id=sam,
                created_at=at,
                updated_at=at,
            )
        )
        for lang, (title, body) in variants.items():
            vid = kb.variant_id(aid, lang)
            variant_ids.append(vid)
            rows.append(
                m.KbVariant(
                    id=vid,
                    realm="production",
                    article_id=aid,
                    lang=lang,
                    title=title,
                    body=body,
                    created_at=at,
                    updated_at=at,
                )
            )
    s.add_all(rows)
    s.flush()
    search.reindex(s, variant_ids)
    feed.append(s, [feed.item_for(r) for r in rows])
    return len(rows)
