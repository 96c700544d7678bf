using Grains.Hosting;
using Portal.Extensions;
using Portal.Security;

// `dotnet run --project Portal -- hash-password` prints a hash for Auth:Accounts (reads the password from stdin).
if (args is ["hash-password", ..])
{
    Console.Error.Write("Password: ");
    var password = Console.IsInputRedirected ? Console.In.ReadLine() : ReadHidden();
    if (string.IsNullOrEmpty(password)) { Console.Error.WriteLine("No password given."); return 2; }
    Console.WriteLine(PasswordHash.Create(password));
    return 0;
}

// `dotnet run --project Portal -- new-api-key` prints a new API key and the hash to put in Auth:ApiKeys.
if (args is ["new-api-key", ..])
{
    var key = ApiKeyHash.NewKey();
    Console.WriteLine($"key:  {key}");
    Console.WriteLine($"hash: {ApiKeyHash.Of(key)}");
    return 0;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddPortal();
builder.Logging.DropWatchdogStartupAlarm();

var app = builder.Build();
app.MapPortal();
app.Run();
return 0;

static string ReadHidden()
{
    var text = new System.Text.StringBuilder();
    for (var key = Console.ReadKey(intercept: true); key.Key != ConsoleKey.Enter; key = Console.ReadKey(intercept: true))
        if (key.Key == ConsoleKey.Backspace) { if (text.Length > 0) text.Length--; }
        else text.Append(key.KeyChar);
    Console.Error.WriteLine();
    return text.ToString();
}

/// <summary>Visible to the end-to-end tests' WebApplicationFactory.</summary>
public partial class Program;
