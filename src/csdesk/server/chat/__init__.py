"""The live chat channel: the embeddable widget, the visitor API and the chat "sender".

Visitors are not users: a visitor session is a random token whose SHA-256 is the visitor's
``chat_visitor`` identity, so the session needs no table of its own and follows the customer
through merges.  Agent replies on chat are not sent by the outbound dispatcher; the visitor's
long-poll hands them over (``sent``) and the widget's acknowledgement marks them ``delivered``.
"""
