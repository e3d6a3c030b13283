"""The training review on the server: results under the trainee's name, supervisors'
comments and assignments, and the scenarios published to every desk
(docs/training-review.md)."""
