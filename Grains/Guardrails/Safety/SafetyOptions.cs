namespace Grains.Guardrails.Safety;

/// <summary>Where the safety heads' weights are (section <c>Guardrails:Safety</c>).</summary>
public sealed class SafetyOptions
{
    public const string Section = "Guardrails:Safety";

    /// <summary>The file shipped with the platform, next to the binaries; a relative path is from there.</summary>
    public const string DefaultWeightsFile = "Guardrails/Safety/safety-heads.json";

    public string WeightsFile { get; set; } = DefaultWeightsFile;

    public string ResolvedPath => Path.IsPathRooted(WeightsFile) ? WeightsFile : Path.Combine(AppContext.BaseDirectory, WeightsFile);
}
