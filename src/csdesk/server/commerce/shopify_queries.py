"""The GraphQL documents the Shopify connector sends (Admin API 2025-01)."""

from __future__ import annotations

from typing import Final

PAGE_SIZE: Final = 50
#: Orders a page: each order carries its first lines, shipments, refunds and returns, and
#: Shopify refuses a query whose requested cost passes 1,000 points (a connection costs 2 plus
#: ``first`` times its node). Ten orders of ``ORDER_FIELDS`` ask about 980.
ORDERS_PAGE_SIZE: Final = 10
#: What an order brings in the first query; more is read with a follow-up on the order node.
FIRST_LINES: Final = 20
FIRST_FULFILLMENTS: Final = 5
FIRST_REFUNDS: Final = 5
FIRST_RETURNS: Final = 5
#: A follow-up page of an order's line items (``lineItems(first:, after:)``) or returns.
LINES_PAGE: Final = 100
RETURNS_PAGE: Final = 100
#: ``Order.refunds``, ``Order.fulfillments`` and ``Order.transactions`` are plain lists, not
#: connections: ``first`` truncates them and there is no cursor, so a follow-up asks for this
#: many, the most one query asks of a list.
LIST_MAX: Final = 250
#: The most csdesk reads of one order (pages of lines and returns followed up to these);
#: past them the order is marked incomplete, in the customer view and the log.
MAX_LINES: Final = 1000
MAX_RETURNS: Final = 500
#: Transactions an action reads to find the payment a refund goes back to.
TRANSACTIONS: Final = 100

_CUSTOMER: Final = (
    "id displayName firstName lastName email phone verifiedEmail createdAt updatedAt tags"
)
_MONEY: Final = "shopMoney { amount currencyCode }"
_PAGE_INFO: Final = "pageInfo { hasNextPage endCursor }"
_LINE: Final = f"id sku title quantity currentQuantity originalUnitPriceSet {{ {_MONEY} }}"
_FULFILLMENT: Final = (
    "id status displayStatus createdAt inTransitAt deliveredAt estimatedDeliveryAt "
    "trackingInfo(first: 1) { company number url }"
)
_REFUND: Final = f"id createdAt note totalRefundedSet {{ {_MONEY} }}"
_RETURN: Final = "id name status"
ORDER_FIELDS: Final = f"""
fragment OrderFields on Order {{
  id name createdAt processedAt updatedAt cancelledAt email phone currencyCode
  displayFinancialStatus displayFulfillmentStatus
  totalPriceSet {{ {_MONEY} }}
  customer {{ {_CUSTOMER} }}
  lineItems(first: {FIRST_LINES}) {{ {_PAGE_INFO} nodes {{ {_LINE} }} }}
  fulfillments(first: {FIRST_FULFILLMENTS}) {{ {_FULFILLMENT} }}
  refunds(first: {FIRST_REFUNDS}) {{ {_REFUND} }}
  returns(first: {FIRST_RETURNS}) {{ {_PAGE_INFO} nodes {{ {_RETURN} }} }}
}}
"""

CUSTOMERS: Final = f"""
query Customers($first: Int!, $after: String, $query: String) {{
  customers(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ {_CUSTOMER} }}
  }}
}}
"""

ORDERS: Final = f"""
query Orders($first: Int!, $after: String, $query: String) {{
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ ...OrderFields }}
  }}
}}
{ORDER_FIELDS}"""

ORDER: Final = f"""
query Order($id: ID!) {{
  order(id: $id) {{ ...OrderFields }}
}}
{ORDER_FIELDS}"""

# --- the rest of one order, followed up on its node ---------------------------------------

ORDER_LINE_ITEMS: Final = f"""
query OrderLineItems($id: ID!, $after: String) {{
  order(id: $id) {{
    lineItems(first: {LINES_PAGE}, after: $after) {{ {_PAGE_INFO} nodes {{ {_LINE} }} }}
  }}
}}
"""

#: Returns with the note of their first line (an action's key rides there).
ORDER_RETURNS: Final = f"""
query OrderReturns($id: ID!, $after: String) {{
  order(id: $id) {{
    returns(first: {RETURNS_PAGE}, after: $after) {{
      {_PAGE_INFO}
      nodes {{ {_RETURN} returnLineItems(first: 1) {{ nodes {{ returnReasonNote }} }} }}
    }}
  }}
}}
"""

ORDER_REFUNDS: Final = f"""
query OrderRefunds($id: ID!) {{
  order(id: $id) {{ refunds(first: {LIST_MAX}) {{ {_REFUND} }} }}
}}
"""

ORDER_FULFILLMENTS: Final = f"""
query OrderFulfillments($id: ID!) {{
  order(id: $id) {{ fulfillments(first: {LIST_MAX}) {{ {_FULFILLMENT} }} }}
}}
"""

#: What actions need to know of an order first: sale transactions (a refund's parent), the
#: address (a replacement), the note. Lines, refunds, returns and fulfillment lines are read
#: with the follow-ups below, page by page, as far as the action needs.
ORDER_FOR_ACTIONS: Final = f"""
query OrderForActions($id: ID!) {{
  order(id: $id) {{
    id name note email currencyCode
    customer {{ id }}
    shippingAddress {{
      firstName lastName address1 address2 city provinceCode zip countryCode phone
    }}
    transactions(first: {TRANSACTIONS}) {{ id gateway kind status amountSet {{ {_MONEY} }} }}
  }}
}}
"""

#: A line's variant, for a replacement.
ORDER_LINE_VARIANTS: Final = f"""
query OrderLineVariants($id: ID!, $after: String) {{
  order(id: $id) {{
    lineItems(first: {LINES_PAGE}, after: $after) {{
      {_PAGE_INFO}
      nodes {{ id title quantity variant {{ id }} originalUnitPriceSet {{ {_MONEY} }} }}
    }}
  }}
}}
"""

ORDER_FULFILLMENT_IDS: Final = f"""
query OrderFulfillmentIds($id: ID!) {{
  order(id: $id) {{ fulfillments(first: {LIST_MAX}) {{ id }} }}
}}
"""

FULFILLMENT_LINE_ITEMS: Final = f"""
query FulfillmentLineItems($id: ID!, $after: String) {{
  fulfillment(id: $id) {{
    fulfillmentLineItems(first: {LINES_PAGE}, after: $after) {{
      {_PAGE_INFO}
      nodes {{ id quantity lineItem {{ id }} }}
    }}
  }}
}}
"""

_ERRORS: Final = "userErrors { field message }"

REFUND_CREATE: Final = f"""
mutation RefundCreate($input: RefundInput!) {{
  refundCreate(input: $input) {{ refund {{ id totalRefundedSet {{ {_MONEY} }} }} {_ERRORS} }}
}}
"""

RETURN_CREATE: Final = f"""
mutation ReturnCreate($returnInput: ReturnInput!) {{
  returnCreate(returnInput: $returnInput) {{ return {{ id name status }} {_ERRORS} }}
}}
"""

ORDER_CANCEL: Final = """
mutation OrderCancel($orderId: ID!, $reason: OrderCancelReason!, $refund: Boolean!,
    $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: $reason, refund: $refund, restock: $restock,
      notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
"""

DRAFT_ORDER_CREATE: Final = f"""
mutation DraftOrderCreate($input: DraftOrderInput!) {{
  draftOrderCreate(input: $input) {{ draftOrder {{ id name }} {_ERRORS} }}
}}
"""

#: A replacement already made for an idempotency key: the draft orders tagged with it (a key
#: is one action's, so there is one; a few are read in case a person copied the tag).
DRAFT_ORDERS_TAGGED: Final = """
query DraftOrdersTagged($query: String!) {
  draftOrders(first: 5, query: $query) { nodes { id name tags } }
}
"""

ORDER_UPDATE: Final = f"""
mutation OrderUpdate($input: OrderInput!) {{
  orderUpdate(input: $input) {{ order {{ id }} {_ERRORS} }}
}}
"""
