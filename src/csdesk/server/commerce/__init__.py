"""Commerce on the server: connected stores (Shopify, WooCommerce), order actions, stats."""
