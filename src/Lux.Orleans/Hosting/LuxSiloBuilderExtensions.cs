using Lux.Orleans.Diagnostics;
using Lux.Orleans.Discovery;
using Lux.Orleans.Placement;
using Lux.Orleans.Replication;
using Lux.Orleans.StateMachines;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;

namespace Lux.Orleans.Hosting;

/// <summary>Silo-side registration of Lux.Orleans.</summary>
public static class LuxSiloBuilderExtensions
{
    /// <summary>
    /// Runs Lux on this silo: the replica host (write-ahead log in <see cref="LuxRaftOptions.DataDirectory"/>, peer
    /// channel, every local replica), the partition, catalog, replica and node grains, silo-pinned placement, discovery
    /// and repair. Every silo of the cluster must run it, with a stable, unique silo name (replica ids derive from it).
    /// Register state machines with <see cref="AddRaftStateMachine{TCommand, TQuery, TResult}"/>.
    /// </summary>
    public static ISiloBuilder AddLuxRaft(this ISiloBuilder builder, Action<LuxRaftOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<LuxRaftOptions>().Configure(configure).ValidateOnStart();
        return AddCore(builder);
    }

    /// <summary>Runs Lux on this silo with options bound from <paramref name="configuration"/> (for example the <c>Lux</c> section).</summary>
    public static ISiloBuilder AddLuxRaft(this ISiloBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.AddOptions<LuxRaftOptions>().Bind(configuration).ValidateOnStart();
        return AddCore(builder);
    }

    /// <summary>
    /// Registers a state machine under <paramref name="name"/>; partitions created with that name run a fresh instance
    /// from <paramref name="factory"/> on each replica. Every silo must register the same names.
    /// </summary>
    public static ISiloBuilder AddRaftStateMachine<TCommand, TQuery, TResult>(this ISiloBuilder builder, string name,
        Func<IServiceProvider, IRaftStateMachine<TCommand, TQuery, TResult>> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.AddSingleton(new StateMachineRegistration(name, services =>
            new TypedStateMachineAdapter<TCommand, TQuery, TResult>(factory(services), services.GetRequiredService<IRaftPayloadCodec>())));
        return builder;
    }

    private static ISiloBuilder AddCore(ISiloBuilder builder)
    {
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(RaftReplicaHost))) return builder;
        services.AddSingleton<IValidateOptions<LuxRaftOptions>, LuxRaftOptionsValidator>();
        services.TryAddSingleton<IRaftPayloadCodec, OrleansRaftPayloadCodec>();
        services.AddSingleton<StateMachineRegistry>();
        services.AddSingleton<RaftMetrics>();
        services.AddSingleton<OrleansPeerDirectory>();
        services.AddSingleton<RaftReplicaHost>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<RaftReplicaHost>());
        services.AddPlacementDirector<SiloPinnedPlacement, SiloPinnedPlacementDirector>();
        services.AddGrainDirectory(SiloPinnedGrainDirectory.Name, (sp, _) => new SiloPinnedGrainDirectory(sp.GetRequiredService<IClusterMembershipService>()));
        services.AddGrainDirectory(LocalWorkerGrainDirectory.Name, (_, _) => new LocalWorkerGrainDirectory());
        services.AddSerializer(serializer => serializer
            .AddAssembly(typeof(IRaftPartitionGrain).Assembly)
            .AddAssembly(typeof(RaftReplicaHost).Assembly));
        return builder;
    }
}
