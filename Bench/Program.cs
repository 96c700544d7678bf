using Bench;

// Benchmarks of the platform, run by hand (never part of the test run):
//   dotnet run -c Release --project Bench -- pipeline [--turns N] [--sessions S] [--raw M]
return args.FirstOrDefault() switch
{
    "pipeline" => await PipelineBench.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project Bench -- pipeline [--turns 2000] [--sessions 500] [--raw 50000]");
    return 2;
}
