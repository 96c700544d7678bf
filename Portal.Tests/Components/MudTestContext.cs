using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace Portal.Tests.Components;

/// <summary>bUnit context for MudBlazor components: loose JS interop, no transitions, async disposal.</summary>
public abstract class MudTestContext : BunitContext, IAsyncLifetime
{
    protected MudTestContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices(o => o.SnackbarConfiguration.ShowTransitionDuration = 0);
        ConfigureServices(Services);
        Render<MudPopoverProvider>();
    }

    /// <summary>Services a component under test needs; called before the first render builds the container.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public Task InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => base.DisposeAsync().AsTask();
}
