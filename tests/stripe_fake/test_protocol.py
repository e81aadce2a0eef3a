# The stripe library types every expandable or optional field as a Union/Optional; these
# tests read them as the API returns them (asserting at run time), so mypy is told not to narrow.
# mypy: disable-error-code="union-attr, arg-type, attr-defined, call-arg"
"""The wire protocol: auth, encoding, errors, idempotency, lists, expansion, outages."""

from __future__ import annotations

import pytest
import requests
import stripe

from tests.stripe_fake import forms
from tests.stripe_fake.fake import TEST_API_KEY, FakeStripe


def test_form_encoding_nests_brackets_indexes_and_appends() -> None:
    body = (
        "items[0][price]=p1&items[0][quantity]=2&items[1][price]=p2&metadata[k]=v&metadata[0]=x"
        "&expand[]=a&expand[]=b.c&subscription_data[metadata][company]=7&flag=true&empty="
    )
    assert forms.parse(body) == {
        "items": [{"price": "p1", "quantity": "2"}, {"price": "p2"}],
        "metadata": {"k": "v", "0": "x"},
        "expand": ["a", "b.c"],
        "subscription_data": {"metadata": {"company": "7"}},
        "flag": "true",
        "empty": "",
    }


def test_a_missing_key_is_a_401_with_stripes_error_json(fake_stripe: FakeStripe) -> None:
    response = requests.get(f"{fake_stripe.url}/v1/customers", timeout=5)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert "You did not provide an API key" in error["message"]
    with pytest.raises(stripe.AuthenticationError):
        stripe.Customer.list(api_key="sk_live_" + "x" * 24)


def test_basic_auth_works_like_bearer(fake_stripe: FakeStripe) -> None:
    response = requests.get(f"{fake_stripe.url}/v1/account", auth=(TEST_API_KEY, ""), timeout=5)
    assert response.status_code == 200
    assert response.json()["object"] == "account"
    assert response.headers["Request-Id"].startswith("req_")


def test_unknown_ids_and_bad_params_answer_as_stripe_does(fake_stripe: FakeStripe) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe.Customer.retrieve("cus_nope")
    assert (missing.value.http_status, missing.value.code, missing.value.param) == (
        404,
        "resource_missing",
        "id",
    )
    assert str(missing.value.user_message) == "No such customer: 'cus_nope'"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        stripe.Customer.create(email="a@example.test", colour="blue")
    assert (unknown.value.http_status, unknown.value.code, unknown.value.param) == (
        400,
        "parameter_unknown",
        "colour",
    )
    with pytest.raises(stripe.InvalidRequestError) as bad_ref:
        stripe.checkout.Session.create(
            mode="subscription",
            line_items=[{"price": "price_nope", "quantity": 1}],
            success_url="http://localhost/ok",
        )
    assert (bad_ref.value.http_status, bad_ref.value.param) == (400, "line_items[0][price]")
    with pytest.raises(stripe.InvalidRequestError) as not_int:
        stripe.Price.create(product_data={"name": "X"}, unit_amount="ten", currency="eur")
    assert not_int.value.code == "parameter_invalid_integer"
    response = requests.get(f"{fake_stripe.url}/v1/nothing", auth=(TEST_API_KEY, ""), timeout=5)
    assert response.status_code == 404
    assert "Unrecognized request URL" in response.json()["error"]["message"]


def test_a_rejected_request_changes_nothing(fake_stripe: FakeStripe) -> None:
    price = fake_stripe.create_price(1900)
    customer = fake_stripe.create_customer()
    fake_stripe.add_payment_method(customer["id"])
    sub = fake_stripe.create_subscription(customer["id"], price["id"])
    before = fake_stripe.mark()
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Subscription.modify(
            sub["id"],
            metadata={"a": "b"},
            items=[{"id": sub["items"]["data"][0]["id"], "price": "price_nope"}],
        )
    assert fake_stripe.get(sub["id"])["metadata"] == {}
    assert fake_stripe.mark() == before


def test_idempotency_key_replays_the_first_response(fake_stripe: FakeStripe) -> None:
    first = stripe.Customer.create(email="a@example.test", idempotency_key="k1")
    again = stripe.Customer.create(email="a@example.test", idempotency_key="k1")
    assert first.id == again.id
    assert len(fake_stripe.objects("customer")) == 1
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    with pytest.raises(stripe.IdempotencyError):
        stripe.Customer.create(email="other@example.test", idempotency_key="k1")


def test_lists_page_with_limit_starting_after_and_ending_before(fake_stripe: FakeStripe) -> None:
    ids = [stripe.Customer.create(email=f"c{i}@example.test").id for i in range(5)]
    page = stripe.Customer.list(limit=2)
    assert page.object == "list"
    assert page.url == "/v1/customers"
    assert [c.id for c in page.data] == ids[::-1][:2]
    assert page.has_more
    page = stripe.Customer.list(limit=2, starting_after=ids[1])
    assert [c.id for c in page.data] == [ids[0]]
    assert not page.has_more
    page = stripe.Customer.list(limit=2, ending_before=ids[1])
    assert [c.id for c in page.data] == [ids[3], ids[2]]
    assert page.has_more
    assert [c.id for c in stripe.Customer.list(limit=2).auto_paging_iter()] == ids[::-1]
    assert [c.id for c in stripe.Customer.list(email="c3@example.test").data] == [ids[3]]
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Customer.list(limit=101)


def test_expand_on_objects_and_lists(fake_stripe: FakeStripe) -> None:
    price = fake_stripe.create_price(1900)
    customer = fake_stripe.create_customer("x@example.test")
    fake_stripe.add_payment_method(customer["id"])
    sub_id = fake_stripe.create_subscription(customer["id"], price["id"])["id"]
    sub = stripe.Subscription.retrieve(sub_id, expand=["customer", "items.data.price.product"])
    assert sub.customer.email == "x@example.test"
    assert sub["items"].data[0].price.product.name == "Plan"
    listed = stripe.Subscription.list(expand=["data.latest_invoice"])
    assert listed.data[0].latest_invoice.object == "invoice"
    customer_obj = stripe.Customer.retrieve(customer["id"], expand=["subscriptions"])
    assert [s.id for s in customer_obj.subscriptions.data] == [sub_id]
    with pytest.raises(stripe.InvalidRequestError, match="cannot be expanded"):
        stripe.Customer.retrieve(customer["id"], expand=["email"])


def test_the_global_style_and_stripe_client_both_reach_the_fake(
    fake_stripe: FakeStripe, stripe_client: stripe.StripeClient
) -> None:
    created = stripe_client.v1.customers.create(params={"email": "c@example.test"})
    assert stripe.Customer.retrieve(created.id).email == "c@example.test"
    explicit = stripe.StripeClient(TEST_API_KEY, base_addresses={"api": fake_stripe.url})
    assert explicit.v1.customers.retrieve(created.id).id == created.id
    assert fake_stripe.requests[-1].headers["authorization"] == f"Bearer {TEST_API_KEY}"


def test_when_down_calls_fail_until_cleared(fake_stripe: FakeStripe) -> None:
    fake_stripe.set_down(True)
    with pytest.raises(stripe.APIError) as down:
        stripe.Customer.list()
    assert down.value.http_status == 503
    fake_stripe.set_down(True, status=500, retryable=True)
    client = fake_stripe.client(max_network_retries=1)
    count = len(fake_stripe.requests)
    with pytest.raises(stripe.APIError):
        client.v1.customers.list()
    assert len(fake_stripe.requests) - count == 2  # the library retried once
    fake_stripe.set_down(True, mode="disconnect")
    with pytest.raises(stripe.APIConnectionError):
        fake_stripe.client(max_network_retries=0).v1.customers.list()
    fake_stripe.set_down(False)
    assert stripe.Customer.list().data == []


def test_ids_have_stripes_prefixes(fake_stripe: FakeStripe) -> None:
    price = stripe.Price.create(
        product_data={"name": "Pro"},
        unit_amount=900,
        currency="eur",
        recurring={"interval": "year"},
    )
    customer = stripe.Customer.create(email="p@example.test")
    session = stripe.checkout.Session.create(
        mode="subscription",
        customer=customer.id,
        line_items=[{"price": price.id, "quantity": 1}],
        success_url="http://localhost/ok",
    )
    assert price.id.startswith("price_")
    assert price.product.startswith("prod_")
    assert customer.id.startswith("cus_")
    assert session.id.startswith("cs_test_")
    endpoint = stripe.WebhookEndpoint.create(url="http://127.0.0.1:1/hook", enabled_events=["*"])
    assert endpoint.id.startswith("we_")
    assert endpoint.secret.startswith("whsec_")
    assert "secret" not in stripe.WebhookEndpoint.retrieve(endpoint.id)
    assert price.recurring.interval == "year"
    assert price.created == fake_stripe.now


def test_customer_crud_search_and_default_payment_method(fake_stripe: FakeStripe) -> None:
    customer = stripe.Customer.create(
        email="a@example.test", name="Alpha", metadata={"company": "7"}
    )
    pm = stripe.PaymentMethod.create(type="card", card={"token": "tok_visa"})
    stripe.PaymentMethod.attach(pm.id, customer=customer.id)
    updated = stripe.Customer.modify(
        customer.id, invoice_settings={"default_payment_method": pm.id}, metadata={"company": ""}
    )
    assert updated.invoice_settings.default_payment_method == pm.id
    assert updated.metadata.to_dict() == {}
    assert fake_stripe.events("customer.updated")[-1]["data"]["previous_attributes"][
        "metadata"
    ] == {"company": "7"}
    stripe.Customer.modify(customer.id, metadata={"company": "8"})
    found = stripe.Customer.search(query="metadata['company']:'8' AND email:'a@example.test'")
    assert [c.id for c in found.data] == [customer.id]
    assert stripe.Customer.search(query="name~'alp'").data[0].id == customer.id
    listed = stripe.Customer.list_payment_methods(customer.id)
    assert [p.id for p in listed.data] == [pm.id]
    deleted = stripe.Customer.delete(customer.id)
    assert deleted.deleted is True
    assert stripe.Customer.retrieve(customer.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        stripe.Customer.delete(customer.id)
    product = stripe.Product.create(
        name="Pro", default_price_data={"currency": "eur", "unit_amount": 500}
    )
    assert stripe.Price.retrieve(product.default_price).unit_amount == 500
