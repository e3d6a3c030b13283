"""Satisfaction surveys: sent after a resolution, answered on a signed page or by a digit
reply, filed as ``survey_answers`` for the KPIs (docs/surveys.md)."""
