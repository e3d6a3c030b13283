"""The customer record on the server: each customer's figures (``stats``), the profile
changes their timeline shows (``events``), and the session hooks that keep both current in
the transaction of every change (``hooks``)."""
