using Portal.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddPortal();

var app = builder.Build();
app.MapPortal();
app.Run();

/// <summary>Visible to the end-to-end tests' WebApplicationFactory.</summary>
public partial class Program;
