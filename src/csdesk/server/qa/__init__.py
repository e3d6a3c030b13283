"""Quality review: rubrics, reviews, who reads them (issue 12, docs/qa.md)."""
