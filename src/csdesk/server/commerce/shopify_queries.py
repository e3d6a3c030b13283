"""The GraphQL documents the Shopify connector sends (Admin API 2025-01)."""

from __future__ import annotations

from typing import Final

PAGE_SIZE: Final = 50

_CUSTOMER: Final = (
    "id displayName firstName lastName email phone verifiedEmail createdAt updatedAt tags"
)
_MONEY: Final = "shopMoney { amount currencyCode }"
ORDER_FIELDS: Final = f"""
fragment OrderFields on Order {{
  id name createdAt processedAt updatedAt cancelledAt email phone currencyCode
  displayFinancialStatus displayFulfillmentStatus
  totalPriceSet {{ {_MONEY} }}
  customer {{ {_CUSTOMER} }}
  lineItems(first: 50) {{
    nodes {{ id sku title quantity currentQuantity originalUnitPriceSet {{ {_MONEY} }} }}
  }}
  fulfillments(first: 20) {{
    id status displayStatus createdAt inTransitAt deliveredAt estimatedDeliveryAt
    trackingInfo(first: 1) {{ company number url }}
  }}
  refunds(first: 20) {{ id createdAt note totalRefundedSet {{ {_MONEY} }} }}
  returns(first: 20) {{ nodes {{ id name status }} }}
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

#: What actions need to know of an order: sale transactions (a refund's parent), fulfillment
#: line items (a return names those), variants and the address (a replacement), the note.
ORDER_FOR_ACTIONS: Final = f"""
query OrderForActions($id: ID!) {{
  order(id: $id) {{
    id name note email currencyCode
    customer {{ id }}
    shippingAddress {{
      firstName lastName address1 address2 city provinceCode zip countryCode phone
    }}
    transactions(first: 20) {{ id gateway kind status amountSet {{ {_MONEY} }} }}
    refunds(first: 50) {{ id note }}
    returns(first: 20) {{
      nodes {{ id name returnLineItems(first: 1) {{ nodes {{ returnReasonNote }} }} }}
    }}
    lineItems(first: 50) {{
      nodes {{ id title quantity variant {{ id }} originalUnitPriceSet {{ {_MONEY} }} }}
    }}
    fulfillments(first: 20) {{
      fulfillmentLineItems(first: 50) {{ nodes {{ id quantity lineItem {{ id }} }} }}
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
