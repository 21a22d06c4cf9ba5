using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Serialization;

namespace Lux.Orleans;

/// <summary>Client-side registration of Lux.Orleans.</summary>
public static class LuxClientBuilderExtensions
{
    /// <summary>
    /// Makes the Lux grain interfaces, status records and exceptions known to the client's serializer. Command, query and
    /// result types of your state machines must be serializable by Orleans too (<c>[GenerateSerializer]</c>).
    /// </summary>
    public static IClientBuilder AddLuxRaft(this IClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSerializer(serializer => serializer.AddAssembly(typeof(IRaftPartitionGrain).Assembly));
        return builder;
    }
}
