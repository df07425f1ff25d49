using AiPlatform.Gateway.Persistence;
using AiPlatform.Gateway.Registry;
using AiPlatform.Lake.Catalog;
using AiPlatform.Messages;
using Microsoft.EntityFrameworkCore;

namespace AiPlatform.Gateway.Inference;

/// <summary>Where a model's alias points now, read from the registry: what a service that follows the alias must serve.</summary>
public static class ModelAliasPointers
{
    public static async Task<ModelAliasPointer> CurrentAsync(PlatformDbContext db, string project, string model, string alias, TimeProvider clock,
        CancellationToken ct)
    {
        var kind = RegistryService.KindName(EntryKind.Model);
        var target = await (
                from resource in db.RegistryResources
                where resource.Project == project && resource.Kind == kind && resource.Name == model
                join pointer in db.RegistryAliases on resource.Id equals pointer.ResourceId
                where pointer.Alias == alias
                join version in db.RegistryVersions on pointer.VersionId equals version.Id
                select new { version.LanceVersion, pointer.UpdatedAt })
            .AsNoTracking().SingleOrDefaultAsync(ct);
        return target is null
            ? new ModelAliasPointer(model, alias, null, clock.GetUtcNow(), project)
            : new ModelAliasPointer(model, alias, LakeReference.Exact(model, target.LanceVersion), target.UpdatedAt, project);
    }
}
