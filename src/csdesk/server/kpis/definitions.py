"""One sentence per figure, for the desk's tooltips; docs/kpis.md has the full rules.

Marked with ``N_`` (issue 13): the server sends the English sentence, and the desk looks it up
in its own catalogue (``app.kpis.KpiDesk.definitions``), so a tooltip is in the agent's
language; a desk without the sentence in its catalogue shows it as sent."""

from __future__ import annotations

from typing import Final

from csdesk.i18n import N_

DEFINITIONS: Final[dict[str, str]] = {
    "contacts": N_(
        "Conversations created in the period (auto-replies, spam and training left out)."
    ),
    "resolution_rate": N_("Share of the period's new conversations that are resolved now."),
    "first_response_avg_seconds": N_(
        "Average time from a customer-started conversation's creation to the first agent "
        "reply or answered call (internal notes and auto-replies never count)."
    ),
    "resolution_avg_seconds": N_(
        "Average time from creation to resolution of conversations resolved in the period."
    ),
    "fcr_rate": N_(
        "First-contact resolution: share of conversations resolved in the period (with at "
        "least one agent contact) that needed exactly one agent reply or answered call and "
        "were never reopened."
    ),
    "reopen_rate": N_(
        "Share of the period's resolutions that were undone: the customer wrote or called "
        "again, or an agent reopened it."
    ),
    "sla_first_response_rate": N_(
        "Share of the period's new conversations whose first-response target was met "
        "(answered by its due time; targets still running are left out)."
    ),
    "sla_resolution_rate": N_(
        "Share of the period's new conversations whose resolution target was met "
        "(resolved by its due time; targets still running are left out)."
    ),
    "backlog": N_("Conversations open, pending or snoozed now, whatever the period."),
    "call_handle_avg_seconds": N_(
        "Average handle time of answered calls that ended in the period: talk time plus "
        "wrap-up (wrap-up counted up to 30 minutes)."
    ),
    "messaging_handle_avg_seconds": N_(
        "Average agent working time per conversation and agent in the period: each reply "
        "counts the time since the message before it, at most 10 minutes."
    ),
    "handle_avg_seconds": N_("Calls and messaging handle time together, per handled contact."),
    "csat_rate": N_("Share of CSAT answers in the period that are 4 or 5 (of 5)."),
    "csat_avg": N_("Average CSAT answer (1–5) in the period."),
    "nps": N_(
        "Net promoter score: the percentage of promoters (9–10) minus the percentage of "
        "detractors (0–6), from −100 to 100."
    ),
    "ces_avg": N_("Average customer effort score (1–7; lower is less effort) in the period."),
    "qa_score": N_(
        "QA score: average weighted score (0–100) of the quality reviews made in the period; "
        "criteria marked N/A are left out of each review's score (docs/qa.md)."
    ),
}
