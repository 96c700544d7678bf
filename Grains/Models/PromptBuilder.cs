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

    /// <summary>Starts the system prompt of the marketing assistant's pitch writer (the demo model writes a pitch when it sees it).</summary>
    public const string PitchTask = "Task: write a short sales pitch e-mail";

    public static List<ChatMessage> For(TenantProfile tenant, string customerMessage) =>
        Grounded(tenant, customerMessage, $"You are the customer assistant of {tenant.Name}, {tenant.Business}.",
            "Answer briefly and only about the business's products and services, using the catalog below.");

    /// <summary>The pitch writer's prompt: who the lead is and what they asked about, grounded in the same catalog and brand rules.</summary>
    public static List<ChatMessage> ForPitch(TenantProfile tenant, string name, string? company, string interest) =>
        Grounded(tenant, $"Lead: {name}{(string.IsNullOrWhiteSpace(company) ? "" : " from " + company)}. Interested in: {interest}",
            $"{PitchTask} for {tenant.Name}, {tenant.Business}, to the lead below.",
            "Name only products of the catalog below, with their prices; promise no discount and nothing the catalog does not say.");

    private static List<ChatMessage> Grounded(TenantProfile tenant, string userMessage, string role, string instruction)
    {
        var system = new StringBuilder()
            .AppendLine(role)
            .AppendLine(instruction)
            .AppendLine(CatalogHeader);
        foreach (var item in tenant.Catalog)
            system.AppendLine(CultureInfo.InvariantCulture, $"- {item.Name} | {item.Category} | {(item.Price > 0 ? tenant.Currency + item.Price.ToString("#,0.##", CultureInfo.InvariantCulture) : NoPrice)} | {item.Description}");
        system.AppendLine(CompetitorsHeader + " " + string.Join(", ", tenant.Policy.Competitors));
        return [new ChatMessage(ChatRole.System, system.ToString()), new ChatMessage(ChatRole.User, userMessage)];
    }
}
