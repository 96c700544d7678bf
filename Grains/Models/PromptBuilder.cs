using System.Globalization;
using System.Text;
using Grains.Tenants;
using Microsoft.Extensions.AI;

namespace Grains.Models;

/// <summary>Builds the system prompt that grounds the model in the tenant's catalog and brand rules.</summary>
public static class PromptBuilder
{
    public const string CatalogHeader = "Catalog:";
    public const string CompetitorsHeader = "Never recommend these other brands:";

    /// <summary>In the price column when the catalog gives none (a mortgage, an account): never "free".</summary>
    public const string NoPrice = "no price listed";

    public static List<ChatMessage> For(TenantProfile tenant, string customerMessage)
    {
        var system = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"You are the customer assistant of {tenant.Name}, {tenant.Business}.")
            .AppendLine("Answer briefly and only about the business's products and services, using the catalog below.")
            .AppendLine(CatalogHeader);
        foreach (var item in tenant.Catalog)
            system.AppendLine(CultureInfo.InvariantCulture, $"- {item.Name} | {item.Category} | {(item.Price > 0 ? tenant.Currency + item.Price.ToString("#,0.##", CultureInfo.InvariantCulture) : NoPrice)} | {item.Description}");
        system.AppendLine(CompetitorsHeader + " " + string.Join(", ", tenant.Policy.Competitors));
        return [new ChatMessage(ChatRole.System, system.ToString()), new ChatMessage(ChatRole.User, customerMessage)];
    }
}
