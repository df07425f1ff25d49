using AiPlatform.Messages;
using AiPlatform.ServiceDefaults.BrokerLink;
using MassTransit;

namespace AiPlatform.Gateway.Cluster;

/// <summary>
/// A queue of this gateway's own (auto-deleted with it) bound to heartbeats and stop notices, beside the shared
/// worker-heartbeats queue the gateways take turns on: each gateway answers /api/v2/cluster/nodes from every heartbeat,
/// without storing cluster state in the database. The queue is probed like the gateway's other queues of its own: a
/// broker restart that leaves it deaf is noticed rather than showing every worker stale.
/// </summary>
public sealed class ClusterNodeSubscription(IReceiveEndpointConnector endpoints, ClusterNodes nodes, ProbedEndpoints probes) : IHostedService
{
    private HostReceiveEndpointHandle? _handle;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _handle = endpoints.ConnectReceiveEndpoint(new TemporaryEndpointDefinition("cluster-nodes"), DefaultEndpointNameFormatter.Instance, (_, e) =>
        {
            probes.Watch(e);
            e.Handler<WorkerHeartbeat>(context =>
            {
                nodes.Heard(context.Message);
                return Task.CompletedTask;
            });
            e.Handler<WorkerStopped>(context =>
            {
                nodes.Stopped(context.Message);
                return Task.CompletedTask;
            });
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => _handle?.StopAsync(cancellationToken) ?? Task.CompletedTask;
}
