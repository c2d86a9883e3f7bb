using Billing.Ledger.Stripe;

namespace Billing.Ledger.Tests.Stripe;

public sealed class StripeFormTests
{
    [Fact]
    public void nested_objects_indexed_arrays_booleans_and_times_encode_as_stripe_reads_them()
    {
        var form = new StripeForm()
            .Add("amount", 1099L)
            .Add("confirm", true)
            .Add("off_session", false)
            .Add("timestamp", DateTimeOffset.FromUnixTimeSeconds(1_700_000_000))
            .AddObject("metadata", new Dictionary<string, string> { ["invoice_id"] = "inv 1", ["tenant_id"] = "acme&co" })
            .AddArray("payment_method_types", ["card"])
            .AddArray("items", [new Dictionary<string, string> { ["price"] = "price_1" }, new Dictionary<string, string> { ["price"] = "price_2" }]);

        Assert.Equal(
            "amount=1099&confirm=true&off_session=false&timestamp=1700000000&metadata[invoice_id]=inv%201&metadata[tenant_id]=acme%26co"
            + "&payment_method_types[0]=card&items[0][price]=price_1&items[1][price]=price_2",
            form.Encode());
    }

    [Fact]
    public void null_values_are_left_out_and_decimals_use_the_invariant_culture()
    {
        var form = new StripeForm().Add("description", (string?)null).Add("payload[value]", 12.5m).Add("amount", (long?)null);

        Assert.Equal("payload[value]=12.5", form.Encode());
    }

    [Fact]
    public void an_off_session_charge_carries_confirm_off_session_and_lowercase_currency()
    {
        var charge = new OffSessionCharge(2500, "EUR", "cus_1", "pm_card_visa", Metadata: new Dictionary<string, string> { ["invoice_id"] = "inv_9" });

        Assert.Equal(
            "amount=2500&currency=eur&customer=cus_1&payment_method=pm_card_visa&confirm=true&off_session=true&payment_method_types[0]=card&metadata[invoice_id]=inv_9",
            charge.ToForm().Encode());
    }

    [Fact]
    public void a_refund_must_name_exactly_one_of_payment_intent_or_charge()
    {
        Assert.Throws<ArgumentException>(() => new RefundCreate(null).ToForm());
        Assert.Throws<ArgumentException>(() => new RefundCreate("pi_1", "ch_1").ToForm());
        Assert.Equal("payment_intent=pi_1&amount=300&reason=requested_by_customer", new RefundCreate("pi_1", Amount: 300, Reason: RefundReason.RequestedByCustomer).ToForm().Encode());
    }

    [Fact]
    public void list_queries_reject_page_sizes_stripe_would_refuse()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StripeListQuery(101).ToQueryString());
        Assert.Equal("limit=10&starting_after=ch_9&created[gte]=1700000000", new StripeListQuery(10, "ch_9", DateTimeOffset.FromUnixTimeSeconds(1_700_000_000)).ToQueryString());
    }

    [Fact]
    public void idempotency_keys_are_derived_from_our_ids_and_bounded()
    {
        Assert.Equal("charge:inv_1:attempt:2", IdempotencyKeys.Charge("inv_1", 2));
        Assert.Throws<ArgumentException>(() => IdempotencyKeys.Checked(new string('k', 256)));
    }

    [Fact]
    public void secrets_are_masked_in_free_text_and_options()
    {
        var text = StripeSecrets.MaskIn("Invalid API Key provided: sk_test_51Habcdefghijklmnop1234 and whsec_abcdefghijkl5678");

        Assert.DoesNotContain("51Habcdefghijklmnop", text, StringComparison.Ordinal);
        Assert.DoesNotContain("abcdefghijkl", text, StringComparison.Ordinal);
        Assert.Contains("sk_test_****1234", text, StringComparison.Ordinal);
        Assert.DoesNotContain("51Habcdef", new StripeOptions { SecretKey = "sk_test_51Habcdefghijklmnop1234" }.ToString(), StringComparison.Ordinal);
    }
}
