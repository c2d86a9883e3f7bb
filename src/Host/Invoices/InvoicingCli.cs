using System.CommandLine;
using Billing.Host.Usage;

namespace Billing.Host.Invoices;

/// <summary>Adds the usage, invoice, export and demo commands to the <c>billing</c> tree.</summary>
public static class InvoicingCli
{
    public static void AddCommands(RootCommand root)
    {
        root.Subcommands.Add(UsageCli.Command());
        root.Subcommands.Add(InvoicesCli.Command());
    }
}
