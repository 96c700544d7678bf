using Grains.Hosting;
using Grains.Triggers;
using Microsoft.AspNetCore.Routing;
using MudBlazor.Services;
using OpenTelemetry.Metrics;
using Orleans.Dashboard;
using Portal.Apis;
using Portal.Components;
using Portal.Security;
using Portal.Services;

namespace Portal.Extensions;

public static class HostingExtensions
{
    /// <summary>
    /// The portal. By default one process: a co-hosted silo with the whole pipeline, its Kafka (embedded unless
    /// configured), and the portal. With <c>Portal:CoHostSilo=false</c> an Orleans client of separate Silo processes
    /// (<see cref="PortalClient"/>).
    /// </summary>
    public static IHostApplicationBuilder AddPortal(this IHostApplicationBuilder builder)
    {
        // Static web assets (blazor.web.js, MudBlazor's css/js) are served from the build output in every environment.
        if (builder is WebApplicationBuilder web) web.WebHost.UseStaticWebAssets();
        var client = PortalClient.IsClient(builder.Configuration);
        if (client) PortalClient.RequireKafka(builder.Configuration);
        var kafka = builder.AddPlatformKafka();
        builder.AddPlatformTracing("agent-platform-portal");
        var stores = PlatformStoreOptions.From(builder.Configuration);
        stores.VerifyAsync().GetAwaiter().GetResult(); // once at start, before anything listens
        if (client)
            builder.AddPortalClient(stores, kafka);
        else
            builder.UseOrleans(silo =>
            {
                silo.UsePlatformClustering(builder.Configuration, stores);
                silo.AddAgentPlatform(kafka, stores: stores);
                silo.AddDashboard();
            });
        builder.AddTrustedProxies();
        builder.AddPortalSecurity();
        builder.Services.AddSingleton<LoginThrottle>();
        // Intervention figures, Orleans' and the runtime's own meters, for Prometheus on /metrics.
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(Grains.Analytics.InterventionMetrics.MeterName, Grains.Marketing.SinkMetrics.MeterName, "Microsoft.Orleans")
            .AddPrometheusExporter());
        builder.Services.AddMudServices();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddScoped<ConversationSubscription>();
        builder.Services.AddScoped<ApprovalQueueSubscription>();
        builder.Services.AddSingleton<PipelineMonitor>();
        builder.Services.AddTriggerMonitoring(); // trigger lag on /triggers and /api/triggers (a co-hosted silo registers it too)
        builder.Services.AddSingleton<TriggerViews>();
        builder.Services.AddPortalHealthChecks();
        return builder;
    }

    public static WebApplication MapPortal(this WebApplication app)
    {
        app.UseTrustedProxies(); // first: everything after sees the client's scheme and address
        if (!app.Environment.IsDevelopment()) app.UseExceptionHandler("/error", createScopeForErrors: true);
        app.UseSecurityHeaders();
        app.UseCustomerBrowserCookie();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapHealthApi();
        app.MapAuditApi();
        app.MapWhatIfApi();
        app.MapTriggersApi();
        app.MapPortalHealthChecks();
        app.MapAccountEndpoints();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapOrleansDashboard(routePrefix: "/dashboard").RequireAuthorization(StaffPolicies.Operators);
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode()
            // Pages answer HEAD like GET (uptime checks, link checkers); Blazor maps only GET and POST, and the last
            // method metadata wins.
            .Add(endpoint => endpoint.Metadata.Add(new HttpMethodMetadata([HttpMethods.Get, HttpMethods.Head, HttpMethods.Post])));
        return app;
    }
}
