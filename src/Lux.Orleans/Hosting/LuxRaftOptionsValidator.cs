using System.Net;
using Lux.Orleans.Replication;
using Lux.Raft.Transport;
using Microsoft.Extensions.Options;

namespace Lux.Orleans.Hosting;

/// <summary>Checks <see cref="LuxRaftOptions"/> at silo start and reports every problem at once.</summary>
public sealed class LuxRaftOptionsValidator : IValidateOptions<LuxRaftOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LuxRaftOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory)) problems.Add("Lux:DataDirectory is required (one directory per silo).");
        else if (options.DataDirectory.IndexOfAny(Path.GetInvalidPathChars()) >= 0) problems.Add($"Lux:DataDirectory '{options.DataDirectory}' is not a valid path.");
        if (!IPAddress.TryParse(options.ListenAddress, out _)) problems.Add($"Lux:ListenAddress '{options.ListenAddress}' is not an IP address.");
        if (options.AdvertisedAddress is { } advertised && string.IsNullOrWhiteSpace(advertised)) problems.Add("Lux:AdvertisedAddress must not be blank when set.");
        if (options.ListenPort is < 0 or > 65535) problems.Add($"Lux:ListenPort {options.ListenPort} is outside 0..65535.");
        if (options.ClusterSecret is { Length: < 16 }) problems.Add("Lux:ClusterSecret must be at least 16 characters.");
        if (options.ClusterSecret is null && !PeerChannelAuthenticates(options))
        {
            problems.Add("Lux:ClusterSecret is required: silos prove to each other that they belong to the cluster before any Raft message is accepted " +
                "(or give the peer channel a certificate through ConfigurePeerChannel).");
        }
        if (options.TickInterval < TimeSpan.FromMilliseconds(1) || options.TickInterval > TimeSpan.FromSeconds(10)) problems.Add($"Lux:TickInterval {options.TickInterval} is outside 1 ms..10 s.");
        if (options.HeartbeatTicks < 1) problems.Add("Lux:HeartbeatTicks must be at least 1.");
        if (options.ElectionTicks <= options.HeartbeatTicks) problems.Add("Lux:ElectionTicks must be greater than Lux:HeartbeatTicks.");
        if (options.OperationTimeout <= TimeSpan.Zero) problems.Add("Lux:OperationTimeout must be positive.");
        if (options.AttemptTimeout <= TimeSpan.Zero || options.AttemptTimeout > options.OperationTimeout) problems.Add("Lux:AttemptTimeout must be positive and at most Lux:OperationTimeout.");
        if (options.RepairInterval <= TimeSpan.Zero) problems.Add("Lux:RepairInterval must be positive.");
        if (options.SnapshotPolicy is null) problems.Add("Lux:SnapshotPolicy must be set.");
        else problems.AddRange(options.SnapshotPolicy.Validate().Select(p => "Lux:SnapshotPolicy: " + p));
        if (options.Sessions is null) problems.Add("Lux:Sessions must be set.");
        else problems.AddRange(options.Sessions.Validate().Select(p => "Lux:Sessions: " + p));
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var partition in options.Partitions ?? [])
        {
            try
            {
                RaftIdentity.ValidatePartitionId(partition.Id);
            }
            catch (ArgumentException e)
            {
                problems.Add($"Lux:Partitions: '{partition.Id}': {e.Message}");
            }
            if (!ids.Add(partition.Id)) problems.Add($"Lux:Partitions: '{partition.Id}' appears twice.");
            if (string.IsNullOrWhiteSpace(partition.StateMachine)) problems.Add($"Lux:Partitions: '{partition.Id}' names no state machine.");
            if (partition.ReplicationFactor < 1) problems.Add($"Lux:Partitions: '{partition.Id}' needs a replication factor of at least 1.");
        }
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>Whether <see cref="LuxRaftOptions.ConfigurePeerChannel"/> gives the channel a certificate or a secret of its own.</summary>
    private static bool PeerChannelAuthenticates(LuxRaftOptions options)
    {
        if (options.ConfigurePeerChannel is null) return false;
        var channel = new PeerChannelOptions();
        options.ConfigurePeerChannel(channel);
        return channel.Certificate is not null || channel.ClusterSecret is not null;
    }
}
