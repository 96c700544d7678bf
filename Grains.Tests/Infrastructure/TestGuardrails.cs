using Grains.Guardrails;

namespace Grains.Tests.Infrastructure;

/// <summary>The chains as every host builds them (in-process MiniLM, the shipped safety heads), once per test process.</summary>
public static class TestGuardrails
{
    private static readonly Lazy<GuardrailChains> Shared = new(() => GuardrailChains.Create());

    public static GuardrailChains Chains => Shared.Value;

    public static GuardrailChain Input => Chains.Input;

    public static GuardrailChain Output => Chains.Output;
}
