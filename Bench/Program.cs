using Bench;

// Benchmarks of the platform, run by hand (never part of the test run):
//   dotnet run -c Release --project Bench -- pipeline [--turns N] [--sessions S] [--raw M] [--receive-wait-ms W]
//   dotnet run -c Release --project Bench -- latency [--rate 200] [--seconds 20] [--model-ms 50] [--warm-seconds 5] [--hops] [--receive-wait-ms W]
//   dotnet run -c Release --project Bench -- idle [--seconds 20]
//   dotnet run -c Release --project Bench -- embed [--texts 800]   (the embedding model's cost per text by batch size and callers)
//   dotnet run -c Release --project Bench -- tiers [--slots 4] [--call-ms 200] [--seconds 15] [--enterprise-rps 3] [--pro-rps 3]
//   dotnet run -c Release --project Bench -- drill [--kills 20] [--store redis|postgres] [--silos 3] [--rate 4] [--every-ms 4000] [--seed N]
//   dotnet run -c Release --project Bench -- eval --cases FILE.jsonl [--tenant ID] [--topics FILE.json [--threshold T]] [--chain input|output] [--weights FILE]
//   dotnet run -c Release --project Bench -- eval-topics [DIR]   (CLINC150, e.g. ../shared/eval/clinc150)
//   dotnet run -c Release --project Bench -- train-safety [--hidden 64] [--ensemble 5] [--show-mistakes] [--no-write]   (writes Grains/Guardrails/Safety/safety-heads.json)
//   dotnet run -c Release --project Bench -- audit [--turns 10000] [--lookups 400] [--scans 5] [--partitions 4]
//   dotnet run -c Release --project Bench -- marketing [--leads 200] [--risky-every 5] [--store memory|redis]
//   dotnet run -c Release --project Bench -- try [--tenant ID] [--chain input|output] TEXT...   (every score for one message)
return args.FirstOrDefault() switch
{
    "pipeline" => await PipelineBench.RunAsync(args[1..]),
    "latency" => await LatencyBench.RunAsync(args[1..]),
    "idle" => await IdleBench.RunAsync(args[1..]),
    "embed" => await EmbedBench.RunAsync(args[1..]),
    "tiers" => await TiersBench.RunAsync(args[1..]),
    "drill" => await Bench.Drill.DrillBench.RunAsync(args[1..]),
    "eval" => await GuardrailEval.RunAsync(args[1..]),
    "eval-topics" => await TopicEval.RunAsync(args),
    "audit" => await AuditBench.RunAsync(args[1..]),
    "marketing" => await MarketingBench.RunAsync(args[1..]),
    "try" => await TryGuardrails.RunAsync(args[1..]),
    "train-safety" => await Bench.Training.SafetyTraining.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project Bench -- pipeline [--turns 2000] [--sessions 500] [--raw 50000] [--receive-wait-ms W]");
    Console.Error.WriteLine("       dotnet run -c Release --project Bench -- latency [--rate 200] [--seconds 20] [--model-ms 50] [--warm-seconds 5] [--hops] [--receive-wait-ms W]");
    Console.Error.WriteLine("       dotnet run -c Release --project Bench -- idle [--seconds 20]");
    Console.Error.WriteLine("       dotnet run -c Release --project Bench -- embed [--texts 800]");
    Console.Error.WriteLine("       dotnet run -c Release --project Bench -- tiers [--slots 4] [--call-ms 200] [--seconds 15] [--enterprise-rps 3] [--pro-rps 3]");
    Console.Error.WriteLine("       dotnet run -c Release --project Bench -- drill [--kills 20] [--store redis|postgres] [--silos 3] [--rate 4] [--every-ms 4000] [--seed N]");
    Console.Error.WriteLine("       dotnet run -c Release --project Bench -- eval --cases FILE.jsonl [--tenant ID] [--topics FILE.json] [--chain input|output]");
    Console.Error.WriteLine("       dotnet run -c Release --project Bench -- eval-topics [DIR]");
    Console.Error.WriteLine("       dotnet run -c Release --project Bench -- train-safety [--data DIR] [--shared DIR] [--out FILE] [--hidden N] [--ensemble N] [--epochs N] [--lr X] [--l2 X] [--prior X] [--folds N] [--fit-check] [--show-mistakes] [--no-write]");
    Console.Error.WriteLine("       dotnet run -c Release --project Bench -- audit [--turns 10000] [--lookups 400] [--scans 5] [--partitions 4]");
    Console.Error.WriteLine("       dotnet run -c Release --project Bench -- marketing [--leads 200] [--risky-every 5] [--store memory|redis]");
    Console.Error.WriteLine("       dotnet run -c Release --project Bench -- try [--tenant ID] [--chain input|output] TEXT...");
    return 2;
}
