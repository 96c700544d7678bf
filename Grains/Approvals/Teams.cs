namespace Grains.Approvals;

/// <summary>Moderation teams, each with its own approval queue.</summary>
public static class Teams
{
    /// <summary>General review: hard-stopped answers.</summary>
    public const string Review = "review";
}
