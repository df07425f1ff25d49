using MassTransit;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Persistence;

/// <summary>
/// MassTransit's saga repository on EF Core (the official package is not available here). Each message gets a fresh
/// change tracker and one SaveChanges; the row version makes a concurrent update fail, and the endpoint's retry
/// replays the message on the row as it now is.
/// </summary>
public sealed class EfSagaRepositoryContextFactory<TSaga>(PlatformDbContext db, ISagaConsumeContextFactory<DbContext, TSaga> consumeContexts)
    : ISagaRepositoryContextFactory<TSaga>, IQuerySagaRepositoryContextFactory<TSaga>, ILoadSagaRepositoryContextFactory<TSaga>
    where TSaga : class, ISaga
{
    public async Task Send<T>(ConsumeContext<T> context, IPipe<SagaRepositoryContext<TSaga, T>> next) where T : class
    {
        db.ChangeTracker.Clear();
        var repository = new EfSagaRepositoryContext<TSaga, T>(db, context, consumeContexts);
        await next.Send(repository);
    }

    public async Task SendQuery<T>(ConsumeContext<T> context, ISagaQuery<TSaga> query, IPipe<SagaRepositoryQueryContext<TSaga, T>> next)
        where T : class
    {
        db.ChangeTracker.Clear();
        var ids = await db.Set<TSaga>().AsNoTracking().Where(query.FilterExpression).Select(s => s.CorrelationId)
            .ToListAsync(context.CancellationToken);
        var repository = new EfSagaRepositoryContext<TSaga, T>(db, context, consumeContexts);
        await next.Send(new DefaultSagaRepositoryQueryContext<TSaga, T>(repository, ids));
    }

    public Task<T> Execute<T>(Func<LoadSagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class => asyncMethod(new EfSagaReadContext<TSaga>(db, cancellationToken));

    public Task<T> Execute<T>(Func<QuerySagaRepositoryContext<TSaga>, Task<T>> asyncMethod, CancellationToken cancellationToken = default)
        where T : class => asyncMethod(new EfSagaReadContext<TSaga>(db, cancellationToken));

    public void Probe(ProbeContext context) => context.Add("persistence", "ef-core-postgresql");
}
