namespace Grains;

/// <summary>Nearest-rank percentiles of small samples (dashboards); large streams use HdrHistogram.</summary>
public static class NearestRank
{
    /// <summary>The value at percentile <paramref name="p"/> (0..1) of ascending <paramref name="sorted"/>; 0 when empty.</summary>
    public static double Of(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
