using Lux.Orleans.Server;

return await LuxServer.RunAsync(args, Console.Error);
