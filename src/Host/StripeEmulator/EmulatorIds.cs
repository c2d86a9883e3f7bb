using System.Security.Cryptography;

namespace Billing.Host.StripeEmulator;

/// <summary>Stripe-looking ids: a prefix and 24 random alphanumerics.</summary>
internal static class EmulatorIds
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string New(string prefix) => prefix + "_" + RandomNumberGenerator.GetString(Alphabet, 24);
}
