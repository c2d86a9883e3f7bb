namespace Billing.Host.StripeEmulator;

/// <summary>Stripe's test payment methods and what each does when charged off-session.</summary>
internal static class EmulatorTestCards
{
    public sealed record Decline(string Code, string? DeclineCode, string Message, bool CreatesCharge = true);

    /// <summary>Payment methods that succeed; <c>pm_card_createDispute</c> then opens a dispute.</summary>
    public static readonly IReadOnlySet<string> Succeeding = new HashSet<string>(StringComparer.Ordinal)
    {
        "pm_card_visa", "pm_card_mastercard", "pm_card_amex", "pm_card_createDispute",
    };

    public static readonly IReadOnlyDictionary<string, Decline> Declining = new Dictionary<string, Decline>(StringComparer.Ordinal)
    {
        ["pm_card_chargeDeclined"] = new("card_declined", "generic_decline", "Your card was declined."),
        ["pm_card_visa_chargeDeclined"] = new("card_declined", "generic_decline", "Your card was declined."),
        ["pm_card_visa_chargeDeclinedInsufficientFunds"] = new("card_declined", "insufficient_funds", "Your card has insufficient funds."),
        ["pm_card_chargeDeclinedInsufficientFunds"] = new("card_declined", "insufficient_funds", "Your card has insufficient funds."),
        ["pm_card_chargeDeclinedExpiredCard"] = new("expired_card", "expired_card", "Your card has expired."),
        ["pm_card_chargeDeclinedIncorrectCvc"] = new("incorrect_cvc", "incorrect_cvc", "Your card's security code is incorrect."),
        ["pm_card_chargeDeclinedProcessingError"] = new("processing_error", "processing_error", "An error occurred while processing your card. Try again in a little bit."),
        ["pm_card_visa_chargeDeclinedLostCard"] = new("card_declined", "lost_card", "Your card was declined."),
        ["pm_card_visa_chargeDeclinedStolenCard"] = new("card_declined", "stolen_card", "Your card was declined."),
        ["pm_card_authenticationRequired"] = new("authentication_required", "authentication_required", "Your card was declined. This transaction requires authentication.", CreatesCharge: false),
    };

    public static bool IsKnown(string paymentMethod) => Succeeding.Contains(paymentMethod) || Declining.ContainsKey(paymentMethod);
}
