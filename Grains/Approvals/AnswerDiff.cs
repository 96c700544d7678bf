namespace Grains.Approvals;

public enum DiffKind { Same, Removed, Added }

[GenerateSerializer, Immutable]
public sealed record DiffSegment([property: Id(0)] DiffKind Kind, [property: Id(1)] string Text);

/// <summary>Word-level difference between the model's answer and the one a moderator sent (kept for audit).</summary>
public static class AnswerDiff
{
    public static IReadOnlyList<DiffSegment> Between(string original, string edited)
    {
        var a = Words(original);
        var b = Words(edited);
        // Longest common subsequence over words; answers are short, so O(n·m) is fine.
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
            for (var j = b.Length - 1; j >= 0; j--)
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
        var segments = new List<DiffSegment>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y]) { Add(segments, DiffKind.Same, a[x]); x++; y++; }
            else if (y < b.Length && (x == a.Length || lcs[x, y + 1] >= lcs[x + 1, y])) { Add(segments, DiffKind.Added, b[y]); y++; }
            else { Add(segments, DiffKind.Removed, a[x]); x++; }
        }
        return segments;
    }

    private static string[] Words(string text) => (text ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    private static void Add(List<DiffSegment> segments, DiffKind kind, string word)
    {
        if (segments.Count > 0 && segments[^1].Kind == kind) segments[^1] = segments[^1] with { Text = segments[^1].Text + " " + word };
        else segments.Add(new DiffSegment(kind, word));
    }
}
