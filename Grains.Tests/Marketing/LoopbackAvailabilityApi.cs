using System.Net;

namespace Grains.Tests.Marketing;

/// <summary>A loopback availability API that answers with <see cref="Status"/> (changeable while it runs) and counts the calls.</summary>
public sealed class LoopbackAvailabilityApi : IDisposable
{
    private readonly LoopbackEndpoint _endpoint;
    private volatile HttpStatusCode _status = HttpStatusCode.OK;

    public LoopbackAvailabilityApi() => _endpoint = new LoopbackEndpoint(request =>
    {
        var status = _status;
        if (status != HttpStatusCode.OK) return ((int)status, "{}");
        var available = request.QueryString["product"] == "Sold Out" ? "false" : "true";
        return (200, $$"""{"available":{{available}},"inStock":4,"deliveryEstimate":"3 days"}""");
    });

    public HttpStatusCode Status { get => _status; set => _status = value; }

    public int Calls => _endpoint.Requests.Count;

    public string Url => _endpoint.Url + "availability";

    public void Dispose() => _endpoint.Dispose();
}
